"""Token accounting for the organic:recycled mix.

The paper mixes organic and recycled data 1:1 by tokens (7.2B + 7.2B). Every
quality-passing organic document and every recycled one is kept; the ratio is
set in training by the blend weights (`blend_weights`), and `epochs_per_side`
says how often a pretraining run of a given length reads each side.
"""

from __future__ import annotations


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


def epochs_per_side(side_tokens: dict[str, int], weights: dict[str, float], train_tokens: int) -> dict[str, float]:
    """How many times a run that trains on `train_tokens` tokens reads each side (Megatron normalises the weights)."""
    total = sum(weights.values())
    return {side: train_tokens * w / total / side_tokens[side] for side, w in weights.items() if side_tokens.get(side)}
