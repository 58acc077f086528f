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
from nemo_repro.rewards.calibrate import COVERAGE_FALSE_MATCH_RATE
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


def _example(root: Path, scored: list[dict], threshold: Any) -> list[str]:
    """One rephrasing beside its original, so a reader sees what the tiny rephraser really wrote: a recycled one,
    else the filtered one with the marker that scored the highest semantic F1, with its filter reason."""
    recycled = [r for r in scored if r.get("text") and "reason" not in r]  # precomputed rewrites carry no marker
    marked = sorted((r for r in scored if r.get("has_marker") and r.get("text") and "reason" in r), key=lambda r: -(r.get("semantic_f1") or 0.0))
    if not recycled and not marked:
        return ["No document was recycled and no filtered output had the marker, so there is no rephrasing to show."]
    row = (recycled or marked)[0]
    original = next((json.loads(line)["text"] for line in (root / "data" / "corpus.jsonl").open(encoding="utf-8") if json.loads(line)["id"] == row["id"]), "")
    quote = lambda text: ["    " + line for line in text[:400].splitlines()]  # noqa: E731
    verdict = "recycled" if recycled else f"filtered: {row['reason']}"
    f1_line = f"semantic F1 {_fmt(row.get('semantic_f1'), 3)}" + (f" (the filter keeps >= {_fmt(threshold, 3)})" if isinstance(threshold, (int, float)) else "")
    return [
        f"An example (`{row['id']}`, {verdict}; {f1_line}; quality {_fmt(row.get('quality_before'), 3)} -> {_fmt(row.get('quality_after'), 3)}),"
        " first 400 characters of each:",
        "",
        "Original:",
        "",
        *quote(original),
        "",
        "Rephrasing:",
        "",
        *quote(row["text"]),
    ]


