"""The quickstart's report: summary.json, PNG plots, report.md, report.html and a console summary."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nemo_repro.config.root import RootConfig
from nemo_repro.plots import plot_bars, plot_curves, plot_histograms, plot_tasks_and_score
from nemo_repro.report_html import write_html_report
from nemo_repro.runs import read_metrics, write_atomic

REWARD_KEYS = ("reward/total", "reward/quality", "reward/semantic", "reward/structure", "reward/length", "reward/format")
COUNT_KEYS = ("input", "recycled", "filtered", "rejected")

REAL_RUN = """```bash
# 1. GRPO-train the rephraser (paper values: Qwen3-4B, group 8, 2000 steps, vLLM colocated rollouts)
nemo-repro rl rl=repro_4b rl.policy=/models/Qwen3-4B rl.data=/data/dclm_rl_prompts.jsonl run.dir=runs/rl
# or skip RL and recycle with an existing RePro rephraser checkpoint from a local folder, vLLM on GPU:
nemo-repro recycle recycle=repro recycle.rephraser=/models/repro-rephraser-4b recycle.backend=vllm \\
    recycle.input='/data/dclm/*.jsonl' recycle.tokenizer=/models/gpt-neox-20b run.dir=runs/recycle
# 2. pretrain on the 1:1 mix with the DCLM 400M (or 1.4B) settings, one task per GPU
torchrun --nproc_per_node=8 -m nemo_repro.cli pretrain pretrain=gpt_400m pretrain.tokenizer=/models/gpt-neox-20b \\
    pretrain.data=runs/recycle/megatron/blend.json run.dir=runs/pretrain_400m
# 3. DCLM Core on the 22 tasks (llm-foundry jsonl files)
nemo-repro evaluate evaluate=dclm_core evaluate.model=runs/pretrain_400m/checkpoints \\
    evaluate.data_dir=/data/dclm_eval run.dir=runs/eval_400m
# or all of it as chained SLURM jobs with pyxis containers (inspect with launch.dry_run=true first)
nemo-repro launch stages=[rl,recycle,pretrain,evaluate] cluster=slurm cluster.account=ACCOUNT \\
    cluster.partition=PARTITION container=nvcr.io/nvidia/nemo:25.09 container_mounts=[/data:/data,/models:/models] \\
    rl=repro_4b rl.policy=/models/Qwen3-4B rl.data=/data/dclm_rl_prompts.jsonl recycle=repro \\
    recycle.input='/data/dclm/*.jsonl' recycle.tokenizer=/models/gpt-neox-20b pretrain=gpt_400m \\
    evaluate=dclm_core evaluate.data_dir=/data/dclm_eval launch.dry_run=true run.dir=runs/paper
```"""


@dataclass
class QuickstartReport:
    markdown: Path
    html: Path
    summary: Path
    console_summary: str


def _fmt(value: Any, digits: int = 4) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.{digits}f}"
    return str(value)


def _fifths(rows: list[dict], key: str) -> tuple[float, float]:
    values = [r[key] for r in rows if isinstance(r.get(key), (int, float))]
    if not values:
        return float("nan"), float("nan")
    k = max(1, len(values) // 5)
    return sum(values[:k]) / k, sum(values[-k:]) / k


def _rows(recycle_dir: Path) -> list[dict]:
    rows = []
    for folder in ("recycled", "filtered"):
        for path in sorted((recycle_dir / folder).glob("*.jsonl")):
            with path.open(encoding="utf-8") as f:
                rows += [json.loads(line) for line in f if line.strip()]
    return rows


def _finite(values) -> list[float]:
    return [float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)]


def _against_threshold(f1: Any, threshold: float = 0.65) -> str:
    if not isinstance(f1, (int, float)) or math.isnan(f1):
        return "no score for"
    return "below" if f1 < threshold else "at or above"


def _example(root: Path, scored: list[dict]) -> list[str]:
    """One recycled document beside its original, so a reader sees what the tiny rephraser really wrote."""
    recycled = [r for r in scored if r.get("has_marker") and r.get("text") and "reason" not in r]
    if not recycled:
        return ["No document was recycled in this run (see the filter reasons above)."]
    row = recycled[0]
    original = next((json.loads(line)["text"] for line in (root / "data" / "corpus.jsonl").open(encoding="utf-8") if json.loads(line)["id"] == row["id"]), "")
    quote = lambda text: ["    " + line for line in text[:400].splitlines()]  # noqa: E731
    return [
        f"An example (`{row['id']}`), first 400 characters. A tiny rephraser writes mostly noise, and the",
        f"small sample-corpus quality classifier rates it highly (quality {_fmt(row.get('quality_before'), 3)} -> "
        f"{_fmt(row.get('quality_after'), 3)}): the reward hacking that RePro's faithfulness rewards exist to stop",
        "(semantic F1 here: " + _fmt(row.get("semantic_f1"), 3) + f", {_against_threshold(row.get('semantic_f1'))} the 0.65 a faithful rephrasing needs).",
        "",
        "Original:",
        "",
        *quote(original),
        "",
        "Recycled:",
        "",
        *quote(row["text"]),
    ]


def write_quickstart_report(
    root: Path,
    cfg: RootConfig,
    recycle_summary: dict[str, Any],
    pretrain_dirs: dict[str, Path],
    results: dict[str, dict[str, Any]],
    phase_seconds: dict[str, float],
    wall_seconds: float,
) -> QuickstartReport:
    plots = root / "plots"
    plots.mkdir(exist_ok=True)

    rl_rows = read_metrics(root / "rl" / "metrics.jsonl")
    plot_curves(rl_rows, REWARD_KEYS, plots / "rl_rewards.png", "GRPO rewards by component (tiny rephraser)", "mean reward")
    reward_fifths = {key: _fifths(rl_rows, key) for key in REWARD_KEYS}

    counts = {key: int(recycle_summary[key]) for key in COUNT_KEYS}
    plot_bars(list(COUNT_KEYS), {"documents": [counts[k] for k in COUNT_KEYS]}, plots / "recycle_counts.png", "Recycling: where every input document went", "documents")

    # Output rows carry the recycled text as `text` and the original's length as `original_chars`;
    # filtered rows carry a `reason`. A filtered output can still have the marker (it failed another
    # check), so recycled and filtered rephrasings are drawn as separate series with their own n.
    scored = _rows(root / "recycle")
    recycled_rows = [r for r in scored if "reason" not in r]
    filtered_marked = [r for r in scored if "reason" in r and r.get("has_marker")]
    originals = _finite(r.get("original_chars") for r in scored)
    lengths = {
        "originals": originals,
        "recycled": _finite(len(r["text"]) for r in recycled_rows if r.get("text")),
        "filtered, with marker": _finite(len(r["text"]) for r in filtered_marked if r.get("text")),
    }
    plot_histograms(lengths, plots / "lengths.png", "Document length (characters, log scale)", "characters", log_x=True)
    f1 = {
        "recycled": _finite(r.get("semantic_f1") for r in recycled_rows),
        "filtered, with marker": _finite(r.get("semantic_f1") for r in filtered_marked),
    }
    plot_histograms(f1, plots / "semantic_f1.png", "Semantic F1 (BERTScore, MiniLM) of rephrasings vs their originals", "F1", value_range=(0.0, 1.0))
    f1_counts = {name: len(values) for name, values in f1.items()}

    loss_rows = []
    final_loss = {}
    for name, out in pretrain_dirs.items():
        rows = read_metrics(out / "metrics.jsonl")
        loss_rows += [{"step": r["step"], name: r["loss"]} for r in rows if "loss" in r]
        losses = [r["loss"] for r in rows if isinstance(r.get("loss"), (int, float))]
        final_loss[name] = losses[-1] if losses else float("nan")
    tokens_per_step = cfg.pretrain.global_batch_size * cfg.pretrain.seq_length
    plot_curves(loss_rows, list(pretrain_dirs), plots / "pretrain_loss.png", "Pretraining loss, same token budget", "loss", tokens_per_step=tokens_per_step)

    task_names = sorted({t for r in results.values() for t in r["tasks"]})
    plot_tasks_and_score(
        task_names,
        {name: [r["tasks"][t]["centered_acc"] for t in task_names] for name, r in results.items()},
        {name: r["core"] for name, r in results.items()},
        plots / "eval.png",
        "Centered accuracy on the embedded tasks (error bars: 1 SE)",
        "centered accuracy",
        errors={name: [r["tasks"][t]["centered_acc_stderr"] for t in task_names] for name, r in results.items()},
        score_errors={name: r["core_stderr"] for name, r in results.items()},
    )

    summary = {
        "counts": counts,
        "reconciles": counts["input"] == counts["recycled"] + counts["filtered"] + counts["rejected"],
        "reasons": recycle_summary.get("reasons", {}),
        "rl": {key: {"first_fifth": a, "last_fifth": b} for key, (a, b) in reward_fifths.items()} | {"steps": len(rl_rows)},
        "tokens": {side: recycle_summary["megatron"].get(side, {}).get("tokens", 0) for side in ("organic", "recycled")},
        "pretrain": {name: {"final_loss": final_loss[name], "run_dir": str(out)} for name, out in pretrain_dirs.items()},
        "semantic_f1_plotted": f1_counts,
        "pretrain_tokens_per_step": tokens_per_step,
        "evaluate": {
            name: {
                "score": r["core"],
                "score_stderr": r["core_stderr"],
                "tasks": {t: {k: r["tasks"][t][k] for k in ("n", "acc", "acc_stderr", "centered_acc", "centered_acc_stderr")} for t in r["tasks"]},
            }
            for name, r in results.items()
        },
        "phase_seconds": phase_seconds,
        "wall_seconds": round(wall_seconds, 1),
    }
    summary_path = root / "summary.json"
    write_atomic(summary_path, json.dumps(summary, indent=2) + "\n")

    md = [
        "# nemo_repro quickstart: the whole RePro loop on CPU",
        "",
        "> **What this shows, and what it does not.** Every model here is tiny (well under a million parameters besides",
        "> the embeddings) and starts from random weights, trained for seconds on a generated corpus.",
        "> The run proves the machinery (GRPO with the real rewards, the NeMo Curator pipeline with nothing lost,",
        "> Megatron-Core pretraining on the blend, lm-eval scoring); it does **not** reproduce the paper's gains,",
        "> which need a 4B rephraser and 400M-1.4B models trained on billions of tokens (commands at the end).",
        "",
        f"Wall time {summary['wall_seconds']} s: " + ", ".join(f"{k} {v:.0f} s" for k, v in phase_seconds.items()) + ".",
        "",
        "## 1. GRPO training of the rephraser",
        "",
        f"{len(rl_rows)} steps. Mean reward, first fifth of the steps -> last fifth:",
        "",
        "| reward | first fifth | last fifth |",
        "|---|---:|---:|",
        *[f"| {key} | {_fmt(a)} | {_fmt(b)} |" for key, (a, b) in reward_fifths.items()],
        "",
        "![reward curves](plots/rl_rewards.png)",
        "",
        "## 2. Recycling through the NeMo Curator pipeline",
        "",
        "| input | recycled | filtered | rejected |",
        "|---:|---:|---:|---:|",
        f"| {counts['input']} | {counts['recycled']} | {counts['filtered']} | {counts['rejected']} |",
        "",
        f"Counts reconcile (input = recycled + filtered + rejected): **{'yes' if summary['reconciles'] else 'NO'}**.",
        "",
        *[f"- {kind}: " + ", ".join(f"{reason} ({n})" for reason, n in reasons.items()) for kind, reasons in summary["reasons"].items() if reasons],
        f"- tokens in the mix: organic {summary['tokens']['organic']}, recycled {summary['tokens']['recycled']}",
        "",
        "![counts](plots/recycle_counts.png)",
        "",
        "![lengths](plots/lengths.png)",
        "",
        "![semantic F1](plots/semantic_f1.png)",
        "",
        f"The semantic-F1 histogram draws {f1_counts['recycled']} recycled outputs and {f1_counts['filtered, with marker']} filtered"
        " outputs that have the marker but failed another check; an output without the marker has no rephrasing to score.",
        "",
        *_example(root, scored),
        "",
        "## 3. Pretraining (Megatron-Core), same token budget",
        "",
        "| run | final loss |",
        "|---|---:|",
        *[f"| {name} | {_fmt(final_loss[name])} |" for name in pretrain_dirs],
        "",
        "Each loss is measured on that run's own training mix, so the two curves show that both runs train,",
        "not which data is better; the evaluation below compares them on the same held-out tasks.",
        "",
        "![loss curves](plots/pretrain_loss.png)",
        "",
        f"One step is {cfg.pretrain.global_batch_size} sequences x {cfg.pretrain.seq_length} tokens = {tokens_per_step:,} tokens (top axis).",
        "",
        "## 4. Evaluation (lm-eval, embedded tasks; centered accuracy ± standard error)",
        "",
        "| task | n | " + " | ".join(results) + " |",
        "|---|---:|" + "---:|" * len(results),
        *[
            f"| {t} | {next(iter(results.values()))['tasks'][t]['n']} | "
            + " | ".join(f"{_fmt(r['tasks'][t]['centered_acc'])} ± {_fmt(r['tasks'][t]['centered_acc_stderr'])}" for r in results.values())
            + " |"
            for t in task_names
        ],
        "| **mean (score)** | | " + " | ".join(f"**{_fmt(r['core'])} ± {_fmt(r['core_stderr'])}**" for r in results.values()) + " |",
        "",
        "Centered accuracy is (acc - b) / (1 - b) with b the task's chance accuracy: 0 at chance, 1 when perfect.",
        "The standard error is binomial, sqrt(acc (1 - acc) / n) / (1 - b); the score's is that of a mean of independent",
        "tasks. Two runs whose values lie within about two standard errors of each other are not distinguished by this test.",
        "",
        "![evaluation](plots/eval.png)",
        "",
        "## A real run",
        "",
        REAL_RUN,
        "",
        "Per-phase run directories (each with its config.yaml, metrics.jsonl, TensorBoard events and report.md): "
        + ", ".join(f"`{p.name}/`" for p in sorted(root.iterdir()) if (p / "report.md").exists()),
    ]
    md_path = root / "report.md"
    write_atomic(md_path, "\n".join(md) + "\n")
    html_path = write_html_report(md_path)

    console = [
        "",
        "=" * 72,
        "nemo-repro quickstart finished in %.0f s" % wall_seconds,
        f"  GRPO reward (total)   first fifth {_fmt(reward_fifths['reward/total'][0], 3)} -> last fifth {_fmt(reward_fifths['reward/total'][1], 3)}",
        f"  recycling             input {counts['input']} = recycled {counts['recycled']} + filtered {counts['filtered']} + rejected {counts['rejected']}",
        *[f"  pretrain {name:<16} final loss {_fmt(final_loss[name], 3)}   eval score {_fmt(results[name]['core'], 3)}" for name in pretrain_dirs],
        "  tiny random-init models: this proves the machinery, not the paper's gains.",
        f"  report:  {md_path}",
        f"  html:    {html_path}",
        f"  summary: {summary_path}",
        "=" * 72,
    ]
    return QuickstartReport(md_path, html_path, summary_path, "\n".join(console))
