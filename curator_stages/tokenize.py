"""Tokenize: each side of the mix into Megatron `.bin/.idx` with NeMo Curator's MegatronTokenizerWriter.

The writer names its files by a hash into `<megatron_dir>/.tmp/<side>/`; they
are then renamed to `<megatron_dir>/shards/<side>/<shard_id>.bin/.idx`, names
fixed by the shard, so a rerun after a crash overwrites instead of duplicating.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from nemo_curator.stages.base import ProcessingStage
from nemo_curator.stages.resources import Resources
from nemo_curator.stages.text.io.writer.megatron_tokenizer import MegatronTokenizerWriter
from nemo_curator.tasks import DocumentBatch

from curator_stages.columns import RECYCLED, REJECTED, STATUS, TEXT, ensure_status, with_data
from curator_stages.mix import TO_ORGANIC, TO_RECYCLED

SIDES = {"organic": (TO_ORGANIC, TEXT), "recycled": (TO_RECYCLED, RECYCLED)}
"""side -> (flag column, text column)."""


class _BatchEncodePlus:
    """NeMo Curator 1.4's writer calls `tokenizer.batch_encode_plus`, which transformers 5 removed;
    calling the tokenizer itself is the same operation. Everything else passes through."""

    def __init__(self, tokenizer) -> None:
        self._tokenizer = tokenizer

    def batch_encode_plus(self, texts, **kwargs):
        return self._tokenizer(list(texts), **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._tokenizer, name)


@dataclass
class Tokenize(ProcessingStage[DocumentBatch, DocumentBatch]):
    """Write the flagged rows of each side; records `{side: {prefix, documents, tokens}}` in the batch metadata (`megatron`).

    Without the Mix flags (a one-stage run over plain files) every readable row's `text` is the organic side.
    """

    megatron_dir: str = ""
    tokenizer: str = ""
    append_eod: bool = True
    name: str = "tokenize"
    resources: Resources = field(default_factory=lambda: Resources(cpus=1.0))

    def setup(self, worker_metadata=None) -> None:
        self._writers = {}
        for side in SIDES:
            staging = Path(self.megatron_dir) / ".tmp" / side
            staging.mkdir(parents=True, exist_ok=True)
            writer = MegatronTokenizerWriter(path=str(staging), model_identifier=self.tokenizer, text_field=TEXT, append_eod=self.append_eod)
            writer.setup()
            writer.tokenizer = _BatchEncodePlus(writer.tokenizer)
            self._writers[side] = writer

    def inputs(self) -> tuple[list[str], list[str]]:
        return ["data"], [TEXT]

    def outputs(self) -> tuple[list[str], list[str]]:
        return ["data", "_metadata"], []

    def process(self, batch: DocumentBatch) -> DocumentBatch:
        df = ensure_status(batch.to_pandas().copy())
        if TO_ORGANIC not in df:
            df[TO_ORGANIC] = df[STATUS] != REJECTED
        shard_id = batch._metadata["shard_id"]
        written = {}
        for side, (flag, column) in SIDES.items():
            if flag not in df or not df[flag].any():
                continue
            rows = df.loc[df[flag], [column]].rename(columns={column: TEXT})
            part = DocumentBatch(dataset_name=batch.dataset_name, data=rows.reset_index(drop=True), _metadata={"source_files": [shard_id, side]})
            result = self._writers[side].process(part)
            final = Path(self.megatron_dir) / "shards" / side / shard_id
            final.parent.mkdir(parents=True, exist_ok=True)
            for suffix in (".bin", ".idx"):
                os.replace(result._metadata["file_prefix"] + suffix, str(final) + suffix)
            written[side] = {"prefix": str(final), "documents": int(len(rows)), "tokens": int(result._metadata["num_tokens"])}
        out = with_data(batch, df)
        out._metadata = {**batch._metadata, "megatron": written}
        return out
