"""Length reward: the rephrasing may not grow the document by more than a ratio."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from nemo_repro.rewards.base import Reward, check_pairs


class LengthReward(Reward):
    """`1[chars(rephrasing) <= ratio * chars(original)]` (paper: ratio 1.25).

    An empty rephrasing (no marker) passes this check by definition; the
    quality, semantic and structure rewards are what penalise it.
    """

    name = "length"

    def __init__(self, ratio: float = 1.25) -> None:
        self.ratio = ratio

    def score(self, originals: Sequence[str], rephrasings: Sequence[str]) -> np.ndarray:
        check_pairs(originals, rephrasings)
        return np.array([float(len(r) <= self.ratio * len(o)) for o, r in zip(originals, rephrasings)], dtype=np.float64)
