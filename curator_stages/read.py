"""Input: plan shards over jsonl/parquet files, read one shard into a DocumentBatch.

NeMo Curator's JsonlReader parses whole files with pandas, so one malformed
line fails the file and line numbers are lost. Here each jsonl line is decoded
on its own: whatever its bytes (invalid UTF-8, lone surrogate escapes, NUL, a
non-object), a line becomes a document or a `rejected` row naming file, line and
reason, and the run goes on. Lines end at LF, CRLF or a lone CR; a UTF-8 BOM is
ignored; `.gz` and `.zst` files are read through pyarrow's decompressing streams.

A shard is a line range of one file, planned once per run directory
(`shards/plan.json`) so a resumed run cuts the input the same way. Planning
reads every line once: it records each input's size and mtime (a changed input
stops a resumed run), finds duplicate ids (every repeat after the first is
rejected), and fails early on input that holds no document or lacks the text
field everywhere.
"""

from __future__ import annotations

import glob
import hashlib
import io
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator, Optional

import pandas as pd
from nemo_curator.stages.base import ProcessingStage
from nemo_curator.stages.resources import Resources
from nemo_curator.tasks import DocumentBatch, FileGroupTask

from curator_stages.columns import FILE, ID, LINE, OK, REASON, REJECTED, STATUS, TEXT
from nemo_repro.runs import UsageError

JSONL_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz", ".jsonl.zst", ".json.zst")
PARQUET_SUFFIXES = (".parquet",)
COMPRESSION = {".gz": "gzip", ".zst": "zstd"}
BOM = b"\xef\xbb\xbf"
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


@dataclass(frozen=True)
class Shard:
    """Lines `[start, stop)` (0-based) of one input file; `offset` is the byte offset of line `start` (plain jsonl)."""

    shard_id: str
    path: str
    start: int
    stop: int
    offset: int
    label: str = ""
    """The file's name for derived ids (`<label>:<line>`): its path under the inputs' common folder, unique across files."""
    duplicates: list = field(default_factory=list)
    """`[line, where the id was first seen]` for each line of the shard whose id repeats an earlier one."""


def _input_type_error(path: Path) -> UsageError:
    return UsageError(f"{path}: unsupported input type; recycle.input takes {', '.join(JSONL_SUFFIXES + PARQUET_SUFFIXES)} files")


def resolve_inputs(pattern: str) -> list[Path]:
    """The files a path or glob names, sorted; fails naming the pattern when none match or a type is unknown."""
    files = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
    if not files:
        what = "is a folder; give a glob such as" if Path(pattern).is_dir() else "matches no file; give a file or a glob such as"
        raise UsageError(f"recycle.input={pattern!r} {what} 'data/**/*.jsonl'")
    for f in files:
        if not f.name.endswith(JSONL_SUFFIXES + PARQUET_SUFFIXES):
            raise _input_type_error(f)
    return files


def _compression(path: str | Path) -> Optional[str]:
    return COMPRESSION.get(Path(path).suffix)


def open_input(path: str | Path, offset: int = 0) -> BinaryIO:
    """A binary stream of the file's (decompressed) bytes, at `offset` for plain files."""
    codec = _compression(path)
    if codec is None:
        f = open(path, "rb")
        f.seek(offset)
        return f
    import pyarrow as pa

    return io.BufferedReader(pa.input_stream(str(path), compression=codec), 1 << 20)


def iter_lines(f: BinaryIO) -> Iterator[tuple[bytes, int]]:
    """Each line without its terminator (LF, CRLF or a lone CR) and the bytes it took, terminator included."""
    for raw in f:
        body = raw[:-1] if raw.endswith(b"\n") else raw
        if b"\r" not in body:
            yield body, len(raw)
            continue
        parts = body.split(b"\r")
        if body.endswith(b"\r"):  # CRLF, or a lone CR ending the file
            parts.pop()
        used = 0
        for k, part in enumerate(parts):
            size = len(raw) - used if k == len(parts) - 1 else len(part) + 1
            used += size
            yield part, size


