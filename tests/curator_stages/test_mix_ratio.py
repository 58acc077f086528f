"""Token accounting of the mix (nemo_repro.mix.ratio) and shard merging (nemo_repro.mix.merge)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nemo_repro.mix.merge import merge_indexed
from nemo_repro.mix.ratio import blend_weights, select_to_budget


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 500), min_size=1, max_size=40), st.floats(0, 5000), st.integers(0, 3))
def test_select_reaches_the_budget_overshooting_by_less_than_one_item(tokens, budget, seed):
    keys = [f"d{i}" for i in range(len(tokens))]
    chosen = select_to_budget(tokens, keys, budget, seed)
    taken = int(np.asarray(tokens)[chosen].sum())
    if taken < budget:
        assert chosen.all()  # ran out of items
    else:
        assert taken - max(tokens) < budget
    # the pick depends on keys, not on their order
    back = select_to_budget(tokens[::-1], keys[::-1], budget, seed)[::-1]
    assert (back == chosen).all()


def test_blend_weights_are_the_token_ratio():
    assert blend_weights(10, 10, 1.0) == {"organic": 0.5, "recycled": 0.5}
    assert blend_weights(10, 10, 3.0) == {"organic": 0.75, "recycled": 0.25}
    assert blend_weights(0, 10, 1.0) == {"recycled": 0.5}
    with pytest.raises(ValueError):
        blend_weights(1, 1, 0)


def test_merge_concatenates_documents_in_order(tmp_path):
    import torch
    from megatron.core.datasets.indexed_dataset import IndexedDataset, IndexedDatasetBuilder

    prefixes = []
    for part in range(3):
        prefix = tmp_path / f"part{part}"
        builder = IndexedDatasetBuilder(f"{prefix}.bin", dtype=np.uint16)
        for doc in range(part + 1):
            builder.add_document(torch.tensor([part, doc, 7]), [3])
        builder.finalize(f"{prefix}.idx")
        prefixes.append(prefix)
    assert merge_indexed(prefixes, tmp_path / "all") == 6
    merged = IndexedDataset(str(tmp_path / "all"))
    assert [list(merged[i]) for i in range(6)] == [[0, 0, 7], [1, 0, 7], [1, 1, 7], [2, 0, 7], [2, 1, 7], [2, 2, 7]]
    assert not list(tmp_path.glob(".*tmp*"))
