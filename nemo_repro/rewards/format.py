"""Format reward: the rephraser answered with the RePro marker."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from nemo_repro.prompts import parse_repro_output
from nemo_repro.rewards.base import Reward, check_pairs


class FormatReward(Reward):
    """1 when the raw output contains `Here is a paraphrased version:`, else 0.

    Unlike the other rewards it reads the raw output, not the parsed rephrasing.
    """

    name = "format"
    uses_raw_output = True

    def score(self, originals: Sequence[str], outputs: Sequence[str]) -> np.ndarray:
        check_pairs(originals, outputs)
        return np.array([float(parse_repro_output(o).has_marker) for o in outputs], dtype=np.float64)
