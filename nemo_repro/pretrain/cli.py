"""`nemo-repro pretrain [overrides]`: single process, or every rank under torchrun/srun."""

from __future__ import annotations

from nemo_repro.config.root import RootConfig
from nemo_repro.runs import RunDir


def run(cfg: RootConfig, run: RunDir) -> int:
    from nemo_repro.pretrain import parallel
    from nemo_repro.pretrain.loop import pretrain

    try:
        result = pretrain(cfg.pretrain, run, seed=cfg.run.seed, progress=cfg.run.progress)
    finally:  # this process owns its process group: release it however training ended (NCCL warns otherwise)
        parallel.destroy()
    if run.rank == 0:
        print(f"pretrain: {result.steps} steps, final loss {result.final_loss:.4f}; checkpoints in {result.checkpoint_dir}")
    return 0
