"""Content coverage: the share of the original's content that the rewrite carries.

An addition beyond the paper's checks. BERTScore recall counts every token of
the original, so on a web page the navigation, share buttons and footers that a
faithful rewrite rightly drops already cost it recall; a rewrite that keeps
only the first quarter of the article then scores about as well as a faithful
one, and no F1 or recall threshold separates them. Coverage asks only about
the original's content:

1. Content lines. Each line of the original is classed by jusText's
   context-free rule with NeMo Curator's `JusTextExtractor` defaults, over
   jusText's English stop list: `good` when longer than 200 characters with a
   stop-word density of at least 0.32 (`length_high`, `stopwords_high`),
   `near-good` when at least 70 characters with a density of at least 0.30
   (`length_low`, `stopwords_low`). The content is the `good` lines; a text with
   none, its `near-good` lines; a text with neither (a list, a table, a
   non-English page), all of its lines: then all of it must be carried. Menus,
   buttons, bylines and dates are short or have few stop words; the one-line
   teasers of related articles are mostly `near-good` (without the HTML, their
   link density cannot be seen), article paragraphs mostly `good`.
2. Covered tokens. The encoder tokens of the content lines (the same token
   embeddings the windowed BERTScore matches, so no extra encoder pass) count
   as covered when their best cosine over the rewrite's tokens reaches a
   similarity (`coverage_similarity`): the cosine that only a small share of
   content tokens reach in an unrelated text, calibrated per encoder on
   mismatched pairs (`nemo_repro.rewards.calibrate`).
3. Coverage = covered content tokens / content tokens, so longer lines weigh
   more (length-weighted by tokens).

Measured on 45 `aeb-*` pages (web pages with their human-extracted article;
bundled MiniLM, similarity calibrated at 5%: 0.669), median coverage: the article
0.99, the article with its sentences shuffled 0.99, with 20% of its sentences
dropped 0.92, its first 25% 0.50, another page's article 0.02 (README).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

CONTENT_RULES = ((200, 0.32), (70, 0.30))
"""(minimum characters, minimum stop-word density) of jusText's `good`, then `near-good` class (NeMo Curator's
JusTextExtractor defaults `length_high`/`stopwords_high`, `length_low`/`stopwords_low`); the first that any line
meets defines the content."""

_WORD = re.compile(r"\w+")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    import justext  # a dependency of NeMo Curator's text extractors

    return frozenset(justext.get_stoplist("English"))


def prose_density(line: str) -> float:
    """Share of the words of `line` in jusText's English stop list (0 without words)."""
    words = _WORD.findall(line.lower())
    stop = _stopwords()
    return sum(w in stop for w in words) / len(words) if words else 0.0


def is_content_line(line: str, min_chars: int = CONTENT_RULES[0][0], min_density: float = CONTENT_RULES[0][1]) -> bool:
    """jusText's context-free test on one line of plain text (default: its `good` class)."""
    line = line.strip()
    return len(line) >= min_chars and prose_density(line) >= min_density


def content_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the content lines of `text`: its `good` lines, else its `near-good` lines,
    else every non-empty line."""
    lines, at = [], 0
    for line in text.split("\n"):
        if line.strip():
            lines.append((at, at + len(line), line))
        at += len(line) + 1
    for min_chars, min_density in CONTENT_RULES:
        content = [(a, b) for a, b, line in lines if is_content_line(line, min_chars, min_density)]
        if content:
            return content
    return [(a, b) for a, b, _ in lines]


def content_mask(text: str, starts: np.ndarray) -> np.ndarray:
    """Which tokens (by first character, -1 = special token) lie in a content line of `text`."""
    starts = np.asarray(starts)
    mask = np.zeros(len(starts), dtype=bool)
    for a, b in content_spans(text):
        mask |= (starts >= a) & (starts < b)
    return mask & (starts >= 0)


def content_best(text: str, match) -> np.ndarray:
    """The best cosine over the rewrite of each content token of the original `text` (`match`: its `TokenMatch`)."""
    return match.ref_best[content_mask(text, match.ref_starts)]


def coverage_of(text: str, match, similarity: float) -> float:
    """Share of the content tokens of `text` whose best match in the rewrite reaches `similarity`; 0 without a match
    (an empty rewrite), 1 when the original has no token at all."""
    if match is None:
        return 0.0
    best = content_best(text, match)
    return float(np.mean(best >= similarity)) if len(best) else 1.0
