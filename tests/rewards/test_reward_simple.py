"""Length, format and combine: hand-computed cases, including the 1.25 boundary and marker parsing."""

import numpy as np
import pytest

from nemo_repro.prompts import REPRO_MARKER
from nemo_repro.rewards.base import Reward
from nemo_repro.rewards.combine import CombinedReward
from nemo_repro.rewards.format import FormatReward
from nemo_repro.rewards.length import LengthReward


def test_length_boundary_at_1_25():
    original = "x" * 100
    rephrasings = ["y" * 125, "y" * 126, "", "y" * 50]
    assert LengthReward().score([original] * 4, rephrasings).tolist() == [1.0, 0.0, 1.0, 1.0]


def test_length_ratio_is_configurable_and_counts_characters_not_bytes():
    assert LengthReward(ratio=1.0).score(["ééé"], ["abc"]).tolist() == [1.0]
    assert LengthReward(ratio=1.0).score(["ééé"], ["abcd"]).tolist() == [0.0]


def test_format_needs_the_marker():
    outputs = [f"{REPRO_MARKER} clean text", "Here is a paraphrase: text", f"preamble {REPRO_MARKER}", ""]
    assert FormatReward().score(["doc"] * 4, outputs).tolist() == [1.0, 0.0, 1.0, 0.0]


def test_mismatched_batch_sides_fail():
    with pytest.raises(ValueError, match="2 originals but 1 rephrasings"):
        LengthReward().score(["a", "b"], ["a"])


class _Constant(Reward):
    def __init__(self, name, value, raw=False):
        self.name, self.value, self.uses_raw_output, self.seen = name, value, raw, []

    def score(self, originals, rephrasings):
        self.seen.append(list(rephrasings))
        return np.full(len(originals), self.value)


def test_combine_weights_and_parses_the_marker_once_per_component():
    quality, length, fmt = _Constant("quality", 0.5), LengthReward(), _Constant("format", 1.0, raw=True)
    combined = CombinedReward([quality, length, fmt], {"quality": 3.0, "length": 1.0, "format": 0.0})
    out = combined.score(["short doc"], [f"{REPRO_MARKER}  a rephrasing that is far too long to pass"])
    assert quality.seen == [["a rephrasing that is far too long to pass"]]  # parsed text after the marker
    assert fmt.seen[0][0].startswith(REPRO_MARKER)  # raw output
    assert out.components["length"].tolist() == [0.0]
    assert out.total.tolist() == [1.5]
    assert out.means()["reward/total"] == 1.5


def test_combine_without_marker_is_an_empty_rephrasing():
    quality = _Constant("quality", 0.0)
    CombinedReward([quality], {"quality": 1.0}).score(["doc"], ["no marker here"])
    assert quality.seen == [[""]]


def test_combine_requires_a_weight_per_reward():
    with pytest.raises(ValueError, match="no weight"):
        CombinedReward([LengthReward()], {"quality": 1.0})
