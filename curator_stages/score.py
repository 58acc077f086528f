"""Score: the RePro rewards used as curation signals on each live document.

Columns: `semantic_f1` (BERTScore F1 of recycled vs original, from
`nemo_repro.rewards.semantic`), `structure` (1 when the structure kinds of the
original are kept, `nemo_repro.rewards.structure`), `length_ratio` (recycled
chars / original chars; the length reward is `length_ratio <= 1.25`). The
quality signal is the fastText classifier of the QualityFilter stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from nemo_curator.stages.base import ProcessingStage
from nemo_curator.stages.resources import Resources
from nemo_curator.tasks import DocumentBatch

from curator_stages.columns import RECYCLED, TEXT, active, ensure_status, with_data

SEMANTIC_F1 = "semantic_f1"
STRUCTURE = "structure"
LENGTH_RATIO = "length_ratio"


@dataclass
class Score(ProcessingStage[DocumentBatch, DocumentBatch]):
    """Add `semantic_f1` (unless `semantic_model == "none"`), `structure` and `length_ratio` to live rows (NaN elsewhere)."""

    semantic_model: Optional[str] = None
    """Encoder folder for BERTScore; `None`: the bundled MiniLM; `"none"`: no semantic signal."""
    name: str = "score"
    resources: Resources = field(default_factory=lambda: Resources(cpus=1.0))

    def setup(self, worker_metadata=None) -> None:
        from nemo_repro.rewards.semantic import SemanticReward
        from nemo_repro.rewards.structure import StructureSignatureReward

        self._semantic = None if self.semantic_model == "none" else SemanticReward(self.semantic_model)
        self._structure = StructureSignatureReward()

    def inputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [TEXT, RECYCLED]

    def outputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [SEMANTIC_F1, STRUCTURE, LENGTH_RATIO]

    def process(self, batch: DocumentBatch) -> DocumentBatch:
        df = ensure_status(batch.to_pandas().copy())
        live = active(df)
        originals, recycled = list(df.loc[live, TEXT]), list(df.loc[live, RECYCLED])
        for column in (SEMANTIC_F1, STRUCTURE, LENGTH_RATIO):
            df[column] = np.nan
        if originals:
            if self._semantic is not None:
                df.loc[live, SEMANTIC_F1] = self._semantic.f1(originals, recycled)
            df.loc[live, STRUCTURE] = self._structure.score(originals, recycled)
            df.loc[live, LENGTH_RATIO] = [len(r) / max(1, len(o)) for o, r in zip(originals, recycled)]
        return with_data(batch, df)
