"""Megatron-Core GPT pretraining on the organic + recycled mix."""

from dataclasses import dataclass
from typing import Optional


@dataclass
class PretrainConfig:
    data: Optional[str] = None
    """`blend.json` from the recycle stage, or one `.bin/.idx` prefix."""

    tokenizer: Optional[str] = None
    """Local HF tokenizer folder or tokenizer.json."""

    num_layers: int = 24
    """Transformer layers."""

    hidden_size: int = 1024
    """Model width."""

    num_attention_heads: int = 8
    """Attention heads."""

    seq_length: int = 2048
    """Tokens per training sequence."""

    tensor_model_parallel_size: int = 1
    """Tensor parallel degree."""

    pipeline_model_parallel_size: int = 1
    """Pipeline parallel degree."""

    train_iters: int = 1000
    """Optimizer steps."""

    save_interval: int = 1000
    """Checkpoint every this many steps into `run.dir/checkpoints/`."""
