"""Credentials never reach a file or an output: URL credentials are redacted, keys are read from the
environment by name, secret-named env_vars are refused. Recycling runs against a loopback server with
recognisable secrets in the environment and in the URL; a launch dry run carries the same secrets."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from nemo_repro.cli import main
from nemo_repro.generation import SamplingConfig, build_generator
from nemo_repro.secrets import RedactingFilter, redact, redact_config

ENV_SECRET = "sk-ENVSECRET-4f1e"
URL_SECRET = "URLSECRET-9c2d"
VAR_SECRET = "hf_VARSECRET-77ab"
SECRETS = (ENV_SECRET, URL_SECRET, VAR_SECRET)
REPLY = "Here is a paraphrased version: the cat sat on the mat, and it was a fine mat to sit on."


class _Server(ThreadingHTTPServer):
    """An OpenAI-compatible chat endpoint on loopback that records each request's Authorization header."""

    def __init__(self) -> None:
        self.auth: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                server.auth.append(self.headers.get("Authorization", ""))
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.dumps({
                    "id": "x", "object": "chat.completion", "created": 0, "model": "served",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": REPLY}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def url(self, userinfo: str = "") -> str:
        return f"http://{userinfo}127.0.0.1:{self.server_address[1]}/v1"


@pytest.fixture
def server():
    srv = _Server()
    yield srv
    srv.shutdown()
    srv.server_close()


def _assert_nowhere(folder: Path, *outputs: str) -> None:
    for text in outputs:
        for secret in SECRETS:
            assert secret not in text, f"{secret} in an output"
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in SECRETS:
                assert secret.encode() not in data, f"{secret} in {path}"


def test_redact_removes_url_credentials_only():
    assert redact(f"GET https://bob:{URL_SECRET}@h.example/v1 ok") == "GET https://***@h.example/v1 ok"
    assert redact(f"http://{URL_SECRET}@h/v1") == "http://***@h/v1"
    assert redact("mail bob@example.com, http://h:8000/v1") == "mail bob@example.com, http://h:8000/v1"
    cfg = {"recycle": {"base_url": f"http://u:{URL_SECRET}@h/v1"}, "env_vars": {"HF_TOKEN": VAR_SECRET, "HF_HOME": "/x"}}
    assert redact_config(cfg) == {"recycle": {"base_url": "http://***@h/v1"}, "env_vars": {"HF_TOKEN": "***", "HF_HOME": "/x"}}


def test_log_filter_redacts_messages_arguments_and_tracebacks():
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, 'HTTP Request: %s %s "%s"', ("POST", f"http://u:{URL_SECRET}@h/v1", "200"), None)
    try:
        raise ConnectionError(f"cannot reach http://u:{URL_SECRET}@h/v1")
    except ConnectionError:
        import sys

        failing = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    for rec in (record, failing):
        RedactingFilter().filter(rec)
        assert URL_SECRET not in logging.Formatter().format(rec)
    assert record.getMessage() == 'HTTP Request: POST http://***@h/v1 "200"'


def test_loguru_lines_are_redacted_too():
    from loguru import logger

    from nemo_repro.secrets import install_log_redaction

    install_log_redaction()
    lines: list[str] = []
    sink = logger.add(lines.append, format="{message}")
    try:
        logger.warning(f"Error details: cannot reach http://u:{URL_SECRET}@h/v1")
    finally:
        logger.remove(sink)
    assert lines == ["Error details: cannot reach http://***@h/v1\n"]


def test_openai_key_comes_from_the_named_env_var_and_errors_name_the_redacted_url(server, monkeypatch):
    monkeypatch.setenv("MY_SERVER_KEY", ENV_SECRET)
    chat = [[{"role": "user", "content": "hi"}]]
    gen = build_generator("openai", "served", base_url=server.url(), api_key_env="MY_SERVER_KEY", max_retries=0, timeout=5)
    assert gen.generate(chat, SamplingConfig(max_new_tokens=4)) == [REPLY]
    assert server.auth == [f"Bearer {ENV_SECRET}"]
    monkeypatch.delenv("MY_SERVER_KEY")
    gen.generate(chat, SamplingConfig(max_new_tokens=4))
    assert server.auth[-1] == "Bearer EMPTY", "no key set: the placeholder local servers accept"
    port = server.server_address[1]
    server.shutdown()
    server.server_close()
    down = build_generator("openai", "served", base_url=f"http://u:{URL_SECRET}@127.0.0.1:{port}/v1", max_retries=0, timeout=2)
    with pytest.raises(RuntimeError, match=rf"http://\*\*\*@127\.0\.0\.1:{port}/v1.*after 0 retries") as err:
        down.generate(chat, SamplingConfig(max_new_tokens=4))
    assert URL_SECRET not in str(err.value) and err.value.__cause__ is None


def test_recycle_against_a_loopback_server_leaves_no_secret(server, monkeypatch, tmp_path, capfd, caplog, small_tokenizer_dir):
    monkeypatch.setenv("OPENAI_API_KEY", ENV_SECRET)
    caplog.set_level(logging.DEBUG)  # pytest's own root handler makes the CLI's basicConfig a no-op
    # vLLM, imported by earlier tests, sets the HTTP stack's loggers to WARNING; this test needs them
    # speaking, to check that what they say is redacted.
    for name in ("httpx", "httpx2"):
        monkeypatch.setattr(logging.getLogger(name), "level", logging.NOTSET)
    run_dir = tmp_path / "recycle"
    rc = main([
        "recycle", f"run.dir={run_dir}", "recycle.backend=openai", f"recycle.base_url={server.url(f'alice:{URL_SECRET}@')}",
        "recycle.rephraser=served", f"recycle.tokenizer={small_tokenizer_dir}", "recycle.executor=local",
        "recycle.sample_docs=8", "recycle.shard_docs=8", "recycle.semantic_model=none", "recycle.min_semantic_f1=null",
        "recycle.quality_model=null", "recycle.quality_scorer=none",
        "run.log_level=DEBUG",
    ])
    out, err = capfd.readouterr()
    assert rc == 0, err[-3000:]
    assert server.auth and all(a == f"Bearer {ENV_SECRET}" or a.startswith("Basic ") for a in server.auth)
    assert "HTTP Request: POST http://***@127.0.0.1" in (run_dir / "logs" / "recycle.log").read_text(), "httpx's line, redacted"
    assert "http://***@127.0.0.1" in (run_dir / "config.yaml").read_text()
    _assert_nowhere(run_dir, out, err, caplog.text)
    assert oct(run_dir.stat().st_mode & 0o777) == "0o750"


def test_launch_dry_run_passes_secrets_by_name_and_refuses_them_as_values(monkeypatch, tmp_path, capfd):
    monkeypatch.setenv("OPENAI_API_KEY", ENV_SECRET)
    monkeypatch.setenv("HF_TOKEN", VAR_SECRET)
    base = ["launch", "cluster=slurm", "cluster.account=a", "cluster.partition=p", "container=img", "launch.dry_run=true",
            "stages=[recycle]", "recycle.backend=openai", "recycle.rephraser=served", f"recycle.tokenizer={tmp_path}",
            f"recycle.base_url=http://alice:{URL_SECRET}@gpu-node:8000/v1"]
    refused = tmp_path / "refused"
    assert main([*base, f"run.dir={refused}", f"+env_vars.HF_TOKEN={VAR_SECRET}"]) == 2
    out, err = capfd.readouterr()
    assert "env_vars.HF_TOKEN looks like a credential" in err and "secret_env_vars=[HF_TOKEN]" in err
    assert not refused.exists()

    in_url = tmp_path / "in_url"
    assert main([*base, f"run.dir={in_url}", "secret_env_vars=[HF_TOKEN]"]) == 2
    out2, err2 = capfd.readouterr()
    assert "recycle.base_url holds a URL with credentials" in err2
    assert not list(in_url.glob("*.sbatch"))

    run_dir = tmp_path / "run"
    assert main([*base[:-1], "recycle.base_url=http://gpu-node:8000/v1", f"run.dir={run_dir}", "secret_env_vars=[HF_TOKEN]"]) == 0
    out3, err3 = capfd.readouterr()
    _assert_nowhere(tmp_path, out, err, out2, err2, out3, err3)
    script = (run_dir / "recycle.sbatch").read_text()
    for name in ("HF_TOKEN", "OPENAI_API_KEY"):
        assert f'if [ -z "${{{name}:-}}" ]' in script
    assert oct((run_dir / "recycle.sbatch").stat().st_mode & 0o777) == "0o750"
    assert oct(run_dir.stat().st_mode & 0o777) == "0o750"
