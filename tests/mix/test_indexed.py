"""Megatron indexed datasets written from texts: documents, EOD, token counts."""

from __future__ import annotations

import numpy as np
import pytest

from nemo_repro.mix.indexed import IndexedStats, count_tokens, write_indexed_dataset
from nemo_repro.pretrain.tokenizer import HFTokenizer


@pytest.fixture(scope="module")
def tokenizer(small_tokenizer_dir):
    return HFTokenizer(small_tokenizer_dir)


def test_documents_end_with_eod_and_counts_reconcile(tokenizer, tmp_path):
    from megatron.core.datasets.indexed_dataset import IndexedDataset

    texts = ["The river rose after the storm.", "", "Prices fell in March."]
    stats = write_indexed_dataset(iter(texts), tokenizer, tmp_path / "docs")
    expected = [tokenizer.tokenize(t) + [tokenizer.eod] for t in texts]
    assert stats == IndexedStats(documents=3, tokens=sum(map(len, expected)))
    assert count_tokens(tmp_path / "docs") == stats
    dataset = IndexedDataset(str(tmp_path / "docs"))
    assert [dataset[i].tolist() for i in range(3)] == expected
    assert dataset[0].dtype == np.uint16  # a 512-token vocabulary fits 16 bits
    assert tokenizer.detokenize(dataset[0][:-1]) == texts[0]
    assert not list(tmp_path.glob(".*tmp*"))  # temporary names are gone


def test_rewrite_replaces_the_dataset(tokenizer, tmp_path):
    write_indexed_dataset(["one two three"] * 5, tokenizer, tmp_path / "docs")
    assert write_indexed_dataset(["four"], tokenizer, tmp_path / "docs").documents == 1
    assert count_tokens(tmp_path / "docs").documents == 1
