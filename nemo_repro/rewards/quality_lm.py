"""Quality reward from an LM rater, DataMan style: Q(rephrasing) - Q(original).

A local scorer LM reads a document and writes its ratings; we parse the
overall 1-5 rating. Greedy decoding with few new tokens keeps it deterministic
and cheap; long inputs keep their head and tail. The original's rating is
computed once per distinct text (cached by content hash): in GRPO the same
original is scored against every completion of its group, every epoch.

DataMan raters write their criterion ratings and end with the overall one; our
prompt asks for an explicit `Overall: N` line. `parse_rating` accepts both.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from typing import Sequence

import numpy as np

from nemo_repro.rewards.base import Reward, check_pairs
from nemo_repro.rewards.local_lm import GreedyLM, load_lm

RATER_SYSTEM = "You are an expert annotator of pretraining data. You rate documents; you never rewrite them."
RATER_TEMPLATE = """Rate the document below for use as language-model pretraining data. Consider accuracy, coherence, language quality, knowledge content, topic focus, structure and the absence of boilerplate, ads and navigation text.
Answer with one line: "Overall: N", where N is an integer from 1 (useless) to 5 (excellent).

Document:
{document}"""

EMPTY_RATING = 1.0
"""Rating of an empty text (a rephrasing without the marker): the lowest score, without asking the rater."""

_OVERALL = re.compile(r"overall[^0-9\n]{0,20}([1-5])(?![0-9])", re.IGNORECASE)
_NUMBERS = re.compile(r"^[\s\d.,;:/-]*$")


def parse_rating(text: str) -> float | None:
    """The overall 1-5 rating in a rater output, or None when there is none.

    `Overall: 4` (any case, up to 20 non-digit characters between) wins;
    otherwise an output made only of numbers (DataMan's criterion list) gives
    its last number when it is 1-5.
    """
    match = _OVERALL.search(text)
    if match:
        return float(match.group(1))
    if _NUMBERS.match(text) and text.strip():
        last = re.findall(r"\d+", text)
        if last and 1 <= int(last[-1]) <= 5:
            return float(last[-1])
    return None


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class QualityLMReward(Reward):
    """`rating(rephrasing) - rating(original)` in [-4, 4] from a local rater LM.

    A pair whose rating cannot be parsed on either side gets `unparseable_reward`
    and is counted in `counts["unparseable"]` (rated texts in `counts["rated"]`).
    Pass `lm` to reuse an already loaded `GreedyLM`.
    """

    name = "quality"

    def __init__(
        self,
        model_path: str | None = None,
        max_input_tokens: int = 1900,
        max_new_tokens: int = 29,
        unparseable_reward: float = 0.0,
        batch_size: int = 16,
        device: str = "auto",
        lm: GreedyLM | None = None,
    ) -> None:
        self.lm = load_lm(lm, model_path, device, batch_size, "QualityLMReward")
        self.max_input_tokens = max_input_tokens
        self.max_new_tokens = max_new_tokens
        self.unparseable_reward = unparseable_reward
        self.counts: Counter[str] = Counter()
        self._original_cache: dict[str, float] = {}

    def rate(self, texts: Sequence[str]) -> np.ndarray:
        """Overall rating of each text (NaN when unparseable; `EMPTY_RATING` for empty texts)."""
        ratings = np.full(len(texts), np.nan)
        todo = []
        for i, text in enumerate(texts):
            if not text.strip():
                ratings[i] = EMPTY_RATING
            else:
                todo.append(i)
        if todo:
            prompts = [
                self.lm.chat_prompt(
                    [
                        {"role": "system", "content": RATER_SYSTEM},
                        {"role": "user", "content": RATER_TEMPLATE.format(document=self.lm.head_tail(texts[i], self.max_input_tokens))},
                    ]
                )
                for i in todo
            ]
            for i, output in zip(todo, self.lm.generate(prompts, self.max_new_tokens)):
                rating = parse_rating(output)
                self.counts["rated"] += 1
                if rating is None:
                    self.counts["unparseable"] += 1
                else:
                    ratings[i] = rating
        return ratings

    def rate_originals(self, originals: Sequence[str]) -> np.ndarray:
        """Ratings of originals, each distinct text rated once and cached."""
        missing = list(dict.fromkeys(o for o in originals if _key(o) not in self._original_cache))
        for text, rating in zip(missing, self.rate(missing)):
            self._original_cache[_key(text)] = float(rating)
        return np.array([self._original_cache[_key(o)] for o in originals])

    def score_detailed(self, originals: Sequence[str], rephrasings: Sequence[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        check_pairs(originals, rephrasings)
        q_orig = self.rate_originals(originals)
        q_reph = self.rate(rephrasings)
        diff = q_reph - q_orig
        reward = np.where(np.isnan(diff), self.unparseable_reward, diff)
        return reward, {"quality_original": q_orig, "quality_rephrase": q_reph}

    def score(self, originals: Sequence[str], rephrasings: Sequence[str]) -> np.ndarray:
        return self.score_detailed(originals, rephrasings)[0]

    @property
    def unparseable_rate(self) -> float:
        """Share of rated texts whose rating could not be parsed (NaN before any rating)."""
        return self.counts["unparseable"] / self.counts["rated"] if self.counts["rated"] else math.nan
