"""The quickstart report on hand-made phase outputs: what each plot counts, lists, standard errors, the token axis."""

import json
import re

import pytest

from nemo_repro.config.root import RootConfig
from nemo_repro.quickstart_report import write_quickstart_report


def _jsonl(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _task(acc, n=100, baseline=0.25):
    se = (acc * (1 - acc) / n) ** 0.5
    return {"n": n, "acc": acc, "acc_stderr": se, "baseline": baseline, "centered_acc": (acc - baseline) / (1 - baseline), "centered_acc_stderr": se / (1 - baseline)}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("quickstart") / "qs"
    _jsonl(root / "data" / "corpus.jsonl", [{"id": f"d{i}", "text": f"original text {i}"} for i in range(40)])
    _jsonl(root / "rl" / "metrics.jsonl", [{"step": s, "reward/total": 0.1 * s} for s in range(1, 6)])
    # 30 recycled; filtered: 1 that has the marker (failed the length check), 9 without it
    recycled = [{"id": f"d{i}", "text": f"recycled {i}", "original_chars": 300, "has_marker": True, "semantic_f1": 0.7} for i in range(30)]
    filtered = [{"id": "d30", "text": "long", "reason": "length_ratio 1.40 > 1.25", "original_chars": 300, "has_marker": True, "semantic_f1": 0.8}]
    filtered += [{"id": f"d{i}", "text": "x", "reason": "no marker in the output", "original_chars": 300, "has_marker": False, "semantic_f1": 0.1} for i in range(31, 40)]
    _jsonl(root / "recycle" / "recycled" / "s0.jsonl", recycled)
    _jsonl(root / "recycle" / "filtered" / "s0.jsonl", filtered)
    pretrain_dirs = {}
    for name in ("organic-only", "organic+recycled"):
        out = root / f"pretrain_{name}"
        _jsonl(out / "metrics.jsonl", [{"step": s, "loss": 5.0 - 0.2 * s} for s in range(1, 4)])
        pretrain_dirs[name] = out
    results = {
        name: {"tasks": {"task_a": _task(0.5), "task_b": _task(acc)}, "core": 0.0, "core_stderr": 0.04}
        for name, acc in (("organic-only", 0.3), ("organic+recycled", 0.4))
    }
    summary = {
        "input": 40,
        "recycled": 30,
        "filtered": 10,
        "rejected": 0,
        "reasons": {"filtered": {"no marker in the output": 9, "length_ratio": 1}, "rejected": {}},
        "megatron": {"organic": {"tokens": 1000}, "recycled": {"tokens": 500}},
    }
    cfg = RootConfig()
    cfg.pretrain.global_batch_size, cfg.pretrain.seq_length = 8, 128
    write_quickstart_report(root, cfg, summary, pretrain_dirs, results, {"rl": 1.0}, 2.0)
    return root


def test_semantic_f1_plot_counts_recycled_and_filtered_apart(report):
    summary = json.loads((report / "summary.json").read_text())
    assert summary["semantic_f1_plotted"] == {"recycled": 30, "filtered, with marker": 1}
    md = (report / "report.md").read_text()
    assert "draws 30 recycled outputs and 1 filtered outputs that have the marker" in md
    assert "semantic F1 here: 0.700, at or above the 0.65" in md, "the example's F1 is compared to the threshold truthfully"


def test_filter_reasons_are_a_list_in_html(report):
    html = (report / "report.html").read_text()
    assert "<li>filtered: no marker in the output (9), length_ratio (1)</li>" in html
    assert re.search(r"<li>tokens in the mix: organic 1000, recycled 500</li>", html)


def test_evaluation_has_standard_errors_and_the_token_scale(report):
    summary = json.loads((report / "summary.json").read_text())
    task = summary["evaluate"]["organic+recycled"]["tasks"]["task_b"]
    assert task["acc_stderr"] == pytest.approx((0.4 * 0.6 / 100) ** 0.5) and task["n"] == 100
    assert summary["evaluate"]["organic-only"]["score_stderr"] == 0.04
    assert summary["pretrain_tokens_per_step"] == 8 * 128
    md = (report / "report.md").read_text()
    b = _task(0.4)
    assert f"| task_b | 100 | {_task(0.3)['centered_acc']:.4f} ± {_task(0.3)['centered_acc_stderr']:.4f} | {b['centered_acc']:.4f} ± {b['centered_acc_stderr']:.4f} |" in md
    assert "**0.0000 ± 0.0400**" in md and "1,024 tokens" in md
    for png in ("semantic_f1", "eval", "pretrain_loss", "lengths"):
        assert (report / "plots" / f"{png}.png").stat().st_size > 1000
