"""lm-eval evaluation of a checkpoint on the DCLM Core tasks."""

from dataclasses import dataclass, field
from typing import Optional

from nemo_repro.config.fields import ConfigError, check_positive


@dataclass
class EvaluateConfig:
    model: Optional[str] = None
    """Our Megatron-Core checkpoint directory or an HF model folder (one with `config.json`); detected from the folder."""

    data_dir: Optional[str] = None
    """Folder of llm-foundry-format `<task>.jsonl` files (also searched one level down, as in llm-foundry's eval bundle).
    null with only the embedded `sample_*` tasks: they are written into `run.dir/sample_tasks`."""

    tasks: list[str] = field(default_factory=list)
    """Tasks to run; empty means all 22 DCLM Core tasks. A task whose file is missing is skipped and the score marked partial."""

    batch_size: int = 8
    """Sequences per forward pass when scoring loglikelihoods."""

    max_length: Optional[int] = None
    """Longest input in tokens (longer inputs keep their rightmost tokens). Default: the model's sequence length."""

    device: str = "auto"
    """Torch device for the model (`cpu`, `cuda`, `cuda:0`). `auto`: the GPU when there is one, else the CPU."""

    limit: Optional[int] = None
    """Evaluate only the first N examples of each task (smoke tests); null = all. Results then say so."""

    num_fewshot: Optional[int] = None
    """Override every task's shot count (quick runs); null keeps DCLM's. Results are then marked partial."""

    fewshot_seed: int = 1234
    """Seed of lm-eval's few-shot sampler; shots are drawn from the task's own file, never the item itself."""

    compare: list[str] = field(default_factory=list)
    """Run directories to compare side by side (`compare=[runA,runB]`) instead of evaluating; writes a table and a bar chart."""

    def __post_init__(self) -> None:
        check_positive("evaluate.batch_size", self.batch_size)
        if self.max_length is not None and self.max_length < 2:
            raise ConfigError(f"evaluate.max_length={self.max_length} must be >= 2")
        if self.limit is not None:
            check_positive("evaluate.limit", self.limit)
        if self.num_fewshot is not None:
            check_positive("evaluate.num_fewshot", self.num_fewshot, allow_zero=True)
        if len(self.compare) == 1:
            raise ConfigError("evaluate.compare needs at least two run directories, e.g. compare=[runA,runB]")
