"""Golden-file tests of the rendered scripts: SBATCH lines, pyxis flags, srun/torchrun/accelerate/Ray
shapes, the afterok chain. Regenerate after an intended change with `UPDATE_GOLDEN=1 pytest tests/launcher`."""

from __future__ import annotations

import os
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest

from launcher.launch import launch, render
from launcher.scripts import Context
from launcher.wiring import wire
from nemo_repro.config.loader import load_config

GOLDEN = Path(__file__).parent / "golden"
RUN_DIR = Path("/results/demo")
CTX = Context(run_dir=RUN_DIR, workdir=Path("/work/project"), bin_dir=Path("/opt/venv/bin"))

CASES = {
    # Multi-node SLURM with pyxis: every stage, TP=2, extra mounts, env and srun args.
    "slurm_pyxis": [
        "cluster=slurm", "cluster.account=acct", "cluster.partition=batch", "cluster.nodes=2", "cluster.time=02:00:00",
        "container=registry.example.com/team/nemo-repro:0.1.0", "container_mounts=[/lustre/data:/data]", "+env_vars.HF_HOME=/data/hf",
        "cluster.srun_args=['--mpi=pmix']", "pretrain.tensor_model_parallel_size=2", "pretrain.train_iters=500",
        "evaluate.data_dir=/data/eval", "rl.max_steps=50", "rl.bf16=true", "rl.fsdp=true",
        # A relative input (made absolute against the workdir and mounted), a model folder outside every mount,
        # a credential passed by name, and the source mounted from the host.
        "recycle.input=inputs/docs.jsonl", "pretrain.tokenizer=/models/gpt2", "secret_env_vars=[HF_TOKEN]",
        "launch.code_mount=/work/project",
    ],
    # SLURM on the hosts (container null), CPU-only nodes: no pyxis flags, no GPU request, venv on PATH.
    "slurm_host": [
        "cluster=slurm", "cluster.account=acct", "cluster.partition=debug", "cluster.gpus_per_node=2",
        "cluster.request_gpus=false", "cluster.exclusive=false", "cluster.requires_container=false", "container=null",
        "stages=[pretrain,evaluate]", "pretrain.train_iters=2", "evaluate.data_dir=/data/eval",
    ],
    # Local processes: torchrun for pretraining, accelerate for RL.
    "local": ["cluster.nproc_per_node=2", "pretrain.train_iters=2", "evaluate.data_dir=/data/eval"],
}


@lru_cache(maxsize=None)
def _rendered(case: str) -> dict[str, str]:
    cfg, _ = load_config(CASES[case], subcommand="launch")
    return render(wire(cfg, RUN_DIR, CTX.workdir), CTX)


@pytest.mark.parametrize("case", sorted(CASES))
def test_scripts_match_golden_files(case):
    files = _rendered(case)
    folder = GOLDEN / case
    if os.environ.get("UPDATE_GOLDEN"):
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        for name, text in files.items():
            (folder / name).write_text(text)
    assert sorted(files) == sorted(p.name for p in folder.iterdir()), "set of scripts changed"
    for name, text in files.items():
        assert text == (folder / name).read_text(), f"{case}/{name} differs from its golden file"


@pytest.mark.parametrize("case", sorted(CASES))
def test_scripts_are_valid_bash(case):
    for name, text in _rendered(case).items():
        proc = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True)
        assert proc.returncode == 0, f"{case}/{name}: {proc.stderr}"


def test_pyxis_flags_only_with_a_container():
    with_container = _rendered("slurm_pyxis")
    for stage in ("rl", "recycle", "pretrain", "evaluate"):
        text = with_container[f"{stage}.sbatch"]
        srun_count = text.count("\nsrun ")
        assert srun_count >= 1
        assert text.count("--container-image=registry.example.com/team/nemo-repro:0.1.0") == srun_count
        assert text.count("--no-container-mount-home") == srun_count
        assert "--container-mounts=/lustre/data:/data,/results/demo:/results/demo,/work/project:/work/project" in text
        assert "--container-workdir=/results/demo" in text
        assert "export PATH=" not in text
    for text in _rendered("slurm_host").values():
        assert "--container" not in text
    assert "export PATH=/opt/venv/bin:" in _rendered("slurm_host")["pretrain.sbatch"]


