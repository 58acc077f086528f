"""Run directories: every run leaves its resolved config, metrics, logs and a report.

Layout of `run.dir`:
    config.yaml      the resolved configuration (written by rank 0)
    metrics.jsonl    one JSON object per line, each with a `step`
    tb/              TensorBoard event files of the same metrics
    logs/<sub>.log   the Python log of the run (uncaught errors with their traceback)
    report.md        a short human summary
    run.json         the subcommand and the config values that must not change on resume
    .lock            held (flock) by the process running in the folder; names it
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import os
import random
import socket
import time
from pathlib import Path
from typing import Any, Mapping

from omegaconf import DictConfig, OmegaConf

from nemo_repro.secrets import install_log_redaction, redact_config

log = logging.getLogger(__name__)


class UsageError(ValueError):
    """The run cannot go on as asked (bad or changed input, a busy or incompatible run dir): the CLI prints
    its one-line message, which names the file or key and the fix, and exits 2."""


def global_rank() -> int:
    """Rank of this process under torchrun or srun (0 when not distributed)."""
    for var in ("RANK", "SLURM_PROCID"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return 0


def world_size() -> int:
    """Processes of this run under torchrun, accelerate or srun (1 when not distributed), not GPUs seen."""
    for var in ("WORLD_SIZE", "SLURM_NTASKS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return 1


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
        tmp = self.path.with_name(f".{self.path.name}.tmp{os.getpid()}")
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


RESUME_SAFE: dict[str, set[str]] = {
    "pretrain": {"train_iters", "log_interval", "save_interval", "keep_last", "resume", "peak_tflops"},
    "recycle": {
        "shards_per_run", "executor", "generation_batch_size", "max_concurrent_requests", "base_url", "gpus_per_worker",
        "api_key_env", "request_timeout_s", "max_retries", "retry_base_delay_s", "vllm.memory_fraction", "vllm.enforce_eager",
    },
    "rl": {"max_steps", "save_steps", "save_total_limit", "torch_threads"},
}
"""Per resumable subcommand: the keys of its group that a rerun in the same run dir may change (e.g.
`train_iters` to extend a run; nested keys as `vllm.memory_fraction`). Every other key of the group, and
`run.seed`, must stay as recorded."""


def _flatten(node: Any, prefix: str) -> dict[str, Any]:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            out.update(_flatten(value, f"{prefix}.{key}"))
        return out
    return {prefix: node}


def resume_invariants(subcommand: str, resolved: dict[str, Any]) -> dict[str, Any]:
    """The config values a resumed `subcommand` must share with the run it resumes (flat `group.key` names)."""
    if subcommand not in RESUME_SAFE or (subcommand == "recycle" and resolved["recycle"].get("stage")):
        return {}  # one-stage recycle runs check their input through their own plan
    safe = {f"{subcommand}.{key}" for key in RESUME_SAFE[subcommand]}
    flat = {k: v for k, v in _flatten(resolved[subcommand], subcommand).items() if k not in safe}
    flat["run.seed"] = resolved["run"]["seed"]
    return json.loads(json.dumps(flat, default=str))


def _lock(path: Path, subcommand: str) -> int:
    """Hold `path/.lock` for this process (released by the kernel when it dies); UsageError naming the holder."""
    fd = os.open(path / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip() or "another process"
        os.close(fd)
        raise UsageError(f"run.dir={path} is in use by {holder}; wait for it to end or choose another run.dir") from None
    note = f"pid {os.getpid()} on {socket.gethostname()} (nemo-repro {subcommand}, since {time.strftime('%Y-%m-%d %H:%M:%S')})"
    os.ftruncate(fd, 0)
    os.pwrite(fd, note.encode(), 0)
    return fd


def _unlock(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def _check_resume(path: Path, subcommand: str, invariants: dict[str, Any]) -> None:
    """Refuse a rerun in `path` of another subcommand or with changed invariant keys (UsageError, exit 2)."""
    record_path = path / "run.json"
    if not record_path.exists():
        return
    record = json.loads(record_path.read_text(encoding="utf-8"))
    if record["subcommand"] != subcommand:
        raise UsageError(
            f"run.dir={path} holds a `{record['subcommand']}` run; give `{subcommand}` its own run.dir "
            "(or start over there with run.resume=false)"
        )
    before = record.get("invariant", {})
    changed = [k for k in sorted(before.keys() & invariants.keys()) if before[k] != invariants[k]]
    if changed:
        listed = ", ".join(f"{k} ({before[k]!r} -> {invariants[k]!r})" for k in changed)
        raise UsageError(
            f"run.dir={path} was started with other values of {listed}; these must not change when a run resumes: "
            "restore them, choose another run.dir, or start over with run.resume=false (the old folder is kept aside)"
        )


def _move_aside(path: Path) -> Path:
    aside = path.with_name(f"{path.name}.old-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
    path.rename(aside)
    log.warning("run.resume=false: moved the previous run in %s to %s", path, aside)
    return aside


class RunDir:
    """One run's folder. Create with `RunDir.start(...)` at the start of a subcommand; `close()` at its end."""

    def __init__(self, path: Path, subcommand: str, rank: int = 0) -> None:
        self.path = path
        self.subcommand = subcommand
        self.rank = rank
        self.metrics = MetricsLogger(path, enabled=rank == 0)
        self._handler: logging.Handler | None = None
        self._lock_fd: int | None = None

    @classmethod
    def start(cls, subcommand: str, raw_cfg: DictConfig, run_dir: str | None, base: str) -> "RunDir":
        """Make (or resume) the folder: lock it, check and record what must not change on resume, save the
        resolved config, attach a log file; returns the RunDir. UsageError when the folder is busy or the
        rerun is incompatible (unless `run.resume=false`, which moves the old folder aside and starts over)."""
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
            invariants = resume_invariants(subcommand, resolved)  # type: ignore[arg-type]
            run._lock_fd = _lock(path, subcommand)
            try:
                if not resolved["run"].get("resume", True) and any(p.name != ".lock" for p in path.iterdir()):  # type: ignore[index]
                    old_fd = run._lock_fd
                    _move_aside(path)
                    path.mkdir(parents=True)
                    run._lock_fd = _lock(path, subcommand)
                    _unlock(old_fd)
                _check_resume(path, subcommand, invariants)
                write_atomic(path / "run.json", json.dumps({"subcommand": subcommand, "invariant": invariants}, indent=1) + "\n")
                write_atomic(path / "config.yaml", OmegaConf.to_yaml(OmegaConf.create(redact_config(resolved))))
            except BaseException:
                run.close()
                raise
        (path / "logs").mkdir(exist_ok=True)
        suffix = "" if rank == 0 else f".rank{rank}"
        handler = logging.FileHandler(path / "logs" / f"{subcommand}{suffix}.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(handler)
        run._handler = handler
        install_log_redaction()
        return run

    def write_report(self, markdown: str, name: str = "report.md") -> Path:
        """Write the run's human summary (rank 0 only)."""
        target = self.path / name
        if self.rank == 0:
            write_atomic(target, markdown.rstrip() + "\n")
        return target

    def close(self) -> None:
        """Close the metrics, detach and close the log file, release the lock (idempotent)."""
        self.metrics.close()
        if self._handler is not None:
            logging.getLogger().removeHandler(self._handler)
            self._handler.close()
            self._handler = None
        if self._lock_fd is not None:
            _unlock(self._lock_fd)
            self._lock_fd = None


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary name and rename, so readers never see half a file."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
