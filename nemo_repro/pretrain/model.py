"""GPTModel from a PretrainConfig: TE or local layer spec, precision, FP8, layout-free init.

The layer spec is Transformer Engine's when it imports and CUDA is present
(required for FP8), else megatron-core's local spec. Embeddings and output
layer are untied (as open_lm/DCLM) and biases are off.

Weights are drawn layout-independently: each parameter of two or more
dimensions is drawn as its whole *global* tensor (the checkpoint's view) from
a generator seeded by (seed, checkpoint key), and this rank keeps its shard.
Any TP/PP layout therefore starts from the same model, which is what lets a
TP=2 or PP=2 run reproduce the single-process loss, and lets a checkpoint be
compared across layouts. Norm weights and biases keep megatron's constant init.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import torch

from nemo_repro.config.pretrain import PretrainConfig


@dataclass(frozen=True)
class ModelChoice:
    transformer_impl: str
    """`transformer_engine` or `local`."""

    dtype: torch.dtype
    """Parameter and compute dtype."""

    padded_vocab_size: int
    """Tokenizer vocabulary padded to `make_vocab_size_divisible_by`."""


def te_available() -> bool:
    """Transformer Engine imports (only tried where CUDA exists: it needs libcuda)."""
    if not torch.cuda.is_available():
        return False
    try:
        import transformer_engine  # noqa: F401
    except Exception:  # ImportError, or an OSError from a broken CUDA install
        return False
    return True


def pad_vocab(vocab_size: int, multiple: int) -> int:
    return int(math.ceil(vocab_size / multiple) * multiple)


def choose(cfg: PretrainConfig, vocab_size: int) -> ModelChoice:
    """Resolve `auto` settings against this machine (validation already ran)."""
    on_gpu = torch.cuda.is_available()
    impl = cfg.transformer_impl
    if impl == "auto":
        impl = "transformer_engine" if te_available() else "local"
    precision = cfg.precision if cfg.precision != "auto" else ("bf16" if on_gpu else "fp32")
    return ModelChoice(
        transformer_impl=impl,
        dtype=torch.bfloat16 if precision == "bf16" else torch.float32,
        padded_vocab_size=pad_vocab(vocab_size, cfg.make_vocab_size_divisible_by),
    )


def ffn_size(cfg: PretrainConfig) -> int:
    if cfg.ffn_hidden_size:
        return cfg.ffn_hidden_size
    if cfg.swiglu:  # keep the MLP's parameter count of a 4x GeLU MLP
        return int(math.ceil(8 * cfg.hidden_size / 3 / 64) * 64)
    return 4 * cfg.hidden_size


def transformer_config(cfg: PretrainConfig, choice: ModelChoice):
    """Megatron's TransformerConfig for this run (fusions only on GPU, FP8 only with TE)."""
    import torch.nn.functional as F
    from megatron.core.transformer.transformer_config import TransformerConfig

    on_gpu = torch.cuda.is_available()
    tp = cfg.tensor_model_parallel_size
    fp8 = {}
    if cfg.fp8:
        fp8 = dict(
            fp8=cfg.fp8,
            fp8_recipe=cfg.fp8_recipe,
            fp8_amax_history_len=cfg.fp8_amax_history_len,
            fp8_amax_compute_algo=cfg.fp8_amax_compute_algo,
        )
    return TransformerConfig(
        num_layers=cfg.num_layers,
        hidden_size=cfg.hidden_size,
        num_attention_heads=cfg.num_attention_heads,
        ffn_hidden_size=ffn_size(cfg),
        gated_linear_unit=cfg.swiglu,
        activation_func=F.silu if cfg.swiglu else F.gelu,
        normalization=cfg.normalization,
        add_bias_linear=False,
        init_method_std=cfg.init_method_std,
        hidden_dropout=cfg.hidden_dropout,
        attention_dropout=cfg.attention_dropout,
        tensor_model_parallel_size=tp,
        pipeline_model_parallel_size=cfg.pipeline_model_parallel_size,
        sequence_parallel=on_gpu and tp > 1 and cfg.sequence_parallel,
        params_dtype=choice.dtype,
        pipeline_dtype=choice.dtype,
        bf16=choice.dtype == torch.bfloat16,
        use_cpu_initialization=not on_gpu,
        perform_initialization=True,
        bias_activation_fusion=on_gpu and cfg.swiglu,
        masked_softmax_fusion=on_gpu,
        bias_dropout_fusion=on_gpu,
        apply_rope_fusion=False,
        persist_layer_norm=on_gpu,
        **fp8,
    )


def layer_spec(cfg: PretrainConfig, choice: ModelChoice):
    from megatron.core.models.gpt import gpt_layer_specs

    if choice.transformer_impl == "transformer_engine":
        return gpt_layer_specs.get_gpt_layer_with_transformer_engine_spec(fp8=cfg.fp8)
    return gpt_layer_specs.get_gpt_layer_local_spec(normalization=cfg.normalization)


def build_model(cfg: PretrainConfig, vocab_size: int, seed: int):
    """This rank's GPTModel stage (after `parallel.initialize`), on the GPU when there is one."""
    from megatron.core import parallel_state
    from megatron.core.models.gpt import GPTModel

    choice = choose(cfg, vocab_size)
    tconfig = transformer_config(cfg, choice)
    model = GPTModel(
        config=tconfig,
        transformer_layer_spec=layer_spec(cfg, choice),
        vocab_size=choice.padded_vocab_size,
        max_sequence_length=cfg.seq_length,
        pre_process=parallel_state.is_pipeline_first_stage(),
        post_process=parallel_state.is_pipeline_last_stage(),
        share_embeddings_and_output_weights=False,
        position_embedding_type=cfg.position_embedding_type,
    )
    if torch.cuda.is_available():
        model.cuda(torch.cuda.current_device())
    init_weights(model, seed, cfg.init_method_std, cfg.num_layers)
    return model, choice


def _local_slices(sh) -> tuple:
    """Index of this shard inside its global tensor (prepended axes are layer indices)."""
    n = sh.prepend_axis_num
    slices = list(sh.global_offset[:n])
    for offset, size in zip(sh.global_offset[n:], sh.local_shape):
        slices.append(slice(offset, offset + size))
    return tuple(slices)


@torch.no_grad()
def init_weights(model, seed: int, std: float, num_layers: int) -> None:
    """Redraw every >= 2-D parameter from its global tensor (see the module docstring)."""
    from megatron.core.dist_checkpointing.dict_utils import nested_values
    from megatron.core.dist_checkpointing.mapping import ShardedTensor

    scaled = std / math.sqrt(2.0 * num_layers)  # output projections, as megatron's scaled init
    for sh in nested_values(model.sharded_state_dict()):
        if not isinstance(sh, ShardedTensor) or sh.data.dim() < 2:
            continue
        key_std = scaled if sh.key.endswith(("linear_proj.weight", "linear_fc2.weight")) else std
        gen = torch.Generator().manual_seed(seed * 1_000_003 + zlib.crc32(sh.key.encode()))
        full = torch.empty(sh.global_shape, dtype=torch.float32).normal_(0.0, key_std, generator=gen)
        sh.data.copy_(full[_local_slices(sh)])
