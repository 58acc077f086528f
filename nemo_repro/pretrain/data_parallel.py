"""Data parallelism applied to a built model: megatron's DistributedDataParallel on GPU.

megatron's DDP keeps the grads in contiguous buckets and overlaps their
reduce-scatter with the backward pass; it is CUDA-only in megatron-core 0.16.1,
so on CPU the bare module trains and `optim.CpuAdamW` averages the grads itself.
"""

from __future__ import annotations

import torch

from nemo_repro.config.pretrain import PretrainConfig


def wrap_for_data_parallel(model, cfg: PretrainConfig):
    """GPU: megatron DDP (grad buffers, overlapped reduce-scatter); CPU: the bare module."""
    if not torch.cuda.is_available():
        return model
    from megatron.core.distributed import DistributedDataParallel, DistributedDataParallelConfig, finalize_model_grads

    ddp_config = DistributedDataParallelConfig(
        grad_reduce_in_fp32=True,
        overlap_grad_reduce=True,
        use_distributed_optimizer=cfg.use_distributed_optimizer,
    )
    ddp = DistributedDataParallel(config=model.config, ddp_config=ddp_config, module=model)
    # The schedules delay the grad reduce to the last microbatch and finish it after backward.
    model.config.no_sync_func = ddp.no_sync
    model.config.finalize_model_grads_func = finalize_model_grads
    return ddp

