"""The quickstart: its budget arithmetic, and end to end with even smaller settings (every artifact, the report agrees
with summary.json, the filters ran at real thresholds)."""

import json
import math
import re

import pytest

from nemo_repro import cli
from nemo_repro.quickstart import nothing_to_mix, sized_train_iters


def test_train_iters_keep_every_side_within_max_epochs():
    tokens = {"organic": 10_000, "recycled": 2_000}
    weights = {"organic": 0.5, "recycled": 0.5}
    # recycled at weight 1/2 bounds the budget: 3 epochs of 2,000 tokens = 12,000 train tokens = 11 iterations of 1,024
    assert sized_train_iters(tokens, weights, 1024, max_iters=100, max_epochs=3.0) == 11
    assert sized_train_iters(tokens, weights, 1024, max_iters=5, max_epochs=3.0) == 5, "never more than configured"
    # organic-only reads the organic side alone: it bounds the budget when the recycled side is the larger
    assert sized_train_iters({"organic": 2_000, "recycled": 50_000}, weights, 1000, 100, 2.0) == 4


def test_nothing_to_mix_names_the_empty_side():
    assert "nothing to mix" in nothing_to_mix({"organic": {"tokens": 5}})
    assert "organic-only baseline" in nothing_to_mix({"organic": {"tokens": 0}, "recycled": {"tokens": 5}})
    assert nothing_to_mix({"organic": {"tokens": 5}, "recycled": {"tokens": 5}}) is None


@pytest.mark.slow
def test_quickstart_end_to_end(tmp_path, capsys):
    """A few RL steps (too few to pass the filters), so the recycled side comes from precomputed rewrites holding each
    page's clean article: the comparison path runs with the filters at the thresholds the quickstart uses."""
    from nemo_repro.data.sample_corpus import short_documents

    n_docs, seed = 40, 0
    rewrites = tmp_path / "rewrites.jsonl"
    rewrites.write_text("".join(json.dumps({"id": d["id"], "text": d["clean_text"]}) + "\n" for d in short_documents(n_docs, seed)))
    run_dir = tmp_path / "qs"
    code = cli.main(
        [
            "quickstart",
            f"run.dir={run_dir}",
            f"run.seed={seed}",
            f"quickstart.n_docs={n_docs}",
            "quickstart.eval_items_per_task=5",
            "quickstart.seeds=2",
            "quickstart.heldout_docs=4",
            "quickstart.samples=1",
            "rl.max_docs=8",
            "rl.max_steps=2",
            "rl.save_steps=2",
            "rl.sft_warmup.steps=2",
            "rl.sft_warmup.sample_pages=16",
            "rl.max_completion_length=16",
            "recycle.backend=precomputed",
            f"recycle.rewrites={rewrites}",
            "recycle.sampling.max_new_tokens=16",
            "recycle.executor=local",
            "pretrain.train_iters=4",
            "run.progress=false",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert str(run_dir / "report.md") in out and "not the paper's gains" in out

    summary = json.loads((run_dir / "summary.json").read_text())
    counts = summary["counts"]
    assert counts["input"] == n_docs == counts["recycled"] + counts["filtered"] + counts["rejected"]
    assert summary["reconciles"] is True

    # the filters ran at the quickstart's own thresholds, none of them off
    t = summary["thresholds"]
    assert t["min_semantic_f1_setting"] == "auto" and isinstance(t["min_semantic_f1"], float) and 0.0 < t["min_semantic_f1"] < 1.0
    assert t["quality_scorer"] == "heuristic" and t["quality_threshold"] >= 0.6 and t["organic_quality_threshold"] >= 0.6
    assert t["min_structure"] == 1.0 and t["max_length_ratio"] == 1.25
    assert t["min_coverage"] == 0.45 and isinstance(t["coverage_similarity"], float) and 0.0 < t["coverage_similarity"] < 1.0
    assert summary["rl"]["steps"] == 2 and summary["rl"]["sft_steps"] == 2
    assert {(r["stage"], r["split"]) for r in summary["policy_samples"]} == {(s, p) for s in ("warm-start", "GRPO") for p in ("held-in", "held-out")}

    comparison = summary["comparison"]
    assert comparison["ran"] is True, comparison.get("reason")
    assert summary["tokens"]["organic"] > 0 and summary["tokens"]["recycled"] > 0
    assert comparison["seeds"] == [0, 1] and comparison["heldout"]["docs"] == 4 and comparison["heldout"]["tokens"] > 0
    assert comparison["train_tokens"] == comparison["train_iters"] * summary["pretrain_tokens_per_step"] and 2 <= comparison["train_iters"] <= 4
    runs = comparison["runs"]
    assert set(runs) == {"organic-only", "organic+recycled"}
    assert set(runs["organic-only"]["epochs"]) == {"organic"} and set(runs["organic+recycled"]["epochs"]) == {"organic", "recycled"}
    for name, r in runs.items():
        assert all(0 < e <= comparison["max_epochs"] + 1e-6 for e in r["epochs"].values()), (name, r["epochs"])
        assert set(r["heldout_perplexity"]) == {"0", "1"}
        assert all(math.isfinite(p) and p > 1 for p in r["heldout_perplexity"].values())

    report = (run_dir / "report.md").read_text()
    row = re.search(r"\| (\d+) \| (\d+) \| (\d+) \| (\d+) \|", report)
    assert row and [int(x) for x in row.groups()] == [counts[k] for k in ("input", "recycled", "filtered", "rejected")]
    for name, r in runs.items():
        assert f"{r['heldout_perplexity_mean']:.2f} ± {r['heldout_perplexity_sd']:.2f}" in report, name
    pngs = ("rl_rewards", "recycle_counts", "lengths", "semantic_f1", "heldout_perplexity", "pretrain_loss", "eval")
    for png in pngs:
        assert (run_dir / "plots" / f"{png}.png").stat().st_size > 1000, png
        assert f"plots/{png}.png" in report
    html = (run_dir / "report.html").read_text()
    assert html.count("data:image/png;base64,") == len(pngs)
    assert (run_dir / "rl" / "final" / "config.json").exists() and (run_dir / "rl" / "samples.json").exists()
    assert (run_dir / "recycle" / "megatron" / "blend.json").exists()
    assert (run_dir / "pretrain_organic_recycled" / "seed1" / "metrics.jsonl").exists()
    assert (run_dir / "config.yaml").exists()
