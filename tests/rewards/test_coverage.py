"""Content coverage: which lines are content, and the share of their tokens a rewrite carries."""

import re

import numpy as np
import pytest

from nemo_repro.rewards.coverage import _stopwords, content_mask, content_spans, content_word_spans, coverage_of, is_content_line
from nemo_repro.rewards.semantic import TokenMatch

PROSE = [
    "The old mill on the river was restored by volunteers over three summers, and it now grinds flour again.",
    "Visitors can watch the wheel turn from the footbridge, and the miller explains how the stones are dressed.",
    "In the winter the mill is closed to the public, but the society still meets there on the first Monday.",
]
MENU = ["Home", "About us", "Shop | Cart | Login", "Share: Facebook Twitter Email", "Privacy Policy | Terms | Sitemap"]


def page() -> str:
    return "\n".join(MENU[:3] + PROSE + MENU[3:])


def test_content_lines_are_long_prose_and_menus_are_not():
    assert all(is_content_line(line, 70, 0.30) for line in PROSE)  # jusText's near-good
    assert not any(is_content_line(line, 70, 0.30) for line in MENU)
    # long but no stop words: a keyword list is not prose
    assert not is_content_line("Mill restoration, flour grinding, river wheels, millstones, heritage volunteers, footbridges", 70, 0.30)
    text = page()
    assert [text[a:b] for a, b in content_spans(text)] == PROSE


def test_long_paragraphs_outrank_one_line_teasers():
    """Where a text has jusText-good paragraphs (> 200 chars), the shorter prose lines (related-article teasers) are
    not content; without any, the near-good lines are."""
    article = " ".join(PROSE)
    teaser = "Read next: the canal locks that were rebuilt by the same volunteers are open again for the summer."
    text = "\n".join(["Home", teaser, article, teaser])
    assert is_content_line(article) and not is_content_line(teaser)
    assert [text[a:b] for a, b in content_spans(text)] == [article]


def test_a_text_without_content_lines_counts_every_line():
    text = "Flour\nWater\nSalt"
    assert [text[a:b] for a, b in content_spans(text)] == ["Flour", "Water", "Salt"]


def _match(text: str, covered_lines: set[str], best: float = 0.99, missed: float = 0.2, covered_word=None) -> TokenMatch:
    """A TokenMatch with one 'token' per word of `text`: words of `covered_lines` (or, with `covered_word`, the words
    it accepts) matched at `best`, the rest at `missed`."""
    starts, scores, at = [-1], [1.0], 0  # a leading special token
    for line in text.split("\n"):
        for word in re.finditer(r"\S+", line):
            starts.append(at + word.start())
            covered = covered_word(word.group()) if covered_word else line in covered_lines
            scores.append(best if covered else missed)
        at += len(line) + 1
    starts.append(-1)
    scores.append(1.0)
    weights = np.array([0.0 if s < 0 else 1.0 for s in starts])
    return TokenMatch(np.array(scores), weights, np.array(starts), np.ones(3), np.ones(3))


def test_coverage_counts_only_content_tokens():
    """A rewrite that keeps the article and drops the boilerplate covers all of the content (a coverage computed over
    every token would be about 1/2 here)."""
    text = page()
    match = _match(text, set(PROSE))
    assert coverage_of(text, match, 0.9) == 1.0
    every_token = float(np.mean(match.ref_best[match.ref_weights > 0] >= 0.9))
    assert every_token < 0.9


def _content_words(line: str) -> int:
    return sum(w.lower() not in _stopwords() for w in re.findall(r"\w+", line))


def test_coverage_is_the_length_weighted_share_of_content_tokens():
    text = page()
    first_only = _match(text, {PROSE[0]})
    words = [_content_words(line) for line in PROSE]
    assert coverage_of(text, first_only, 0.9) == pytest.approx(words[0] / sum(words))
    assert coverage_of(text, first_only, 0.1) == 1.0  # a similarity below the misses covers everything
    assert coverage_of(text, None, 0.9) == 0.0  # an empty rewrite


def test_content_mask_ignores_special_tokens():
    text = page()
    a, _ = content_word_spans(text)[0]
    assert content_mask(text, np.array([-1, a, 0])).tolist() == [False, True, False]


def test_lines_repeated_in_the_original_are_template_not_content():
    """A prose-like line a page prints twice (a teaser in the header and the sidebar, a notice at top and bottom) is not
    content; the article's lines, printed once, are. A rewrite that drops the repeated line covers all the content."""
    teaser = ("Read next: how the volunteers of the same society rebuilt the canal locks, and why it is that the barges "
              "which had been gone for so many decades are now back on the water for the whole of the summer season this year.")
    article = " ".join(PROSE)
    text = "\n".join(["Home", teaser, article, "Share", teaser])
    assert is_content_line(teaser) and is_content_line(article)  # both jusText-good on their own
    assert [text[a:b] for a, b in content_spans(text)] == [article]
    assert coverage_of(text, _match(text, {article}), 0.9) == 1.0


def test_a_text_whose_every_line_repeats_keeps_them_all():
    text = "\n".join([PROSE[0], PROSE[0]])
    assert [text[a:b] for a, b in content_spans(text)] == [PROSE[0], PROSE[0]]


def test_only_the_content_words_count():
    """Stop words find a close match in any English text: a rewrite that matches only the original's stop words
    carries none of its content (counted over every token of the prose it would carry about half)."""
    text = page()
    stop_only = _match(text, set(), covered_word=lambda w: re.sub(r"\W", "", w).lower() in _stopwords())
    assert coverage_of(text, stop_only, 0.9) == 0.0
    prose_tokens = content_mask(text, stop_only.ref_starts)
    every_prose_token = [stop_only.ref_best[i] >= 0.9 for i, s in enumerate(stop_only.ref_starts)
                         if s >= 0 and any(a <= s < b for a, b in content_spans(text))]
    assert 0.3 < np.mean(every_prose_token) < 0.7
    assert prose_tokens.sum() == sum(_content_words(line) for line in PROSE)


def test_a_content_line_of_stop_words_only_counts_whole():
    line = "It is what it is, and that is all there is to it, as much as any of us can do about it at all, and so it is."
    assert _content_words(line) == 0 and is_content_line(line, 70, 0.30)
    assert content_word_spans(line) == [(0, len(line))]


def test_coverage_from_the_encoder(semantic_reward):
    """With the real encoder: the article alone covers the page's content, its first third does not, menus alone cover nothing."""
    text = page()
    rewrites = ["\n".join(PROSE), PROSE[0], "\n".join(MENU)]
    matches = semantic_reward.match([text] * 3, rewrites)
    faithful, head, menus = (coverage_of(text, m, 0.67) for m in matches)  # 0.67: the calibrated similarity on real pages
    assert faithful > 0.9
    assert 0.2 < head < 0.6
    assert menus < 0.2, (faithful, head, menus)
