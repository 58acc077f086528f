"""Options of `nemo-repro launch` itself."""

from dataclasses import dataclass


@dataclass
class LaunchConfig:
    dry_run: bool = False
    """Write the job scripts into `run.dir` and print them; submit nothing."""
