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


def _long_page(navigation_lines: int = 300) -> tuple[str, str]:
    """A page whose first 512 tokens are menu lines, then the article; and the article alone."""
    from nemo_repro.data.sample_corpus import generate_document

    article = "\n\n".join(generate_document(i, seed=11)["clean_text"] for i in range(3))
    menu = "\n".join(f"Menu item {k} | Shop | Login | Cart" for k in range(navigation_lines))
    return menu + "\n\n" + article, article


def test_windowed_equals_truncated_when_both_texts_fit_one_window(semantic_reward):
    from nemo_repro.rewards.semantic import SemanticReward

    truncated = SemanticReward(device="cpu", batch_size=8, truncate=True)
    originals = ["The old mill was restored by volunteers in 1998.", "Water the tomato seedlings every morning."]
    rephrasings = ["Volunteers restored the old mill in 1998.", "Quarterly tax filings are due in April."]
    assert np.allclose(semantic_reward.f1(originals, rephrasings), truncated.f1(originals, rephrasings), atol=1e-6)


def test_windowed_f1_sees_the_article_behind_the_navigation(semantic_reward):
    from nemo_repro.rewards.semantic import SemanticReward

    page, article = _long_page()
    assert len(semantic_reward._windows(page)[0]) > 2
    truncated = SemanticReward(device="cpu", batch_size=8, truncate=True)
    windowed_f1 = semantic_reward.f1([page], [article])[0]
    truncated_f1 = truncated.f1([page], [article])[0]
    # truncated compares the menu with the article's first paragraph; windowed compares the whole of both
    assert windowed_f1 > truncated_f1 + 0.05
    assert semantic_reward.f1([article], [article])[0] == pytest.approx(1.0, abs=1e-5)


def test_windowed_f1_drops_when_most_of_the_text_is_lost(semantic_reward):
    _, article = _long_page()
    head = article[: len(article) // 4]
    # recall over every window of the original: the lost three quarters count against the head
    assert semantic_reward.f1([article], [head])[0] < semantic_reward.f1([article], [article])[0] - 0.05


def test_windows_cover_every_token_once(semantic_reward):
    page, _ = _long_page(100)
    windows, starts = semantic_reward._windows("  " + page)
    content = semantic_reward.tokenizer(page.strip(), add_special_tokens=False, verbose=False)["input_ids"]
    special = sum(len(part) for part in semantic_reward._specials)
    assert all(len(w) <= semantic_reward.max_tokens for w in windows)
    assert sum(len(w) - special for w in windows) == len(content)
    # each token's first character, in the text as given (special tokens -1)
    assert len(starts) == sum(len(w) for w in windows) and starts[0] == -1 and starts[1] == 2
    content_starts = [s for s in starts if s >= 0]
    assert len(content_starts) == len(content) and content_starts == sorted(content_starts)


def test_blocked_matching_equals_one_shot(semantic_reward):
    import torch

    torch.manual_seed(0)
    hyp, ref = torch.nn.functional.normalize(torch.randn(37, 8), dim=-1), torch.nn.functional.normalize(torch.randn(53, 8), dim=-1)
    old = semantic_reward._MATCH_BLOCK
    semantic_reward._MATCH_BLOCK = 100  # two rows per block
    try:
        hyp_best, ref_best = semantic_reward._greedy_max(hyp, ref)
    finally:
        semantic_reward._MATCH_BLOCK = old
    sim = hyp @ ref.T
    assert torch.allclose(hyp_best, sim.max(dim=1).values) and torch.allclose(ref_best, sim.max(dim=0).values)
