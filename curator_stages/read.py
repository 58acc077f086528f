"""Input: plan shards over jsonl/parquet files, read one shard into a DocumentBatch.

NeMo Curator's JsonlReader parses whole files with pandas, so one malformed
line fails the file and line numbers are lost. Here each jsonl line is decoded
on its own: bad lines become `rejected` rows naming file, line and reason, and
the run goes on. A shard is a line range of one file, planned once per run
directory (`shards/plan.json`) so a resumed run cuts the input the same way.
"""

from __future__ import annotations

import glob
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from nemo_curator.stages.base import ProcessingStage
from nemo_curator.stages.resources import Resources
from nemo_curator.tasks import DocumentBatch, FileGroupTask

from curator_stages.columns import FILE, ID, LINE, OK, REASON, REJECTED, STATUS, TEXT

JSONL_SUFFIXES = (".jsonl", ".json")
PARQUET_SUFFIXES = (".parquet",)


@dataclass(frozen=True)
class Shard:
    """Lines `[start, stop)` (0-based) of one input file; `offset` is the byte offset of line `start` (jsonl)."""

    shard_id: str
    path: str
    start: int
    stop: int
    offset: int


def resolve_inputs(pattern: str) -> list[Path]:
    """The files a path or glob names, sorted; fails naming the pattern when none match or a type is unknown."""
    files = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
    if not files:
        raise FileNotFoundError(f"recycle.input={pattern!r} matches no file")
    for f in files:
        if not f.name.endswith(JSONL_SUFFIXES + PARQUET_SUFFIXES):
            raise ValueError(f"{f}: unsupported input type; use .jsonl or .parquet")
    return files


def plan_shards(files: list[Path], shard_docs: int) -> list[Shard]:
    """Cut each file into shards of `shard_docs` lines (parquet: rows); ids are stable for a given file path."""
    shards = []
    for path in files:
        tag = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
        bounds = _parquet_bounds(path, shard_docs) if path.suffix == ".parquet" else _jsonl_bounds(path, shard_docs)
        for start, stop, offset in bounds:
            shards.append(Shard(f"{path.stem}-{tag}-{start:09d}", str(path.resolve()), start, stop, offset))
    return shards


def _jsonl_bounds(path: Path, shard_docs: int) -> list[tuple[int, int, int]]:
    starts: list[tuple[int, int]] = []  # (line, byte offset)
    line = offset = 0
    with path.open("rb") as f:
        for raw in f:
            if line % shard_docs == 0:
                starts.append((line, offset))
            line += 1
            offset += len(raw)
    return [(s, min(s + shard_docs, line), off) for s, off in starts]


def _parquet_bounds(path: Path, shard_docs: int) -> list[tuple[int, int, int]]:
    import pyarrow.parquet as pq

    rows = pq.ParquetFile(path).metadata.num_rows
    return [(s, min(s + shard_docs, rows), 0) for s in range(0, rows, shard_docs)]


def load_or_write_plan(plan_path: Path, files: list[Path], shard_docs: int) -> list[Shard]:
    """The run directory's shard plan; written on the first run, reused (and checked) on resume."""
    if plan_path.exists():
        plan = json.loads(plan_path.read_text(encoding="utf-8"))
        wanted = sorted(str(f.resolve()) for f in files)
        if plan["files"] != wanted or plan["shard_docs"] != shard_docs:
            raise ValueError(
                f"{plan_path}: this run directory was started with other input files or shard_docs; "
                "use a new run.dir (resuming with different input would duplicate or lose documents)"
            )
        return [Shard(**s) for s in plan["shards"]]
    shards = plan_shards(files, shard_docs)
    plan_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = plan_path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"files": sorted(str(f.resolve()) for f in files), "shard_docs": shard_docs, "shards": [asdict(s) for s in shards]}, indent=1), encoding="utf-8")
    tmp.replace(plan_path)
    return shards


def shard_task(shard: Shard) -> FileGroupTask:
    """The Curator task that carries one shard to the reader stage."""
    return FileGroupTask(dataset_name="recycle", data=[shard.path], reader_config=asdict(shard), _metadata={"source_files": [shard.shard_id], "shard_id": shard.shard_id})


def _row(doc_id: str, text: str, path: str, line: int, status: str = OK, reason: str = "") -> dict[str, Any]:
    return {ID: doc_id, TEXT: text, FILE: path, LINE: line, STATUS: status, REASON: reason}


