"""Embedded evaluation tasks for the quickstart, derived from the sample corpus (no downloads).

Three small llm-foundry-format files, one per format, named `sample_*` so they are
never mistaken for DCLM tasks (their baselines are stated in `suite.SAMPLE_TASKS`):

    sample_next_sentence  multiple choice: the sentence that really follows, among 3 from other topics
    sample_topic_schema   schema: "A note on <topic>:" with the right or a wrong topic, then a sentence
    sample_last_words     language modeling: a sentence's last word, by exact greedy match

A model pretrained on the sample corpus should beat chance on all three.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from nemo_repro.data.sample_corpus import generate_corpus
from nemo_repro.runs import write_atomic

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _prose_paragraphs(text: str) -> list[list[str]]:
    """Sentences of each prose paragraph (headings, lists, tables and code left out)."""
    out = []
    for para in text.split("\n\n"):
        para = para.strip()
        if not para or "\n" in para or para[0] in "#-|`0123456789" or not para.endswith("."):
            continue
        sentences = [s for s in _SENTENCE_END.split(para) if len(s.split()) >= 4]
        if sentences:
            out.append(sentences)
    return out


def build_sample_tasks(n_per_task: int = 100, n_docs: int = 80, seed: int = 0) -> dict[str, list[dict]]:
    """Rows of each sample task, deterministic in `seed`."""
    rng = random.Random(seed)
    docs = [(d["topic"], _prose_paragraphs(d["clean_text"])) for d in generate_corpus(n_docs, seed=seed)]
    topics = sorted({t for t, _ in docs})
    by_topic = {t: [s for topic, paras in docs if topic == t for p in paras for s in p] for t in topics}

    next_sentence, seen = [], set()
    pairs = [(t, p[i - 1], p[i]) for t, paras in docs for p in paras for i in range(1, len(p))]
    rng.shuffle(pairs)
    for topic, before, after in pairs:
        if (before, after) in seen:
            continue
        seen.add((before, after))
        others = [s for t in topics if t != topic for s in by_topic[t]]
        choices = [after, *rng.sample(others, 3)]
        rng.shuffle(choices)
        next_sentence.append({"query": before, "choices": choices, "gold": choices.index(after)})
        if len(next_sentence) == n_per_task:
            break

    schema, last_words = [], []
    sentences = sorted({(t, s) for t in topics for s in by_topic[t]})
    rng.shuffle(sentences)
    for topic, sentence in sentences[:n_per_task]:
        wrong = rng.choice([t for t in topics if t != topic])
        options = [f"A note on {topic}:", f"A note on {wrong}:"]
        gold = rng.randrange(2)
        if gold:
            options.reverse()
        schema.append({"context_options": options, "continuation": sentence, "gold": gold})
        head, _, last = sentence.rpartition(" ")
        last_words.append({"context": head, "continuation": last})
    return {"sample_next_sentence": next_sentence, "sample_topic_schema": schema, "sample_last_words": last_words}


def write_sample_tasks(out_dir: str | Path, n_per_task: int = 100, seed: int = 0) -> Path:
    """Write `<out_dir>/<task>.jsonl` for the three sample tasks; returns `out_dir` (an `evaluate.data_dir`)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in build_sample_tasks(n_per_task, seed=seed).items():
        write_atomic(out / f"{name}.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    return out
