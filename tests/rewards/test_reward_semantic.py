"""BERTScore reward: the 0.65 threshold, identity, empties, agreement with the bert_score library."""

import numpy as np
import pytest

from nemo_repro.rewards.semantic import default_encoder_path


def test_identical_texts_have_f1_one(semantic_reward):
    text = "The canal opened in 1790 and closed in 1930."
    assert semantic_reward.f1([text], [text])[0] == pytest.approx(1.0, abs=1e-5)


def test_threshold_boundary(semantic_reward):
    originals = ["The old mill was restored by volunteers in 1998.", "Water the tomato seedlings every morning."]
    rephrasings = ["Volunteers restored the old mill in 1998.", "Quarterly tax filings are due in April."]
    f1 = semantic_reward.f1(originals, rephrasings)
    assert f1[0] > f1[1]
    semantic_reward.threshold = float(f1[0])  # exactly at the threshold passes (>=)
    try:
        scores, details = semantic_reward.score_detailed(originals, rephrasings)
        assert scores[0] == 1.0 and np.allclose(details["semantic_f1"], f1)
        semantic_reward.threshold = float(np.nextafter(f1[0], 2.0))
        assert semantic_reward.score(originals[:1], rephrasings[:1]).tolist() == [0.0]
    finally:
        semantic_reward.threshold = 0.65


def test_empty_rephrasing_scores_zero(semantic_reward):
    assert semantic_reward.f1(["some text"], [""]).tolist() == [0.0]
    assert semantic_reward.score(["some text"], ["   "]).tolist() == [0.0]


def test_pair_scores_do_not_depend_on_the_batch(semantic_reward):
    pairs = [("A first document about gardens.", "About gardens."), ("Another, much longer document about telescopes and stars.", "Telescopes.")]
    together = semantic_reward.f1([p[0] for p in pairs], [p[1] for p in pairs])
    alone = [semantic_reward.f1([o], [r])[0] for o, r in pairs]
    assert np.allclose(together, alone, atol=1e-6)


def test_agrees_with_bert_score_library(semantic_reward):
    bert_score = pytest.importorskip("bert_score")
    from nemo_repro.data.sample_corpus import generate_document

    docs = [generate_document(i, seed=5) for i in range(4)]
    refs = [d["text"][:1500] for d in docs]
    cands = [d["clean_text"][:1000] for d in docs]
    _, _, f1 = bert_score.score(cands, refs, model_type=str(default_encoder_path()), num_layers=6, batch_size=4)
    assert np.abs(semantic_reward.f1(refs, cands) - f1.numpy()).max() < 1e-4
