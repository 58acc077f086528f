"""Checkpoints with megatron's `dist_checkpointing`: save, exact resume, load for inference.

Layout of `run.dir/checkpoints/`:
    iter_0000010/       a dist_checkpointing directory: model and optimizer as
                        ShardedTensors (reshardable to any TP/PP), the LR scheduler,
                        iteration and consumed samples as common state, the RNG
                        states of every rank as ShardedObjects
    iter_0000010/model_info.json   the PretrainConfig, vocabulary sizes and layout
    tokenizer/          the tokenizer, saved once (HF folder)
    latest              the last complete iteration (written after the save finished; informative:
                        resume scans the `iter_*` folders, so an empty or stale marker does no harm)

Resume tries the complete checkpoints newest first: one that fails to load (truncated
shard, missing `.metadata`, unreadable state) is reported with its path and reason and
the previous one is tried. `pretrain.keep_last` bounds how many are kept.

`load_for_inference(dir)` needs only that directory: it rebuilds the model with
TP=1, PP=1 in this process and lets dist_checkpointing reshard whatever layout
the training used.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import shutil
from pathlib import Path

import numpy as np
import torch

from nemo_repro.config.pretrain import PretrainConfig
from nemo_repro.runs import write_atomic

log = logging.getLogger(__name__)

INFO = "model_info.json"
LATEST = "latest"
TOKENIZER_DIR = "tokenizer"


def iteration_dir(root: Path, iteration: int) -> Path:
    return Path(root) / f"iter_{iteration:07d}"


def saved_iterations(root: str | Path) -> list[int]:
    """Iterations of the checkpoints under `root` that finished saving (model_info.json is written last), newest first."""
    found = []
    for path in Path(root).glob("iter_*"):
        suffix = path.name[len("iter_") :]
        if suffix.isdigit() and (path / INFO).is_file():
            found.append(int(suffix))
    return sorted(found, reverse=True)


def latest_iteration(root: str | Path) -> int | None:
    """The newest checkpoint's iteration under `root` that finished saving, or None."""
    found = saved_iterations(root)
    return found[0] if found else None


def prune_checkpoints(root: str | Path, keep_last: int) -> list[Path]:
    """Delete all but the newest `keep_last` finished checkpoints (0 keeps all); returns what was deleted."""
    if keep_last <= 0:
        return []
    removed = [iteration_dir(Path(root), it) for it in saved_iterations(root)[keep_last:]]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


