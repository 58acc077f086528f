"""The tiny policy: its BPE survives the save/load round trip, and the warm-start's extra pages are new pages."""

from transformers import AutoModelForCausalLM, AutoTokenizer

from nemo_repro.config.rl import TinyPolicyConfig
from nemo_repro.data.sample_corpus import generate_corpus, short_documents
from nemo_repro.prompts import REPRO_MARKER
from nemo_repro.rl.policy import build_tiny_policy, sample_pages


def test_phrase_bpe_loads_back_as_trained(tmp_path):
    texts = [d["text"] for d in generate_corpus(40, seed=3)]
    folder = build_tiny_policy(texts, TinyPolicyConfig(vocab_size=4096, bpe_across_words=True), tmp_path / "p")
    tok = AutoTokenizer.from_pretrained(str(folder))  # the way GRPO, recycling and pretraining load it
    marker = tok.tokenize(REPRO_MARKER)
    assert len(marker) <= 3, marker  # merges span words: the marker is (nearly) one token
    page = texts[0]
    assert tok.decode(tok(page, add_special_tokens=False)["input_ids"]) == page
    assert len(tok(page)["input_ids"]) < len(page.split())  # fewer tokens than words
    assert AutoModelForCausalLM.from_pretrained(str(folder)).config.model_type == "llama"


def test_sample_pages_are_not_the_quickstart_corpus():
    seed = 1234
    pages = sample_pages(16, seed)
    assert len(pages) == 16 and all(p["clean_text"].strip() for p in pages)
    corpus_texts = {d["text"] for d in short_documents(64, seed)}
    assert not corpus_texts & {p["text"] for p in pages}
    assert sample_pages(0, seed) == []
