"""Content checks on readable documents: empty, too long, not English. Failures are `rejected` with a reason."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from nemo_curator.stages.resources import Resources
from nemo_curator.stages.text.filters.heuristic.string import CommonEnglishWordsFilter

from curator_stages.base import RowStage
from curator_stages.columns import REJECTED, STATUS, REASON, TEXT


@dataclass
class Validate(RowStage):
    """Reject empty documents, documents over `max_doc_chars` and (with `min_common_english_words` > 0)
    documents with too few common English words, via NeMo Curator's CommonEnglishWordsFilter."""

    max_doc_chars: int = 1_000_000
    min_common_english_words: int = 2
    name: str = "validate"
    resources: Resources = field(default_factory=lambda: Resources(cpus=0.5))

    def setup(self, worker_metadata=None) -> None:
        self._english = CommonEnglishWordsFilter(self.min_common_english_words) if self.min_common_english_words else None

    def inputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [TEXT]

    def outputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [STATUS, REASON]

    def reason(self, text: str) -> str:
        """Why `text` is rejected, or "" when it passes."""
        if not text.strip():
            return "empty text"
        if len(text) > self.max_doc_chars:
            return f"too long: {len(text)} chars > max_doc_chars={self.max_doc_chars}"
        if self._english is not None:
            found = self._english.score_document(text)
            if not self._english.keep_document(found):
                return f"not English: {found} common English words < {self.min_common_english_words}"
        return ""

    def transform(self, df: pd.DataFrame, live: pd.Series) -> pd.DataFrame:
        reasons = df.loc[live, TEXT].map(self.reason)
        bad = reasons[reasons != ""]
        df.loc[bad.index, STATUS] = REJECTED
        df.loc[bad.index, REASON] = bad
        return df
