"""Token accounting for the organic:recycled mix.

The paper mixes organic and recycled data 1:1 by tokens (7.2B + 7.2B). Two
pieces do that here: `select_to_budget` picks organic documents until their
tokens reach `ratio x recycled tokens` (a seeded hash order, so the pick does
not depend on batch order or worker), and `blend_weights` gives Megatron the
sampling weights that keep the ratio in training even when one side came up
short.
"""

from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np


def hash_order(keys: Sequence[str], seed: int) -> np.ndarray:
    """Indices of `keys` in a pseudo-random order fixed by (`seed`, key)."""
    digests = [hashlib.blake2b(f"{seed}:{k}".encode(), digest_size=8).digest() for k in keys]
    return np.array(sorted(range(len(keys)), key=digests.__getitem__), dtype=np.int64)


def select_to_budget(tokens: Sequence[int], keys: Sequence[str], budget: float, seed: int) -> np.ndarray:
    """Boolean mask: items taken in `hash_order` while the tokens taken so far are below `budget`.

    The last item taken may overshoot the budget by less than its own size.
    """
    chosen = np.zeros(len(tokens), dtype=bool)
    total = 0
    for i in hash_order(keys, seed):
        if total >= budget:
            break
        chosen[i] = True
        total += int(tokens[i])
    return chosen


def blend_weights(organic_tokens: int, recycled_tokens: int, organic_to_recycled: float) -> dict[str, float]:
    """Megatron blend weights per side: `r/(1+r)` organic, `1/(1+r)` recycled; a side with no tokens is left out.

    Megatron draws each fixed-length sample from a dataset with probability
    proportional to its weight, so these weights are the token ratio in training.
    """
    if organic_to_recycled <= 0:
        raise ValueError(f"organic_to_recycled={organic_to_recycled} must be > 0")
    weights = {"organic": organic_to_recycled / (1 + organic_to_recycled), "recycled": 1 / (1 + organic_to_recycled)}
    present = {"organic": organic_tokens > 0, "recycled": recycled_tokens > 0}
    return {side: w for side, w in weights.items() if present[side]}
