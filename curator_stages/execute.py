"""Running stages: the NeMo Curator executor, this run's own local Ray cluster, shards in waves, cleanup."""

from __future__ import annotations

import logging
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from nemo_curator.stages.base import ProcessingStage
from nemo_curator.stages.resources import Resources

from curator_stages.commit import marker_path
from curator_stages.paths import Paths
from curator_stages.read import Shard, shard_task
from nemo_repro.config.recycle import RecycleConfig

log = logging.getLogger(__name__)


def make_executor(cfg: RecycleConfig):
    """Xenna in batch mode (streaming wants more CPUs than small machines have), Ray Data, or in-process.

    Xenna and Ray Data call `ray.init()`, which attaches to the cluster at `RAY_ADDRESS` when set, else starts
    a local one (see `_fresh_local_ray`).
    """
    if cfg.executor == "local":
        from curator_stages.local_executor import LocalExecutor

        return LocalExecutor()
    if os.environ.get("RAY_ADDRESS", "local") != "local":
        log.info("attaching to the Ray cluster at RAY_ADDRESS=%s", os.environ["RAY_ADDRESS"])
    if cfg.executor == "xenna":
        from nemo_curator.backends.xenna import XennaExecutor

        return XennaExecutor(config={"execution_mode": "batch", "logging_interval": 30})
    from nemo_curator.backends.ray_data import RayDataExecutor

    return RayDataExecutor()


def run_shards(cfg: RecycleConfig, stages: list[ProcessingStage], shards: list[Shard], markers_dir: Path, progress: bool) -> list[Any]:
    """Run the pending shards (no marker yet) through `stages`, `shards_per_run` at a time; returns the output tasks."""
    from nemo_curator.pipeline import Pipeline
    from tqdm.auto import tqdm

    pending = [s for s in shards if not marker_path(markers_dir, s.shard_id).exists()]
    log.info("%d shards, %d already committed, %d to run", len(shards), len(shards) - len(pending), len(pending))
    if cfg.executor == "ray_data" and not os.environ.get("RAY_ADDRESS"):
        stages = fit_cpus(stages, float(os.cpu_count() or 1))
    step = cfg.shards_per_run or max(1, len(pending))
    if cfg.executor == "xenna" and not cfg.shards_per_run:
        # Xenna's batch mode runs each stage over all tasks of a run before the next, so nothing is committed
        # before the run's end: waves of one shard per CPU bound what a kill can lose.
        step = max(1, os.cpu_count() or 1)
    outputs: list[Any] = []
    with tqdm(total=len(shards), initial=len(shards) - len(pending), desc="shards committed", unit="shard", disable=not progress) as bar:
        for start in range(0, len(pending), step):
            wave = pending[start : start + step]
            pipeline = Pipeline(name="recycle", description="RePro recycling", stages=list(stages))
            with _fresh_local_ray(cfg.executor):
                outputs += pipeline.run(make_executor(cfg), initial_tasks=[shard_task(s) for s in wave]) or []
            missing = [s.shard_id for s in wave if not marker_path(markers_dir, s.shard_id).exists()]
            if missing:
                raise RuntimeError(f"the executor finished but {len(missing)} shards were not committed (first: {missing[0]}); see the log")
            bar.update(len(wave))
    return outputs


def fit_cpus(stages: list[ProcessingStage], cpus: float) -> list[ProcessingStage]:
    """Scale the stages' CPU reservations down by one factor so that together they fit in `cpus`.

    Ray Data streams every stage at once, each with at least one worker holding its reservation.
    When the reservations add up to more CPUs than the cluster has, some stage never gets a worker
    and the run never ends (measured: 10 stages asking for 7 CPUs on 2 cores). Used for the local
    cluster this run starts; an existing cluster (RAY_ADDRESS) is sized by its owner.
    """
    needed = sum(stage.resources.cpus for stage in stages)
    if needed <= cpus:
        return stages
    share = cpus / needed
    log.info("ray_data: the %d stages ask for %.1f CPUs and this machine has %g; scaling every reservation by %.2f", len(stages), needed, cpus, share)
    return [stage.with_(resources=Resources(cpus=stage.resources.cpus * share, gpus=stage.resources.gpus)) for stage in stages]


