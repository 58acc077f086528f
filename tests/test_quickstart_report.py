"""The quickstart report on hand-made phase outputs: what each plot counts, thresholds, per-seed perplexities,
epochs per side, and an honest section when there was nothing to mix."""

import json
import re

import pytest

from nemo_repro.config.root import RootConfig
from nemo_repro.quickstart_report import write_quickstart_report

THRESHOLDS = {"min_semantic_f1": 0.62, "min_semantic_f1_setting": "auto", "min_structure": 1.0, "max_length_ratio": 1.25,
              "quality_scorer": "heuristic", "quality_threshold": 0.6, "organic_quality_threshold": 0.6, "min_quality_gain": None,
              "min_coverage": 0.6, "coverage_similarity": 0.85}


def _jsonl(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _task(acc, n=100, baseline=0.25):
    se = (acc * (1 - acc) / n) ** 0.5
    return {"n": n, "acc": acc, "acc_stderr": se, "baseline": baseline, "centered_acc": (acc - baseline) / (1 - baseline), "centered_acc_stderr": se / (1 - baseline)}


def _phase_outputs(root, recycled_f1=0.7):
    _jsonl(root / "data" / "corpus.jsonl", [{"id": f"d{i}", "text": f"original text {i}"} for i in range(40)])
    _jsonl(root / "rl" / "metrics.jsonl", [{"step": s, "reward/total": 0.1 * s} for s in range(1, 6)])
    (root / "rl" / "sft").mkdir(parents=True, exist_ok=True)
    (root / "rl" / "sft" / "losses.json").write_text(json.dumps([6.0, 4.0, 2.5]))
    # 30 recycled; filtered: 1 that has the marker (failed the length check), 9 without it
    recycled = [{"id": f"d{i}", "text": f"recycled {i}", "original_chars": 300, "has_marker": True, "semantic_f1": recycled_f1} for i in range(30)]
    filtered = [{"id": "d30", "text": "long", "reason": "length_ratio 1.40 > 1.25", "original_chars": 300, "has_marker": True, "semantic_f1": 0.8}]
    filtered += [{"id": f"d{i}", "text": "x", "reason": "no marker in the output", "original_chars": 300, "has_marker": False, "semantic_f1": 0.1} for i in range(31, 40)]
    _jsonl(root / "recycle" / "recycled" / "s0.jsonl", recycled)
    _jsonl(root / "recycle" / "filtered" / "s0.jsonl", filtered)


SAMPLES = [{"stage": stage, "split": split, "id": f"p-{split}", "clean_text": "# T\n\nBody.", "answer": "Here is a paraphrased version:\n\n# T",
            "has_marker": True, "answer_chars": 3, "clean_chars": 10} for stage in ("warm-start", "GRPO") for split in ("held-in", "held-out")]


def _cfg():
    cfg = RootConfig()
    cfg.pretrain.global_batch_size, cfg.pretrain.seq_length = 8, 128
    return cfg


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("quickstart") / "qs"
    _phase_outputs(root)
    seeds = [0, 1, 2]
    runs = {}
    for name, ppls, acc in (("organic-only", [30.0, 32.0, 34.0], 0.3), ("organic+recycled", [29.0, 30.0, 31.0], 0.4)):
        runs[name] = {"epochs": {"organic": 2.0} if name == "organic-only" else {"organic": 1.0, "recycled": 2.5}, "seeds": {}}
        for seed, ppl in zip(seeds, ppls):
            out = root / f"pretrain_{name.replace('+', '_').replace('-', '_')}" / f"seed{seed}"
            _jsonl(out / "metrics.jsonl", [{"step": s, "loss": 5.0 - 0.2 * s} for s in range(1, 4)])
            runs[name]["seeds"][seed] = {"run_dir": str(out), "final_loss": 4.4, "heldout": {"perplexity": ppl, "tokens": 5000, "docs": 10},
                                         "eval": {"tasks": {"task_a": _task(0.5), "task_b": _task(acc)}, "core": 0.1 * seed, "core_stderr": 0.04}}
    comparison = {"ran": True, "seeds": seeds, "heldout": {"docs": 10, "seed": 1000003, "tokens": 5000}, "train_iters": 6, "configured_train_iters": 20,
                  "train_tokens": 6144, "max_epochs": 3.0, "weights": {"organic": 0.5, "recycled": 0.5}, "runs": runs}
    summary = {
        "input": 40, "recycled": 30, "filtered": 10, "rejected": 0, "thresholds": THRESHOLDS,
        "reasons": {"filtered": {"no marker in the output": 9, "length_ratio": 1}, "rejected": {}},
        "megatron": {"organic": {"tokens": 1000, "documents": 4}, "recycled": {"tokens": 500, "documents": 30}},
    }
    write_quickstart_report(root, _cfg(), summary, comparison, SAMPLES, {"rl": 1.0}, 2.0)
    return root


@pytest.fixture(scope="module")
def nothing_to_mix(tmp_path_factory):
    root = tmp_path_factory.mktemp("quickstart") / "qs"
    _phase_outputs(root, recycled_f1=0.3)
    for path in (root / "recycle" / "recycled").glob("*.jsonl"):
        path.unlink()
    summary = {"input": 40, "recycled": 0, "filtered": 40, "rejected": 0, "thresholds": THRESHOLDS,
               "reasons": {"filtered": {"semantic_f1 below threshold": 31, "no marker in the output": 9}, "rejected": {}},
               "megatron": {"organic": {"tokens": 1000, "documents": 4}}}
    comparison = {"ran": False, "reason": "no recycled document passed the filters, so there was nothing to mix with the organic pool",
                  "seeds": [0, 1, 2], "heldout": {"docs": 10, "seed": 1000003}}
    write_quickstart_report(root, _cfg(), summary, comparison, [], {"rl": 1.0}, 2.0)
    return root


def test_semantic_f1_plot_counts_recycled_and_filtered_apart(report):
    summary = json.loads((report / "summary.json").read_text())
    assert summary["semantic_f1_plotted"] == {"recycled": 30, "filtered, with marker": 1}
    md = (report / "report.md").read_text()
    assert "draws 30 recycled outputs and 1 filtered outputs that have the marker" in md
    assert "semantic F1 0.700 (the filter keeps >= 0.620)" in md, "the example's F1 is set against the threshold that ran"


def test_thresholds_are_recorded_and_shown(report):
    summary = json.loads((report / "summary.json").read_text())
    assert summary["thresholds"] == THRESHOLDS
    md = (report / "report.md").read_text()
    assert "| min semantic F1 | 0.6200 (setting `auto`) |" in md
    assert "| quality threshold, organic (heuristic) | 0.6000 |" in md
    assert "| min content coverage (not in the paper) | 0.6000 |" in md and "| coverage similarity (calibrated) | 0.8500 |" in md


def test_filter_reasons_are_a_list_in_html(report):
    html = (report / "report.html").read_text()
    assert "<li>filtered: no marker in the output (9), length_ratio (1)</li>" in html
    assert re.search(r"<li>in the mix: organic 4 pages \(1000 tokens", html)


def test_per_seed_perplexity_epochs_and_spread(report):
    comparison = json.loads((report / "summary.json").read_text())["comparison"]
    assert comparison["ran"] is True and comparison["train_tokens"] == 6144 and comparison["seeds"] == [0, 1, 2]
    only, mixed = comparison["runs"]["organic-only"], comparison["runs"]["organic+recycled"]
    assert only["heldout_perplexity"] == {"0": 30.0, "1": 32.0, "2": 34.0}
    assert only["heldout_perplexity_mean"] == pytest.approx(32.0) and only["heldout_perplexity_sd"] == pytest.approx(2.0)
    assert mixed["epochs"] == {"organic": 1.0, "recycled": 2.5}
    assert mixed["eval_score_mean"] == pytest.approx(0.1) and mixed["eval_score_sd"] == pytest.approx(0.1)
    md = (report / "report.md").read_text()
    assert "| organic-only | 30.00 | 32.00 | 34.00 | **32.00 ± 2.00** |" in md
    assert "| organic+recycled | 1.00 | 2.50 |" in md and "| organic-only | 2.00 | - |" in md
    assert "**6,144 tokens**" in md and "cannot show the paper's effect" in md
    b = _task(0.4)["centered_acc"]
    assert f"| task_b | 100 | {_task(0.3)['centered_acc']:.4f} ± 0.0000 | {b:.4f} ± 0.0000 |" in md
    for png in ("semantic_f1", "eval", "pretrain_loss", "lengths", "heldout_perplexity", "rl_rewards", "recycle_counts"):
        assert (report / "plots" / f"{png}.png").stat().st_size > 1000
        assert f"plots/{png}.png" in md
    assert "| GRPO | held-out | `p-held-out` | yes | 3 | 10 |" in md


def test_nothing_to_mix_is_reported_not_raised(nothing_to_mix):
    summary = json.loads((nothing_to_mix / "summary.json").read_text())
    assert summary["comparison"]["ran"] is False and "nothing to mix" in summary["comparison"]["reason"]
    assert summary["counts"]["recycled"] == 0 and summary["reconciles"] is True
    md = (nothing_to_mix / "report.md").read_text()
    assert "**Not run: no recycled document passed the filters" in md
    assert "filtered: semantic_f1 below threshold (31)" in md
    assert "semantic F1 0.800" in md, "with nothing recycled, the example is the best filtered rephrasing, with its reason"
    assert not (nothing_to_mix / "plots" / "heldout_perplexity.png").exists()
