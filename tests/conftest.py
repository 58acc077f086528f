"""Shared fixtures: tiny local models and tokenizers, the shared data, offline HF.

Everything is built locally once per session in a tmp folder; nothing reaches a hub.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def pytest_collection_modifyitems(config, items):
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


def _shared(relative: str) -> Path:
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"shared data not present: {path}")
    return path


@pytest.fixture(scope="session")
def shared_web_docs() -> Path:
    """`../shared/data/web/web_docs_shared.jsonl` (301 real web pages); skips when absent."""
    return _shared("web/web_docs_shared.jsonl")


@pytest.fixture(scope="session")
def shared_arc_easy() -> Path:
    """`../shared/data/eval/arc_easy_200.jsonl` (llm-foundry MC format); skips when absent."""
    return _shared("eval/arc_easy_200.jsonl")


@pytest.fixture(scope="session")
def shared_eval_meta() -> Path:
    """`../shared/data/eval/dclm_eval_meta_data.csv`; skips when absent."""
    return _shared("eval/dclm_eval_meta_data.csv")


@pytest.fixture(scope="session")
def sample_corpus_path(tmp_path_factory) -> Path:
    """60 documents of the embedded sample corpus as jsonl."""
    from nemo_repro.data.sample_corpus import write_corpus

    return write_corpus(tmp_path_factory.mktemp("corpus") / "sample.jsonl", n_docs=60, seed=0)


@pytest.fixture(scope="session")
def small_tokenizer_dir(tmp_path_factory) -> Path:
    """A 512-token byte-level BPE trained on the sample corpus (small vocab: GRPO learns fast)."""
    from nemo_repro.data.sample_corpus import generate_corpus
    from nemo_repro.models.tiny import train_bpe_tokenizer

    out = tmp_path_factory.mktemp("small_tokenizer")
    train_bpe_tokenizer((d["text"] for d in generate_corpus(100, seed=0)), vocab_size=512, out_dir=out)
    return out


@pytest.fixture(scope="session")
def gpt2_tokenizer_dir(tmp_path_factory) -> Path:
    """The real GPT-2 tokenizer from ../shared when present, else a locally trained BPE."""
    from nemo_repro.data.sample_corpus import generate_corpus
    from nemo_repro.models.tiny import load_tokenizer_json, train_bpe_tokenizer

    out = tmp_path_factory.mktemp("gpt2_tokenizer")
    source = SHARED_DATA / "tokenizers" / "gpt2" / "tokenizer.json"
    if source.exists():
        load_tokenizer_json(source, out_dir=out)
    else:
        train_bpe_tokenizer((d["text"] for d in generate_corpus(100, seed=0)), vocab_size=2048, out_dir=out)
    return out


def _tiny_model(tmp_path_factory, tokenizer_dir: Path, arch: str, name: str) -> Path:
    from transformers import AutoTokenizer

    from nemo_repro.models.tiny import build_tiny_causal_lm

    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    return build_tiny_causal_lm(tokenizer, tmp_path_factory.mktemp(name), arch=arch)


@pytest.fixture(scope="session")
def tiny_qwen2_dir(tmp_path_factory, small_tokenizer_dir) -> Path:
    """A random-init Qwen2-style causal LM (2 layers, d=64, 512-token vocab) as an HF folder."""
    return _tiny_model(tmp_path_factory, small_tokenizer_dir, "qwen2", "tiny_qwen2")


@pytest.fixture(scope="session")
def tiny_llama_gpt2_dir(tmp_path_factory, gpt2_tokenizer_dir) -> Path:
    """A random-init Llama-style causal LM with the GPT-2 tokenizer, as an HF folder."""
    return _tiny_model(tmp_path_factory, gpt2_tokenizer_dir, "llama", "tiny_llama")
