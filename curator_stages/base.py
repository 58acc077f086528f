"""The frame every row stage shares (the shape of datatrove's BaseFilter and NeMo Curator's ScoreFilter).

A `RowStage` copies the batch to pandas, gives rows read from plain files their `ok`
status, hands the frame and the mask of live rows to `transform`, and writes the result
back into a new batch with the old one's metadata. A subclass writes only `transform`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from nemo_curator.stages.base import ProcessingStage
from nemo_curator.tasks import DocumentBatch

from curator_stages.columns import active, ensure_status, with_data


@dataclass
class RowStage(ProcessingStage[DocumentBatch, DocumentBatch]):
    """A stage over the rows of a DocumentBatch; rows not `ok` pass through untouched unless `transform` says otherwise.

    It declares no fields: each stage keeps its own (`name`, `resources`, settings) in its own order.
    """

    def transform(self, df: pd.DataFrame, live: pd.Series) -> pd.DataFrame:
        """The stage's work on its own copy of the batch's rows; `live` marks the `ok` rows. Returns the new rows."""
        raise NotImplementedError

    def process(self, batch: DocumentBatch) -> DocumentBatch:
        df = ensure_status(batch.to_pandas().copy())
        return with_data(batch, self.transform(df, active(df)))
