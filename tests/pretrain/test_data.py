"""The blend file drives megatron's BlendedDataset: weights are honoured, order is fixed by the seed."""

from __future__ import annotations

import pytest
import torch

from nemo_repro.mix.blend import write_blend
from nemo_repro.mix.indexed import write_indexed_dataset
from nemo_repro.pretrain import data, parallel
from nemo_repro.pretrain.tokenizer import HFTokenizer


@pytest.fixture(scope="module")
def blend_file(small_tokenizer_dir, tmp_path_factory):
    from nemo_repro.data.sample_corpus import generate_corpus

    tokenizer = HFTokenizer(small_tokenizer_dir)
    out = tmp_path_factory.mktemp("blend")
    docs = list(generate_corpus(120, seed=3))
    write_indexed_dataset((d["text"] for d in docs[:60]), tokenizer, out / "organic")
    write_indexed_dataset((d["clean_text"] for d in docs[60:]), tokenizer, out / "recycled")
    return write_blend(out / "blend.json", [(3.0, out / "organic"), (1.0, out / "recycled")]), tokenizer


def _dataset(blend_file, seed, tmp_path, n=400):
    path, tokenizer = blend_file
    parallel.initialize(1, 1, seed)
    return data.build_train_dataset(data.resolve_blend(str(path)), tokenizer, 64, n, seed, tmp_path / "cache")


def test_blend_weights_are_honoured(blend_file, tmp_path):
    counts = data.samples_per_prefix(_dataset(blend_file, 1, tmp_path), 400)
    by_name = {p.rsplit("/", 1)[-1]: c for p, c in counts.items()}
    assert sum(by_name.values()) == 400
    assert abs(by_name["organic"] - 300) <= 2 and abs(by_name["recycled"] - 100) <= 2


def test_sample_order_is_fixed_by_the_seed(blend_file, tmp_path):
    first = [_dataset(blend_file, 1, tmp_path / "a")[i]["tokens"] for i in range(5)]
    again = [_dataset(blend_file, 1, tmp_path / "b")[i]["tokens"] for i in range(5)]
    other = [_dataset(blend_file, 2, tmp_path / "c")[i]["tokens"] for i in range(5)]
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not all(torch.equal(a, b) for a, b in zip(first, other))


def test_microbatches_split_the_global_batch_over_dp_ranks(blend_file, tmp_path):
    dataset = _dataset(blend_file, 1, tmp_path)
    rank0 = list(data.microbatches(dataset, consumed_samples=8, global_batch=8, micro_batch=2, dp_rank=0, dp_size=2))
    rank1 = list(data.microbatches(dataset, consumed_samples=8, global_batch=8, micro_batch=2, dp_rank=1, dp_size=2))
    assert len(rank0) == len(rank1) == 2 and rank0[0]["tokens"].shape == (2, 64)
    assert torch.equal(rank0[0]["tokens"][0], dataset[8]["tokens"]) and torch.equal(rank1[1]["tokens"][1], dataset[15]["tokens"])