def _rng_state():
    from megatron.core import parallel_state
    from megatron.core.dist_checkpointing.mapping import ShardedObject

    state = {"random": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        from megatron.core.tensor_parallel import get_cuda_rng_tracker

        state["cuda"] = torch.cuda.get_rng_state()
        state["tracker"] = get_cuda_rng_tracker().get_states()
    return ShardedObject(
        "rng_state",
        state,
        (parallel_state.get_pipeline_model_parallel_world_size(), parallel_state.get_tensor_model_parallel_world_size()),
        (parallel_state.get_pipeline_model_parallel_rank(), parallel_state.get_tensor_model_parallel_rank()),
        replica_id=parallel_state.get_data_parallel_rank(),
    )


def _set_rng_state(state: dict) -> None:
    random.setstate(state["random"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if torch.cuda.is_available() and "cuda" in state:
        from megatron.core.tensor_parallel import get_cuda_rng_tracker

        torch.cuda.set_rng_state(state["cuda"])
        get_cuda_rng_tracker().set_states(state["tracker"])


def _unwrap(model):
    return getattr(model, "module", model)  # megatron DDP keeps the GPTModel in .module


def _state(model, optimizer, scheduler, is_loading: bool) -> dict:
    model_sd = _unwrap(model).sharded_state_dict()
    return {
        "model": model_sd,
        "optimizer": optimizer.sharded_state_dict(model_sd, is_loading=is_loading),
        "scheduler": scheduler.state_dict(),
        "iteration": 0,
        "consumed_samples": 0,
        "rng_state": _rng_state(),
    }


def save_checkpoint(root: str | Path, iteration: int, consumed_samples: int, model, optimizer, scheduler, info: dict, tokenizer, keep_last: int = 0) -> Path:
    """Save every rank's shards (collective); rank 0 then writes model_info.json and `latest`, and keeps only the
    newest `keep_last` checkpoints (0: all)."""
    from megatron.core import dist_checkpointing

    root = Path(root)
    target = iteration_dir(root, iteration)
    rank = torch.distributed.get_rank()
    if rank == 0:
        if not (root / TOKENIZER_DIR).is_dir():
            tokenizer.save(root / TOKENIZER_DIR)
        target.mkdir(parents=True, exist_ok=True)
    torch.distributed.barrier()
    state = _state(model, optimizer, scheduler, is_loading=False)
    state["iteration"], state["consumed_samples"] = iteration, consumed_samples
    dist_checkpointing.save(state, str(target))
    torch.distributed.barrier()
    if rank == 0:
        write_atomic(target / INFO, json.dumps({**info, "iteration": iteration, "tokenizer": f"../{TOKENIZER_DIR}"}, indent=1) + "\n")
        write_atomic(root / LATEST, f"{iteration}\n")
        prune_checkpoints(root, keep_last)
    torch.distributed.barrier()
    return target


def load_checkpoint(root: str | Path, model, optimizer, scheduler) -> tuple[int, int]:
    """Restore model, optimizer, scheduler and RNG from the newest checkpoint that loads; returns
    (iteration, consumed_samples). A damaged one is logged (path, reason) and the previous one tried;
    RuntimeError naming every failure when none loads. Under torchrun every rank must call it."""
    from megatron.core import dist_checkpointing
    from torch.distributed.checkpoint.api import CheckpointException  # a BaseException, not an Exception

    failures = []
    for iteration in saved_iterations(root):
        path = iteration_dir(Path(root), iteration)
        try:
            if not (path / ".metadata").is_file():
                raise FileNotFoundError("no .metadata (the save did not finish)")
            loaded = dist_checkpointing.load(_state(model, optimizer, scheduler, is_loading=True), str(path))
            error = None
        except (Exception, CheckpointException) as exc:
            error = _reason(exc)
        if _any_rank_failed(error is not None):
            error = error or "another rank could not load it"
            log.warning("checkpoint %s is damaged (%s); trying the previous one", path, error)
            failures.append(f"{path} ({error})")
            continue
        _unwrap(model).load_state_dict(loaded["model"])
        optimizer.load_state_dict(loaded["optimizer"])
        scheduler.load_state_dict(loaded["scheduler"])
        _set_rng_state(loaded["rng_state"])
        return int(loaded["iteration"]), int(loaded["consumed_samples"])
    raise RuntimeError(f"no checkpoint under {root} loads: {'; '.join(failures) or 'none saved'}")


def _reason(exc: BaseException) -> str:
    """`Type: message` in one line; torch's CheckpointException carries the ranks' tracebacks, whose last line says why."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[-1]}" if lines else type(exc).__name__


def _any_rank_failed(failed: bool) -> bool:
    """All ranks agree on whether a checkpoint loaded (so they all move on to the same previous one)."""
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return failed
    flag = torch.tensor([1.0 if failed else 0.0], device="cuda" if torch.distributed.get_backend() == "nccl" else "cpu")
    torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
    return bool(flag.item())


def resolve_checkpoint_dir(checkpoint_dir: str | Path) -> Path:
    """An `iter_*` folder, or a `checkpoints/` root (its latest), or a run dir (its checkpoints' latest)."""
    path = Path(checkpoint_dir)
    if (path / INFO).is_file():
        return path
    for root in (path, path / "checkpoints"):
        iteration = latest_iteration(root)
        if iteration is not None:
            return iteration_dir(root, iteration)
    raise FileNotFoundError(f"{path}: no {INFO} and no '{LATEST}' marker (not a nemo_repro pretrain checkpoint)")


def load_for_inference(checkpoint_dir: str | Path, seed: int = 0):
    """`(model, tokenizer, model_config)` from a checkpoint saved with any TP/PP.

    Sets up a TP=1, PP=1 layout in this process: it reuses the default process
    group when one exists (e.g. after a training run in the same process; its
    megatron model-parallel groups are rebuilt), else it creates a 1-process
    gloo group (NCCL with CUDA) on a free local port, since megatron's layers
    and dist_checkpointing need `parallel_state`. Under torchrun every rank must
    call it (each gets a full copy). The model is in eval mode, on the GPU when
    there is one (then Transformer Engine's spec when TE imports, so TE-trained
    checkpoints load), else on the CPU in fp32. `model_config` is the training
    run's PretrainConfig with the layout set to 1/1.
    """
    from megatron.core import dist_checkpointing

    from nemo_repro.pretrain import parallel
    from nemo_repro.pretrain.model import build_model
    from nemo_repro.pretrain.tokenizer import HFTokenizer

    iter_dir = resolve_checkpoint_dir(checkpoint_dir)
    info = json.loads((iter_dir / INFO).read_text(encoding="utf-8"))
    fields = {f.name for f in dataclasses.fields(PretrainConfig)}
    cfg = PretrainConfig(**{k: v for k, v in info["pretrain"].items() if k in fields})
    cfg = dataclasses.replace(
        cfg,
        tensor_model_parallel_size=1,
        pipeline_model_parallel_size=1,
        hidden_dropout=0.0,
        attention_dropout=0.0,
        fp8=None,
        precision="auto",
        transformer_impl="auto",
    )
    parallel.initialize(1, 1, seed)
    tokenizer = HFTokenizer(iter_dir / info["tokenizer"])
    model, _ = build_model(cfg, info["vocab_size"], seed)
    loaded = dist_checkpointing.load({"model": model.sharded_state_dict()}, str(iter_dir))
    model.load_state_dict(loaded["model"])
    model.eval()
    return model, tokenizer, cfg

