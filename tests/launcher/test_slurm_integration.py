"""The launcher against a REAL SLURM on localhost (fixture `local_slurm`, see conftest.py).

Submits a tiny pipeline with `container: null`: pretraining as 2 SLURM tasks (rank and
world size from SLURM, gloo on CPU) for 2 steps, then evaluation of its checkpoint,
chained with afterok. Checks the outputs and the job states via scontrol. A second
launch whose pretraining fails checks that the dependent job is cancelled. The Ray
bootstrap of `recycle.sbatch` is checked with a stand-in driver in place of the
pipeline (the pipeline itself is tested in tests/curator_stages).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
from pathlib import Path

import pytest

from launcher.launch import launch
from nemo_repro.cli import SUBCOMMANDS
from nemo_repro.config.loader import load_config

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(run_overrides: list[str]):
    cfg, _ = load_config([
        "cluster=slurm", "cluster.partition=debug", "cluster.account=ci", "cluster.time=00:10:00",
        "cluster.gpus_per_node=2", "cluster.request_gpus=false", "cluster.exclusive=false",
        "cluster.requires_container=false", "container=null", "stages=[pretrain,evaluate]",
        f"launch.master_port={_free_port()}",
        "pretrain.train_iters=2", "pretrain.lr_warmup_iters=1", "pretrain.save_interval=2",
        "pretrain.micro_batch_size=1", "pretrain.global_batch_size=2", "pretrain.sample_docs=40",
        "evaluate.tasks=[sample_last_words]", "evaluate.limit=2", *run_overrides,
    ], subcommand="launch")
    return cfg


def _slurm_log(run_dir: Path) -> str:
    """Every stage's whole SLURM log (Ray alone prints ~3 kB, so a tail would hide the lines asserted on)."""
    return "\n".join(f"== {p}\n{p.read_text()}" for p in sorted(run_dir.glob("*/slurm-*.out")))


@pytest.fixture
def stages_ready():
    missing = [s for s in ("pretrain", "evaluate") if s not in SUBCOMMANDS]
    if missing:
        pytest.skip(f"stage subcommands not registered yet: {missing}")


def _code_copy(dest: Path) -> Path:
    """The source as a code mount carries it (what `launch.code_mount` points at), away from the test's checkout."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("nemo_repro", "curator_stages", "launcher", "conf"):
        shutil.copytree(REPO / name, dest / name, ignore=ignore)
    shutil.copy(REPO / "constraints.txt", dest / "constraints.txt")
    return dest


def test_pipeline_runs_on_real_slurm(local_slurm, stages_ready, tmp_path, monkeypatch, small_tokenizer_dir):
    """pretrain -> evaluate with the code reached the way a container reaches it: the code mount on PYTHONPATH
    (with the stack check on), from a copy of the source; not this checkout, not the test's PYTHONPATH."""
    from nemo_repro.evaluate.sample_tasks import write_sample_tasks

    monkeypatch.setenv("SLURM_CONF", local_slurm.env["SLURM_CONF"])
    monkeypatch.delenv("PYTHONPATH", raising=False)  # sbatch exports the submitting environment to the jobs
    code = _code_copy(tmp_path / "code")
    tasks = write_sample_tasks(tmp_path / "tasks", n_per_task=8)
    cfg = _config([f"evaluate.data_dir={tasks}", f"pretrain.tokenizer={small_tokenizer_dir}", f"launch.code_mount={code}"])
    run_dir = tmp_path / "run"
    workdir = tmp_path / "work"
    workdir.mkdir()
    result = launch(cfg, run_dir, workdir=workdir)
    assert list(result.job_ids) == ["pretrain", "evaluate"]
    states = local_slurm.wait(list(result.job_ids.values()), timeout_s=240)
    assert list(states.values()) == ["COMPLETED", "COMPLETED"], f"{states}\n{_slurm_log(run_dir)}"
    for job in result.job_ids.values():
        assert local_slurm.job_state(job)[1] == "0:0"
    evaluate_job = local_slurm.run("scontrol", "show", "job", "-o", result.job_ids["evaluate"])
    assert "Dependency=" in evaluate_job

    pretrain = run_dir / "pretrain"
    assert (pretrain / "checkpoints").is_dir() and (pretrain / "metrics.jsonl").is_file()
    saved = (pretrain / "config.yaml").read_text()
    assert "train_iters: 2" in saved, "the stage ran with the launcher's overrides"
    # The second SLURM task ran as rank 1 (SLURM_PROCID), next to rank 0.
    assert (pretrain / "logs" / "pretrain.rank1.log").is_file(), _slurm_log(run_dir)
    results = json.loads((run_dir / "evaluate" / "results.json").read_text())
    assert results, "evaluation wrote its results"
    for stage in ("pretrain", "evaluate"):
        assert f"nemo_repro from {code}/nemo_repro" in (run_dir / stage / "logs" / f"{stage}.log").read_text(), "ran the mounted code"


def test_failed_stage_cancels_the_stages_after_it(local_slurm, stages_ready, tmp_path, monkeypatch):
    monkeypatch.setenv("SLURM_CONF", local_slurm.env["SLURM_CONF"])
    bad_blend = tmp_path / "blend.json"
    bad_blend.write_text("not json\n")
    cfg = _config([f"pretrain.data={bad_blend}", f"evaluate.data_dir={tmp_path}"])
    result = launch(cfg, tmp_path / "run", workdir=REPO)
    states = local_slurm.wait(list(result.job_ids.values()), timeout_s=120)
    assert states[result.job_ids["pretrain"]] == "FAILED", _slurm_log(tmp_path / "run")
    assert states[result.job_ids["evaluate"]] == "CANCELLED"
    assert not (tmp_path / "run" / "evaluate" / "results.json").exists()


def test_recycle_job_starts_a_ray_cluster_its_driver_attaches_to(local_slurm, tmp_path, monkeypatch):
    monkeypatch.setenv("SLURM_CONF", local_slurm.env["SLURM_CONF"])
    cfg = _config(["stages=[recycle]", f"recycle.rephraser={tmp_path}", "launch.dry_run=true", f"launch.ray_port={_free_port()}", "cluster.gpus_per_node=1"])
    run_dir = tmp_path / "run"
    launch(cfg, run_dir, workdir=REPO, echo=lambda text: None)
    script = run_dir / "recycle.sbatch"
    # The driver attaches like NeMo Curator's executors do: ray.init() with RAY_ADDRESS from the script.
    driver = "python -c 'import ray; ray.init(); print(\"DRIVER_CPUS\", ray.cluster_resources()[\"CPU\"])'"
    text, n = re.subn(r"python -m nemo_repro\.cli recycle.*", driver, script.read_text(), flags=re.S)
    assert n == 1
    script.write_text(text + "\n")
    job = local_slurm.run("sbatch", "--parsable", str(script)).strip()
    states = local_slurm.wait([job], timeout_s=150)
    log = _slurm_log(run_dir)
    assert states[job] == "COMPLETED", log
    assert "launcher.ray_cluster: 1 Ray nodes up" in log
    assert re.search(r"DRIVER_CPUS \d", log), log[-3000:]
