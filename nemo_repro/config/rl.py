"""GRPO training of the rephraser (RePro). Defaults are the paper's values."""

from dataclasses import dataclass
from typing import Optional


@dataclass
class RLConfig:
    policy: Optional[str] = None
    """Local HF folder of the policy (rephraser) to train. `null` builds a tiny random model (CPU smoke runs)."""

    data: Optional[str] = None
    """jsonl of documents used as RL prompts. `null` uses the embedded sample corpus."""

    text_field: str = "text"
    """Field of each jsonl row that holds the document text."""

    max_doc_chars: int = 7000
    """Documents are cut to this many characters before prompting."""

    max_steps: int = 2000
    """Optimizer steps."""

    num_generations: int = 8
    """GRPO group size: completions sampled per prompt."""

    prompts_per_step: int = 24
    """Distinct prompts per optimizer step."""

    beta: float = 0.005
    """KL coefficient against the reference policy."""

    epsilon: float = 0.2
    """PPO-style clip range of the importance ratio."""

    learning_rate: float = 1.0e-6
    """Peak learning rate."""

    lr_scheduler_type: str = "cosine_with_min_lr"
    """LR schedule (transformers scheduler name)."""

    min_lr_rate: float = 0.1
    """Cosine floor as a fraction of the peak learning rate."""

    warmup_ratio: float = 0.1
    """Fraction of steps used for linear warmup."""

    temperature: float = 1.0
    """Rollout sampling temperature."""

    top_p: float = 0.9
    """Rollout nucleus sampling."""

    max_prompt_length: int = 2048
    """Prompt tokens kept (prompts are truncated from the left of the document)."""

    max_completion_length: int = 2048
    """New tokens per rollout."""

    use_vllm: bool = False
    """Generate rollouts with vLLM (GPU only)."""

    vllm_mode: str = "colocate"
    """vLLM placement when `use_vllm`: `colocate` or `server`."""

    save_steps: int = 100
    """Checkpoint every this many steps into `run.dir/checkpoints/`."""
