"""Process groups from the launcher's environment, then megatron's model-parallel groups.

Rank, world size and local rank come from torchrun (`RANK`, `WORLD_SIZE`,
`LOCAL_RANK`) or SLURM (`SLURM_PROCID`, `SLURM_NTASKS`, `SLURM_LOCALID`); a
plain `python` process is a world of one. The backend is NCCL on GPU and gloo
on CPU (where `cpu_patches` is applied first).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import torch

from nemo_repro.config.fields import ConfigError
from nemo_repro.runs import global_rank, local_rank, world_size


@dataclass(frozen=True)
class Layout:
    rank: int
    """Global rank."""

    world_size: int
    """All processes."""

    local_rank: int
    """Rank on this node (selects the GPU)."""

    tp: int
    """Tensor parallel size."""

    pp: int
    """Pipeline parallel size."""

    @property
    def dp(self) -> int:
        """Data parallel size."""
        return self.world_size // (self.tp * self.pp)


def launch_layout(tp: int, pp: int) -> Layout:
    """Read rank/world from torchrun or SLURM; fail when the world cannot hold TP x PP."""
    world = world_size()
    layout = Layout(
        rank=global_rank(),
        world_size=world,
        local_rank=local_rank(),
        tp=tp,
        pp=pp,
    )
    if world % (tp * pp):
        raise ConfigError(
            f"world size {world} is not divisible by pretrain.tensor_model_parallel_size x "
            f"pretrain.pipeline_model_parallel_size = {tp} x {pp}"
        )
    return layout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def init_process_group(layout: Layout) -> None:
    """The default process group (reused when one exists): NCCL on GPU, gloo on CPU."""
    import torch.distributed as dist

    if dist.is_initialized():
        if dist.get_world_size() != layout.world_size:
            raise RuntimeError(f"a process group of size {dist.get_world_size()} exists; this run needs {layout.world_size}")
        return
    on_gpu = torch.cuda.is_available()
    if on_gpu:
        torch.cuda.set_device(layout.local_rank)
    if "MASTER_ADDR" in os.environ or layout.world_size > 1:
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", "29500")
        init_method = "env://"
    else:  # a lone process: a private port, so parallel test runs never collide
        init_method = f"tcp://127.0.0.1:{_free_port()}"
    dist.init_process_group(
        backend="nccl" if on_gpu else "gloo",
        init_method=init_method,
        rank=layout.rank,
        world_size=layout.world_size,
        device_id=torch.device("cuda", layout.local_rank) if on_gpu else None,
    )


def initialize(tp: int, pp: int, seed: int) -> Layout:
    """Process group + megatron's TP/PP/DP groups (re-created if a previous run left some)."""
    from megatron.core import parallel_state

    from nemo_repro.pretrain import cpu_patches

    layout = launch_layout(tp, pp)
    init_process_group(layout)
    if parallel_state.model_parallel_is_initialized():
        parallel_state.destroy_model_parallel()
    cpu_patches.apply()
    parallel_state.initialize_model_parallel(tensor_model_parallel_size=tp, pipeline_model_parallel_size=pp)
    if torch.cuda.is_available():
        from megatron.core import tensor_parallel

        tensor_parallel.model_parallel_cuda_manual_seed(seed)
    return layout


def destroy() -> None:
    """Tear down megatron's groups and the default process group (the process owner calls it once, at exit)."""
    from megatron.core import parallel_state

    if parallel_state.model_parallel_is_initialized():
        parallel_state.destroy_model_parallel()
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
