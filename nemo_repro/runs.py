"""Run directories: every run leaves its resolved config, metrics, logs and a report.

Layout of `run.dir`:
    config.yaml      the resolved configuration (written by rank 0)
    metrics.jsonl    one JSON object per line, each with a `step`
    tb/              TensorBoard event files of the same metrics
    logs/<sub>.log   the Python log of the run
    report.md        a short human summary
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import time
from pathlib import Path
from typing import Any, Mapping

from omegaconf import DictConfig, OmegaConf

from nemo_repro.secrets import install_log_redaction, redact_config

log = logging.getLogger(__name__)


def global_rank() -> int:
    """Rank of this process under torchrun or srun (0 when not distributed)."""
    for var in ("RANK", "SLURM_PROCID"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return 0


def local_rank() -> int:
    """Rank of this process on its node (selects its GPU) under torchrun, accelerate or srun."""
    for var in ("LOCAL_RANK", "SLURM_LOCALID"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return 0


def bind_local_gpu() -> None:
    """Make this process's GPU the current device before anything touches CUDA: models then load onto it
    (not every rank onto GPU 0), and no stray context opens on GPU 0. No-op without CUDA."""
    import torch

    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank())


def default_run_dir(base: str | Path, subcommand: str) -> Path:
    """`<base>/<sub>-<id>`: the launcher's job id when there is one, so all ranks agree, else a timestamp."""
    run_id = os.environ.get("TORCHELASTIC_RUN_ID") or os.environ.get("SLURM_JOB_ID")
    if not run_id or run_id == "none":
        run_id = time.strftime("%Y%m%d-%H%M%S")
    return Path(base) / f"{subcommand}-{run_id}"


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (CPU and CUDA) for a reproducible run."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class MetricsLogger:
    """Appends scalars to `metrics.jsonl` and TensorBoard; one call per step.

    Non-finite floats are written as JSON `null` so the file stays valid JSON.
    TensorBoard is opened lazily, so a run that logs nothing leaves no event file.
    """

    def __init__(self, run_dir: Path, enabled: bool = True) -> None:
        self.path = run_dir / "metrics.jsonl"
        self.tb_dir = run_dir / "tb"
        self.enabled = enabled
        self._tb = None

    def log(self, step: int, metrics: Mapping[str, Any]) -> None:
        if not self.enabled:
            return
        row: dict[str, Any] = {"step": int(step)}
        for key, value in metrics.items():
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            row[key] = value
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        if self._tb is None:
            from torch.utils.tensorboard import SummaryWriter

            self._tb = SummaryWriter(str(self.tb_dir))
        for key, value in row.items():
            if key != "step" and isinstance(value, (int, float)) and not isinstance(value, bool):
                self._tb.add_scalar(key, value, int(step))
        self._tb.flush()

    def truncate_after(self, step: int) -> None:
        """Drop lines past `step`: a resumed run rewrites them instead of duplicating them."""
        if not self.path.exists():
            return
        kept = [line for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip() and json.loads(line).get("step", 0) <= step]
        tmp = self.path.with_suffix(".jsonl.tmp")
        tmp.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        tmp.replace(self.path)

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
            self._tb = None


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """All rows of a metrics.jsonl file."""
    rows = []
    with Path(path).open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    return rows


class RunDir:
    """One run's folder. Create with `RunDir.start(...)` at the start of a subcommand."""

    def __init__(self, path: Path, subcommand: str, rank: int = 0) -> None:
        self.path = path
        self.subcommand = subcommand
        self.rank = rank
        self.metrics = MetricsLogger(path, enabled=rank == 0)

    @classmethod
    def start(cls, subcommand: str, raw_cfg: DictConfig, run_dir: str | None, base: str) -> "RunDir":
        """Make the folder, save the resolved config, attach a log file; returns the RunDir."""
        path = Path(run_dir) if run_dir else default_run_dir(base, subcommand)
        rank = global_rank()
        created = not path.exists()
        path.mkdir(parents=True, exist_ok=True)  # every rank calls this
        if created:
            path.chmod(0o750)  # runs hold data, models and logs: not world-readable
        run = cls(path, subcommand, rank)
        if rank == 0:
            resolved = OmegaConf.to_container(raw_cfg, resolve=True)
            resolved["run"]["dir"] = str(path)  # type: ignore[index]
            write_atomic(path / "config.yaml", OmegaConf.to_yaml(OmegaConf.create(redact_config(resolved))))
        (path / "logs").mkdir(exist_ok=True)
        suffix = "" if rank == 0 else f".rank{rank}"
        handler = logging.FileHandler(path / "logs" / f"{subcommand}{suffix}.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(handler)
        install_log_redaction()
        return run

    def write_report(self, markdown: str, name: str = "report.md") -> Path:
        """Write the run's human summary (rank 0 only)."""
        target = self.path / name
        if self.rank == 0:
            write_atomic(target, markdown.rstrip() + "\n")
        return target

    def close(self) -> None:
        self.metrics.close()


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary name and rename, so readers never see half a file."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
