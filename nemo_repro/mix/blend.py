"""The blend file: which Megatron indexed datasets to mix, with what weights.

`blend.json` is a JSON list of `[weight, prefix]` pairs, where `prefix` names a
`<prefix>.bin` / `<prefix>.idx` pair, absolute or relative to the blend file's
folder. The same pairs flattened (`w1 p1 w2 p2`) are Megatron's `--data-path`,
and `to_megatron_blend` gives the `(prefixes, weights)` that
`GPTDatasetConfig(blend=...)` takes.

The recycle stage writes the pairs inside an object that also records the tokenizer
the ids were made with: `{"tokenizer": {"name", "vocab_size", "vocab_sha256"},
"datasets": [[weight, prefix], ...]}`; pretraining refuses a blend made with another
vocabulary (`nemo_repro.pretrain.data.check_blend_tokenizer`). A bare list (no record) is read too.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from nemo_repro.runs import write_atomic


@dataclass(frozen=True)
class BlendEntry:
    weight: float
    """Relative sampling weight (normalised by Megatron)."""

    prefix: str
    """Absolute path of the dataset without `.bin`/`.idx`."""


def tokenizer_record(name: str | Path, tokenizer: Any) -> dict[str, Any]:
    """What identifies a tokenizer's ids: its name (folder), vocabulary size and a hash of its vocabulary
    (`tokenizer` is any object with HF's `get_vocab()`)."""
    vocab = sorted(tokenizer.get_vocab().items())
    digest = hashlib.sha256(json.dumps(vocab, ensure_ascii=False).encode("utf-8")).hexdigest()
    return {"name": str(name), "vocab_size": len(vocab), "vocab_sha256": digest}


def write_blend(path: str | Path, entries: list[tuple[float, str | Path]], tokenizer: Optional[dict[str, Any]] = None) -> Path:
    """Write the `[weight, prefix]` pairs (prefixes relative to the blend file's folder when inside it), with
    the `tokenizer_record` of the ids when given."""
    path = Path(path)
    rows = []
    for weight, prefix in entries:
        prefix = Path(prefix)
        try:
            prefix = prefix.resolve().relative_to(path.parent.resolve())
        except ValueError:
            prefix = prefix.resolve()
        rows.append([float(weight), str(prefix)])
    body: Any = {"tokenizer": tokenizer, "datasets": rows} if tokenizer else rows
    write_atomic(path, json.dumps(body, indent=1) + "\n")
    return path


def read_blend_tokenizer(path: str | Path) -> Optional[dict[str, Any]]:
    """The tokenizer record of a blend file, or None when it has none."""
    body = json.loads(Path(path).read_text(encoding="utf-8"))
    return body.get("tokenizer") if isinstance(body, dict) else None


def read_blend(path: str | Path, check_files: bool = True) -> list[BlendEntry]:
    """Read a blend file; relative prefixes resolve against its folder.

    Raises ValueError naming the file and the entry for a malformed row, a
    non-positive weight or (with `check_files`) a missing `.bin`/`.idx`.
    """
    path = Path(path)
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    if isinstance(rows, dict):
        rows = rows.get("datasets")
    if not isinstance(rows, list) or not rows:
        raise ValueError(f"{path}: expected a non-empty JSON list of [weight, prefix] pairs")
    entries = []
    for i, row in enumerate(rows):
        if not (isinstance(row, list) and len(row) == 2 and isinstance(row[0], (int, float)) and isinstance(row[1], str)):
            raise ValueError(f"{path}: entry {i} must be [weight, prefix], got {row!r}")
        if row[0] <= 0:
            raise ValueError(f"{path}: entry {i} has weight {row[0]}; weights must be > 0")
        prefix = Path(row[1])
        if not prefix.is_absolute():
            prefix = path.parent / prefix
        if check_files:
            for suffix in (".bin", ".idx"):
                if not prefix.with_name(prefix.name + suffix).exists():
                    raise ValueError(f"{path}: entry {i}: missing data file {prefix}{suffix}")
        entries.append(BlendEntry(float(row[0]), str(prefix)))
    return entries


def to_megatron_blend(entries: list[BlendEntry]) -> tuple[list[str], list[float]]:
    """`(prefixes, weights)` as `GPTDatasetConfig(blend=...)` expects."""
    return [e.prefix for e in entries], [e.weight for e in entries]


def to_data_path(entries: list[BlendEntry]) -> list[str]:
    """Megatron-LM's `--data-path` form: `w1 p1 w2 p2 ...`."""
    out: list[str] = []
    for e in entries:
        out += [repr(e.weight), e.prefix]
    return out
