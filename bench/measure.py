"""Ratios against a peer on a shared, noisy machine: short alternating blocks, many rounds, median and spread.

A ratio from two long runs drifts with whatever else the machine does (two runs an hour apart
gave 0.39 and 1.18). Here each round times a short block of one side, then a short block of the
other (in ABBA order, so a steady drift cancels), and forms that round's ratio; the figure is the
median over the rounds, its spread the interquartile range of the round ratios. When the spread
is wider than the margin the target needs (a target of 1.05 needs 0.05), the bench says so: the
figure cannot then decide the target, however close its median is.

    from measure import alternate, RatioStats
    times = alternate({"ours": run_ours, "peer": run_peer}, rounds=15)
    print(RatioStats.of(times["ours"], times["peer"]).describe("ours / peer", target=1.05))
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable


def alternate(sides: dict[str, Callable[[], float | None]], rounds: int, warmup: int = 1) -> dict[str, list[float]]:
    """Call each side once per round, the order reversed every other round (ABBA); returns each side's seconds per round.

    A side returns its own measurement in seconds (e.g. the median step time of its block, set-up
    excluded) or None to be timed whole by the wall clock here. The first `warmup` rounds are not
    kept: one-time costs (first allocations, caches, lazy imports) would land on whichever side ran first.
    """
    times: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for _ in range(warmup):
        for side in sides.values():
            side()
    for r in range(rounds):
        for name in names if r % 2 == 0 else reversed(names):
            start = time.perf_counter()
            seconds = sides[name]()
            times[name].append(time.perf_counter() - start if seconds is None else seconds)
    return times


@dataclass
class RatioStats:
    ratios: list[float]
    """One ratio per round (ours / peer of the same round)."""

    @classmethod
    def of(cls, ours: list[float], peer: list[float]) -> "RatioStats":
        return cls([a / b for a, b in zip(ours, peer, strict=True)])

    @classmethod
    def of_blocks(cls, ours: list[float], peer: list[float], block: int) -> "RatioStats":
        """Per-step times measured in step-by-step alternation, grouped into rounds of `block` pairs:
        each round's ratio is the median of its `ours` steps over the median of its `peer` steps."""
        assert len(ours) == len(peer), (len(ours), len(peer))
        starts = range(0, len(ours) - block + 1, block)
        return cls([statistics.median(ours[i : i + block]) / statistics.median(peer[i : i + block]) for i in starts])

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)

    @property
    def quartiles(self) -> tuple[float, float]:
        if len(self.ratios) < 2:
            return self.ratios[0], self.ratios[0]
        q1, _, q3 = statistics.quantiles(self.ratios, n=4, method="inclusive")
        return q1, q3

    @property
    def spread(self) -> float:
        """Interquartile range of the round ratios."""
        q1, q3 = self.quartiles
        return q3 - q1

    def describe(self, label: str, target: float | None = None, lower_is_better: bool = True) -> str:
        """One line: median, quartiles, rounds; the target verdict, or why the figure cannot give one."""
        q1, q3 = self.quartiles
        line = f"{label}: median {self.median:.3f} (quartiles {q1:.3f}-{q3:.3f}, spread {self.spread:.3f}, {len(self.ratios)} rounds)"
        if target is None:
            return line
        margin = abs(target - 1.0)
        if margin and self.spread > margin:
            return line + f"; target {'<=' if lower_is_better else '>='} {target}: spread exceeds the {margin:.2f} margin, not resolved (more rounds or a quieter machine)"
        met = self.median <= target if lower_is_better else self.median >= target
        return line + f"; target {'<=' if lower_is_better else '>='} {target}: {'met' if met else 'missed'}"
