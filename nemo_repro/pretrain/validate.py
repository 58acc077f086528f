"""Checks that need the machine or the files, run before any process group or model exists.

The schema (`PretrainConfig.__post_init__`) already rejects heads/layers not
divisible by TP/PP; here: the world size, the data files, FP8 hardware and
software, dropout on CPU, and the batch arithmetic.
"""

from __future__ import annotations

import torch

from nemo_repro.config.fields import ConfigError
from nemo_repro.config.pretrain import PretrainConfig
from nemo_repro.pretrain.data import check_blend_tokenizer, resolve_blend
from nemo_repro.pretrain.model import te_available
from nemo_repro.pretrain.parallel import Layout, launch_layout


def check_fp8(cfg: PretrainConfig) -> None:
    if not cfg.fp8:
        return
    if not te_available():
        raise ConfigError(f"pretrain.fp8={cfg.fp8} needs Transformer Engine, which does not import here (and needs CUDA)")
    major, minor = torch.cuda.get_device_capability()
    if (major, minor) < (9, 0):
        raise ConfigError(f"pretrain.fp8={cfg.fp8} needs a Hopper (sm_90) or newer GPU; this one is sm_{major}{minor}")


def validate(cfg: PretrainConfig) -> Layout:
    """Fail with a ConfigError naming the key; returns the launch layout."""
    layout = launch_layout(cfg.tensor_model_parallel_size, cfg.pipeline_model_parallel_size)
    per_step = cfg.micro_batch_size * layout.dp
    if cfg.global_batch_size % per_step:
        raise ConfigError(
            f"pretrain.global_batch_size={cfg.global_batch_size} is not a multiple of "
            f"pretrain.micro_batch_size x data-parallel size = {cfg.micro_batch_size} x {layout.dp}"
        )
    if cfg.data is not None:
        resolve_blend(cfg.data)
        check_blend_tokenizer(cfg.data, cfg.tokenizer)
    elif cfg.sample_docs == 0:
        raise ConfigError("pretrain.data is required: set it to the blend.json of `nemo-repro recycle` or a .bin/.idx prefix")
    if cfg.transformer_impl == "transformer_engine" and not te_available():
        raise ConfigError("pretrain.transformer_impl=transformer_engine but Transformer Engine does not import here (and needs CUDA)")
    check_fp8(cfg)
    tp = cfg.tensor_model_parallel_size
    if cfg.sequence_parallel and tp > 1 and cfg.seq_length % tp and te_available():
        raise ConfigError(f"pretrain.seq_length={cfg.seq_length} must be divisible by pretrain.tensor_model_parallel_size={tp} "
                          "with sequence parallelism (or set pretrain.sequence_parallel=false)")
    if not torch.cuda.is_available():
        for key in ("hidden_dropout", "attention_dropout"):
            if getattr(cfg, key) > 0:
                raise ConfigError(f"pretrain.{key}={getattr(cfg, key)}: dropout must be 0 on CPU (megatron's dropout RNG tracker needs CUDA)")
        if cfg.precision == "bf16":
            raise ConfigError("pretrain.precision=bf16 is for GPUs; use fp32 (or auto) on CPU")
    return layout
