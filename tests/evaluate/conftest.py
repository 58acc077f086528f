"""Fixtures of the evaluation tests: the sample task files and our adapter around a tiny HF model."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny models run fastest on one thread, and intra-op spinning collapses on a shared 2-core box."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def sample_task_dir(tmp_path_factory) -> Path:
    """The three embedded sample tasks, 24 examples each."""
    from nemo_repro.evaluate.sample_tasks import write_sample_tasks

    return write_sample_tasks(tmp_path_factory.mktemp("sample_tasks"), n_per_task=24)


@pytest.fixture(scope="session")
def tiny_hf_model(tiny_qwen2_dir):
    """The tiny Qwen2 fixture loaded for inference."""
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(str(tiny_qwen2_dir)).eval()


@pytest.fixture(scope="session")
def make_logits_lm(tiny_qwen2_dir, tiny_hf_model):
    """Factory: our `LogitsLM` over the tiny HF model's forward (the same weights lm-eval's `hf` loads)."""
    from nemo_repro.evaluate.lm import LogitsLM
    from nemo_repro.pretrain.tokenizer import HFTokenizer

    def make(batch_size: int = 4, max_length: int = 2048) -> LogitsLM:
        return LogitsLM(lambda ids: tiny_hf_model(ids).logits, HFTokenizer(tiny_qwen2_dir), max_length=max_length, batch_size=batch_size)

    return make


@pytest.fixture(scope="session")
def megatron_checkpoint(tmp_path_factory, small_tokenizer_dir) -> Path:
    """A pretraining run dir with one Megatron-Core checkpoint: the tiny GPT, 2 steps, seq 256."""
    from nemo_repro.config.loader import load_config
    from nemo_repro.pretrain.loop import pretrain

    overrides = [
        "pretrain=tiny",
        "pretrain.train_iters=2",
        "pretrain.save_interval=2",
        "pretrain.lr_warmup_iters=1",
        "pretrain.seq_length=256",
        "pretrain.sample_docs=100",
        f"pretrain.tokenizer={small_tokenizer_dir}",
    ]
    cfg = load_config(overrides, subcommand="pretrain")[0].pretrain
    return pretrain(cfg, tmp_path_factory.mktemp("megatron_run"), seed=1234, progress=False).run_dir


@pytest.fixture(scope="session")
def arc_easy_dir(tmp_path_factory, shared_arc_easy) -> Path:
    """A data_dir holding the shared 200 ARC-Easy examples as `arc_easy.jsonl`."""
    out = tmp_path_factory.mktemp("arc")
    (out / "arc_easy.jsonl").write_bytes(shared_arc_easy.read_bytes())
    return out
