"""Tiny pretraining configs for the CPU tests: 512-token BPE, 2 layers, d=64, seq 64, 10 steps."""

from __future__ import annotations

import pytest

from nemo_repro.config.loader import load_config

TINY = [
    "pretrain=tiny",
    "pretrain.train_iters=10",
    "pretrain.seq_length=64",
    "pretrain.sample_docs=100",
    "pretrain.save_interval=5",
    "run.progress=false",
]


@pytest.fixture(scope="session")
def tiny_overrides(small_tokenizer_dir) -> list[str]:
    """Hydra overrides of the tiny CPU run used by every pretraining test."""
    return TINY + [f"pretrain.tokenizer={small_tokenizer_dir}"]


@pytest.fixture(scope="session")
def make_cfg(tiny_overrides):
    """`make_cfg(*overrides) -> PretrainConfig` on top of the tiny test config."""

    def make(*overrides: str):
        return load_config(tiny_overrides + list(overrides), subcommand="pretrain")[0].pretrain

    return make


@pytest.fixture(scope="session")
def reference_run(make_cfg, tmp_path_factory):
    """One uninterrupted single-process run (10 steps, checkpoints at 5 and 10), shared by the tests."""
    from nemo_repro.pretrain.loop import pretrain

    run_dir = tmp_path_factory.mktemp("reference")
    result = pretrain(make_cfg(), run_dir, seed=1234, progress=False)
    return result
