"""Options of `nemo-repro launch` itself."""

from dataclasses import dataclass
from typing import Optional


@dataclass
class LaunchConfig:
    dry_run: bool = False
    """Write the job scripts into `run.dir` and print them; submit or run nothing."""

    master_port: int = 29500
    """TCP port of the torch.distributed rendezvous on the first node (pretraining, RL)."""

    ray_port: int = 6379
    """Port of the Ray head (GCS) the curation job starts on its first node."""

    ray_timeout_s: int = 600
    """Seconds the curation job waits for every node to join the Ray cluster before failing."""

    code_mount: Optional[str] = None
    """Host folder holding the nemo_repro source (the repository root): mounted into the container at the same
    path and put first on PYTHONPATH, for images without nemo_repro installed. The stack's versions are checked
    against the pins at start-up either way. `null`: use the nemo_repro installed in the image."""
