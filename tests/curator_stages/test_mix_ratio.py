"""Token accounting of the mix (nemo_repro.mix.ratio) and shard merging (nemo_repro.mix.merge)."""

from __future__ import annotations

import numpy as np
import pytest

from nemo_repro.mix.merge import merge_indexed
from nemo_repro.mix.ratio import blend_weights, epochs_per_side


def test_blend_weights_are_the_token_ratio():
    assert blend_weights(10, 10, 1.0) == {"organic": 0.5, "recycled": 0.5}
    assert blend_weights(10, 10, 3.0) == {"organic": 0.75, "recycled": 0.25}
    assert blend_weights(0, 10, 1.0) == {"recycled": 0.5}
    with pytest.raises(ValueError):
        blend_weights(1, 1, 0)


def test_epochs_per_side_follow_the_weights():
    # 1,000 tokens of training at 3:1 read 750 organic tokens (3 epochs of 250) and 250 recycled (0.5 epoch of 500)
    assert epochs_per_side({"organic": 250, "recycled": 500}, blend_weights(250, 500, 3.0), 1000) == {"organic": 3.0, "recycled": 0.5}
    assert epochs_per_side({"organic": 100}, blend_weights(100, 0, 1.0), 1000) == {"organic": 10.0}


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
