"""Commit: the last stage of a shard. Writes its outputs under temporary names, renames them, then writes
the shard's marker; a shard without a marker is redone on resume and overwrites its own files.

Pipeline runs (`CommitShard`): `recycled/`, `filtered/` and `rejects/<shard>.jsonl`
plus `shards/<shard>.json` (counts, token counts, failure reasons, signals for the
report). One-stage runs (`WriteShard`): the stage's whole output as `<shard>.jsonl`.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from nemo_curator.stages.base import ProcessingStage
from nemo_curator.stages.resources import Resources
from nemo_curator.stages.text.io.writer.jsonl import JsonlWriter
from nemo_curator.tasks import DocumentBatch, FileGroupTask

from curator_stages.columns import FILE, FILTERED, ID, LINE, OK, REASON, RECYCLED, REJECTED, STATUS, TEXT, ensure_status
from curator_stages.mix import TO_ORGANIC
from curator_stages.quality import QUALITY_AFTER, QUALITY_BEFORE
from curator_stages.rephrase import HAS_MARKER
from curator_stages.score import CONTENT_COVERAGE, LENGTH_RATIO, SEMANTIC_F1, STRUCTURE
from nemo_repro.runs import write_atomic

SIGNALS = (HAS_MARKER, SEMANTIC_F1, STRUCTURE, LENGTH_RATIO, CONTENT_COVERAGE, QUALITY_BEFORE, QUALITY_AFTER, TO_ORGANIC)
OUTPUTS = {"recycled": OK, "filtered": FILTERED, "rejects": REJECTED}
"""output folder -> status of the rows it holds."""


def marker_path(markers_dir: str | Path, shard_id: str) -> Path:
    return Path(markers_dir) / f"{shard_id}.json"


def reason_kinds(reasons: pd.Series) -> Counter:
    """Count failure kinds: each `; `-separated part of a reason up to its first colon or standalone number."""
    kinds: Counter = Counter()
    for reason in reasons:
        for part in str(reason).split("; "):
            kinds[re.split(r":|\s[-+]?\d", part, maxsplit=1)[0].strip()] += 1
    return kinds


def write_jsonl_atomic(writer: JsonlWriter, df: pd.DataFrame, path: Path) -> None:
    """Write rows with NeMo Curator's JsonlWriter to a temporary name, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    if len(df):
        writer.write_data(DocumentBatch(dataset_name="recycle", data=df.reset_index(drop=True)), str(tmp))
    else:
        tmp.write_bytes(b"")
    tmp.replace(path)


def _output_rows(df: pd.DataFrame, folder: str) -> pd.DataFrame:
    rows = df[df[STATUS] == OUTPUTS[folder]]
    out = pd.DataFrame({ID: rows[ID]})
    if folder != "rejects" and RECYCLED in rows:
        out[TEXT] = rows[RECYCLED]
    if folder != "recycled":
        out[REASON] = rows[REASON]
    out[FILE], out[LINE] = rows[FILE], rows[LINE]
    if folder != "rejects":
        out["original_chars"] = rows[TEXT].str.len()
        for column in SIGNALS:
            if column in rows:
                out[column] = rows[column]
    return out


def _values(df: pd.DataFrame, column: str) -> list[float]:
    return [round(float(v), 5) for v in df[column].dropna()] if column in df else []


@dataclass
class CommitShard(ProcessingStage[DocumentBatch, FileGroupTask]):
    """Write `recycled/`, `filtered/`, `rejects/` rows of the shard and then its marker in `markers_dir`."""

    run_dir: str = ""
    markers_dir: str = ""
    name: str = "commit"
    resources: Resources = field(default_factory=lambda: Resources(cpus=0.5))

    def setup(self, worker_metadata=None) -> None:
        self._writer = JsonlWriter(path=self.run_dir)

    def inputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [ID, TEXT, FILE, LINE, STATUS, REASON]

    def outputs(self) -> tuple[list[str], list[str]]:
        return ["data"], []

    def process(self, batch: DocumentBatch) -> FileGroupTask:
        df = batch.to_pandas()
        shard_id = batch._metadata["shard_id"]
        for folder in OUTPUTS:
            write_jsonl_atomic(self._writer, _output_rows(df, folder), Path(self.run_dir) / folder / f"{shard_id}.jsonl")
        live = df[df[STATUS] == OK]
        marker = {
            "shard_id": shard_id,
            "counts": {"input": int(len(df)), **{folder: int((df[STATUS] == status).sum()) for folder, status in OUTPUTS.items()}},
            "reasons": {status: dict(reason_kinds(df.loc[df[STATUS] == status, REASON])) for status in (FILTERED, REJECTED)},
            "megatron": batch._metadata.get("megatron", {}),
            "signals": {
                "original_chars": [int(n) for n in df.loc[df[STATUS] != REJECTED, TEXT].str.len()],
                "recycled_chars": [int(n) for n in live[RECYCLED].str.len()] if RECYCLED in live else [],
                SEMANTIC_F1: _values(df, SEMANTIC_F1),
                QUALITY_BEFORE: _values(df, QUALITY_BEFORE),
                QUALITY_AFTER: _values(df, QUALITY_AFTER),
            },
        }
        marker["counts"]["rejected"] = marker["counts"].pop("rejects")
        path = marker_path(self.markers_dir, shard_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(marker))
        return FileGroupTask(dataset_name=batch.dataset_name, data=[str(path)], _metadata={"shard_id": shard_id}, _stage_perf=batch._stage_perf)


@dataclass
class WriteShard(ProcessingStage[DocumentBatch, FileGroupTask]):
    """One-stage runs: write the whole batch to `<out_dir>/<shard>.jsonl`, then the marker `<out_dir>/<shard>.json`."""

    out_dir: str = ""
    name: str = "write_shard"
    resources: Resources = field(default_factory=lambda: Resources(cpus=0.5))

    def setup(self, worker_metadata=None) -> None:
        self._writer = JsonlWriter(path=self.out_dir)

    def process(self, batch: DocumentBatch) -> FileGroupTask:
        df = ensure_status(batch.to_pandas())
        shard_id = batch._metadata["shard_id"]
        write_jsonl_atomic(self._writer, df, Path(self.out_dir) / f"{shard_id}.jsonl")
        marker = {"shard_id": shard_id, "counts": {"rows": int(len(df)), **{s: int((df[STATUS] == s).sum()) for s in (OK, FILTERED, REJECTED)}}, "megatron": batch._metadata.get("megatron", {})}
        path = marker_path(self.out_dir, shard_id)
        write_atomic(path, json.dumps(marker))
        return FileGroupTask(dataset_name=batch.dataset_name, data=[str(path)], _metadata={"shard_id": shard_id}, _stage_perf=batch._stage_perf)
