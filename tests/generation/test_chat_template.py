"""A rephraser without a chat template (a base model) fails before any work, for every backend."""

import shutil

import pytest

from nemo_repro.cli import main
from nemo_repro.generation import build_generator
from nemo_repro.generation.server import OpenAICompatServer


@pytest.fixture(scope="module")
def base_model_dir(tmp_path_factory, varied_qwen2_dir):
    """`varied_qwen2_dir` with its chat template removed, as a base model ships."""
    import json

    folder = shutil.copytree(varied_qwen2_dir, tmp_path_factory.mktemp("base") / "model")
    (folder / "chat_template.jinja").unlink(missing_ok=True)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    return folder


def recycle(tmp_path, *extra):
    return main(["recycle", "recycle=tiny", f"run.dir={tmp_path / 'run'}", "recycle.executor=local", "run.progress=false", *extra])


@pytest.mark.parametrize("backend", ["hf", "vllm"])
def test_local_base_model_fails_before_any_work(base_model_dir, tmp_path, capsys, backend):
    assert recycle(tmp_path, f"recycle.rephraser={base_model_dir}", f"recycle.backend={backend}") == 2
    message = capsys.readouterr().err
    assert "recycle.rephraser" in message and "no chat template" in message and "chat_template.jinja" in message
    assert not (tmp_path / "run" / "input").exists()  # the sample corpus was not even written


def test_served_base_model_fails_before_any_work(base_model_dir, tmp_path, capsys):
    hf = build_generator("hf", str(base_model_dir))
    with OpenAICompatServer(hf, model_name="base") as server:
        code = recycle(tmp_path, "recycle.rephraser=base", "recycle.backend=openai", f"recycle.base_url={server.url}",
                       f"recycle.tokenizer={base_model_dir}")
    assert code == 2
    message = capsys.readouterr().err
    assert "recycle.rephraser='base'" in message and "no chat template" in message and "--chat-template" in message
    assert not (tmp_path / "run" / "input").exists()