def _label(path: Path, root: Optional[str]) -> str:
    name = str(path.resolve().relative_to(root)) if root else path.name
    for suffix in sorted(JSONL_SUFFIXES + PARQUET_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _labels(files: list[Path]) -> list[str]:
    """Names unique across files: paths under the files' common folder, without the type suffix."""
    resolved = [str(f.resolve()) for f in files]
    root = os.path.commonpath([os.path.dirname(r) for r in resolved]) if resolved else None
    return [_label(f, root) for f in files]


def decode_line(raw: bytes, text_field: str, max_bytes: int) -> tuple[Optional[dict[str, Any]], str]:
    """One line's JSON object, or None and why it is no document (`raw` is a line without its terminator)."""
    if raw.startswith(BOM):
        raw = raw[len(BOM) :]
    if len(raw) > max_bytes:
        return None, f"line of {len(raw)} bytes exceeds {max_bytes} bytes"
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"invalid UTF-8 at byte {exc.start}"
    try:
        obj = json.loads(decoded)
    except json.JSONDecodeError as exc:
        return None, f"malformed JSON: {exc.msg} at column {exc.colno}"
    if not isinstance(obj, dict):
        return None, f"not a JSON object but {type(obj).__name__}"
    if _SURROGATE_ESCAPE.search(raw):  # only a lone surrogate makes text that cannot be written as UTF-8
        try:
            json.dumps(obj, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            return None, f"lone UTF-16 surrogate {exc.object[exc.start]!r} in a string: not writable as UTF-8"
    return obj, ""


def iter_json_rows(path: Path) -> Iterator[tuple[int, Optional[dict[str, Any]], str]]:
    """(1-based line or row number, the row or None, why it is no row) of any input file Read accepts: one
    reading rule (compression, BOM, line ends, bad bytes) for every side reader (calibration, rewrites)."""
    if path.name.endswith(PARQUET_SUFFIXES):
        import pyarrow.parquet as pq

        for k, row in enumerate(pq.read_table(path).to_pylist(), start=1):
            yield k, row, ""
        return
    with open_input(path) as f:
        for k, (raw, _) in enumerate(iter_lines(f), start=1):
            if raw.strip():
                obj, reason = decode_line(raw, "", 1 << 62)
                yield k, obj, reason


@dataclass
class _Survey:
    """What planning learns from reading every input row once."""

    rows: int = 0
    """Non-blank lines and parquet rows."""
    objects: int = 0
    """Rows that are JSON objects."""
    with_text: int = 0
    """Objects whose text field holds a string."""
    fields: dict[str, int] = field(default_factory=dict)


def _scan_jsonl(path: Path, shard_docs: int, text_field: str, id_field: str, survey: _Survey) -> tuple[list[tuple[int, int, int]], list[tuple[int, Any]]]:
    """Shard bounds `(start, stop, offset)` and `(line, id)` of each row that holds a document."""
    starts: list[tuple[int, int]] = []  # (line, byte offset)
    docs: list[tuple[int, Any]] = []
    line = offset = 0
    first = True
    with open_input(path) as f:
        for raw, size in iter_lines(f):
            if line % shard_docs == 0:
                starts.append((line, offset))
            line += 1
            offset += size
            if not raw.strip():
                continue
            survey.rows += 1
            obj, _ = decode_line(raw, text_field, 1 << 62)
            if first and obj is None and raw.removeprefix(BOM).strip().startswith(b"["):
                raise UsageError(
                    f"{path}: holds a JSON array spread over lines, not JSON Lines (one object per line); "
                    f"convert it, e.g. `jq -c '.[]' {path} > {path.with_suffix('.jsonl')}`"
                )
            first = False
            if obj is None:
                continue
            survey.objects += 1
            for key in obj:
                survey.fields[key] = survey.fields.get(key, 0) + 1
            if isinstance(obj.get(text_field), str):
                survey.with_text += 1
                docs.append((line, obj.get(id_field)))
    return [(s, min(s + shard_docs, line), off) for s, off in starts], docs


def _scan_parquet(path: Path, shard_docs: int, text_field: str, id_field: str, survey: _Survey) -> tuple[list[tuple[int, int, int]], list[tuple[int, Any]]]:
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path)
    rows, names = meta.metadata.num_rows, meta.schema_arrow.names
    survey.rows += rows
    survey.objects += rows
    for name in names:
        survey.fields[name] = survey.fields.get(name, 0) + rows
    docs: list[tuple[int, Any]] = []
    if text_field in names:
        texts = pq.read_table(path, columns=[text_field]).column(text_field).to_pylist()
        ids = pq.read_table(path, columns=[id_field]).column(id_field).to_pylist() if id_field in names else [None] * rows
        docs = [(k + 1, doc_id) for k, (doc_id, text) in enumerate(zip(ids, texts)) if isinstance(text, str)]
        survey.with_text += len(docs)
    return [(s, min(s + shard_docs, rows), 0) for s in range(0, rows, shard_docs)], docs


def plan_shards(files: list[Path], shard_docs: int, text_field: str = "text", id_field: str = "id", dedup: bool = True) -> list[Shard]:
    """Cut each file into shards of `shard_docs` lines (parquet: rows); ids are stable for a given file path.

    With `dedup`, a row whose id was seen before (in any file) is listed in its shard's `duplicates`.
    Fails (UsageError) when the input holds no document or no row has `text_field`."""
    shards: list[Shard] = []
    survey = _Survey()
    seen: dict[bytes, str] = {}  # 8-byte digest of an id -> where it was first seen
    for path, label in zip(files, _labels(files)):
        tag = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
        scan = _scan_parquet if path.name.endswith(PARQUET_SUFFIXES) else _scan_jsonl
        bounds, docs = scan(path, shard_docs, text_field, id_field, survey)
        duplicates: dict[int, str] = {}
        for line, doc_id in docs if dedup else ():
            if doc_id is None:
                continue  # derived ids are unique by construction
            key = hashlib.blake2b(str(doc_id).encode("utf-8", "surrogatepass"), digest_size=8).digest()
            if key in seen:
                duplicates[line] = seen[key]
            else:
                seen[key] = f"{label}:{line}"
        for start, stop, offset in bounds:
            dups = [[line, first] for line, first in duplicates.items() if start < line <= stop]
            shards.append(Shard(f"{path.stem}-{tag}-{start:09d}", str(path.resolve()), start, stop, offset, label, dups))
    names = ", ".join(str(f) for f in files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
    if survey.rows == 0:
        raise UsageError(f"recycle.input: {names} holds no document (empty or blank); point recycle.input at the data")
    if survey.objects and survey.with_text == 0:
        common = sorted(survey.fields, key=survey.fields.get, reverse=True)[:8]
        raise UsageError(
            f"recycle.text_field={text_field!r}: no row of {names} has a string under this field "
            f"(fields seen: {', '.join(common)}); set recycle.text_field to the field that holds the text"
        )
    return shards


def _stat(path: Path) -> dict[str, Any]:
    st = path.stat()
    return {"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def load_or_write_plan(plan_path: Path, files: list[Path], shard_docs: int, text_field: str = "text", id_field: str = "id", dedup: bool = True) -> list[Shard]:
    """The run directory's shard plan; written on the first run, reused (and checked) on resume.

    A resumed run fails (UsageError) when the input files, `shard_docs` or any input's size or mtime changed:
    the planned line ranges would then lose or duplicate documents."""
    if plan_path.exists():
        plan = json.loads(plan_path.read_text(encoding="utf-8"))
        wanted = sorted(str(f.resolve()) for f in files)
        if plan["files"] != wanted or plan["shard_docs"] != shard_docs:
            raise UsageError(
                f"{plan_path}: this run directory was started with other input files or shard_docs; "
                "use a new run.dir or run.resume=false (resuming with different input would duplicate or lose documents)"
            )
        for before in plan.get("inputs", []):
            now = _stat(Path(before["path"])) if Path(before["path"]).exists() else {"size": None, "mtime_ns": None}
            if (now["size"], now["mtime_ns"]) != (before["size"], before["mtime_ns"]):
                raise UsageError(
                    f"{before['path']} changed since this run planned its shards (size {before['size']} -> {now['size']}, "
                    "modification time differs); restore the file, or start over with run.resume=false or a new run.dir"
                )
        return [Shard(**s) for s in plan["shards"]]
    shards = plan_shards(files, shard_docs, text_field, id_field, dedup)
    plan_path.parent.mkdir(parents=True, exist_ok=True)
    plan = {"files": sorted(str(f.resolve()) for f in files), "shard_docs": shard_docs, "inputs": [_stat(f) for f in files], "shards": [asdict(s) for s in shards]}
    tmp = plan_path.with_name(f".{plan_path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(plan, indent=1), encoding="utf-8")
    tmp.replace(plan_path)
    return shards


def shard_task(shard: Shard) -> FileGroupTask:
    """The Curator task that carries one shard to the reader stage."""
    return FileGroupTask(dataset_name="recycle", data=[shard.path], reader_config=asdict(shard), _metadata={"source_files": [shard.shard_id], "shard_id": shard.shard_id})


def _row(doc_id: str, text: str, path: str, line: int, status: str = OK, reason: str = "") -> dict[str, Any]:
    return {ID: doc_id, TEXT: text, FILE: path, LINE: line, STATUS: status, REASON: reason}


def parse_jsonl_line(
    raw: bytes, path: str, line: int, text_field: str, id_field: str, max_bytes: int, keep_fields: bool = False, label: str = "", duplicate_of: str = ""
) -> dict[str, Any]:
    """One input line as a row: `ok` with its text, or `rejected` with the reason (line is 1-based).

    Without an id the row's id is `<label>:<line>`. `duplicate_of` (where its id was first seen) rejects it.
    With `keep_fields` the row keeps every field of the object (a previous stage's columns, for one-stage runs)."""
    fallback_id = f"{label or Path(path).stem}:{line}"
    obj, reason = decode_line(raw, text_field, max_bytes)
    if obj is None:
        return _row(fallback_id, "", path, line, REJECTED, reason)
    doc_id = obj.get(id_field)
    doc_id = fallback_id if doc_id is None else str(doc_id)
    if text_field not in obj:
        return _row(doc_id, "", path, line, REJECTED, f"missing field {text_field!r}")
    text = obj[text_field]
    if not isinstance(text, str):
        return _row(doc_id, "", path, line, REJECTED, f"field {text_field!r} is {type(text).__name__}, not a string")
    if duplicate_of:
        return _row(doc_id, "", path, line, REJECTED, f"duplicate id {doc_id!r} (first at {duplicate_of})")
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
        duplicates = {line: first for line, first in shard.duplicates}
        compressed = _compression(shard.path) is not None
        rows = []
        with open_input(shard.path, 0 if compressed else shard.offset) as f:
            lines = iter_lines(f)
            if compressed:  # no seeking in a compressed stream: skip the lines before the shard
                for _ in zip(range(shard.start), lines):
                    pass
            for line, (raw, _) in zip(range(shard.start, shard.stop), lines):
                if raw.strip():  # blank lines hold no document
                    rows.append(
                        parse_jsonl_line(raw, shard.path, line + 1, self.text_field, self.id_field, max_bytes, self.keep_fields, shard.label, duplicates.get(line + 1, ""))
                    )
        return rows

    def _read_parquet(self, shard: Shard) -> list[dict[str, Any]]:
        import pyarrow.parquet as pq

        table = pq.read_table(shard.path).slice(shard.start, shard.stop - shard.start)
        names = table.column_names
        texts = table.column(self.text_field).to_pylist() if self.text_field in names else [None] * table.num_rows
        ids = table.column(self.id_field).to_pylist() if self.id_field in names else [None] * table.num_rows
        duplicates = {line: first for line, first in shard.duplicates}
        rows = []
        for k, (doc_id, text) in enumerate(zip(ids, texts)):
            row_no = shard.start + k + 1
            doc_id = f"{shard.label or Path(shard.path).stem}:{row_no}" if doc_id is None else str(doc_id)
            if self.text_field not in names:
                rows.append(_row(doc_id, "", shard.path, row_no, REJECTED, f"missing field {self.text_field!r}"))
            elif not isinstance(text, str):
                rows.append(_row(doc_id, "", shard.path, row_no, REJECTED, f"field {self.text_field!r} is {type(text).__name__}, not a string"))
            elif row_no in duplicates:
                rows.append(_row(doc_id, "", shard.path, row_no, REJECTED, f"duplicate id {doc_id!r} (first at {duplicates[row_no]})"))
            else:
                rows.append(_row(doc_id, text, shard.path, row_no))
        return rows
