"""Filter: thresholds from the config on the Score signals; failing documents become `filtered` with every failed check as the reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import pandas as pd
from nemo_curator.stages.resources import Resources

from curator_stages.base import RowStage
from curator_stages.columns import FILTERED, REASON, RECYCLED, STATUS
from curator_stages.rephrase import HAS_MARKER
from curator_stages.score import CONTENT_COVERAGE, LENGTH_RATIO, SEMANTIC_F1, STRUCTURE


@dataclass
class Filter(RowStage):
    """Filter live rows with an empty recycled text, no marker (`require_marker`, when the column exists),
    or a signal beyond its threshold. `None` turns a check off."""

    require_marker: bool = True
    min_semantic_f1: Optional[float] = 0.65
    max_length_ratio: Optional[float] = 1.25
    min_structure: Optional[float] = None
    min_coverage: Optional[float] = None
    name: str = "filter"
    resources: Resources = field(default_factory=lambda: Resources(cpus=0.5))

    def inputs(self) -> tuple[list[str], list[str]]:
        columns = [RECYCLED]
        for column, threshold in ((SEMANTIC_F1, self.min_semantic_f1), (LENGTH_RATIO, self.max_length_ratio), (STRUCTURE, self.min_structure),
                                  (CONTENT_COVERAGE, self.min_coverage)):
            if threshold is not None:
                columns.append(column)
        return ["data"], columns

    def outputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [STATUS, REASON]

    def failures(self, row: pd.Series) -> list[str]:
        """The failed checks of one row, as readable reasons."""
        failed = []
        if self.require_marker and HAS_MARKER in row and not row[HAS_MARKER]:
            failed.append("no marker in the output")
        if not str(row[RECYCLED]).strip():
            failed.append("empty recycled text")
        if self.min_semantic_f1 is not None and not row[SEMANTIC_F1] >= self.min_semantic_f1:
            failed.append(f"semantic_f1 {row[SEMANTIC_F1]:.3f} < {self.min_semantic_f1}")
        if self.max_length_ratio is not None and not row[LENGTH_RATIO] <= self.max_length_ratio:
            failed.append(f"length_ratio {row[LENGTH_RATIO]:.2f} > {self.max_length_ratio}")
        if self.min_structure is not None and not row[STRUCTURE] >= self.min_structure:
            failed.append(f"structure {row[STRUCTURE]:.2f} < {self.min_structure}")
        if self.min_coverage is not None and not row[CONTENT_COVERAGE] >= self.min_coverage:
            failed.append(f"content_coverage {row[CONTENT_COVERAGE]:.2f} < {self.min_coverage}")
        return failed

    def transform(self, df: pd.DataFrame, live: pd.Series) -> pd.DataFrame:
        live = df[live]
        reasons = live.apply(lambda row: "; ".join(self.failures(row)), axis=1) if len(live) else pd.Series(dtype=object)
        bad = reasons[reasons != ""]
        df.loc[bad.index, STATUS] = FILTERED
        df.loc[bad.index, REASON] = bad
        return df
