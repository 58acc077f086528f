"""`nemo-repro launch`: validate, render one script per stage, then submit (SLURM) or run (local).

    nemo-repro launch stages=[recycle,pretrain,evaluate] cluster=slurm cluster.account=A \\
        cluster.partition=P container=registry.example.com/team/nemo-repro:0.1.0 launch.dry_run=true run.dir=runs/demo

Leaves in run.dir: `<stage>.sbatch` (SLURM) or `<stage>.sh` (local) per stage, `submit.sh`
(SLURM), one sub-folder per stage (its own run dir), `jobs.json` (submitted job ids, or
local exit codes and durations) and `report.md`.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from nemo_repro.config.fields import ConfigError
from nemo_repro.config.root import RootConfig
from nemo_repro.runs import RunDir, write_atomic
from launcher.overrides import hydra_value, stage_overrides
from launcher.scripts import Context, local_script, sbatch_script, submit_script
from launcher.validate import check_folder, validate
from launcher.wiring import wire

log = logging.getLogger(__name__)


@dataclass
class LaunchResult:
    run_dir: Path
    """The launch's run dir (absolute)."""

    scripts: dict[str, Path]
    """Stage -> its script."""

    job_ids: dict[str, str] = field(default_factory=dict)
    """SLURM: stage -> submitted job id."""

    returncodes: dict[str, int] = field(default_factory=dict)
    """Local: stage -> exit code, for the stages that ran (a failure stops the chain)."""

    seconds: dict[str, float] = field(default_factory=dict)
    """Local: stage -> wall-clock seconds."""

    @property
    def ok(self) -> bool:
        return all(rc == 0 for rc in self.returncodes.values())


def script_name(cfg: RootConfig, stage: str) -> str:
    return f"{stage}.sbatch" if cfg.cluster.type == "slurm" else f"{stage}.sh"


def render(cfg: RootConfig, ctx: Context) -> dict[str, str]:
    """File name -> text of every script for the (wired) config: one per stage, plus submit.sh on SLURM."""
    files = {}
    for stage in cfg.stages:
        overrides = [f"run.dir={hydra_value(str(ctx.run_dir / stage))}", *stage_overrides(cfg, stage)]
        make = sbatch_script if cfg.cluster.type == "slurm" else local_script
        files[script_name(cfg, stage)] = make(cfg, stage, overrides, ctx)
    if cfg.cluster.type == "slurm":
        files["submit.sh"] = submit_script(cfg.stages)
    return files


def _submit(run_dir: Path) -> dict[str, str]:
    if shutil.which("sbatch") is None:
        raise ConfigError("cluster.type=slurm but `sbatch` is not on PATH: launch from a SLURM login node, or pass launch.dry_run=true")
    proc = subprocess.run(["bash", str(run_dir / "submit.sh")], capture_output=True, text=True)
    job_ids = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if line.count(" ") == 1)
    if proc.returncode != 0:
        raise RuntimeError(f"submit.sh failed after submitting {job_ids or 'nothing'}:\n{proc.stderr.strip()}")
    return job_ids


def _run_local(cfg: RootConfig, result: LaunchResult) -> None:
    for stage in cfg.stages:
        log.info("stage %s: bash %s", stage, result.scripts[stage])
        start = time.monotonic()
        rc = subprocess.run(["bash", str(result.scripts[stage])]).returncode
        result.seconds[stage] = round(time.monotonic() - start, 2)
        result.returncodes[stage] = rc
        if rc != 0:
            log.error("stage %s failed with exit code %d; later stages skipped", stage, rc)
            return


def launch(
    cfg: RootConfig,
    run_dir: str | Path,
    workdir: Optional[Path] = None,
    echo: Callable[[str], None] = print,
) -> LaunchResult:
    """Validate `cfg`, write the stage scripts into `run_dir`, then submit or run them.

    `launch.dry_run=true` stops after writing and printing the scripts. Raises `ConfigError`
    (listing every problem) before anything is written when the config cannot launch.
    """
    check_folder("run.dir", run_dir)
    check_folder("the working directory", workdir or "")
    run_dir = Path(run_dir).resolve()
    workdir = (workdir or Path.cwd()).resolve()
    wired = wire(cfg, run_dir, workdir)
    validate(wired, run_dir, workdir)
    uses_host = wired.cluster.type == "local" or not wired.container
    ctx = Context(run_dir=run_dir, workdir=workdir, bin_dir=Path(sys.executable).parent if uses_host else None)
    files = render(wired, ctx)
    # Scripts and run dirs are the user's (and the group's), never world-readable.
    for folder in (run_dir, *(run_dir / stage for stage in wired.stages)):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o750)
    for name, text in files.items():
        write_atomic(run_dir / name, text)
        (run_dir / name).chmod(0o750)
    result = LaunchResult(run_dir, {s: run_dir / script_name(wired, s) for s in wired.stages})
    if wired.launch.dry_run:
        for name, text in files.items():
            echo(f"# ---- {run_dir / name}\n{text}")
        return result
    if wired.cluster.type == "slurm":
        result.job_ids = _submit(run_dir)
    else:
        _run_local(wired, result)
    return result


def _report(cfg: RootConfig, result: LaunchResult) -> str:
    mode = "dry run (nothing submitted)" if cfg.launch.dry_run else cfg.cluster.type
    lines = [f"# launch: {', '.join(cfg.stages)}", "", f"Cluster: `{cfg.cluster.type}`, mode: {mode}.", ""]
    lines += ["| stage | script | job id | exit code | seconds |", "|---|---|---|---|---|"]
    for stage, script in result.scripts.items():
        row = [stage, f"`{script.name}`", result.job_ids.get(stage, ""), result.returncodes.get(stage, ""), result.seconds.get(stage, "")]
        lines.append("| " + " | ".join(str(x) for x in row) + " |")
    if cfg.cluster.type == "slurm" and result.job_ids:
        lines += ["", f"Follow with `squeue -j {','.join(result.job_ids.values())}`; each stage logs to `<stage>/slurm-<jobid>.out`."]
    return "\n".join(lines)


def run(cfg: RootConfig, run: RunDir) -> int:
    """CLI entry point of `nemo-repro launch`."""
    result = launch(cfg, run.path)
    write_atomic(run.path / "jobs.json", json.dumps({"job_ids": result.job_ids, "returncodes": result.returncodes, "seconds": result.seconds}, indent=2) + "\n")
    for i, stage in enumerate(result.returncodes):
        run.metrics.log(i, {"stage": stage, "returncode": result.returncodes[stage], "seconds": result.seconds[stage]})
    if result.seconds:
        from nemo_repro.plots import plot_bars

        stages = list(result.seconds)
        plot_bars(stages, {"seconds": [result.seconds[s] for s in stages]}, run.path / "stage_seconds.png", "Local launch: wall time per stage", "seconds")
    run.write_report(_report(cfg, result))
    return 0 if result.ok else 1