@contextmanager
def _fresh_local_ray(executor: str):
    """Without RAY_ADDRESS, start this run's own local Ray cluster, pin every Ray client to it, and leave no
    process of it behind, whether the run succeeds, fails or is interrupted (Ctrl-C; SIGTERM via the CLI).

    A bare `ray.init()` joins the cluster named in `/tmp/ray/ray_current_cluster` (it hangs when that
    head died), and Xenna's monitoring resolves the cluster again through the state API, which refuses
    to pick when two clusters run on the machine. So we start one explicitly and export its address;
    the executor's own `ray.init(ignore_reinit_error=True)` then reuses it and shuts it down at the end.
    `ray.shutdown()` alone leaves workers behind (Xenna's `ray::StageWorker`s and node monitors, re-parented
    to init, some ignoring SIGTERM), so this process becomes their subreaper and stops what is left.

    NeMo Curator's `RayClient` is not used here: it runs `ray start --head` from PATH on fixed default ports
    (searching upwards, racing other runs on the machine) in the shared `/tmp/ray`, with dashboard and
    metrics discovery, and stops its process group only at interpreter exit.
    """
    if executor == "local" or os.environ.get("RAY_ADDRESS"):
        yield
        return
    import ray

    _become_subreaper()
    before = {p.pid for p in _descendants()}
    # The executors' own runtime env: Xenna assigns GPUs itself, Ray Data lets Ray do it.
    noset = "1" if executor == "xenna" else ""
    try:
        context = ray.init(address="local", runtime_env={"env_vars": {"RAY_EXPERIMENTAL_NOSET_CUDA_VISIBLE_DEVICES": noset}})
        os.environ["RAY_ADDRESS"] = context.address_info["gcs_address"]
        yield
    finally:
        os.environ.pop("RAY_ADDRESS", None)
        try:
            ray.shutdown()
        finally:
            stop_leftovers(before)


def _descendants() -> list:
    import psutil

    return psutil.Process().children(recursive=True)


def _become_subreaper() -> None:
    """Orphaned descendants are re-parented to this process instead of init (Linux), so they can be found and stopped."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        log.debug("prctl(PR_SET_CHILD_SUBREAPER) unavailable; orphaned Ray workers may go unnoticed")


def stop_leftovers(before: set[int], grace_s: float = 5.0, rounds: int = 3) -> list[int]:
    """Stop the descendants started since `before` that are still running after `grace_s`: SIGTERM, then SIGKILL.
    Repeated while new ones turn up (a process a dying one was spawning, e.g. Ray interrupted in its start).
    Returns their pids."""
    stopped = _stop_leftovers_once(before, grace_s)
    for _ in range(rounds - 1):
        more = _stop_leftovers_once(before, 0.5)
        if not more:
            break
        stopped += more
    return stopped


def _stop_leftovers_once(before: set[int], grace_s: float) -> list[int]:
    import psutil

    deadline = time.time() + grace_s
    while True:
        left = [p for p in _descendants() if p.pid not in before]
        running = []
        for p in left:
            try:
                if p.status() == psutil.STATUS_ZOMBIE:
                    os.waitpid(p.pid, os.WNOHANG)  # an orphan that ended: reap it
                else:
                    running.append(p)
            except (psutil.Error, ChildProcessError):
                pass
        if not running or time.time() > deadline:
            break
        time.sleep(0.2)
    if running:
        log.warning("stopping %d Ray processes left after shutdown: %s", len(running), ", ".join(f"{p.pid}" for p in running))
    for p in running:
        try:
            p.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(running, timeout=3)
    for p in alive:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=3)
    return [p.pid for p in running]


def clean_partial(paths: Paths, folders: list[Path]) -> None:
    """Drop what a killed run left half-written: temporary files and the tokenizer's staging folder."""
    shutil.rmtree(paths.megatron / ".tmp", ignore_errors=True)
    for folder in folders:
        if folder.is_dir():
            for tmp in folder.glob(".*.tmp*"):
                tmp.unlink()


def stage_timings(outputs: list[Any]) -> dict[str, float]:
    """Seconds spent in each stage over this run's tasks (NeMo Curator's per-task perf stats)."""
    totals: dict[str, float] = {}
    for task in outputs:
        for perf in getattr(task, "_stage_perf", []):
            totals[perf.stage_name] = totals.get(perf.stage_name, 0.0) + float(perf.process_time)
    return totals
