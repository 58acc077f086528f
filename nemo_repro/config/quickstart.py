"""The quickstart: the whole RePro loop on the embedded sample corpus with tiny models."""

from dataclasses import dataclass

from nemo_repro.config.fields import ConfigError


@dataclass
class QuickstartConfig:
    n_docs: int = 120
    """Documents of the embedded sample corpus to recycle (also the RL prompt pool)."""

    eval_items_per_task: int = 100
    """Items per task of the embedded evaluation set."""

    def __post_init__(self) -> None:
        if self.n_docs < 8:
            raise ConfigError(f"quickstart.n_docs={self.n_docs} must be >= 8 (RL needs a few prompts per step)")
        if self.eval_items_per_task < 5:
            raise ConfigError(f"quickstart.eval_items_per_task={self.eval_items_per_task} must be >= 5")
