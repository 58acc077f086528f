"""Structure reward: did the rephrasing keep the original's formatting?

Two scorers, one question ("paragraphs stay paragraphs, lists stay lists,
tables, code and JSON stay as they were", meaning ignored):
- `StructureSignatureReward`: a deterministic signature of block kinds,
  compared between original and rephrasing. CPU-cheap; also a cross-check of
- `StructureJudgeReward`: the paper's few-shot LLM judge, greedy, answering
  0 or 1; any other answer counts 0 (and is counted).

The signature compares which kinds of blocks are present, not their counts:
removing boilerplate legitimately shortens lists and merges paragraphs.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from nemo_repro.rewards.base import Reward, check_pairs
from nemo_repro.rewards.local_lm import GreedyLM, load_lm

_FENCE = re.compile(r"^\s*(```|~~~)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+\S")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+\S")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")


def _is_json(text: str) -> bool:
    text = text.strip()
    if not text or text[0] not in "[{":
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class StructureSignature:
    """Counts of the block kinds in a text (code-fence contents are not parsed as prose)."""

    paragraphs: int
    """Blank-line separated prose blocks."""

    list_items: int
    """Bullet (`-`, `*`, `+`, `•`) or numbered (`1.`, `1)`) lines."""

    headings: int
    """Markdown `#` headings."""

    table_rows: int
    """Markdown table lines (`| a | b |`), counted in blocks of at least two lines."""

    code_blocks: int
    """Fenced code blocks (``` or ~~~)."""

    json_blocks: int
    """The whole text, a fenced block or a prose block that parses as a JSON object or array."""

    def kinds(self) -> frozenset[str]:
        """The kinds present: what the structure reward compares."""
        present = {
            "text": self.paragraphs > 0 or self.list_items > 0 or self.headings > 0,
            "paragraphs": self.paragraphs >= 2,
            "list": self.list_items > 0,
            "heading": self.headings > 0,
            "table": self.table_rows > 0,
            "code": self.code_blocks > 0,
            "json": self.json_blocks > 0,
        }
        return frozenset(k for k, v in present.items() if v)


def structure_signature(text: str) -> StructureSignature:
    """Parse `text` into its `StructureSignature`."""
    counts: Counter[str] = Counter()
    if _is_json(text):
        counts["json"] += 1
        return StructureSignature(0, 0, 0, 0, 0, 1)
    in_code, code_lines, prose = False, [], []
    table_run = 0

    def end_table() -> None:
        nonlocal table_run
        if table_run >= 2:
            counts["table_rows"] += table_run
        table_run = 0

    def end_paragraph() -> None:
        if prose:
            block = "\n".join(prose)
            counts["json" if _is_json(block) else "paragraphs"] += 1
            prose.clear()

    for line in text.splitlines():
        if _FENCE.match(line):
            if in_code:
                counts["code"] += 1
                counts["json"] += int(_is_json("\n".join(code_lines)))
                code_lines = []
            else:
                end_paragraph()
                end_table()
            in_code = not in_code
            continue
        if in_code:
            code_lines.append(line)
            continue
        if _TABLE_ROW.match(line):
            end_paragraph()
            table_run += 1
            continue
        end_table()
        if not line.strip():
            end_paragraph()
        elif _HEADING.match(line):
            end_paragraph()
            counts["headings"] += 1
        elif _LIST_ITEM.match(line):
            end_paragraph()
            counts["list_items"] += 1
        else:
            prose.append(line)
    end_paragraph()
    end_table()
    if in_code:  # an unclosed fence still marks code
        counts["code"] += 1
    return StructureSignature(counts["paragraphs"], counts["list_items"], counts["headings"], counts["table_rows"], counts["code"], counts["json"])


KINDS = ("text", "paragraphs", "list", "heading", "table", "code", "json")
DEFAULT_DROPPABLE = ("list", "heading")


class StructureSignatureReward(Reward):
    """1 when the rephrasing keeps the original's structure kinds and adds none, else 0.

    Kinds in `droppable` may disappear: on web pages lists and headings are
    mostly navigation, related-link lists and site headers, which the
    rephraser is asked to remove. `droppable=()` demands identical kinds.
    """

    name = "structure"

    def __init__(self, droppable: Sequence[str] = DEFAULT_DROPPABLE) -> None:
        unknown = set(droppable) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown structure kinds {sorted(unknown)}; choose from {list(KINDS)}")
        self.droppable = frozenset(droppable)

    def keeps_structure(self, original: str, rephrasing: str) -> bool:
        """The comparison behind the reward, for one pair."""
        before, after = structure_signature(original).kinds(), structure_signature(rephrasing).kinds()
        return after <= before and (before - after) <= self.droppable

    def score(self, originals: Sequence[str], rephrasings: Sequence[str]) -> np.ndarray:
        check_pairs(originals, rephrasings)
        return np.array([float(self.keeps_structure(o, r)) for o, r in zip(originals, rephrasings)], dtype=np.float64)


JUDGE_SYSTEM = "You compare the formatting of two texts. You answer with a single digit: 1 or 0."
JUDGE_INSTRUCTIONS = """Does the REWRITE keep the structure and formatting of the ORIGINAL? Ignore meaning and wording; look only at form: paragraphs must stay paragraphs, lists must stay lists, tables stay tables, code and JSON stay code and JSON. Removing navigation, ads or other boilerplate is allowed. Answer 1 if the structure is kept, 0 if it is not."""
JUDGE_EXAMPLES = (
    ("Tips:\n- water daily\n- prune in spring", "Tips:\n- Water the plants daily.\n- Prune them in spring.", "1"),
    ("Tips:\n- water daily\n- prune in spring", "You should water daily and prune in spring.", "0"),
    ('{"name": "mill", "year": 1820}', "The mill was built in 1820.", "0"),
    ("Home | Shop | Contact\n\nThe canal opened in 1790.\n\nIt closed in 1930.", "The canal opened in 1790.\n\nIt closed in 1930.", "1"),
)


def parse_judge_answer(text: str) -> int | None:
    """1 or 0 when the answer is exactly that digit (surrounding space and a final period allowed), else None."""
    match = re.fullmatch(r"\s*([01])\s*\.?\s*", text)
    return int(match.group(1)) if match else None


class StructureJudgeReward(Reward):
    """The paper's LLM structure judge: few-shot, greedy, 1/0; anything else is 0.

    Unusable answers are counted in `counts["invalid"]` (`counts["judged"]` in all).
    An empty rephrasing scores 0 without asking the judge.
    """

    name = "structure"

    def __init__(
        self,
        model_path: str | None = None,
        max_input_tokens: int = 1900,
        max_new_tokens: int = 4,
        batch_size: int = 16,
        device: str = "auto",
        lm: GreedyLM | None = None,
    ) -> None:
        self.lm = load_lm(lm, model_path, device, batch_size, "StructureJudgeReward")
        self.max_input_tokens = max_input_tokens
        self.max_new_tokens = max_new_tokens
        self.counts: Counter[str] = Counter()

    def messages(self, original: str, rephrasing: str) -> list[dict[str, str]]:
        """The few-shot chat: instructions, worked examples as earlier turns, then the pair to judge."""
        half = self.max_input_tokens // 2
        chat = [{"role": "system", "content": JUDGE_SYSTEM}]
        for orig, rewrite, answer in JUDGE_EXAMPLES:
            chat.append({"role": "user", "content": f"{JUDGE_INSTRUCTIONS}\n\nORIGINAL:\n{orig}\n\nREWRITE:\n{rewrite}"})
            chat.append({"role": "assistant", "content": answer})
        chat.append(
            {
                "role": "user",
                "content": f"{JUDGE_INSTRUCTIONS}\n\nORIGINAL:\n{self.lm.head_tail(original, half)}\n\nREWRITE:\n{self.lm.head_tail(rephrasing, half)}",
            }
        )
        return chat

    def score(self, originals: Sequence[str], rephrasings: Sequence[str]) -> np.ndarray:
        check_pairs(originals, rephrasings)
        out = np.zeros(len(originals))
        todo = [i for i, r in enumerate(rephrasings) if r.strip()]
        prompts = [self.lm.chat_prompt(self.messages(originals[i], rephrasings[i])) for i in todo]
        for i, answer in zip(todo, self.lm.generate(prompts, self.max_new_tokens)):
            verdict = parse_judge_answer(answer)
            self.counts["judged"] += 1
            if verdict is None:
                self.counts["invalid"] += 1
            else:
                out[i] = float(verdict)
        return out
