"""GPTModel builder: layer spec and precision choice, SwiGLU, FP8 settings, and CUDA bf16 training (GPU)."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from nemo_repro.pretrain import model as model_mod
from nemo_repro.pretrain import parallel


def test_cpu_choice_is_local_spec_fp32_with_padded_vocab(make_cfg):
    if torch.cuda.is_available():
        pytest.skip("CPU choice")
    choice = model_mod.choose(make_cfg(), vocab_size=516)
    assert (choice.transformer_impl, choice.dtype, choice.padded_vocab_size) == ("local", torch.float32, 640)


def test_swiglu_model_has_gated_mlp(make_cfg):
    cfg = make_cfg("pretrain.swiglu=true")
    parallel.initialize(1, 1, 0)
    gpt, _ = model_mod.build_model(cfg, vocab_size=512, seed=0)
    fc1 = gpt.decoder.layers[0].mlp.linear_fc1.weight
    assert gpt.config.gated_linear_unit and gpt.config.activation_func is torch.nn.functional.silu
    assert fc1.shape == (2 * model_mod.ffn_size(cfg), 64) and model_mod.ffn_size(cfg) == 192


def test_init_is_seeded_per_parameter_and_norms_stay_constant(make_cfg):
    parallel.initialize(1, 1, 0)
    a, _ = model_mod.build_model(make_cfg(), vocab_size=512, seed=7)
    b, _ = model_mod.build_model(make_cfg(), vocab_size=512, seed=7)
    c, _ = model_mod.build_model(make_cfg(), vocab_size=512, seed=8)
    qkv = "decoder.layers.1.self_attention.linear_qkv.weight"
    params = [dict(m.named_parameters()) for m in (a, b, c)]
    assert torch.equal(params[0][qkv], params[1][qkv]) and not torch.equal(params[0][qkv], params[2][qkv])
    assert torch.all(params[0]["decoder.final_layernorm.weight"] == 1)
    proj = float(params[0]["decoder.layers.0.self_attention.linear_proj.weight"].std())
    assert proj == pytest.approx(0.02 / 2, rel=0.1)  # scaled init: std / sqrt(2 x 2 layers)


def test_fp8_settings_reach_the_transformer_config(make_cfg):
    """The FP8 recipe is megatron's own TransformerConfig fields (TE reads them); checked without TE."""
    cfg = make_cfg("pretrain.fp8=hybrid", "pretrain.fp8_recipe=delayed", "pretrain.fp8_amax_history_len=16", "pretrain.fp8_amax_compute_algo=max")
    choice = model_mod.ModelChoice("transformer_engine", torch.float32, 512)
    tconfig = model_mod.transformer_config(cfg, choice)
    assert (tconfig.fp8, tconfig.fp8_recipe, tconfig.fp8_amax_history_len, tconfig.fp8_amax_compute_algo) == ("hybrid", "delayed", 16, "max")


def test_gpu_config_of_the_local_spec_asks_only_for_what_torch_norms_support(make_cfg, monkeypatch):
    """megatron-core 0.16.1's local spec uses torch norms without Apex: they assert against a persistent LayerNorm and
    sequence parallelism, and the fused masked softmax is an Apex CUDA extension. Built as on a GPU without them."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(model_mod, "_has_module", lambda name: False)
    cfg = make_cfg("pretrain.tensor_model_parallel_size=2")
    local = model_mod.transformer_config(cfg, model_mod.ModelChoice("local", torch.bfloat16, 512))
    assert not local.persist_layer_norm and not local.sequence_parallel and not local.masked_softmax_fusion
    assert local.bf16 and local.bias_dropout_fusion and not local.use_cpu_initialization
    te = model_mod.transformer_config(cfg, model_mod.ModelChoice("transformer_engine", torch.bfloat16, 512))
    assert te.sequence_parallel  # TE's norms and linears support it
    assert not model_mod.transformer_config(make_cfg(), model_mod.ModelChoice("transformer_engine", torch.bfloat16, 512)).sequence_parallel  # TP = 1


def test_bf16_model_keeps_its_norms_in_bf16(make_cfg):
    """Like Megatron-LM's Float16Module: one dtype for the whole model (the local spec builds torch norms in fp32)."""
    parallel.initialize(1, 1, 0)
    cfg = dataclasses.replace(make_cfg(), precision="bf16")
    gpt, choice = model_mod.build_model(cfg, vocab_size=512, seed=0)
    assert choice.dtype == torch.bfloat16
    assert {p.dtype for p in gpt.parameters()} == {torch.bfloat16}


