"""Merge many `.bin/.idx` pairs (one per shard) into one, with megatron-core's IndexedDatasetBuilder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence


def merge_indexed(prefixes: Sequence[str | Path], out_prefix: str | Path) -> int:
    """Concatenate the datasets at `prefixes` (in order) into `out_prefix`; returns the document count.

    Written to temporary names and renamed, so a crash never leaves a merged file that looks complete.
    """
    from megatron.core.datasets.indexed_dataset import IndexedDataset, IndexedDatasetBuilder

    if not prefixes:
        raise ValueError(f"nothing to merge into {out_prefix}")
    out_prefix = Path(out_prefix)
    dtype = IndexedDataset(str(prefixes[0]), mmap=True).index.dtype
    tmp_bin = out_prefix.with_name(f".{out_prefix.name}.bin.tmp{os.getpid()}")
    tmp_idx = out_prefix.with_name(f".{out_prefix.name}.idx.tmp{os.getpid()}")
    builder = IndexedDatasetBuilder(str(tmp_bin), dtype=dtype)
    for prefix in prefixes:
        builder.add_index(str(prefix))
    builder.finalize(str(tmp_idx))
    tmp_bin.replace(out_prefix.with_name(out_prefix.name + ".bin"))
    tmp_idx.replace(out_prefix.with_name(out_prefix.name + ".idx"))
    return len(IndexedDataset(str(out_prefix), mmap=True).document_indices) - 1