def _mean_sd(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (NaN sd for one value)."""
    values = _finite(values)
    if not values:
        return float("nan"), float("nan")
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, float("nan")
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def _pm(pair: tuple[float, float], digits: int = 4) -> str:
    mean, sd = pair
    return f"{_fmt(mean, digits)} ± {_fmt(sd, digits)}"


def _thresholds_md(thresholds: dict[str, Any]) -> list[str]:
    rows = [
        ("marker required", "yes (`Here is a paraphrased version:`)"),
        ("min semantic F1", f"{_fmt(thresholds.get('min_semantic_f1'))} (setting `{thresholds.get('min_semantic_f1_setting')}`)"),
        ("min structure", _fmt(thresholds.get("min_structure"))),
        ("max length ratio", _fmt(thresholds.get("max_length_ratio"))),
        (f"quality threshold, recycled ({thresholds.get('quality_scorer')})", _fmt(thresholds.get("quality_threshold"))),
        (f"quality threshold, organic ({thresholds.get('quality_scorer')})", _fmt(thresholds.get("organic_quality_threshold"))),
        ("min content coverage (not in the paper)", _fmt(thresholds.get("min_coverage"))),
        ("coverage similarity (calibrated)", _fmt(thresholds.get("coverage_similarity"))),
    ]
    return ["| check | threshold (None = off) |", "|---|---|", *[f"| {a} | {b} |" for a, b in rows]]


def _samples_md(samples: list[dict]) -> list[str]:
    if not samples:
        return []
    lines = [
        "What the rephraser answers (greedy), after the warm-start and after GRPO, on pages it trained on (held-in)",
        "and pages it never saw (held-out). The target is the marker and the page's clean article.",
        "",
        "| stage | pages | id | marker | answer chars | clean article chars |",
        "|---|---|---|---|---:|---:|",
        *[f"| {r['stage']} | {r['split']} | `{r['id']}` | {'yes' if r['has_marker'] else 'no'} | {r['answer_chars']} | {r['clean_chars']} |" for r in samples],
        "",
    ]
    for r in samples:
        head = f"After {r['stage']}, {r['split']} page `{r['id']}`"
        if not r["answer"].strip():
            lines += [f"{head}: the answer is empty ({len(r['answer'])} whitespace characters).", ""]
            continue
        lines += [f"{head}, first 300 characters of the answer:", "", *["    " + line for line in r["answer"][:300].strip().splitlines()], ""]
    return lines


def write_quickstart_report(
    root: Path,
    cfg: RootConfig,
    recycle_summary: dict[str, Any],
    comparison: dict[str, Any],
    samples: list[dict],
    phase_seconds: dict[str, float],
    wall_seconds: float,
) -> QuickstartReport:
    plots = root / "plots"
    plots.mkdir(exist_ok=True)

    rl_rows = read_metrics(root / "rl" / "metrics.jsonl")
    plot_curves(rl_rows, REWARD_KEYS, plots / "rl_rewards.png", "GRPO rewards by component (tiny rephraser)", "mean reward")
    reward_fifths = {key: _fifths(rl_rows, key) for key in REWARD_KEYS}
    sft_losses_path = root / "rl" / "sft" / "losses.json"
    sft_losses = json.loads(sft_losses_path.read_text()) if sft_losses_path.exists() else []

    counts = {key: int(recycle_summary[key]) for key in COUNT_KEYS}
    plot_bars(list(COUNT_KEYS), {"documents": [counts[k] for k in COUNT_KEYS]}, plots / "recycle_counts.png", "Recycling: where every input document went", "documents")
    thresholds = recycle_summary.get("thresholds", {})
    f1_threshold = thresholds.get("min_semantic_f1")

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

    megatron = recycle_summary.get("megatron", {})
    side_tokens = {side: megatron.get(side, {}).get("tokens", 0) for side in ("organic", "recycled")}
    side_docs = {side: megatron.get(side, {}).get("documents", 0) for side in ("organic", "recycled")}
    ran = comparison.get("ran", False)
    names = list(comparison.get("runs", {})) if ran else []
    per_seed: dict[str, dict[str, dict[str, Any]]] = {name: {str(s): v for s, v in comparison["runs"][name]["seeds"].items()} for name in names}
    ppl = {name: {s: v["heldout"]["perplexity"] for s, v in seeds.items()} for name, seeds in per_seed.items()}
    ppl_stats = {name: _mean_sd(list(values.values())) for name, values in ppl.items()}
    final_loss = {name: _mean_sd([v["final_loss"] for v in seeds.values()]) for name, seeds in per_seed.items()}
    task_names = sorted({t for seeds in per_seed.values() for v in seeds.values() for t in v["eval"]["tasks"]})
    task_stats = {name: {t: _mean_sd([v["eval"]["tasks"][t]["centered_acc"] for v in seeds.values()]) for t in task_names} for name, seeds in per_seed.items()}
    score_stats = {name: _mean_sd([v["eval"]["core"] for v in seeds.values()]) for name, seeds in per_seed.items()}
    tokens_per_step = cfg.pretrain.global_batch_size * cfg.pretrain.seq_length
    if ran:
        seeds = comparison["seeds"]
        loss_rows = []
        for name in names:
            for s, v in per_seed[name].items():
                loss_rows += [{"step": r["step"], f"{name} seed {s}": r["loss"]} for r in read_metrics(Path(v["run_dir"]) / "metrics.jsonl") if "loss" in r]
        plot_curves(loss_rows, [f"{n} seed {s}" for n in names for s in per_seed[n]], plots / "pretrain_loss.png",
                    "Pretraining loss on each run's own mix, same token budget", "loss", tokens_per_step=tokens_per_step)
        labels = [f"seed {s}" for s in seeds] + ["mean ± sd"]
        plot_bars(labels, {n: [ppl[n][str(s)] for s in seeds] + [ppl_stats[n][0]] for n in names}, plots / "heldout_perplexity.png",
                  f"Perplexity on {comparison['heldout']['docs']} held-out clean articles (lower is better)", "perplexity",
                  errors={n: [0.0] * len(seeds) + [0.0 if math.isnan(ppl_stats[n][1]) else ppl_stats[n][1]] for n in names})
        plot_tasks_and_score(
            task_names,
            {n: [round(task_stats[n][t][0], 6) for t in task_names] for n in names},  # no 5.55e-17 bar labels
            {n: round(score_stats[n][0], 6) for n in names},
            plots / "eval.png",
            f"Centered accuracy on the embedded tasks, mean over {len(seeds)} seeds (error bars: sd across seeds)",
            "centered accuracy",
            errors={n: [0.0 if math.isnan(task_stats[n][t][1]) else task_stats[n][t][1] for t in task_names] for n in names},
            score_errors={n: 0.0 if math.isnan(score_stats[n][1]) else score_stats[n][1] for n in names},
        )

    summary = {
        "counts": counts,
        "reconciles": counts["input"] == counts["recycled"] + counts["filtered"] + counts["rejected"],
        "reasons": recycle_summary.get("reasons", {}),
        "thresholds": thresholds,
        "rl": {key: {"first_fifth": a, "last_fifth": b} for key, (a, b) in reward_fifths.items()}
        | {"steps": len(rl_rows), "sft_steps": len(sft_losses), "sft_loss": {"first": sft_losses[0], "last": sft_losses[-1]} if sft_losses else None},
        "policy_samples": [{k: r[k] for k in ("stage", "split", "id", "has_marker", "answer_chars", "clean_chars")} for r in samples],
        "tokens": side_tokens,
        "documents_in_mix": side_docs,
        "semantic_f1_plotted": f1_counts,
        "pretrain_tokens_per_step": tokens_per_step,
        "comparison": {
            "ran": ran,
            **({"reason": comparison["reason"]} if not ran else {}),
            "seeds": comparison.get("seeds", []),
            "heldout": comparison.get("heldout", {}),
            **(
                {
                    "train_iters": comparison["train_iters"],
                    "configured_train_iters": comparison["configured_train_iters"],
                    "train_tokens": comparison["train_tokens"],
                    "max_epochs": comparison["max_epochs"],
                    "weights": comparison["weights"],
                    "runs": {
                        name: {
                            "epochs": comparison["runs"][name]["epochs"],
                            "heldout_perplexity": ppl[name],
                            "heldout_perplexity_mean": ppl_stats[name][0],
                            "heldout_perplexity_sd": ppl_stats[name][1],
                            "final_loss": {s: v["final_loss"] for s, v in per_seed[name].items()},
                            "eval_score": {s: v["eval"]["core"] for s, v in per_seed[name].items()},
                            "eval_score_mean": score_stats[name][0],
                            "eval_score_sd": score_stats[name][1],
                            "tasks": {t: {"centered_acc_mean": task_stats[name][t][0], "centered_acc_sd": task_stats[name][t][1],
                                          "n": next(iter(per_seed[name].values()))["eval"]["tasks"][t]["n"]} for t in task_names},
                            "run_dirs": {s: v["run_dir"] for s, v in per_seed[name].items()},
                        }
                        for name in names
                    },
                }
                if ran
                else {}
            ),
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
        "> the embeddings) and starts from random weights, trained for minutes on a generated corpus whose pages all come",
        "> from the same templates. The run exercises the method end to end with its real checks (SFT then GRPO with every",
        "> reward, the NeMo Curator pipeline with the paper's filters at calibrated thresholds and nothing lost, Megatron-Core",
        "> pretraining on a fair token budget, held-out perplexity and lm-eval scoring); it does **not** reproduce the",
        "> paper's gains, which need a 4B rephraser and 400M-1.4B models trained on billions of tokens (commands at the end).",
        "",
        f"Wall time {summary['wall_seconds']} s: " + ", ".join(f"{k} {v:.0f} s" for k, v in phase_seconds.items()) + ".",
        "",
        "## 1. The rephraser: SFT warm-start, then GRPO",
        "",
        (f"Warm-start: {len(sft_losses)} supervised steps on page -> marker + clean article (the RL pages and "
         f"{cfg.rl.sft_warmup.sample_pages} sample pages of another seed), loss {sft_losses[0]:.3f} -> {sft_losses[-1]:.3f}."
         if sft_losses else "No SFT warm-start."),
        f"GRPO: {len(rl_rows)} steps with reward weights " + ", ".join(f"{k} {v:g}" for k, v in cfg.rl.rewards.weights().items())
        + ". Mean reward, first fifth of the steps -> last fifth:",
        "",
        "| reward | first fifth | last fifth |",
        "|---|---:|---:|",
        *[f"| {key} | {_fmt(a)} | {_fmt(b)} |" for key, (a, b) in reward_fifths.items()],
        "",
        "![reward curves](plots/rl_rewards.png)",
        "",
        *_samples_md(samples),
        "## 2. Recycling through the NeMo Curator pipeline",
        "",
        "The paper's checks plus content coverage, with the thresholds this run applied (calibrated on the input with",
        f"this encoder: semantic F1 at 1% of mismatched page pairs, the coverage similarity at {COVERAGE_FALSE_MATCH_RATE:.0%} of content tokens):",
        "",
        *_thresholds_md(thresholds),
        "",
        "| input | recycled | filtered | rejected |",
        "|---:|---:|---:|---:|",
        f"| {counts['input']} | {counts['recycled']} | {counts['filtered']} | {counts['rejected']} |",
        "",
        f"Counts reconcile (input = recycled + filtered + rejected): **{'yes' if summary['reconciles'] else 'NO'}**.",
        "",
        *[f"- {kind}: " + ", ".join(f"{reason} ({n})" for reason, n in reasons.items()) for kind, reasons in summary["reasons"].items() if reasons],
        f"- in the mix: organic {side_docs['organic']} pages ({side_tokens['organic']} tokens; pages under the organic quality threshold stay out), "
        f"recycled {side_docs['recycled']} documents ({side_tokens['recycled']} tokens)",
        "",
        "![counts](plots/recycle_counts.png)",
        "",
        "![lengths](plots/lengths.png)",
        "",
        "![semantic F1](plots/semantic_f1.png)",
        "",
        f"The semantic-F1 histogram draws {f1_counts['recycled']} recycled outputs and {f1_counts['filtered, with marker']} filtered"
        " outputs that have the marker but failed another check; an output without the marker has no rephrasing to score"
        + (f". The filter keeps F1 >= {_fmt(f1_threshold, 3)}." if isinstance(f1_threshold, (int, float)) else "."),
        "",
        *_example(root, scored, f1_threshold),
        "",
        *_comparison_md(comparison, cfg, names, per_seed, ppl, ppl_stats, final_loss, task_names, task_stats, score_stats, side_tokens, tokens_per_step),
        "## A real run",
        "",
        REAL_RUN,
        "",
        "Per-phase run directories (each with its config.yaml, metrics.jsonl, TensorBoard events and report.md): "
        + ", ".join(f"`{p.name}/`" for p in sorted(root.iterdir()) if (p / "report.md").exists() or any(p.glob("seed*/report.md"))),
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
        *([f"  {name:<17} held-out perplexity {_pm(ppl_stats[name], 2)} over {len(ppl[name])} seeds   eval score {_pm(score_stats[name], 3)}" for name in names]
          if ran else [f"  pretraining comparison not run: {comparison.get('reason')}"]),
        "  tiny random-init models: this proves the machinery, not the paper's gains.",
        f"  report:  {md_path}",
        f"  html:    {html_path}",
        f"  summary: {summary_path}",
        "=" * 72,
    ]
    return QuickstartReport(md_path, html_path, summary_path, "\n".join(console))


def _comparison_md(comparison, cfg, names, per_seed, ppl, ppl_stats, final_loss, task_names, task_stats, score_stats, side_tokens, tokens_per_step) -> list[str]:
    """Section 3: the pretraining comparison, or why there was none."""
    head = ["## 3. Pretraining comparison: organic-only vs organic+recycled", ""]
    if not comparison.get("ran"):
        return head + [
            f"**Not run: {comparison.get('reason')}.** Tokens per side: organic {side_tokens['organic']}, recycled {side_tokens['recycled']}.",
            "Loosening the filters to get recycled text would compare the organic pool against noise the method itself rejects,",
            "so the quickstart stops here; a rephraser that passes the checks (more SFT/GRPO steps, a larger policy, or a real",
            "RePro checkpoint with `recycle.rephraser=`) gives a comparison.",
            "",
        ]
    seeds = comparison["seeds"]
    runs = comparison["runs"]
    lines = head + [
        f"Both runs train {comparison['train_iters']} iterations x {tokens_per_step:,} tokens = **{comparison['train_tokens']:,} tokens**"
        f" (pretrain.train_iters={comparison['configured_train_iters']} lowered so that no side is read more than {comparison['max_epochs']:g} times),"
        f" seeds {', '.join(map(str, seeds))}. The mix weights are " + ", ".join(f"{k} {v:.2f}" for k, v in comparison["weights"].items()) + " (1:1 by tokens, as in the paper).",
        "",
        "| run | epochs of organic | epochs of recycled | final training loss (mean ± sd) |",
        "|---|---:|---:|---:|",
        *[f"| {n} | {_fmt(runs[n]['epochs'].get('organic', 0.0), 2)} | {_fmt(runs[n]['epochs']['recycled'], 2) if 'recycled' in runs[n]['epochs'] else '-'} | {_pm(final_loss[n])} |" for n in names],
        "",
        f"### Held-out perplexity (headline): {comparison['heldout']['docs']} clean articles the runs never saw",
        "",
        f"Generated by the sample corpus under seed {comparison['heldout']['seed']} (clean text only, {comparison['heldout'].get('tokens', 'n/a')} tokens"
        " with the runs' tokenizer), scored whole in rolling windows.",
        "",
        "| run | " + " | ".join(f"seed {s}" for s in seeds) + " | mean ± sd |",
        "|---|" + "---:|" * (len(seeds) + 1),
        *[f"| {n} | " + " | ".join(_fmt(ppl[n][str(s)], 2) for s in seeds) + f" | **{_pm(ppl_stats[n], 2)}** |" for n in names],
        "",
        "![held-out perplexity](plots/heldout_perplexity.png)",
        "",
        "![loss curves](plots/pretrain_loss.png)",
        "",
        "Training losses are each measured on that run's own mix, so they show that both runs train, not which data is better.",
        "",
        f"### Embedded tasks (lm-eval): centered accuracy, mean ± sd over {len(seeds)} seeds",
        "",
        "| task | n | " + " | ".join(names) + " |",
        "|---|---:|" + "---:|" * len(names),
        *[f"| {t} | {next(iter(per_seed[names[0]].values()))['eval']['tasks'][t]['n']} | " + " | ".join(_pm(task_stats[n][t]) for n in names) + " |" for t in task_names],
        "| **score (mean over tasks)** | | " + " | ".join(f"**{_pm(score_stats[n])}**" for n in names) + " |",
        "",
        "Centered accuracy is (acc - b) / (1 - b) with b the task's chance accuracy: 0 at chance, 1 when perfect. Each seed's",
        "per-task binomial standard error is in `pretrain_*/seed*/eval/results.json`.",
        "",
        "![evaluation](plots/eval.png)",
        "",
        "### What these numbers can and cannot show",
        "",
        f"- They can show whether, at equal tokens and with {len(seeds)} seeds, adding the recycled side moves held-out perplexity by",
        "  more than the seed-to-seed spread. A difference smaller than about two standard deviations is not a result.",
        "- They cannot show the paper's effect: the corpus is generated from a few templates (held-out articles share them),",
        "  the models have well under a million parameters, the budget is thousands of tokens, and the recycled side is small",
        "  and written by a tiny rephraser. Perplexity here mostly measures how well a run learned the templates; the",
        "  embedded tasks sit near chance at this scale.",
        "",
    ]
    return lines
