"""The blend file: which Megatron indexed datasets to mix, with what weights.

`blend.json` is a JSON list of `[weight, prefix]` pairs, where `prefix` names a
`<prefix>.bin` / `<prefix>.idx` pair, absolute or relative to the blend file's
folder. The same pairs flattened (`w1 p1 w2 p2`) are Megatron's `--data-path`,
and `to_megatron_blend` gives the `(prefixes, weights)` that
`GPTDatasetConfig(blend=...)` takes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from nemo_repro.runs import write_atomic


@dataclass(frozen=True)
class BlendEntry:
    weight: float
    """Relative sampling weight (normalised by Megatron)."""

    prefix: str
    """Absolute path of the dataset without `.bin`/`.idx`."""


def write_blend(path: str | Path, entries: list[tuple[float, str | Path]]) -> Path:
    """Write `[[weight, prefix], ...]` with prefixes relative to the blend file's folder when inside it."""
    path = Path(path)
    rows = []
    for weight, prefix in entries:
        prefix = Path(prefix)
        try:
            prefix = prefix.resolve().relative_to(path.parent.resolve())
        except ValueError:
            prefix = prefix.resolve()
        rows.append([float(weight), str(prefix)])
    write_atomic(path, json.dumps(rows, indent=1) + "\n")
    return path


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
