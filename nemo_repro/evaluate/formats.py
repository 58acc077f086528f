"""llm-foundry's ICL jsonl formats: read, validate, hand to lm-eval.

    multiple_choice    {"query": str, "choices": [str, ...], "gold": int}
    schema             {"context_options": [str, ...], "continuation": str, "gold": int}
    language_modeling  {"context": str, "continuation": str}

Every problem names the file, the line and the field. Strings are stripped, as
llm-foundry does by default (`strip_dataset`): the task's continuation delimiter
supplies the separating whitespace.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nemo_repro.evaluate.suite import FORMATS


class TaskDataError(ValueError):
    """A task file that cannot be evaluated; the message names file and line."""


def _text(row: dict, key: str, where: str) -> str:
    value = row.get(key)
    if not isinstance(value, str):
        raise TaskDataError(f"{where}: field '{key}' must be a string, got {type(value).__name__}")
    return value.strip()


def _texts(row: dict, key: str, where: str) -> list[str]:
    value = row.get(key)
    if not isinstance(value, list) or len(value) < 2 or not all(isinstance(v, str) for v in value):
        raise TaskDataError(f"{where}: field '{key}' must be a list of at least 2 strings, got {value!r:.80}")
    return [v.strip() for v in value]


def _gold(row: dict, n: int, where: str) -> int:
    value = row.get("gold")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < n:
        raise TaskDataError(f"{where}: field 'gold' must be an integer in [0, {n}), got {value!r}")
    return value


def parse_row(row: Any, fmt: str, where: str) -> dict[str, Any]:
    """One validated, stripped example of format `fmt`."""
    if not isinstance(row, dict):
        raise TaskDataError(f"{where}: expected a JSON object, got {type(row).__name__}")
    if fmt == "multiple_choice":
        choices = _texts(row, "choices", where)
        return {"query": _text(row, "query", where), "choices": choices, "gold": _gold(row, len(choices), where)}
    if fmt == "schema":
        options = _texts(row, "context_options", where)
        return {"context_options": options, "continuation": _text(row, "continuation", where), "gold": _gold(row, len(options), where)}
    if fmt == "language_modeling":
        return {"context": _text(row, "context", where), "continuation": _text(row, "continuation", where)}
    raise TaskDataError(f"{where}: unknown task format {fmt!r}; expected one of {FORMATS}")


def read_task_file(path: str | Path, fmt: str) -> list[dict[str, Any]]:
    """All examples of a jsonl task file; blank lines are allowed, an empty file is an error."""
    path = Path(path)
    if fmt not in FORMATS:
        raise TaskDataError(f"{path}: unknown task format {fmt!r}; expected one of {FORMATS}")
    rows = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TaskDataError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
            rows.append(parse_row(row, fmt, where))
    if not rows:
        raise TaskDataError(f"{path}: no examples (empty task file)")
    return rows


def load_task_dataset(data_file: str, format: str, **_metadata: Any):
    """lm-eval `custom_dataset` hook: the validated file as a DatasetDict with one `test` split.

    lm-eval also passes the task's metadata as keyword arguments; they are not needed here.
    """
    import datasets

    return datasets.DatasetDict({"test": datasets.Dataset.from_list(read_task_file(data_file, format))})
