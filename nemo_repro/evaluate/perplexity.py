"""Perplexity of a checkpoint on held-out texts: exp of the mean negative log-likelihood per token.

Each text is scored whole in lm-eval's rolling windows (every token predicted once, with up to
the model's context length before it), so perplexities of models with the same tokenizer compare.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class _Request:
    """The one field lm-eval's `loglikelihood_rolling` reads from a request."""

    args: tuple[str]


def rolling_perplexity(lm, texts: Sequence[str]) -> dict[str, float]:
    """`{"perplexity", "nll_per_token", "tokens", "docs"}` of lm-eval model `lm` (a `LogitsLM`) on `texts`."""
    texts = [t for t in texts if t.strip()]
    if not texts:
        raise ValueError("no non-empty text to score")
    lls = lm.loglikelihood_rolling([_Request((t,)) for t in texts], disable_tqdm=True)
    tokens = sum(len(lm.tok_encode(t)) for t in texts)
    nll = -sum(lls) / tokens
    return {"perplexity": math.exp(nll), "nll_per_token": nll, "tokens": tokens, "docs": len(texts)}


def checkpoint_perplexity(checkpoint: str, texts: Sequence[str], batch_size: int = 8) -> dict[str, float]:
    """`rolling_perplexity` of one of our Megatron-Core checkpoints (a `checkpoints/` root or `iter_*` folder)."""
    from nemo_repro.evaluate.lm import MegatronCheckpointLM

    return rolling_perplexity(MegatronCheckpointLM(checkpoint=checkpoint, batch_size=batch_size), texts)
