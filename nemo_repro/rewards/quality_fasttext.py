"""Quality reward from a fastText classifier, DCLM style: P(hq | rephrasing) - P(hq | original).

`hq_probability` is the one computation of P(hq | text): the RL reward and the recycle
quality filter (`curator_stages.quality`, scorer `fasttext`) both call it.

The cheap alternative to the LM rater. DCLM's classifier was trained on
instruction-like text (positives) against raw web pages (negatives);
`train_quality_fasttext` builds a small one of the same kind from the embedded
sample corpus (article bodies vs raw pages and word-shuffled text), so CPU runs
have a real classifier with no download.
"""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from nemo_repro.rewards.base import Reward, check_pairs

HQ_LABEL = "__label__hq"
LQ_LABEL = "__label__lq"


def _one_line(text: str) -> str:
    # fastText reads one example per line, and a word starting with `__label__` would be taken for a label
    # (NeMo Curator and DCLM drop that prefix too).
    return " ".join(text.replace("__label__", " ").split())


def load_classifier(model_path: str | Path, label: str = HQ_LABEL):
    """The fastText model at `model_path`, checked to have `label` (a missing file fails naming it)."""
    import fasttext

    if not Path(model_path).is_file():
        raise FileNotFoundError(f"fastText quality classifier {model_path} not found")
    model = fasttext.load_model(str(model_path))
    if label not in model.get_labels():
        raise ValueError(f"{model_path}: label {label!r} not in the classifier's labels {model.get_labels()}")
    return model


def hq_probability(model, texts: Sequence[str], label: str = HQ_LABEL) -> np.ndarray:
    """P(`label` | text) of each text under the fastText `model`; an empty text scores 0 (no words, no evidence)."""
    out = np.zeros(len(texts))
    idx = [i for i, t in enumerate(texts) if t.strip()]
    if idx:
        # A list, never a single string: numpy 2 breaks fastText's single-string path.
        labels, probs = model.predict([_one_line(texts[i]) for i in idx], k=-1)
        for i, lab, prob in zip(idx, labels, probs):
            out[i] = float(dict(zip(lab, prob)).get(label, 0.0))
    return np.clip(out, 0.0, 1.0)


class QualityFastTextReward(Reward):
    """`P(hq | rephrasing) - P(hq | original)` in [-1, 1] from a fastText `.bin`.

    An empty text scores 0 (no words, no evidence of quality). The original's
    probability is cheap, so it is not cached.
    """

    name = "quality"

    def __init__(self, model_path: str | Path, label: str = HQ_LABEL) -> None:
        self.model = load_classifier(model_path, label)
        self.label = label

    def probability(self, texts: Sequence[str]) -> np.ndarray:
        """P(high quality) of each text."""
        return hq_probability(self.model, texts, self.label)

    def score_detailed(self, originals: Sequence[str], rephrasings: Sequence[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        check_pairs(originals, rephrasings)
        q_orig = self.probability(originals)
        q_reph = self.probability(rephrasings)
        return q_reph - q_orig, {"quality_original": q_orig, "quality_rephrase": q_reph}

    def score(self, originals: Sequence[str], rephrasings: Sequence[str]) -> np.ndarray:
        return self.score_detailed(originals, rephrasings)[0]


def quality_training_examples(n_docs: int = 400, seed: int = 0) -> list[tuple[str, str]]:
    """(label, text) pairs from the sample corpus: article bodies are high quality;
    raw pages (boilerplate around the article) and word-shuffled bodies are low quality."""
    from nemo_repro.data.sample_corpus import generate_corpus

    rng = random.Random(seed)
    examples = []
    for doc in generate_corpus(n_docs, seed=seed):
        examples.append((HQ_LABEL, doc["clean_text"]))
        examples.append((LQ_LABEL, doc["text"]))
        words = doc["clean_text"].split()
        rng.shuffle(words)
        examples.append((LQ_LABEL, " ".join(words)))
    rng.shuffle(examples)
    return examples


def train_quality_fasttext(out_path: str | Path, n_docs: int = 400, seed: int = 0, epochs: int = 10) -> Path:
    """Train a small DCLM-style quality classifier on the sample corpus; save it to `out_path` (.bin)."""
    import fasttext

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        train_file = Path(tmp) / "train.txt"
        train_file.write_text("".join(f"{label} {_one_line(text)}\n" for label, text in quality_training_examples(n_docs, seed)), encoding="utf-8")
        # One thread: fastText's training is then deterministic for a fixed seed.
        model = fasttext.train_supervised(str(train_file), epoch=epochs, lr=0.5, dim=32, wordNgrams=2, minCount=2, thread=1, seed=seed, verbose=0)
    tmp_out = out_path.with_name(f".{out_path.name}.tmp{os.getpid()}")
    model.save_model(str(tmp_out))
    tmp_out.replace(out_path)
    return out_path
