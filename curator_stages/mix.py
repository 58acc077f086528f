"""Mix: flag the documents of each side of the organic:recycled mix.

Recycled side: every live row (its `recycled_text`). Organic side: every readable
row (its original `text`) with `quality_before >= organic_threshold` when that
column exists. Both sides are kept whole; the organic:recycled token ratio in
training is carried by the blend weights (`nemo_repro.mix.ratio.blend_weights`),
so no document is dropped to meet it and a run that recycled nothing still
writes its organic pool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pandas as pd
from nemo_curator.stages.resources import Resources

from curator_stages.base import RowStage
from curator_stages.columns import ID, RECYCLED, REJECTED, STATUS, TEXT
from curator_stages.quality import QUALITY_BEFORE

TO_ORGANIC = "to_organic"
TO_RECYCLED = "to_recycled"


@dataclass
class Mix(RowStage):
    """Add the `to_organic` / `to_recycled` flags."""

    organic_threshold: Optional[float] = None
    """Minimum `quality_before` of an organic document (when the quality filter ran); None keeps every readable one."""
    name: str = "mix"
    resources: Resources = field(default_factory=lambda: Resources(cpus=0.25))

    def inputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [ID, TEXT]

    def outputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [TO_ORGANIC, TO_RECYCLED]

    def transform(self, df: pd.DataFrame, live: pd.Series) -> pd.DataFrame:
        df[TO_RECYCLED] = live & (RECYCLED in df)
        organic = df[STATUS] != REJECTED
        if self.organic_threshold is not None and QUALITY_BEFORE in df:
            organic &= df[QUALITY_BEFORE] >= self.organic_threshold
        df[TO_ORGANIC] = organic
        return df
