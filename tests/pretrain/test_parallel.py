"""TP=2, PP=2 and DP=2 over gloo under torchrun reproduce the single-process loss curve (CPU)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from nemo_repro.pretrain.checkpoint import load_for_inference
from nemo_repro.pretrain.inference import forward_logits
from nemo_repro.runs import read_metrics

pytestmark = pytest.mark.slow


def _torchrun(tmp_path, tiny_overrides, *overrides: str):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(var, None)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "nemo_repro.cli", "pretrain",
           *tiny_overrides, *overrides, f"run.dir={tmp_path}"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return read_metrics(tmp_path / "metrics.jsonl")


@pytest.mark.parametrize("layout", ["tensor_model_parallel_size=2", "pipeline_model_parallel_size=2", "data_parallel"])
def test_two_process_layout_matches_single_process(layout, reference_run, tiny_overrides, tmp_path):
    overrides = [] if layout == "data_parallel" else [f"pretrain.{layout}"]  # TP=PP=1 on 2 ranks is DP=2
    rows = _torchrun(tmp_path, tiny_overrides, *overrides)
    reference = read_metrics(reference_run.run_dir / "metrics.jsonl")
    assert len(rows) == len(reference) == 10
    for a, b in zip(rows, reference):
        assert a["loss"] == pytest.approx(b["loss"], abs=1e-4), a["step"]
        assert a["grad_norm"] == pytest.approx(b["grad_norm"], rel=1e-4), a["step"]
    info = json.loads((tmp_path / "checkpoints" / "iter_0000010" / "model_info.json").read_text())
    assert info["layout"]["tp"] * info["layout"]["pp"] * info["layout"]["dp"] == 2

    # the 2-process checkpoint reshards into one process and gives the reference model's logits
    model, tokenizer, cfg = load_for_inference(tmp_path / "checkpoints")
    ref_model, _, _ = load_for_inference(reference_run.checkpoint_dir)
    ids = [tokenizer.tokenize("The committee approved the new budget on Monday.")]
    logits = forward_logits(model, ids, vocab_size=tokenizer.vocab_size)
    assert logits.shape == (1, len(ids[0]), tokenizer.vocab_size)
    assert cfg.tensor_model_parallel_size == cfg.pipeline_model_parallel_size == 1
    assert (logits - forward_logits(ref_model, ids, vocab_size=tokenizer.vocab_size)).abs().max() < 1e-3


def test_swiglu_with_tensor_parallel_matches_single_process(make_cfg, tiny_overrides, tmp_path):
    """The 1.4B's SwiGLU MLP: its fused fc1 is split across TP ranks (a sharded-tensor factory), and the init and
    the loss must still not depend on the layout."""
    from nemo_repro.pretrain.loop import pretrain

    swiglu = ["pretrain.swiglu=true", "pretrain.normalization=RMSNorm", "pretrain.train_iters=4", "pretrain.save_interval=4"]
    reference = pretrain(make_cfg(*swiglu), tmp_path / "single", seed=1234, progress=False)
    rows = _torchrun(tmp_path / "tp2", tiny_overrides, *swiglu, "pretrain.tensor_model_parallel_size=2")
    expected = read_metrics(reference.run_dir / "metrics.jsonl")
    assert len(rows) == len(expected) == 4
    for a, b in zip(rows, expected):
        assert a["loss"] == pytest.approx(b["loss"], abs=1e-4), a["step"]
