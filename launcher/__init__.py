"""NeMo-launcher-style launcher: the stages of `conf/config.yaml` as SLURM (pyxis) jobs or local processes.

`launch(cfg, run_dir)` is the programmatic entry; `nemo-repro launch` the CLI one.
"""

from launcher.launch import LaunchResult, launch

__all__ = ["LaunchResult", "launch"]
