"""Each bad pretraining config fails before any work, with a message naming the problem."""

from __future__ import annotations

import pytest
import torch

from nemo_repro.config.fields import ConfigError
from nemo_repro.pretrain import validate as validate_mod
from nemo_repro.pretrain.loop import pretrain
from nemo_repro.pretrain.validate import validate


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["pretrain.num_attention_heads=4", "pretrain.tensor_model_parallel_size=3"], "num_attention_heads=4 is not divisible by pretrain.tensor_model_parallel_size=3"),
        (["pretrain.num_layers=3", "pretrain.pipeline_model_parallel_size=2"], "num_layers=3 is not divisible by pretrain.pipeline_model_parallel_size=2"),
        (["pretrain.fp8=e5m2"], "pretrain.fp8='e5m2' is not valid"),
        (["pretrain.fp8=hybrid", "pretrain.transformer_impl=local"], "needs pretrain.transformer_impl=transformer_engine"),
        (["pretrain.global_batch_size=7"], "global_batch_size=7 is not a multiple of pretrain.micro_batch_size=2"),
    ],
)
def test_schema_rejects(make_cfg, overrides, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_cfg(*overrides)


def test_world_size_not_divisible_by_tp_times_pp(make_cfg, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "3")
    with pytest.raises(ConfigError, match=r"world size 3 is not divisible by .* = 2 x 1"):
        validate(make_cfg("pretrain.tensor_model_parallel_size=2"))


def test_missing_data_prefix_fails_before_any_work(make_cfg, tmp_path):
    with pytest.raises(ConfigError, match=r"missing data file\(s\) .*nothing\.bin, .*nothing\.idx"):
        pretrain(make_cfg(f"pretrain.data={tmp_path}/nothing"), tmp_path / "run", progress=False)
    assert not (tmp_path / "run" / "checkpoints").exists() and not (tmp_path / "run" / "tokenizer").exists()


def test_paper_configs_require_data():
    from nemo_repro.config.loader import load_config

    cfg = load_config(["pretrain=gpt_400m"], subcommand="pretrain")[0].pretrain
    with pytest.raises(ConfigError, match="pretrain.data is required"):
        validate(cfg)


def test_blend_with_a_missing_prefix(make_cfg, tmp_path):
    from nemo_repro.mix.blend import write_blend

    blend = write_blend(tmp_path / "blend.json", [(1.0, tmp_path / "organic")])
    with pytest.raises(ConfigError, match=r"blend.json: entry 0: missing data file .*organic\.bin"):
        validate(make_cfg(f"pretrain.data={blend}"))


@pytest.mark.skipif(torch.cuda.is_available(), reason="CPU-only rules")
@pytest.mark.parametrize(
    "overrides, message",
    [
        (["pretrain.hidden_dropout=0.1"], "hidden_dropout=0.1: dropout must be 0 on CPU"),
        (["pretrain.precision=bf16"], "precision=bf16 is for GPUs"),
        (["pretrain.fp8=hybrid"], "fp8=hybrid needs Transformer Engine"),
        (["pretrain.transformer_impl=transformer_engine"], "Transformer Engine does not import here"),
    ],
)
def test_machine_rejects(make_cfg, overrides, message):
    with pytest.raises(ConfigError, match=message):
        validate(make_cfg(*overrides))


def test_fp8_needs_hopper(make_cfg, monkeypatch):
    """With TE importable but an Ampere GPU, FP8 is refused naming the compute capability."""
    monkeypatch.setattr(validate_mod, "te_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (8, 0))
    with pytest.raises(ConfigError, match=r"needs a Hopper \(sm_90\) or newer GPU; this one is sm_80"):
        validate_mod.check_fp8(make_cfg("pretrain.fp8=hybrid"))
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (9, 0))
    validate_mod.check_fp8(make_cfg("pretrain.fp8=hybrid"))  # H100/H200: accepted
