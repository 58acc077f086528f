"""Write documents into a Megatron indexed dataset (`<prefix>.bin` + `<prefix>.idx`).

Each document is tokenized, followed by the tokenizer's end-of-document id, and
appended as one document with megatron-core's `IndexedDatasetBuilder`, so the
files are exactly what Megatron-LM's `preprocess_data.py --append-eod` writes.
The writer goes to temporary names and renames at the end: a crash never
leaves a half-written dataset that looks complete.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

BATCH = 256  # documents tokenized per call


@dataclass(frozen=True)
class IndexedStats:
    documents: int
    """Documents written."""

    tokens: int
    """Tokens written, end-of-document ids included."""


def _batches(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(texts)
    while batch := list(islice(it, size)):
        yield batch


def write_indexed_dataset(texts: Iterable[str], tokenizer, prefix: str | Path, progress: bool = False) -> IndexedStats:
    """Tokenize `texts` (+ EOD each) into `<prefix>.bin/.idx`; returns the counts.

    `tokenizer` needs `tokenize(text)`, `eod` and `vocab_size` (e.g.
    `nemo_repro.pretrain.tokenizer.HFTokenizer`); `tokenize_batch` is used when present.
    Empty texts are still written (as a lone EOD), so document counts reconcile with the input.
    """
    from megatron.core.datasets.indexed_dataset import DType, IndexedDatasetBuilder
    from tqdm import tqdm

    prefix = Path(prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    dtype = DType.optimal_dtype(tokenizer.vocab_size)
    tmp_bin = prefix.with_name(f".{prefix.name}.bin.tmp{os.getpid()}")
    tmp_idx = prefix.with_name(f".{prefix.name}.idx.tmp{os.getpid()}")
    builder = IndexedDatasetBuilder(str(tmp_bin), dtype=dtype)
    tokenize_batch = getattr(tokenizer, "tokenize_batch", None) or (lambda batch: [tokenizer.tokenize(t) for t in batch])
    documents = tokens = 0
    with tqdm(desc=f"tokenize {prefix.name}", unit="doc", disable=not progress) as bar:
        for batch in _batches(texts, BATCH):
            for ids in tokenize_batch(batch):
                ids = np.asarray([*ids, tokenizer.eod], dtype=builder.dtype)
                builder.add_document(ids, [ids.size])  # numpy in: no torch round trip per document
                documents += 1
                tokens += int(ids.size)
            bar.update(len(batch))
    builder.finalize(str(tmp_idx))
    tmp_bin.replace(prefix.with_name(prefix.name + ".bin"))
    tmp_idx.replace(prefix.with_name(prefix.name + ".idx"))
    return IndexedStats(documents=documents, tokens=tokens)


def count_tokens(prefix: str | Path) -> IndexedStats:
    """Documents and tokens of an existing `<prefix>.bin/.idx`."""
    from megatron.core.datasets.indexed_dataset import IndexedDataset

    dataset = IndexedDataset(str(prefix), mmap=True)
    return IndexedStats(documents=len(dataset.document_indices) - 1, tokens=int(dataset.sequence_lengths.sum()))
