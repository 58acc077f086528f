"""Quality rewards: rating parsing, the cache of originals, unparseable handling, the fastText classifier."""

import math

import numpy as np
import pytest

from nemo_repro.rewards.quality_fasttext import QualityFastTextReward
from nemo_repro.rewards.quality_lm import EMPTY_RATING, QualityLMReward, parse_rating


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Overall: 4", 4.0),
        ("overall score = 2.", 2.0),
        ("Accuracy: 5\nOverall: 3", 3.0),
        ("5 4 4 3 5 4 4 3 3 4 5 4 4 2", 2.0),  # DataMan's criterion list: the last is overall
        ("Overall: 7", None),
        ("Overall: 45", None),
        ("I think it is good", None),
        ("", None),
    ],
)
def test_parse_rating(text, expected):
    assert parse_rating(text) == expected


class _RaterLM:
    """Rates by a keyword in the document; counts how often each text was rated."""

    def __init__(self):
        self.calls = []

    def head_tail(self, text, max_tokens):
        return text

    def chat_prompt(self, messages):
        return messages[-1]["content"]

    def generate(self, prompts, max_new_tokens):
        self.calls.extend(prompts)
        return ["Overall: 5" if "clean" in p else "Overall: 2" if "page" in p else "no idea" for p in prompts]


def test_lm_quality_is_a_difference_and_originals_are_rated_once():
    lm = _RaterLM()
    reward = QualityLMReward(lm=lm)
    originals = ["raw page", "raw page", "raw page"]
    out, details = reward.score_detailed(originals, ["clean text", "", "garbled"])
    assert out[0] == 3.0  # 5 - 2
    assert out[1] == EMPTY_RATING - 2.0  # empty rephrasing: lowest rating, no call
    assert out[2] == 0.0  # unparseable: the configured reward, counted
    assert np.isnan(details["quality_rephrase"][2])
    reward.score(originals, ["clean text"] * 3)
    assert sum("raw page" in c for c in lm.calls) == 1  # the original was rated once across both batches
    assert reward.counts["unparseable"] == 1
    assert math.isclose(reward.unparseable_rate, 1 / reward.counts["rated"])


def test_lm_quality_unparseable_reward_is_configurable():
    reward = QualityLMReward(lm=_RaterLM(), unparseable_reward=-1.0)
    assert reward.score(["raw page"], ["garbled"]).tolist() == [-1.0]


def test_lm_quality_head_tail_with_a_real_model(tiny_qwen2_dir):
    reward = QualityLMReward(str(tiny_qwen2_dir), max_input_tokens=32, max_new_tokens=3, device="cpu")
    long_text = "start " + "middle " * 200 + "end"
    cut = reward.lm.head_tail(long_text, 32)
    assert cut.startswith("start") and cut.rstrip().endswith("end") and len(cut) < len(long_text) / 4
    scores = reward.score([long_text], ["short rephrasing"])
    assert scores.shape == (1,) and reward.counts["rated"] == 2


def test_lm_quality_needs_a_model():
    with pytest.raises(ValueError, match="model_path"):
        QualityLMReward()


def test_fasttext_prefers_clean_text(sample_fasttext):
    from nemo_repro.data.sample_corpus import generate_document

    reward = QualityFastTextReward(sample_fasttext)
    docs = [generate_document(i, seed=99) for i in range(16)]  # not in the training seed
    pages, clean = [d["text"] for d in docs], [d["clean_text"] for d in docs]
    gain, details = reward.score_detailed(pages, clean)
    assert details["quality_rephrase"].mean() > 0.8 and details["quality_original"].mean() < 0.5
    assert (gain > 0).mean() >= 0.75
    assert reward.score(["page"], [""]).tolist() == [-reward.probability(["page"])[0]]  # empty text scores 0
    assert reward.probability(["one\nline\nbreaks"]).shape == (1,)


def test_fasttext_rejects_an_unknown_label(sample_fasttext):
    with pytest.raises(ValueError, match="not in the classifier's labels"):
        QualityFastTextReward(sample_fasttext, label="__label__good")


def test_recycle_quality_filter_and_rl_reward_compute_the_same_p_hq(sample_fasttext, tmp_path):
    """One P(hq): the recycle filter's `quality_before`/`quality_after` are the RL reward's probabilities."""
    import pandas as pd
    from nemo_curator.tasks import DocumentBatch

    from curator_stages.columns import RECYCLED, TEXT
    from curator_stages.quality import QUALITY_AFTER, QUALITY_BEFORE, QualityFilter
    from nemo_repro.data.sample_corpus import generate_document

    docs = [generate_document(i, seed=7) for i in range(6)]
    pages, clean = [d["text"] for d in docs], [d["clean_text"].replace("\n", " __label__hq ", 1) for d in docs]
    stage = QualityFilter(str(sample_fasttext), threshold=None)
    stage.setup()
    out = stage.process(DocumentBatch(dataset_name="d", data=pd.DataFrame({TEXT: pages, RECYCLED: clean}))).to_pandas()
    reward = QualityFastTextReward(sample_fasttext)
    assert out[QUALITY_BEFORE].tolist() == reward.probability(pages).tolist()
    assert out[QUALITY_AFTER].tolist() == reward.probability(clean).tolist()
    # a `__label__` word in the text is read as a word, never as a label
    assert reward.probability(["__label__hq"]).tolist() == reward.probability(["hq"]).tolist()
    with pytest.raises(FileNotFoundError, match="missing.bin not found"):
        QualityFastTextReward(tmp_path / "missing.bin")
