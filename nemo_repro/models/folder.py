"""What a local HF model folder is: a folder with the model's `config.json` (the one rule every loader checks)."""

from __future__ import annotations

from pathlib import Path

from nemo_repro.config.fields import ConfigError


def is_hf_model_folder(path: str | Path) -> bool:
    """Whether `path` is a local HF model folder."""
    return (Path(path) / "config.json").is_file()


def require_hf_model_folder(path: str | Path, what: str, error: type[Exception] = ConfigError) -> Path:
    """`path` as a Path, or `error` saying that `what` (e.g. `rl.policy='x'`) is not a local HF model folder."""
    if not is_hf_model_folder(path):
        raise error(f"{what} is not a local HF model folder (no config.json)")
    return Path(path)
