"""QualityFilter: a quality score on both sides, by DCLM-style fastText or by the heuristic scorer.

`scorer="fasttext"`: P(hq | text) by `nemo_repro.rewards.quality_fasttext.hq_probability`,
the computation the RL quality reward uses (NeMo Curator's FastTextQualityFilter keeps
a document by Pareto sampling; DCLM and the paper keep by a fixed probability
threshold, so a threshold is applied here). `scorer="heuristic"`:
`nemo_repro.rewards.quality_heuristic` (NeMo Curator's Gopher/C4 heuristics as
one score in [0, 1]). `quality_before` = quality of the original for every
readable document (it decides organic eligibility in Mix), `quality_after` =
quality of the recycled text for live rows. Thresholds are in the scorer's own units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd
from nemo_curator.stages.resources import Resources

from curator_stages.base import RowStage
from curator_stages.columns import FILTERED, REASON, RECYCLED, REJECTED, STATUS, TEXT

QUALITY_BEFORE = "quality_before"
QUALITY_AFTER = "quality_after"


@dataclass
class QualityFilter(RowStage):
    """Score both sides; filter live rows with `quality_after < threshold` or a gain below `min_gain` (`None`: off)."""

    model_path: str = ""
    """fastText `.bin` (scorer `fasttext` only)."""
    label: str = "__label__hq"
    threshold: Optional[float] = 0.018112
    min_gain: Optional[float] = None
    scorer: str = "fasttext"
    """`fasttext` (`model_path`) or `heuristic`."""
    name: str = "quality_filter"
    resources: Resources = field(default_factory=lambda: Resources(cpus=0.5))

    def setup(self, worker_metadata=None) -> None:
        if self.scorer == "heuristic":
            from nemo_repro.rewards.quality_heuristic import HeuristicQualityScorer

            self._score_one = HeuristicQualityScorer().score
            return
        if self.scorer != "fasttext":
            raise ValueError(f"QualityFilter.scorer must be fasttext or heuristic, got {self.scorer!r}")
        from nemo_repro.rewards.quality_fasttext import QualityFastTextReward

        fasttext = QualityFastTextReward(self.model_path, self.label)
        self._score_one = lambda text: float(fasttext.probability([text])[0])

    def inputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [TEXT]

    def outputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [QUALITY_BEFORE, QUALITY_AFTER, STATUS, REASON]

    def _score(self, texts: pd.Series) -> pd.Series:
        """The quality of each text, NaN-free, on the index of `texts` (an empty text scores 0)."""
        return pd.Series([self._score_one(t) if t.strip() else 0.0 for t in texts], index=texts.index, dtype=float)

    def failures(self, before: float, after: float) -> str:
        failed = []
        if self.threshold is not None and after < self.threshold:
            failed.append(f"quality {after:.4f} < {self.threshold}")
        if self.min_gain is not None and after - before < self.min_gain:
            failed.append(f"quality gain {after - before:+.4f} < {self.min_gain}")
        return "; ".join(failed)

    def transform(self, df: pd.DataFrame, live: pd.Series) -> pd.DataFrame:
        df[QUALITY_BEFORE] = self._score(df.loc[df[STATUS] != REJECTED, TEXT]).reindex(df.index)
        df[QUALITY_AFTER] = np.nan
        if RECYCLED in df:
            live = df.index[live]
            df[QUALITY_AFTER] = self._score(df.loc[live, RECYCLED]).reindex(df.index)
            for idx in live:
                reason = self.failures(df.at[idx, QUALITY_BEFORE], df.at[idx, QUALITY_AFTER])
                if reason:
                    df.at[idx, STATUS], df.at[idx, REASON] = FILTERED, reason
        return df
