"""`cluster: local`: the same stages as local processes (torchrun for pretraining), in order,
stopping at the first failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from launcher.launch import launch
from nemo_repro.cli import SUBCOMMANDS, main
from nemo_repro.config.loader import load_config
from nemo_repro.runs import read_metrics

REPO = Path(__file__).resolve().parents[2]
TINY_PRETRAIN = [
    "pretrain.train_iters=2", "pretrain.lr_warmup_iters=1", "pretrain.save_interval=2", "pretrain.seq_length=32",
    "pretrain.micro_batch_size=1", "pretrain.global_batch_size=2", "pretrain.sample_docs=40",
]


@pytest.fixture
def pretrain_ready():
    if "pretrain" not in SUBCOMMANDS:
        pytest.skip("`nemo-repro pretrain` is not registered yet")


def test_local_launch_runs_pretraining_under_torchrun(pretrain_ready, tmp_path, monkeypatch, small_tokenizer_dir):
    monkeypatch.chdir(REPO)
    run_dir = tmp_path / "run"
    rc = main(["launch", "stages=[pretrain]", f"run.dir={run_dir}", f"pretrain.tokenizer={small_tokenizer_dir}", *TINY_PRETRAIN])
    assert rc == 0
    assert "torchrun --standalone --nproc_per_node=1" in (run_dir / "pretrain.sh").read_text()
    assert (run_dir / "pretrain" / "checkpoints").is_dir()
    assert "train_iters: 2" in (run_dir / "pretrain" / "config.yaml").read_text()
    jobs = json.loads((run_dir / "jobs.json").read_text())
    assert jobs["returncodes"] == {"pretrain": 0} and jobs["seconds"]["pretrain"] > 0
    assert [r["stage"] for r in read_metrics(run_dir / "metrics.jsonl")] == ["pretrain"]
    assert (run_dir / "stage_seconds.png").is_file() and "| pretrain |" in (run_dir / "report.md").read_text()


def test_local_launch_stops_at_the_first_failure(pretrain_ready, tmp_path):
    bad_blend = tmp_path / "blend.json"
    bad_blend.write_text("not json\n")
    cfg, _ = load_config(["stages=[pretrain,evaluate]", f"pretrain.data={bad_blend}", f"evaluate.model={tmp_path}"], "launch")
    result = launch(cfg, tmp_path / "run", workdir=REPO)
    assert list(result.returncodes) == ["pretrain"] and result.returncodes["pretrain"] != 0
    assert not result.ok
    assert not (tmp_path / "run" / "evaluate" / "config.yaml").exists(), "evaluate must not start"
