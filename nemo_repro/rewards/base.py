"""The interface every RePro reward implements.

A reward scores a batch of (original, rephrasing) pairs at once and returns one
float per pair. `score_detailed` also returns named per-pair diagnostics (the
raw BERTScore F1, the quality of each side, ...) so callers log them without
computing anything twice.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Sequence

import numpy as np


class Reward(ABC):
    """`score(originals, rephrasings) -> np.ndarray` of shape `(len(originals),)`."""

    name: ClassVar[str]
    """Short name, used as the metric key (`reward/<name>`) and the weight key."""

    uses_raw_output: ClassVar[bool] = False
    """True when the reward reads the raw rephraser output (marker included) instead of the parsed rephrasing."""

    @abstractmethod
    def score(self, originals: Sequence[str], rephrasings: Sequence[str]) -> np.ndarray:
        """One reward per pair."""

    def score_detailed(self, originals: Sequence[str], rephrasings: Sequence[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Rewards plus named per-pair diagnostics (none by default)."""
        return self.score(originals, rephrasings), {}


def check_pairs(originals: Sequence[str], rephrasings: Sequence[str]) -> None:
    """Fail early when the two sides of a batch do not line up."""
    if len(originals) != len(rephrasings):
        raise ValueError(f"{len(originals)} originals but {len(rephrasings)} rephrasings: they must pair up one to one")
