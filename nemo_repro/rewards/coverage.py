"""Content coverage: the share of the original's content that the rewrite carries.

An addition beyond the paper's checks. BERTScore recall counts every token of
the original, so on a web page the navigation, share buttons and footers that a
faithful rewrite rightly drops already cost it recall; a rewrite that keeps
only the first quarter of the article then scores about as well as a faithful
one, and no F1 or recall threshold separates them. Coverage asks only about
the original's content:

1. Template lines out. A line that occurs more than once in the original (case
   and spacing aside) is template, not content: navigation, related-article
   teasers and notices that a page prints in more than one place (the
   repeated-line signal of Gopher's and C4's line rules, within one document).
2. Content lines. Each remaining line is classed by jusText's context-free rule
   with NeMo Curator's `JusTextExtractor` defaults, over jusText's English stop
   list: `good` when longer than 200 characters with a stop-word density of at
   least 0.32 (`length_high`, `stopwords_high`), `near-good` when at least 70
   characters with a density of at least 0.30 (`length_low`, `stopwords_low`).
   The content is the `good` lines; a text with none, its `near-good` lines; a
   text with neither (a list, a table, a non-English page), all of its
   remaining lines: then all of it must be carried. Menus, buttons, bylines and
   dates are short or have few stop words; the one-line teasers of related
   articles are mostly `near-good` (without the HTML, their link density cannot
   be seen), article paragraphs mostly `good`.
3. Content words. Of the content lines, only the words outside that stop list
   count (their encoder tokens; a content line of stop words only falls back to
   all its tokens): stop words find a close match in any English text, so a
   rewrite that keeps the article's first quarter "carried" most of the other
   quarters' stop words; the words that carry the information have to be found.
4. Covered tokens. The encoder tokens of the content words (the same token
   embeddings the windowed BERTScore matches, so no extra encoder pass) count
   as covered when their best cosine over the rewrite's tokens reaches a
   similarity (`coverage_similarity`): the cosine that only 1% of content
   tokens reach in a typical unrelated text (the F1's false-accept rate; the
   median over mismatched pairs), calibrated per encoder
   (`nemo_repro.rewards.calibrate`).
5. Coverage = covered content tokens / content tokens, so longer lines weigh
   more (length-weighted by tokens).

Measured on all 91 `aeb-*` pages (web pages with their human-extracted article;
bundled MiniLM; 85 pass validation), median coverage: the article 0.98, its
first 25% 0.37, another page's article 0.01; at `min_coverage` 0.45 the checks
keep 93% of the faithful removals, 0 of 85 unrelated articles, 28% of first
quarters (README; before steps 1 and 3, at 5%: 0.99, 0.57, 0.05, and neither a
coverage nor a similarity separated the related-page pair and the faithful
removals of pages with long non-article prose).
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


def _lines(text: str) -> list[tuple[int, int, str]]:
    """(start, end, line) of the non-empty lines of `text`."""
    out, at = [], 0
    for line in text.split("\n"):
        if line.strip():
            out.append((at, at + len(line), line))
        at += len(line) + 1
    return out


def _key(line: str) -> str:
    return " ".join(line.lower().split())


def template_free(lines: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The lines that occur once in the text (case and spacing aside); all of them when every line repeats."""
    counts: dict[str, int] = {}
    for _, _, line in lines:
        counts[_key(line)] = counts.get(_key(line), 0) + 1
    return [entry for entry in lines if counts[_key(entry[2])] == 1] or lines


def content_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the content lines of `text`: of its lines that occur once, the `good` ones, else
    the `near-good` ones, else all of them."""
    lines = template_free(_lines(text))
    for min_chars, min_density in CONTENT_RULES:
        content = [(a, b) for a, b, line in lines if is_content_line(line, min_chars, min_density)]
        if content:
            return content
    return [(a, b) for a, b, _ in lines]


def content_word_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the words of the content lines of `text` that are not stop words; a content line without
    such a word counts whole."""
    stop, out = _stopwords(), []
    for a, b in content_spans(text):
        words = [(m.start(), m.end()) for m in _WORD.finditer(text, a, b) if m.group().lower() not in stop]
        out.extend(words or [(a, b)])
    return out


def content_mask(text: str, starts: np.ndarray) -> np.ndarray:
    """Which tokens (by first character, -1 = special token) lie in a content word of `text`."""
    starts = np.asarray(starts)
    spans = content_word_spans(text)
    mask = np.zeros(len(starts), dtype=bool)
    if spans:  # tokens start in order: each span's tokens by binary search
        order = np.argsort(starts, kind="stable")
        ordered = starts[order]
        for a, b in spans:
            mask[order[np.searchsorted(ordered, a, "left") : np.searchsorted(ordered, b, "left")]] = True
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
