"""Column names shared by the stages, and the status bookkeeping every stage uses."""

from __future__ import annotations

import pandas as pd
from nemo_curator.tasks import DocumentBatch

ID = "id"
TEXT = "text"
"""The original document (a segment of it between Segment and Reassemble)."""
RECYCLED = "recycled_text"
"""What the recycler made of `text` (rephrasing, rewrite or refined text)."""
STATUS = "status"
REASON = "reason"
FILE = "source_file"
LINE = "source_line"

OK, FILTERED, REJECTED = "ok", "filtered", "rejected"


def active(df: pd.DataFrame) -> pd.Series:
    """Rows still in the running (not filtered, not rejected)."""
    return df[STATUS] == OK


def with_data(batch: DocumentBatch, df: pd.DataFrame) -> DocumentBatch:
    """A new batch with `df`, keeping the dataset name, metadata and perf stats (never the task id)."""
    return DocumentBatch(dataset_name=batch.dataset_name, data=df.reset_index(drop=True), _metadata=batch._metadata, _stage_perf=batch._stage_perf)


def ensure_status(df: pd.DataFrame) -> pd.DataFrame:
    """Give rows read from plain files (one-stage runs) the `ok` status they would have in a pipeline."""
    if STATUS not in df:
        df[STATUS] = OK
    if REASON not in df:
        df[REASON] = ""
    df[REASON] = df[REASON].fillna("")
    return df
