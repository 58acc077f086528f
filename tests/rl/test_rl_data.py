"""RL prompt data: bad rows are counted and rejected with a reason, long documents are cut and fitted."""

import json

import pytest

from nemo_repro.config.fields import ConfigError
from nemo_repro.rl.data import build_prompt_dataset, fit_document, load_documents, prompt_tokens


def _write(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_bad_rows_are_counted_never_fatal(tmp_path):
    path = _write(
        tmp_path / "docs.jsonl",
        [
            json.dumps({"text": "a good document"}),
            json.dumps({"text": ""}),
            json.dumps({"body": "no text field"}),
            json.dumps({"text": 42}),
            "{not json",
            json.dumps(["a list"]),
            json.dumps({"text": "x" * 50}),
            "",
        ],
    )
    loaded = load_documents(path, "text", max_chars=20)
    assert [d.text for d in loaded.documents] == ["a good document", "x" * 20]
    assert dict(loaded.counts) == {"read": 7, "used": 2, "cut": 1, "empty": 1, "missing_field": 1, "not_a_string": 1, "bad_json": 1, "not_an_object": 1}
    assert loaded.counts["read"] == loaded.counts["used"] + sum(loaded.counts[r] for r in ("empty", "missing_field", "not_a_string", "bad_json", "not_an_object"))
    assert {"source": f"{path}:5", "reason": "bad_json"} in loaded.rejects


def test_no_usable_document_names_file_and_field(tmp_path):
    path = _write(tmp_path / "docs.jsonl", [json.dumps({"body": "x"})])
    with pytest.raises(ConfigError, match="no usable document with a non-empty string field 'text'"):
        load_documents(path, "text", max_chars=100)
    with pytest.raises(ConfigError, match="is not a file"):
        load_documents(tmp_path / "missing.jsonl", "text", max_chars=100)


def test_sample_corpus_default_carries_targets():
    loaded = load_documents(None, "text", max_chars=7000, target_field="clean_text", max_docs=5)
    assert len(loaded.documents) == 5 and all(d.target for d in loaded.documents)


def test_documents_are_fitted_to_the_prompt_budget(small_tokenizer_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(small_tokenizer_dir))
    overhead = prompt_tokens(tok, "", 7000)
    doc = "word " * 2000
    fitted = fit_document(tok, doc, 7000, overhead + 50)
    assert 0 < len(fitted) < len(doc) and prompt_tokens(tok, fitted, 7000) <= overhead + 50
    with pytest.raises(ConfigError, match="too small"):
        fit_document(tok, doc, 7000, overhead - 1)
    loaded = load_documents(None, "text", max_chars=7000, max_docs=3)
    dataset, shortened = build_prompt_dataset(loaded.documents, tok, 7000, overhead + 50)
    assert shortened == 3 and dataset["prompt_index"] == [0, 1, 2]
    assert dataset["prompt"][0][-1]["content"].endswith(dataset["document"][0])
