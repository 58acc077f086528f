"""lm-eval evaluation of a checkpoint on the DCLM Core tasks."""

from dataclasses import dataclass, field
from typing import Optional


@dataclass
class EvaluateConfig:
    model: Optional[str] = None
    """Our Megatron-Core checkpoint directory or an HF model folder."""

    data_dir: Optional[str] = None
    """Folder of llm-foundry-format `<task>.jsonl` files."""

    tasks: list[str] = field(default_factory=list)
    """Tasks to run; empty means all 22 DCLM Core tasks."""
