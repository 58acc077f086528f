"""The quickstart: the whole RePro loop on the embedded sample corpus with tiny models."""

from dataclasses import dataclass

from nemo_repro.config.fields import ConfigError


@dataclass
class QuickstartConfig:
    n_docs: int = 64
    """Documents of the embedded sample corpus to recycle (the shortest pages among 4x as many; also the RL prompt pool)."""

    eval_items_per_task: int = 100
    """Items per task of the embedded evaluation set."""

    seeds: int = 3
    """Pretraining seeds per run (organic-only and organic+recycled): the report gives mean and spread."""

    heldout_docs: int = 20
    """Held-out clean articles (sample corpus under another seed) whose perplexity is the headline metric."""

    max_epochs: float = 3.0
    """Most passes either run may make over either side of its data: `pretrain.train_iters` is lowered to fit."""

    samples: int = 2
    """Pages (held-in and held-out each) the rephraser answers after warm-start and after GRPO, shown in the report."""

    pretrain_vocab_size: int = 2048
    """Word-level BPE trained on the recycled pages for the pretraining runs (their own: the rephraser's BPE may merge
    across words, which would leave the organic side a few hundred tokens)."""

    def __post_init__(self) -> None:
        if self.n_docs < 8:
            raise ConfigError(f"quickstart.n_docs={self.n_docs} must be >= 8 (RL needs a few prompts per step)")
        if self.eval_items_per_task < 5:
            raise ConfigError(f"quickstart.eval_items_per_task={self.eval_items_per_task} must be >= 5")
        if self.seeds < 1:
            raise ConfigError(f"quickstart.seeds={self.seeds} must be >= 1 (3 or more for a spread)")
        if self.heldout_docs < 1:
            raise ConfigError(f"quickstart.heldout_docs={self.heldout_docs} must be >= 1")
        if not self.max_epochs > 0:
            raise ConfigError(f"quickstart.max_epochs={self.max_epochs} must be > 0")
        if self.pretrain_vocab_size < 300:
            raise ConfigError(f"quickstart.pretrain_vocab_size={self.pretrain_vocab_size} must be >= 300 (256 bytes + special tokens)")
        if self.samples < 0:
            raise ConfigError(f"quickstart.samples={self.samples} must be >= 0")