def parse_jsonl_line(raw: bytes, path: str, line: int, text_field: str, id_field: str, max_bytes: int, keep_fields: bool = False) -> dict[str, Any]:
    """One input line as a row: `ok` with its text, or `rejected` with the reason (line is 1-based).

    With `keep_fields` the row keeps every field of the object (a previous stage's columns, for one-stage runs)."""
    fallback_id = f"{Path(path).stem}:{line}"
    if len(raw) > max_bytes:
        return _row(fallback_id, "", path, line, REJECTED, f"line of {len(raw)} bytes exceeds {max_bytes} bytes")
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _row(fallback_id, "", path, line, REJECTED, f"invalid UTF-8 at byte {exc.start}")
    try:
        obj = json.loads(decoded)
    except json.JSONDecodeError as exc:
        return _row(fallback_id, "", path, line, REJECTED, f"malformed JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(obj, dict):
        return _row(fallback_id, "", path, line, REJECTED, f"not a JSON object but {type(obj).__name__}")
    doc_id = obj.get(id_field)
    doc_id = fallback_id if doc_id is None else str(doc_id)
    if text_field not in obj:
        return _row(doc_id, "", path, line, REJECTED, f"missing field {text_field!r}")
    text = obj[text_field]
    if not isinstance(text, str):
        return _row(doc_id, "", path, line, REJECTED, f"field {text_field!r} is {type(text).__name__}, not a string")
    row = _row(doc_id, text, path, line)
    if keep_fields:
        row = {**row, **{k: v for k, v in obj.items() if k not in (text_field, id_field)}}
    return row


@dataclass
class ReadShard(ProcessingStage[FileGroupTask, DocumentBatch]):
    """Read one shard (a line range of a jsonl or parquet file) into a batch; bad rows become `rejected` rows."""

    text_field: str = "text"
    id_field: str = "id"
    max_doc_chars: int = 1_000_000
    keep_fields: bool = False
    """Keep every input field (one-stage runs read a previous stage's output); else only id and text."""
    name: str = "read_shard"
    resources: Resources = field(default_factory=lambda: Resources(cpus=0.5))

    def inputs(self) -> tuple[list[str], list[str]]:
        return ["data", "reader_config"], []

    def outputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [ID, TEXT, FILE, LINE, STATUS, REASON]

    def process(self, task: FileGroupTask) -> DocumentBatch:
        shard = Shard(**task.reader_config)
        rows = self._read_parquet(shard) if shard.path.endswith(PARQUET_SUFFIXES) else self._read_jsonl(shard)
        df = pd.DataFrame(rows, columns=None if self.keep_fields and rows else [ID, TEXT, FILE, LINE, STATUS, REASON])
        return DocumentBatch(dataset_name=task.dataset_name, data=df, _metadata=task._metadata, _stage_perf=task._stage_perf)

    def _read_jsonl(self, shard: Shard) -> list[dict[str, Any]]:
        # UTF-8 needs at most 4 bytes a character; JSON escapes can need 6 (\uXXXX): bound generously.
        max_bytes = 6 * self.max_doc_chars + 4096
        rows = []
        with open(shard.path, "rb") as f:
            f.seek(shard.offset)
            for line in range(shard.start, shard.stop):
                raw = f.readline().rstrip(b"\r\n")
                if raw.strip():  # blank lines hold no document
                    rows.append(parse_jsonl_line(raw, shard.path, line + 1, self.text_field, self.id_field, max_bytes, self.keep_fields))
        return rows

    def _read_parquet(self, shard: Shard) -> list[dict[str, Any]]:
        import pyarrow.parquet as pq

        table = pq.read_table(shard.path).slice(shard.start, shard.stop - shard.start)
        names = table.column_names
        texts = table.column(self.text_field).to_pylist() if self.text_field in names else [None] * table.num_rows
        ids = table.column(self.id_field).to_pylist() if self.id_field in names else [None] * table.num_rows
        rows = []
        for k, (doc_id, text) in enumerate(zip(ids, texts)):
            row_no = shard.start + k + 1
            doc_id = f"{Path(shard.path).stem}:{row_no}" if doc_id is None else str(doc_id)
            if self.text_field not in names:
                rows.append(_row(doc_id, "", shard.path, row_no, REJECTED, f"missing field {self.text_field!r}"))
            elif not isinstance(text, str):
                rows.append(_row(doc_id, "", shard.path, row_no, REJECTED, f"field {self.text_field!r} is {type(text).__name__}, not a string"))
            else:
                rows.append(_row(doc_id, text, shard.path, row_no))
        return rows
