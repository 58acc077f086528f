"""Where a recycling run writes, under `run.dir` (shared by the driver, the preparation step and the report)."""

from __future__ import annotations

from pathlib import Path

OUTPUT_FOLDERS = ("recycled", "filtered", "rejects")


class Paths:
    """Where a recycling run writes, under `run.dir`."""

    def __init__(self, run_dir: str | Path) -> None:
        self.root = Path(run_dir)
        self.markers = self.root / "shards"
        self.plan = self.markers / "plan.json"
        self.megatron = self.root / "megatron"
        self.models = self.root / "models"
