"""The training loop on CPU: a single process trains, writes its run dir and resumes exactly."""

from __future__ import annotations

import json

import pytest

from nemo_repro.pretrain import checkpoint, optim
from nemo_repro.pretrain.loop import pretrain
from nemo_repro.runs import read_metrics


def test_single_process_trains_and_leaves_a_run_dir(reference_run):
    rows = read_metrics(reference_run.run_dir / "metrics.jsonl")
    assert [r["step"] for r in rows] == list(range(1, 11))
    for key in ("loss", "lr", "grad_norm", "tokens_per_s", "z_loss"):
        assert all(isinstance(r[key], float) for r in rows), key
    assert rows[-1]["loss"] < rows[0]["loss"] - 0.3  # it learns
    assert rows[1]["lr"] > rows[0]["lr"] and rows[-1]["lr"] < max(r["lr"] for r in rows)  # warmup, then decay
    for name in ("loss.png", "lr.png", "grad_norm.png", "report.md"):
        assert (reference_run.run_dir / name).is_file(), name
    root = reference_run.checkpoint_dir
    assert checkpoint.latest_iteration(root) == 10
    assert (root / "iter_0000005" / "model_info.json").is_file()
    info = json.loads((root / "iter_0000010" / "model_info.json").read_text())
    assert info["layout"] == {"tp": 1, "pp": 1, "dp": 1} and info["iteration"] == 10


def test_kill_and_resume_reproduces_the_uninterrupted_curve(reference_run, make_cfg, tmp_path, monkeypatch):
    """Crash in step 8 (after the step-5 checkpoint), restart: steps 6-10 match the uninterrupted run exactly."""
    calls = {"n": 0}
    real_step = optim.CpuAdamW.step

    def crashing_step(self):
        calls["n"] += 1
        if calls["n"] == 8:
            raise RuntimeError("simulated node failure")
        return real_step(self)

    monkeypatch.setattr(optim.CpuAdamW, "step", crashing_step)
    with pytest.raises(RuntimeError, match="simulated node failure"):
        pretrain(make_cfg(), tmp_path, seed=1234, progress=False)
    assert checkpoint.latest_iteration(tmp_path / "checkpoints") == 5
    assert [r["step"] for r in read_metrics(tmp_path / "metrics.jsonl")] == list(range(1, 8))
    monkeypatch.setattr(optim.CpuAdamW, "step", real_step)

    result = pretrain(make_cfg(), tmp_path, seed=1234, progress=False)
    assert result.steps == 10
    resumed = read_metrics(tmp_path / "metrics.jsonl")
    reference = read_metrics(reference_run.run_dir / "metrics.jsonl")
    assert [r["step"] for r in resumed] == list(range(1, 11))  # steps 6 and 7 rewritten, not duplicated
    for a, b in zip(resumed, reference):
        assert (a["loss"], a["lr"], a["grad_norm"]) == (b["loss"], b["lr"], b["grad_norm"]), a["step"]


def test_finished_run_does_not_train_again(reference_run, make_cfg):
    result = pretrain(make_cfg(), reference_run.run_dir, seed=1234, progress=False)
    assert result.steps == 10
    assert len(read_metrics(reference_run.run_dir / "metrics.jsonl")) == 10


def test_logging_every_third_step_trains_the_same_curve(reference_run, make_cfg, tmp_path):
    """The loss is reduced and the device synchronised only on log steps; the training itself is unchanged."""
    result = pretrain(make_cfg("pretrain.log_interval=3"), tmp_path, seed=1234, progress=False)
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in rows] == [3, 6, 9, 10]  # and always the last step
    reference = {r["step"]: r for r in read_metrics(reference_run.run_dir / "metrics.jsonl")}
    for row in rows:
        assert (row["loss"], row["lr"], row["grad_norm"]) == tuple(reference[row["step"]][k] for k in ("loss", "lr", "grad_norm"))
        assert row["step_time_s"] > 0 and row["tokens_per_s"] > 0
    assert result.final_loss == rows[-1]["loss"] and result.skipped_steps == 0


def test_a_nan_loss_stops_the_run_before_it_reaches_a_checkpoint(make_cfg, tmp_path, monkeypatch):
    """From step 7 on the loss is NaN: the optimizer skips the update, the loop stops naming the step and step 5's checkpoint."""
    from nemo_repro.pretrain import loop

    calls = {"n": 0}
    real_loss = loop.loss_with_z_loss

    def poisoned_loss(*args):
        calls["n"] += 1
        loss, logged = real_loss(*args)
        return (loss * float("nan"), logged) if calls["n"] > 6 * 4 else (loss, logged)  # 4 microbatches a step

    monkeypatch.setattr(loop, "loss_with_z_loss", poisoned_loss)
    with pytest.raises(loop.TrainingDiverged, match=r"pretrain step 7: grad norm nan.*iter_0000005"):
        pretrain(make_cfg(), tmp_path, seed=1234, progress=False)
    assert checkpoint.latest_iteration(tmp_path / "checkpoints") == 5
    assert [r["step"] for r in read_metrics(tmp_path / "metrics.jsonl")] == list(range(1, 7))


def test_finite_check_names_the_bad_value_and_the_last_checkpoint(tmp_path):
    from nemo_repro.pretrain.loop import TrainingDiverged, check_finite

    check_finite(3, tmp_path, grad_norm=1.5, loss=2.0)
    check_finite(3, tmp_path, grad_norm=None)  # megatron's skipped step reports no norm
    with pytest.raises(TrainingDiverged, match="step 4: loss inf.*no checkpoint was written yet"):
        check_finite(4, tmp_path, grad_norm=1.0, loss=float("inf"))


def test_cli_releases_the_process_group_however_training_ends(tiny_overrides, tmp_path, monkeypatch):
    import torch
    from megatron.core import parallel_state

    from nemo_repro.config.loader import load_config
    from nemo_repro.pretrain import cli, loop, parallel
    from nemo_repro.runs import RunDir

    parallel.initialize(1, 1, 0)

    def failing(*args, **kwargs):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(loop, "pretrain", failing)
    cfg = load_config(tiny_overrides, subcommand="pretrain")[0]
    with pytest.raises(RuntimeError, match="simulated failure"):
        cli.run(cfg, RunDir(tmp_path, "pretrain"))
    assert not torch.distributed.is_initialized() and not parallel_state.model_parallel_is_initialized()
