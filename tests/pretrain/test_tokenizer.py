"""The tokenizer adapter and the quickstart's default tokenizer (with and without ../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nemo_repro.pretrain import tokenizer as tok_mod


def test_adapter_exposes_what_megatron_reads(small_tokenizer_dir):
    tok = tok_mod.HFTokenizer(small_tokenizer_dir)
    assert tok.vocab_size == 512 and tok.eod == tok._tok.convert_tokens_to_ids("<|endoftext|>")
    assert tok.unique_identifiers["tokenizer_path"] == [str(Path(small_tokenizer_dir).resolve())]
    assert tok.detokenize(tok.tokenize("Bridges need steel.")) == "Bridges need steel."
    assert not hasattr(tok, "pad")  # GPTDataset then pads with -1


def test_default_without_shared_data_trains_a_bpe(tmp_path, monkeypatch):
    monkeypatch.setattr(tok_mod, "shared_gpt2_path", lambda: tmp_path / "absent" / "tokenizer.json")
    tok = tok_mod.resolve_tokenizer(None, tmp_path / "tok")
    assert 512 < tok.vocab_size <= 2048 and (tmp_path / "tok" / "tokenizer.json").is_file()


def test_default_prefers_shared_gpt2(tmp_path):
    if not tok_mod.shared_gpt2_path().is_file():
        pytest.skip("../shared/data/tokenizers/gpt2 not present")
    tok = tok_mod.resolve_tokenizer(None, tmp_path / "tok")
    assert tok.eod == 50256 and tok.vocab_size >= 50257


def test_missing_tokenizer_path_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="tokenizer not found: .*nope"):
        tok_mod.HFTokenizer(tmp_path / "nope")
