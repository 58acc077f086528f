"""Rewrites: bring-your-own recycled texts (`recycle.backend=precomputed`) joined to the input by `id`.

The rewrites (jsonl or parquet, a glob allowed; fields `id` and the rewrite
text, `recycle.rewrite_field`) replace the rephraser: every later stage scores,
filters, mixes and tokenizes them exactly as generated ones. A live document
without a rewrite is filtered with reason `no rewrite`, so the counts still
reconcile (in = kept + filtered + rejected). The driver loads the files once
before any work (`load_rewrites`), so a bad file fails the run at once naming
file, line and field; each worker then holds the id -> text map in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from nemo_curator.stages.resources import Resources

from curator_stages.base import RowStage
from curator_stages.columns import FILTERED, ID, REASON, RECYCLED, STATUS
from curator_stages.read import JSONL_SUFFIXES, PARQUET_SUFFIXES, iter_json_rows
from nemo_repro.config.fields import ConfigError

NO_REWRITE = "no rewrite"
REWRITE_ID = "id"


class RewritesError(ConfigError):
    """A rewrites file that cannot be used as it is (the message names file, line and field)."""


def rewrite_files(pattern: str) -> list[Path]:
    import glob

    files = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
    if not files:
        raise RewritesError(f"recycle.rewrites={pattern!r} matches no file")
    for f in files:
        if not f.name.endswith(JSONL_SUFFIXES + PARQUET_SUFFIXES):
            raise RewritesError(f"{f}: unsupported rewrites file type; use .jsonl or .parquet")
    return files


def _rows(path: Path):
    """(line or row number, 1-based; the row as a dict) of one file; a bad line fails naming file, line and why."""
    for k, row, reason in iter_json_rows(path):
        if row is None:
            raise RewritesError(f"{path}:{k}: not a usable JSON row ({reason})")
        yield k, row


def load_rewrites(pattern: str, text_field: str = "text") -> dict[str, str]:
    """id -> rewrite text over all files of `pattern`; a missing field, a non-string text or a repeated id fails."""
    rewrites: dict[str, str] = {}
    where: dict[str, str] = {}
    for path in rewrite_files(pattern):
        for k, row in _rows(path):
            place = f"{path}:{k}"
            if row.get(REWRITE_ID) is None:
                raise RewritesError(f"{place}: no `{REWRITE_ID}` field")
            if text_field not in row:
                raise RewritesError(f"{place}: no `{text_field}` field (recycle.rewrite_field)")
            text = row[text_field]
            if text is None:
                text = ""
            if not isinstance(text, str):
                raise RewritesError(f"{place}: field `{text_field}` is a {type(text).__name__}, not a string")
            key = str(row[REWRITE_ID])
            if key in rewrites:
                raise RewritesError(f"{place}: id {key!r} already has a rewrite at {where[key]}")
            rewrites[key], where[key] = text, place
    return rewrites


@dataclass
class AttachRewrites(RowStage):
    """`recycled_text` = the rewrite with the row's id; live rows without one become `filtered` (`no rewrite`)."""

    rewrites: str = ""
    """jsonl/parquet file or glob of rewrites."""
    rewrite_field: str = "text"
    """Field of a rewrite row that holds its text."""
    name: str = "rewrites"
    resources: Resources = field(default_factory=lambda: Resources(cpus=0.5))

    def setup(self, worker_metadata=None) -> None:
        self._rewrites = load_rewrites(self.rewrites, self.rewrite_field)

    def inputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [ID]

    def outputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [RECYCLED, STATUS, REASON]

    def transform(self, df: pd.DataFrame, live: pd.Series) -> pd.DataFrame:
        found = [self._rewrites.get(str(i)) for i in df[ID]]
        df[RECYCLED] = [t if (t is not None and ok) else "" for t, ok in zip(found, live)]
        missing = live & np.array([t is None for t in found], dtype=bool)
        df.loc[missing, STATUS] = FILTERED
        df.loc[missing, REASON] = NO_REWRITE
        return df
