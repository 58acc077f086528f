"""Which model `evaluate.model` names, and the lm-eval `LM` that scores it.

An HF folder (it has `config.json`) goes through lm-eval's own `hf` model; one of
our Megatron-Core checkpoints (an `iter_*` folder, a `checkpoints/` root or a
pretraining run directory) through our `nemo_repro_megatron`.
"""

from __future__ import annotations

from pathlib import Path

from nemo_repro.config.evaluate import EvaluateConfig
from nemo_repro.config.fields import ConfigError
from nemo_repro.evaluate.score import TokenCounter

KINDS = ("hf", "megatron")


def model_kind(path: str | Path) -> str:
    """`hf` for an HF model folder, `megatron` for one of our pretraining checkpoints (or run dirs)."""
    from nemo_repro.models.folder import is_hf_model_folder
    from nemo_repro.pretrain.checkpoint import resolve_checkpoint_dir

    path = Path(path)
    if is_hf_model_folder(path):
        return "hf"
    try:
        resolve_checkpoint_dir(path)
    except FileNotFoundError:
        raise ConfigError(
            f"evaluate.model={path} is neither an HF model folder (no config.json) nor a nemo_repro pretraining checkpoint"
        ) from None
    return "megatron"


def token_counter(lm) -> TokenCounter:
    """Continuation length in tokens, split exactly as lm-eval's TemplateLM splits a request."""

    def count(context: str, continuation: str) -> int:
        if not context:
            return len(lm.tok_encode(continuation, add_special_tokens=False))
        return len(lm._encode_pair(context, continuation)[1])

    return count


def load_lm(cfg: EvaluateConfig, kind: str):
    """(lm-eval LM, token counter) for `cfg.model` of the given kind."""
    if kind == "hf":
        import torch
        from lm_eval.models.huggingface import HFLM

        device = ("cuda" if torch.cuda.is_available() else "cpu") if cfg.device == "auto" else cfg.device
        lm = HFLM(pretrained=str(cfg.model), batch_size=cfg.batch_size, device=device, max_length=cfg.max_length)
    elif kind == "megatron":
        from nemo_repro.evaluate.lm import MegatronCheckpointLM

        device = None if cfg.device == "auto" else cfg.device
        lm = MegatronCheckpointLM(checkpoint=str(cfg.model), batch_size=cfg.batch_size, device=device, max_length=cfg.max_length)
    else:
        raise ConfigError(f"unknown model kind {kind!r}; expected one of {KINDS}")
    return lm, token_counter(lm)
