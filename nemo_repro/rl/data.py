"""RL prompts: documents from jsonl, cut to the length cap, wrapped in the RePro prompt.

Bad rows never stop a run: each is counted by reason and written to a rejects
file (line and reason); documents over the cap are cut and counted. The
document text the policy sees is exactly the `document` column the rewards
compare against.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from nemo_repro.config.fields import ConfigError
from nemo_repro.prompts import repro_messages

log = logging.getLogger(__name__)

REJECT_REASONS = ("bad_json", "not_an_object", "missing_field", "not_a_string", "empty")


@dataclass
class PromptDocument:
    """One usable document."""

    text: str
    """The document cut to `max_doc_chars`."""

    target: Optional[str] = None
    """The SFT warm-start target (e.g. the sample corpus' `clean_text`), when the row has one."""

    source: str = ""
    """`file:line` it came from."""


@dataclass
class LoadedDocuments:
    """Documents plus the accounting of what was read."""

    documents: list[PromptDocument]
    """Usable documents, in file order."""

    counts: Counter = field(default_factory=Counter)
    """`read`, `used`, `cut` (over the cap) and one count per reject reason."""

    rejects: list[dict] = field(default_factory=list)
    """`{"source": "file:line", "reason": ...}` per rejected row."""

    def summary(self) -> str:
        parts = [f"{k}={v}" for k, v in sorted(self.counts.items())]
        return ", ".join(parts)


class _BadJson:
    """Marker for a line that is not valid JSON."""


def classify_row(row: object, text_field: str) -> tuple[Optional[str], Optional[str]]:
    """(text, None) for a usable row, else (None, reject reason)."""
    if not isinstance(row, dict):
        return None, "not_an_object"
    if text_field not in row:
        return None, "missing_field"
    text = row[text_field]
    if not isinstance(text, str):
        return None, "not_a_string"
    if not text.strip():
        return None, "empty"
    return text, None


def collect_documents(
    rows: Iterable[tuple[str, object]], text_field: str, max_chars: int, target_field: Optional[str] = None, max_docs: Optional[int] = None
) -> LoadedDocuments:
    """Validate `(source, row)` pairs; rows that failed JSON decoding arrive as `_BadJson`."""
    out = LoadedDocuments(documents=[])
    for source, row in rows:
        if max_docs is not None and len(out.documents) >= max_docs:
            break
        out.counts["read"] += 1
        if isinstance(row, _BadJson):
            text, reason = None, "bad_json"
        else:
            text, reason = classify_row(row, text_field)
        if reason is not None:
            out.counts[reason] += 1
            out.rejects.append({"source": source, "reason": reason})
            continue
        assert text is not None
        if len(text) > max_chars:
            out.counts["cut"] += 1
            text = text[:max_chars]
        target = row.get(target_field) if target_field else None  # type: ignore[union-attr]
        out.documents.append(PromptDocument(text=text, target=target if isinstance(target, str) and target.strip() else None, source=source))
        out.counts["used"] += 1
    return out


def _jsonl_rows(path: Path) -> Iterable[tuple[str, object]]:
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                row = _BadJson()
            yield f"{path}:{lineno}", row


def load_documents(
    path: Optional[str | Path], text_field: str, max_chars: int, target_field: Optional[str] = None, max_docs: Optional[int] = None, seed: int = 0
) -> LoadedDocuments:
    """Documents from a jsonl file, or from the embedded sample corpus when `path` is None (200 docs unless `max_docs`)."""
    if path is None:
        from nemo_repro.data.sample_corpus import generate_corpus

        rows: Iterable[tuple[str, object]] = ((f"sample:{i}", d) for i, d in enumerate(generate_corpus(max_docs or 200, seed=seed)))
    else:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"rl.data={str(path)!r} is not a file")
        rows = _jsonl_rows(path)
    loaded = collect_documents(rows, text_field, max_chars, target_field, max_docs)
    if not loaded.documents:
        raise ConfigError(f"rl.data={str(path)!r}: no usable document with a non-empty string field {text_field!r} ({loaded.summary()})")
    log.info("RL documents: %s", loaded.summary())
    return loaded


def prompt_tokens(tokenizer, document: str, max_chars: int) -> int:
    """Tokens of the chat prompt for `document` (generation prompt included)."""
    text = tokenizer.apply_chat_template(repro_messages(document, max_chars), tokenize=False, add_generation_prompt=True)
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def fit_document(tokenizer, document: str, max_chars: int, max_prompt_tokens: int) -> str:
    """Shorten `document` from its end until its prompt fits `max_prompt_tokens`.

    Raises ConfigError when even an empty document does not fit (the template alone is too long).
    """
    document = document[:max_chars]
    n = prompt_tokens(tokenizer, document, max_chars)
    if n <= max_prompt_tokens:
        return document
    overhead = prompt_tokens(tokenizer, "", max_chars)
    if overhead >= max_prompt_tokens:
        raise ConfigError(f"rl.max_prompt_length={max_prompt_tokens} is too small: the RePro prompt alone takes {overhead} tokens")
    while n > max_prompt_tokens and document:
        # Scale the characters by the token budget left, with a margin so it converges in a few rounds.
        keep = int(len(document) * (max_prompt_tokens - overhead) / max(n - overhead, 1) * 0.95)
        document = document[: max(0, min(keep, len(document) - 1))]
        n = prompt_tokens(tokenizer, document, max_chars)
    return document


def build_prompt_dataset(documents: list[PromptDocument], tokenizer, max_chars: int, max_prompt_tokens: int):
    """HF Dataset with `prompt` (chat messages), `document` (the text the prompt holds), `target`
    (SFT target or "") and `prompt_index`; documents that shrink to nothing are skipped (counted as shortened).

    Returns (dataset, number of documents shortened to fit the prompt budget).
    """
    from datasets import Dataset

    rows, shortened = [], 0
    for doc in documents:
        text = fit_document(tokenizer, doc.text, max_chars, max_prompt_tokens)
        shortened += int(len(text) < len(doc.text))
        if not text.strip():
            continue
        rows.append({"prompt": repro_messages(text, max_chars), "document": text, "target": doc.target or "", "prompt_index": len(rows)})
    if not rows:
        raise ConfigError("no document fits rl.max_prompt_length once wrapped in the RePro prompt")
    return Dataset.from_list(rows), shortened
