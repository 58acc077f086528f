"""Our adapter against lm-eval's own `hf` model on the same weights and the same task files."""

import dataclasses

import pytest

from nemo_repro.evaluate.models import token_counter
from nemo_repro.evaluate.runner import run_lm_eval
from nemo_repro.evaluate.score import sample_choice
from nemo_repro.evaluate.suite import get_task


def _per_item(lm, tasks, yaml_dir):
    out = run_lm_eval(lm, tasks, yaml_dir, limit=50)
    count = token_counter(lm)
    items = {}
    for spec in tasks:
        samples = sorted(out["samples"][spec.name], key=lambda s: s["doc_id"])
        if spec.format == "language_modeling":
            items[spec.name] = [(s["filtered_resps"][0][1], s["filtered_resps"][0][0]) for s in samples]
        else:
            items[spec.name] = [(sample_choice(s, count), [r[0] for r in s["filtered_resps"]]) for s in samples]
    return items


def test_same_choices_as_lm_eval_hf(tiny_qwen2_dir, make_logits_lm, arc_easy_dir, sample_task_dir, tmp_path):
    from lm_eval.models.huggingface import HFLM

    tasks = {
        dataclasses.replace(get_task("arc_easy"), num_fewshot=2): arc_easy_dir / "arc_easy.jsonl",
        get_task("sample_topic_schema"): sample_task_dir / "sample_topic_schema.jsonl",
        get_task("sample_last_words"): sample_task_dir / "sample_last_words.jsonl",
    }
    hf = HFLM(pretrained=str(tiny_qwen2_dir), batch_size=8, device="cpu")
    theirs = _per_item(hf, tasks, tmp_path / "hf")
    ours = _per_item(make_logits_lm(batch_size=8, max_length=hf.max_length), tasks, tmp_path / "ours")
    assert len(ours["arc_easy"]) == 50
    for name in theirs:
        assert [c for c, _ in ours[name]] == [c for c, _ in theirs[name]], name
        for (_, a), (_, b) in zip(ours[name], theirs[name]):
            assert a == pytest.approx(b, abs=1e-3)
