"""Megatron-Core GPT pretraining on the organic + recycled mix."""

from dataclasses import dataclass
from typing import Optional

from nemo_repro.config.fields import ConfigError, check_choice, check_positive


@dataclass
class PretrainConfig:
    data: Optional[str] = None
    """`blend.json` from the recycle stage, or one `.bin/.idx` prefix. `null`: build a small dataset from the embedded sample corpus into `run.dir/data/` (CPU quickstart)."""

    tokenizer: Optional[str] = None
    """Local HF tokenizer folder or tokenizer.json. `null`: GPT-2's from `../shared/data/tokenizers/gpt2` when present, else a BPE trained on the sample corpus."""

    sample_docs: int = 400
    """Documents of the embedded sample corpus used when `data` is `null`; 0 makes `data` required (the paper-scale configs)."""

    num_layers: int = 24
    """Transformer layers."""

    hidden_size: int = 1024
    """Model width."""

    num_attention_heads: int = 8
    """Attention heads."""

    ffn_hidden_size: Optional[int] = None
    """MLP width; `null`: 4 x hidden_size (8/3 x hidden_size rounded to 64 with SwiGLU)."""

    swiglu: bool = False
    """SwiGLU MLP (gated SiLU) instead of GeLU."""

    normalization: str = "LayerNorm"
    """`LayerNorm` or `RMSNorm`."""

    position_embedding_type: str = "rope"
    """`rope` (as open_lm/DCLM) or `learned_absolute`."""

    seq_length: int = 2048
    """Tokens per training sequence."""

    make_vocab_size_divisible_by: int = 128
    """Pad the vocabulary to a multiple of this (must be divisible by the TP size, so every layout has the same padded vocabulary)."""

    init_method_std: float = 0.02
    """Std of the normal weight init (output projections use std / sqrt(2 x layers))."""

    hidden_dropout: float = 0.0
    """Dropout after attention and MLP; must be 0 on CPU (no CUDA RNG tracker)."""

    attention_dropout: float = 0.0
    """Dropout on attention probabilities; must be 0 on CPU."""

    tensor_model_parallel_size: int = 1
    """Tensor parallel degree."""

    pipeline_model_parallel_size: int = 1
    """Pipeline parallel degree (1F1B schedule)."""

    sequence_parallel: bool = True
    """Sequence parallelism with TP > 1 under the Transformer Engine spec (ignored on CPU, with TP = 1 and with the local spec, whose torch norms do not support it)."""

    use_distributed_optimizer: bool = True
    """Shard optimizer state over data-parallel ranks (megatron's distributed optimizer, GPU only)."""

    micro_batch_size: int = 4
    """Sequences per microbatch per data-parallel rank."""

    global_batch_size: int = 512
    """Sequences per optimizer step over all data-parallel ranks; a multiple of micro_batch_size x DP size."""

    train_iters: int = 1000
    """Optimizer steps."""

    lr: float = 3e-3
    """Peak learning rate."""

    min_lr: float = 3e-5
    """Learning rate at the end of the cosine decay."""

    lr_warmup_iters: int = 2000
    """Linear warmup steps (clamped to train_iters - 1)."""

    lr_decay_style: str = "cosine"
    """`cosine`, `linear` or `constant` after warmup."""

    weight_decay: float = 0.033
    """AdamW weight decay (not applied to norms and biases)."""

    adam_beta1: float = 0.9
    """AdamW beta1."""

    adam_beta2: float = 0.95
    """AdamW beta2."""

    adam_eps: float = 1e-8
    """AdamW epsilon."""

    clip_grad: float = 1.0
    """Clip the global gradient L2 norm to this (0 = no clipping)."""

    z_loss: float = 0.0
    """Weight of the z-loss `(log Z)^2` on the output logits (DCLM: 1e-4); 0 turns it off."""

    precision: str = "auto"
    """`auto` (bf16 on GPU, fp32 on CPU), `bf16` or `fp32`."""

    transformer_impl: str = "auto"
    """Layer spec: `auto` (Transformer Engine when it imports and CUDA is present, else local), `local` or `transformer_engine`."""

    local_attention: str = "sdpa"
    """Core attention of the local spec: `sdpa` (torch's scaled_dot_product_attention: flash kernels on GPU, no [b, h, s, s] scores) or `megatron` (megatron-core's DotProductAttention)."""

    fp8: Optional[str] = None
    """FP8 format with Transformer Engine: `hybrid` (E4M3 forward, E5M2 backward) or `e4m3`; `null` = off. Needs a Hopper GPU."""

    fp8_recipe: str = "delayed"
    """Transformer Engine FP8 recipe: `delayed`, `tensorwise`, `mxfp8` or `blockwise`."""

    fp8_amax_history_len: int = 1024
    """Amax history length of the delayed-scaling recipe."""

    fp8_amax_compute_algo: str = "max"
    """How the delayed-scaling recipe reduces the amax history: `max` or `most_recent`."""

    log_interval: int = 1
    """Log metrics every this many steps."""

    save_interval: int = 1000
    """Checkpoint every this many steps into `run.dir/checkpoints/` (and at the end)."""

    keep_last: int = 2
    """Checkpoints kept in `run.dir/checkpoints/` (the newest ones; older ones are deleted after each save). Two
    keep a fallback when the newest is damaged; 0 keeps all."""

    resume: bool = True
    """Continue from the newest checkpoint in `run.dir/checkpoints/` that loads (damaged ones are reported and skipped)."""

    peak_tflops: Optional[float] = None
    """Peak dense TFLOP/s of one accelerator for MFU; `null`: 989 (H100/H200 bf16) on GPU, no MFU on CPU."""

    def __post_init__(self) -> None:
        check_choice("pretrain.normalization", self.normalization, ["LayerNorm", "RMSNorm"])
        check_choice("pretrain.position_embedding_type", self.position_embedding_type, ["rope", "learned_absolute"])
        check_choice("pretrain.lr_decay_style", self.lr_decay_style, ["cosine", "linear", "constant"])
        check_choice("pretrain.precision", self.precision, ["auto", "bf16", "fp32"])
        check_choice("pretrain.transformer_impl", self.transformer_impl, ["auto", "local", "transformer_engine"])
        check_choice("pretrain.local_attention", self.local_attention, ["sdpa", "megatron"])
        check_choice("pretrain.fp8", self.fp8, [None, "hybrid", "e4m3"])
        check_choice("pretrain.fp8_recipe", self.fp8_recipe, ["delayed", "tensorwise", "mxfp8", "blockwise"])
        check_choice("pretrain.fp8_amax_compute_algo", self.fp8_amax_compute_algo, ["max", "most_recent"])
        for key in ("num_layers", "hidden_size", "num_attention_heads", "seq_length", "tensor_model_parallel_size",
                    "pipeline_model_parallel_size", "micro_batch_size", "global_batch_size", "train_iters",
                    "log_interval", "save_interval", "make_vocab_size_divisible_by"):
            check_positive(f"pretrain.{key}", getattr(self, key))
        check_positive("pretrain.sample_docs", self.sample_docs, allow_zero=True)
        check_positive("pretrain.keep_last", self.keep_last, allow_zero=True)
        tp, pp = self.tensor_model_parallel_size, self.pipeline_model_parallel_size
        if self.num_attention_heads % tp:
            raise ConfigError(f"pretrain.num_attention_heads={self.num_attention_heads} is not divisible by pretrain.tensor_model_parallel_size={tp}")
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(f"pretrain.hidden_size={self.hidden_size} is not divisible by pretrain.num_attention_heads={self.num_attention_heads}")
        if self.num_layers % pp:
            raise ConfigError(f"pretrain.num_layers={self.num_layers} is not divisible by pretrain.pipeline_model_parallel_size={pp}")
        if self.make_vocab_size_divisible_by % tp:
            raise ConfigError(f"pretrain.make_vocab_size_divisible_by={self.make_vocab_size_divisible_by} is not divisible by pretrain.tensor_model_parallel_size={tp}")
        if self.global_batch_size % self.micro_batch_size:
            raise ConfigError(f"pretrain.global_batch_size={self.global_batch_size} is not a multiple of pretrain.micro_batch_size={self.micro_batch_size}")
        if self.fp8 and self.transformer_impl == "local":
            raise ConfigError("pretrain.fp8 needs pretrain.transformer_impl=transformer_engine (or auto); the local spec has no FP8 layers")
        for key in ("hidden_dropout", "attention_dropout"):
            if not 0 <= getattr(self, key) < 1:
                raise ConfigError(f"pretrain.{key}={getattr(self, key)} must be in [0, 1)")