def test_submit_chains_stages_with_afterok():
    submit = _rendered("slurm_pyxis")["submit.sh"]
    lines = [line for line in submit.splitlines() if "sbatch --parsable" in line]
    assert [line.split()[-1].rstrip(")") for line in lines] == ["rl.sbatch", "recycle.sbatch", "pretrain.sbatch", "evaluate.sbatch"]
    assert "--dependency" not in lines[0]
    for previous, line in zip(["rl", "recycle", "pretrain"], lines[1:]):
        assert f"--dependency=afterok:${previous}_job --kill-on-invalid-dep=yes" in line


def test_stage_outputs_are_wired_into_the_next_stage():
    files = _rendered("slurm_pyxis")
    assert "recycle.rephraser=/results/demo/rl/final" in files["recycle.sbatch"]
    assert "pretrain.data=/results/demo/recycle/megatron/blend.json" in files["pretrain.sbatch"]
    assert "evaluate.model=/results/demo/pretrain/checkpoints" in files["evaluate.sbatch"]
    for stage in ("rl", "recycle", "pretrain", "evaluate"):
        assert f"run.dir=/results/demo/{stage}" in files[f"{stage}.sbatch"]


def test_dry_run_cli_contract_writes_scripts_and_submits_nothing(tmp_path, monkeypatch):
    """The issue's contract: `nemo-repro launch stages=[...] cluster=slurm ... launch.dry_run=true run.dir=<dir>`."""
    from nemo_repro.cli import main

    marker = tmp_path / "sbatch_called"
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "sbatch").write_text(f"#!/bin/sh\ntouch {marker}\necho 1\n")
    (fake_bin / "sbatch").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_bin}:{os.environ['PATH']}")
    run_dir = tmp_path / "run"
    rc = main([
        "launch", "stages=[recycle,pretrain,evaluate]", "cluster=slurm", "cluster.account=A", "cluster.partition=P",
        "container=nvcr.io/nvidia/nemo:25.07", "launch.dry_run=true", f"run.dir={run_dir}", f"evaluate.data_dir={tmp_path}",
        f"recycle.rephraser={tmp_path}",
    ])
    assert rc == 0
    assert sorted(p.name for p in run_dir.glob("*.sbatch")) == ["evaluate.sbatch", "pretrain.sbatch", "recycle.sbatch"]
    assert (run_dir / "submit.sh").is_file() and (run_dir / "report.md").is_file()
    assert not marker.exists(), "a dry run must not call sbatch"


def test_launch_without_sbatch_says_how_to_fix(tmp_path, monkeypatch):
    from nemo_repro.config.fields import ConfigError

    monkeypatch.setenv("PATH", str(tmp_path))
    cfg, _ = load_config(["cluster=slurm", "cluster.account=A", "cluster.partition=P", "container=img", "stages=[recycle]", f"recycle.rephraser={tmp_path}"], "launch")
    with pytest.raises(ConfigError, match="sbatch.*not on PATH.*launch.dry_run=true"):
        launch(cfg, tmp_path / "run")


def test_multi_node_rl_launcher_takes_its_node_rank_inside_the_step(tmp_path):
    """`$SLURM_NODEID` and `$head_node` expand on each node (under bash -c), and the overrides arrive intact."""
    import shlex

    script = _rendered("slurm_pyxis")["rl.sbatch"]
    joined = script.replace("\\\n", " ")
    payload = shlex.split(joined[joined.index("bash -c "):])[2]
    stub = tmp_path / "accelerate"
    stub.write_text('#!/bin/bash\nprintf "%s\\n" "$@"\n')
    stub.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "SLURM_NODEID": "1", "head_node": "node-a"}
    args = subprocess.run(["bash", "-c", payload], env=env, capture_output=True, text=True, check=True).stdout.splitlines()
    assert "--machine_rank=1" in args and "--main_process_ip=node-a" in args and "--num_processes=16" in args
    assert "--use_fsdp" in args and "--mixed_precision=bf16" in args
    assert args[-5:] == ["rl", "run.dir=/results/demo/rl", "rl.max_steps=50", "rl.bf16=true", "rl.fsdp=true"]


def test_evaluate_asks_for_one_gpu_and_shares_the_node():
    text = _rendered("slurm_pyxis")["evaluate.sbatch"]
    assert "#SBATCH --gpus-per-node=1\n" in text and "--exclusive" not in text
    assert "#SBATCH --exclusive" in _rendered("slurm_pyxis")["pretrain.sbatch"]
