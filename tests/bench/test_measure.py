"""bench/measure.py: alternating rounds, per-round ratios, and the verdict that says when the spread is too wide."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from measure import RatioStats, alternate  # bench/ is a folder of scripts, not a package


def test_sides_alternate_in_abba_order_and_report_their_own_seconds():
    calls = []
    times = alternate({"a": lambda: calls.append("a") or 2.0, "b": lambda: calls.append("b") or None}, rounds=4)
    assert calls == ["a", "b"] + ["a", "b", "b", "a", "a", "b", "b", "a"]  # one warm-up call each, then ABBA: a drift hits both alike
    assert times["a"] == [2.0] * 4  # a side's own measurement wins over the wall clock
    assert len(times["b"]) == 4 and all(0 <= t < 1 for t in times["b"])


def test_ratio_is_the_median_of_the_rounds():
    stats = RatioStats.of([1.0, 2.2, 3.0, 4.4, 5.0], [1.0, 2.0, 3.0, 4.0, 5.0])
    assert stats.ratios == [1.0, 1.1, 1.0, 1.1, 1.0]
    assert stats.median == 1.0 and round(stats.spread, 6) == 0.1


def test_verdict_says_when_the_spread_cannot_resolve_the_target():
    tight = RatioStats([1.00, 1.01, 1.02, 1.01])
    assert tight.describe("r", target=1.05).endswith("target <= 1.05: met")
    assert RatioStats([1.08, 1.09, 1.10]).describe("r", target=1.05).endswith("missed")
    wide = RatioStats([0.8, 0.9, 1.0, 1.1, 1.2])
    assert "spread exceeds the 0.05 margin, not resolved" in wide.describe("r", target=1.05)
    assert "target" not in tight.describe("r")


def test_step_pairs_are_grouped_into_rounds_of_medians():
    ours = [1.0, 9.0, 1.0, 2.0, 2.0, 2.0, 5.0]  # an outlier step does not move its round; the incomplete last round is dropped
    peer = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    assert RatioStats.of_blocks(ours, peer, block=3).ratios == [1.0, 2.0]
