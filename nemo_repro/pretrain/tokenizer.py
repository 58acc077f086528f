"""A Megatron tokenizer over a local HF tokenizer (folder or tokenizer.json).

Megatron's datasets only read `vocab_size`, `eod` and `unique_identifiers`
(the last keys the index cache, so a different tokenizer never reuses a cached
sample index); the indexed-dataset writer and the evaluator use
`tokenize`/`detokenize`. No `pad` is exposed on purpose: GPTDataset then pads
with -1, an id no document contains.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np

EOD_CANDIDATES = ("<|endoftext|>", "</s>", "<|end_of_text|>", "<eos>")


class HFTokenizer:
    """`tokenize(text) -> ids` without special tokens; `eod` is the end-of-document id appended per document."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).resolve()
        if not self.path.exists():
            raise FileNotFoundError(f"tokenizer not found: {self.path}")
        if self.path.is_file():
            from transformers import PreTrainedTokenizerFast

            self._tok = PreTrainedTokenizerFast(tokenizer_file=str(self.path))
        else:
            from transformers import AutoTokenizer

            self._tok = AutoTokenizer.from_pretrained(str(self.path))
        self.eod = self._find_eod()
        self.unique_identifiers = OrderedDict(
            [("class", type(self).__name__), ("tokenizer_path", [str(self.path)]), ("vocab_size", self.vocab_size), ("eod", self.eod)]
        )

    def _find_eod(self) -> int:
        if self._tok.eos_token_id is not None:
            return int(self._tok.eos_token_id)
        for token in EOD_CANDIDATES:
            token_id = self._tok.convert_tokens_to_ids(token)
            if isinstance(token_id, int) and token_id != self._tok.unk_token_id:
                return token_id
        raise ValueError(f"{self.path}: no end-of-document token (eos or one of {EOD_CANDIDATES})")

    @property
    def vocab_size(self) -> int:
        """Ids in use, added special tokens included (`len(tokenizer)`)."""
        return len(self._tok)

    def tokenize(self, text: str) -> list[int]:
        return self._tok(text, add_special_tokens=False)["input_ids"]

    def tokenize_batch(self, texts: list[str]) -> list[list[int]]:
        """Many texts at once (the fast tokenizer parallelises the batch)."""
        return self._tok(texts, add_special_tokens=False)["input_ids"]

    def detokenize(self, ids) -> str:
        return self._tok.decode(np.asarray(ids).tolist())

    def save(self, out_dir: str | Path) -> Path:
        """Save as an HF tokenizer folder (checkpoints carry their tokenizer)."""
        self._tok.save_pretrained(str(out_dir))
        return Path(out_dir)


def shared_gpt2_path() -> Path:
    """GPT-2's tokenizer.json in the project's `../shared/data` (present on the dev machines, not required)."""
    return Path(__file__).resolve().parents[3] / "shared" / "data" / "tokenizers" / "gpt2" / "tokenizer.json"


def resolve_tokenizer(path: str | None, out_dir: Path) -> HFTokenizer:
    """`path` when given; else GPT-2's from ../shared, else a BPE (up to 2048 tokens) trained on the sample corpus, saved in `out_dir`."""
    if path:
        return HFTokenizer(path)
    out_dir = Path(out_dir)
    if not (out_dir / "tokenizer.json").is_file():
        from nemo_repro.models.tiny import load_tokenizer_json, train_bpe_tokenizer

        if shared_gpt2_path().is_file():
            load_tokenizer_json(shared_gpt2_path(), out_dir=out_dir)
        else:
            from nemo_repro.data.sample_corpus import generate_corpus

            train_bpe_tokenizer((d["text"] for d in generate_corpus(200, seed=0)), vocab_size=2048, out_dir=out_dir)
    return HFTokenizer(out_dir)
