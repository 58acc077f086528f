"""GPTModel from a PretrainConfig: TE or local layer spec, precision, FP8, layout-free init.

The layer spec is Transformer Engine's when it imports and CUDA is present
(required for FP8), else megatron-core's local spec, whose core attention is
torch's SDPA by default (`nemo_repro.pretrain.attention`). Embeddings and output
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
    """Transformer Engine's PyTorch modules import (only tried where CUDA exists: they need libcuda)."""
    if not torch.cuda.is_available():
        return False
    try:
        import transformer_engine.pytorch  # noqa: F401  (megatron's TE spec needs the pytorch part, not just the package)
    except Exception:  # ImportError, or an OSError from a broken CUDA install
        return False
    return True


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


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


def sequence_parallel(cfg: PretrainConfig, choice: ModelChoice) -> bool:
    """Sequence parallelism runs with TP > 1 on GPU under the TE spec only: the local spec's torch norms refuse it
    (megatron-core 0.16.1 `WrappedTorchNorm` asserts `not sequence_parallel`; Apex, which has one, is not on PyPI)."""
    tp = cfg.tensor_model_parallel_size
    return cfg.sequence_parallel and tp > 1 and torch.cuda.is_available() and choice.transformer_impl == "transformer_engine"


def transformer_config(cfg: PretrainConfig, choice: ModelChoice):
    """Megatron's TransformerConfig for this run (fusions only on GPU and only those that exist without Apex, FP8 only with TE)."""
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
        sequence_parallel=sequence_parallel(cfg, choice),
        params_dtype=choice.dtype,
        pipeline_dtype=choice.dtype,
        bf16=choice.dtype == torch.bfloat16,
        use_cpu_initialization=not on_gpu,
        perform_initialization=True,
        bias_activation_fusion=on_gpu and cfg.swiglu,
        # the local spec's fused softmax is a CUDA extension that only Apex / a Megatron-LM build provides
        masked_softmax_fusion=on_gpu and _has_module("scaled_masked_softmax_cuda"),
        bias_dropout_fusion=on_gpu,
        apply_rope_fusion=False,
        persist_layer_norm=False,  # Apex's persistent LayerNorm; the torch norms of the local spec refuse it
        **fp8,
    )


def layer_spec(cfg: PretrainConfig, choice: ModelChoice):
    from megatron.core.models.gpt import gpt_layer_specs

    if choice.transformer_impl == "transformer_engine":
        return gpt_layer_specs.get_gpt_layer_with_transformer_engine_spec()  # FP8 comes from TransformerConfig
    spec = gpt_layer_specs.get_gpt_layer_local_spec(normalization=cfg.normalization)
    if cfg.local_attention == "sdpa":
        from dataclasses import replace

        from nemo_repro.pretrain.attention import SDPAttention

        # copies all the way down: the spec objects may be shared with other callers
        layer = spec.submodules
        attention = replace(layer.self_attention, submodules=replace(layer.self_attention.submodules, core_attention=SDPAttention))
        spec = replace(spec, submodules=replace(layer, self_attention=attention))
    return spec


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
    if choice.dtype != torch.float32:
        # The local spec builds torch norms in fp32; like Megatron-LM's Float16Module, keep the whole model in one
        # dtype (the optimizer holds fp32 main params), so the fused norm kernels apply.
        for module in model.modules():
            if isinstance(module, (torch.nn.LayerNorm, torch.nn.RMSNorm)):
                module.to(choice.dtype)
    if torch.cuda.is_available():
        model.cuda(torch.cuda.current_device())
    init_weights(model, seed, cfg.init_method_std, cfg.num_layers)
    return model, choice


def _sharded_tensors(model) -> list:
    """Every ShardedTensor of the model's checkpoint view; factories (SwiGLU's fused fc1, split for TP) are built into theirs."""
    from megatron.core.dist_checkpointing.dict_utils import nested_values
    from megatron.core.dist_checkpointing.mapping import ShardedTensor, ShardedTensorFactory

    out = []
    for sh in nested_values(model.sharded_state_dict()):
        if isinstance(sh, ShardedTensorFactory):
            out += [t for t in nested_values(sh.build()) if isinstance(t, ShardedTensor)]
        elif isinstance(sh, ShardedTensor):
            out.append(sh)
    return out


@torch.no_grad()
def init_weights(model, seed: int, std: float, num_layers: int) -> None:
    """Redraw every >= 2-D parameter from its global tensor (see the module docstring).

    A layer's weights are drawn per layer (seeded by key and global layer index), not as the
    whole (layers, ...) stack the checkpoint shows: the same values for any layout, at O(L) cost.
    """
    scaled = std / math.sqrt(2.0 * num_layers)  # output projections, as megatron's scaled init
    for sh in _sharded_tensors(model):
        if sh.data.dim() < 2:
            continue
        key_std = scaled if sh.key.endswith(("linear_proj.weight", "linear_fc2.weight")) else std
        n = sh.prepend_axis_num  # leading axes that index layers (absent from sh.data)
        layer = tuple(sh.global_offset[:n])
        gen = torch.Generator().manual_seed(seed * 1_000_003 + zlib.crc32(f"{sh.key}{layer}".encode()))
        full = torch.empty(sh.global_shape[n:], dtype=torch.float32).normal_(0.0, key_std, generator=gen)
        index = tuple(slice(offset, offset + size) for offset, size in zip(sh.global_offset[n:], sh.local_shape))
        sh.data.copy_(full[index])
