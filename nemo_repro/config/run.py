"""Where a run writes and how it seeds itself; shared by every subcommand."""

from dataclasses import dataclass
from typing import Optional


@dataclass
class RunConfig:
    dir: Optional[str] = None
    """Run directory. Default: `<base_results_dir>/<subcommand>-<YYYYmmdd-HHMMSS>`."""

    seed: int = 1234
    """Global seed for python, numpy and torch."""

    log_level: str = "INFO"
    """Python logging level for the console and `run.dir/logs/`."""

    progress: bool = True
    """Show progress bars for long loops (turned off automatically when stderr is not a terminal)."""

    resume: bool = True
    """Rerunning into an existing `dir` resumes it (its subcommand and invariant keys must match); `false` moves
    the old folder aside (`<dir>.old-<time>-<pid>`) and starts over."""