@pytest.mark.gpu
def test_transformer_engine_spec_is_chosen_when_it_imports(make_cfg):
    pytest.importorskip("transformer_engine")
    choice = model_mod.choose(make_cfg(), vocab_size=512)
    assert choice.transformer_impl == "transformer_engine" and choice.dtype == torch.bfloat16
    spec = model_mod.layer_spec(make_cfg(), choice)
    assert spec.submodules.self_attention.submodules.linear_qkv.__name__.startswith("TE")


@pytest.mark.gpu
def test_cuda_bf16_training_with_the_local_spec(make_cfg, tmp_path):
    from nemo_repro.pretrain.loop import pretrain
    from nemo_repro.runs import read_metrics

    cfg = make_cfg("pretrain.transformer_impl=local", "pretrain.precision=bf16", "pretrain.train_iters=20", "pretrain.save_interval=20")
    result = pretrain(cfg, tmp_path, seed=1234, progress=False)
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert result.steps == 20 and rows[-1]["loss"] < rows[0]["loss"] - 0.3
    assert all(0 < r["mfu"] < 1 for r in rows)
    info = (tmp_path / "checkpoints" / "iter_0000020" / "model_info.json").read_text()
    assert "bfloat16" in info and '"transformer_impl": "local"' in info


@pytest.mark.gpu
def test_fp8_training_on_hopper(make_cfg, tmp_path):
    pytest.importorskip("transformer_engine")
    if torch.cuda.get_device_capability() < (9, 0):
        pytest.skip("FP8 needs Hopper")
    from nemo_repro.pretrain.loop import pretrain

    # FP8 GEMMs need dimensions that are multiples of 16
    cfg = make_cfg("pretrain.fp8=hybrid", "pretrain.hidden_size=128", "pretrain.train_iters=5", "pretrain.save_interval=5")
    assert pretrain(cfg, tmp_path, seed=1234, progress=False).steps == 5


@pytest.mark.gpu
@pytest.mark.parametrize("attention", ["sdpa", "megatron"])
def test_cuda_resume_with_the_distributed_optimizer_continues_the_curve(make_cfg, tmp_path, monkeypatch, attention):
    """Megatron DDP + distributed optimizer (torch Adam without TE/Apex): crash in step 5 after the step-3
    checkpoint, restart, and the curve continues as the uninterrupted run's."""
    from nemo_repro.pretrain import optim
    from nemo_repro.pretrain.loop import pretrain
    from nemo_repro.runs import read_metrics

    cfg = make_cfg("pretrain.transformer_impl=local", "pretrain.precision=bf16", f"pretrain.local_attention={attention}",
                   "pretrain.train_iters=6", "pretrain.save_interval=3")
    pretrain(cfg, tmp_path / "whole", seed=1234, progress=False)
    calls = {"n": 0}
    real_step = optim.GpuOptimizer.step

    def crashing_step(self):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("simulated node failure")
        return real_step(self)

    monkeypatch.setattr(optim.GpuOptimizer, "step", crashing_step)
    with pytest.raises(RuntimeError, match="simulated node failure"):
        pretrain(cfg, tmp_path / "split", seed=1234, progress=False)
    monkeypatch.setattr(optim.GpuOptimizer, "step", real_step)
    assert pretrain(cfg, tmp_path / "split", seed=1234, progress=False).steps == 6
    whole = [r["loss"] for r in read_metrics(tmp_path / "whole" / "metrics.jsonl")]
    split = [r["loss"] for r in read_metrics(tmp_path / "split" / "metrics.jsonl")]
    assert split == pytest.approx(whole, abs=2e-2)  # bf16 kernels need not be bitwise deterministic
