"""Training data: megatron's GPTDataset / BlendedDataset over a blend file or one prefix.

`pretrain.data` is the `blend.json` the recycle stage writes (organic and
recycled prefixes with weights) or a single `.bin/.idx` prefix. Megatron's
builder makes the sample index (shuffled for the seed, cached in
`run.dir/data_cache/`), so a seed fixes the sample order. Step `s` of a run
with global batch `G` reads samples `[s*G, (s+1)*G)`; data-parallel rank `r`
takes its contiguous part, split into microbatches. The data position saved
in a checkpoint is therefore just the number of consumed samples.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from nemo_repro.config.fields import ConfigError
from nemo_repro.mix.blend import read_blend, read_blend_tokenizer, to_megatron_blend, tokenizer_record

SAMPLE_PREFIX = "sample_corpus_text_document"


def resolve_blend(data: str) -> tuple[list[str], list[float] | None]:
    """`(prefixes, weights)` from a blend.json or one prefix; names the missing file otherwise."""
    path = Path(data)
    if path.suffix == ".json":
        if not path.is_file():
            raise ConfigError(f"pretrain.data={data}: blend file not found")
        try:
            return to_megatron_blend(read_blend(path))
        except ValueError as exc:
            raise ConfigError(f"pretrain.data: {exc}") from None
    prefix = str(path)
    if path.suffix in (".bin", ".idx"):
        prefix = str(path.with_suffix(""))
    missing = [prefix + s for s in (".bin", ".idx") if not Path(prefix + s).is_file()]
    if missing:
        raise ConfigError(f"pretrain.data={data}: missing data file(s) {', '.join(missing)}")
    return [prefix], None


def check_blend_tokenizer(data: str | None, tokenizer: str | None) -> None:
    """ConfigError unless `pretrain.tokenizer` is the tokenizer the blend's ids were made with (its record in blend.json)."""
    if data is None or Path(data).suffix != ".json":
        return
    made_with = read_blend_tokenizer(data)
    if made_with is None:
        return
    if tokenizer is None:
        raise ConfigError(
            f"pretrain.tokenizer is not set, but {data} was tokenized with {made_with['name']}: "
            f"set pretrain.tokenizer={made_with['name']} (a default tokenizer would read these ids as other words)"
        )
    from nemo_repro.pretrain.tokenizer import HFTokenizer

    ours = tokenizer_record(tokenizer, HFTokenizer(tokenizer)._tok)
    if (ours["vocab_size"], ours["vocab_sha256"]) != (made_with["vocab_size"], made_with["vocab_sha256"]):
        raise ConfigError(
            f"pretrain.tokenizer={tokenizer} has another vocabulary ({ours['vocab_size']} tokens, sha256 {ours['vocab_sha256'][:12]}) "
            f"than the one {data} was made with ({made_with['name']}: {made_with['vocab_size']} tokens, sha256 {made_with['vocab_sha256'][:12]}); "
            f"set pretrain.tokenizer={made_with['name']} or recycle again with this tokenizer"
        )


def write_sample_data(out_dir: Path, tokenizer, n_docs: int, seed: int) -> str:
    """The embedded sample corpus as an indexed dataset (the quickstart's data); returns the prefix."""
    from nemo_repro.data.sample_corpus import generate_corpus
    from nemo_repro.mix.indexed import write_indexed_dataset

    prefix = out_dir / SAMPLE_PREFIX
    if not Path(str(prefix) + ".idx").is_file():
        write_indexed_dataset((d["text"] for d in generate_corpus(n_docs, seed=seed)), tokenizer, prefix)
    return str(prefix)


def build_train_dataset(blend: tuple[list[str], list[float] | None], tokenizer, seq_length: int, num_samples: int, seed: int, cache_dir: Path):
    """The train split (all of the data) with at least `num_samples` samples."""
    from megatron.core.datasets.blended_megatron_dataset_builder import BlendedMegatronDatasetBuilder
    from megatron.core.datasets.gpt_dataset import GPTDataset, GPTDatasetConfig

    config = GPTDatasetConfig(
        random_seed=seed,
        sequence_length=seq_length,
        blend=blend,
        split="100,0,0",
        path_to_cache=str(cache_dir),
        tokenizer=tokenizer,
        reset_position_ids=False,
        reset_attention_mask=False,
        eod_mask_loss=False,
        create_attention_mask=False,
    )
    train, _, _ = BlendedMegatronDatasetBuilder(GPTDataset, [num_samples, 0, 0], lambda: True, config).build()
    return train


def samples_per_prefix(dataset, num_samples: int) -> dict[str, int]:
    """How many of the first `num_samples` samples come from each prefix (the blend weights, realised)."""
    if hasattr(dataset, "dataset_index"):  # a BlendedDataset
        counts = np.bincount(dataset.dataset_index[:num_samples], minlength=len(dataset.datasets))
        return {d.dataset_path: int(c) for d, c in zip(dataset.datasets, counts)}
    return {dataset.dataset_path: min(num_samples, len(dataset))}


def microbatches(dataset, consumed_samples: int, global_batch: int, micro_batch: int, dp_rank: int, dp_size: int) -> Iterator[dict]:
    """This DP rank's microbatches of the step starting at `consumed_samples`."""
    per_rank = global_batch // dp_size
    start = consumed_samples + dp_rank * per_rank
    for first in range(start, start + per_rank, micro_batch):
        samples = [dataset[i] for i in range(first, first + micro_batch)]
        batch = {key: torch.stack([torch.as_tensor(s[key]) for s in samples]) for key in ("tokens", "labels", "loss_mask", "position_ids")}
        if torch.cuda.is_available():
            batch = {k: v.cuda(non_blocking=True) for k, v in batch.items()}
        yield batch
