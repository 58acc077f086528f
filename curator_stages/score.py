"""Score: the RePro rewards used as curation signals on each live row.

Columns: `semantic_f1` (BERTScore F1 of recycled vs original over all
512-token windows of both, from `nemo_repro.rewards.semantic`), `structure`
(1 when the structure kinds of the original are kept,
`nemo_repro.rewards.structure`), `length_ratio` (recycled chars / original
chars; the length reward is `length_ratio <= 1.25`), `content_coverage` (share of
the original's content tokens the recycled text carries, from the same token
embeddings, `nemo_repro.rewards.coverage`; when a similarity is given). The
quality signal is the QualityFilter stage's.

Where the pipeline segments (repro), Score runs on each segment before
Reassemble, which aggregates per document: `semantic_f1`, `structure` and `content_coverage` are
means over segments weighted by the original segment's length, `length_ratio`
is recomputed on the whole document (`aggregate_segments`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd
from nemo_curator.stages.resources import Resources

from curator_stages.base import RowStage
from curator_stages.columns import RECYCLED, TEXT

SEMANTIC_F1 = "semantic_f1"
STRUCTURE = "structure"
LENGTH_RATIO = "length_ratio"
CONTENT_COVERAGE = "content_coverage"


@dataclass
class Score(RowStage):
    """Add `semantic_f1` and `content_coverage` (unless `semantic_model == "none"`; coverage with a
    `coverage_similarity`), `structure` and `length_ratio` to live rows (NaN elsewhere)."""

    semantic_model: Optional[str] = None
    """Encoder folder for BERTScore; `None`: the bundled MiniLM; `"none"`: no semantic signal."""
    num_layers: Optional[int] = None
    """Encoder layer for BERTScore; `None`: the last."""
    truncate: bool = False
    """BERTScore on the first 512 tokens only (the paper's form) instead of all windows."""
    coverage_similarity: Optional[float] = None
    """Cosine at which a content token counts as carried (`content_coverage`); `None`: no coverage signal (NaN)."""
    name: str = "score"
    resources: Resources = field(default_factory=lambda: Resources(cpus=1.0))

    def setup(self, worker_metadata=None) -> None:
        from nemo_repro.rewards.semantic import SemanticReward
        from nemo_repro.rewards.structure import StructureSignatureReward

        self._semantic = None if self.semantic_model == "none" else SemanticReward(self.semantic_model, num_layers=self.num_layers, truncate=self.truncate)
        self._structure = StructureSignatureReward()

    def inputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [TEXT, RECYCLED]

    def outputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [SEMANTIC_F1, STRUCTURE, LENGTH_RATIO, CONTENT_COVERAGE]

    def transform(self, df: pd.DataFrame, live: pd.Series) -> pd.DataFrame:
        originals, recycled = list(df.loc[live, TEXT]), list(df.loc[live, RECYCLED])
        for column in (SEMANTIC_F1, STRUCTURE, LENGTH_RATIO, CONTENT_COVERAGE):
            df[column] = np.nan
        if originals:
            if self._semantic is not None:
                from nemo_repro.rewards.coverage import coverage_of
                from nemo_repro.rewards.semantic import prf_of

                matches = self._semantic.match(originals, recycled)  # one encoder pass for both signals
                df.loc[live, SEMANTIC_F1] = prf_of(matches)[2]
                if self.coverage_similarity is not None:
                    df.loc[live, CONTENT_COVERAGE] = [coverage_of(o, m, self.coverage_similarity) for o, m in zip(originals, matches)]
            df.loc[live, STRUCTURE] = self._structure.score(originals, recycled)
            df.loc[live, LENGTH_RATIO] = [len(r) / max(1, len(o)) for o, r in zip(originals, recycled)]
        return df


def aggregate_segments(group: pd.DataFrame, originals: list[str], recycled: str) -> dict[str, float]:
    """Document-level signals from its segment rows: length-weighted means of F1, structure and coverage, whole-doc length ratio."""
    weights = np.array([max(1, len(t)) for t in originals], dtype=float)
    out = {}
    for column in (SEMANTIC_F1, STRUCTURE, CONTENT_COVERAGE):
        if column in group:
            values = group[column].to_numpy(dtype=float)
            out[column] = float(np.dot(values, weights) / weights.sum())  # NaN when a segment was not scored
    if LENGTH_RATIO in group:
        out[LENGTH_RATIO] = len(recycled) / max(1, sum(len(t) for t in originals))
    return out
