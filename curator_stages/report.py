"""After the last shard: merge the Megatron shards, write blend.json, summary.json, metrics, plots and report.md."""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

from nemo_repro.config.recycle import RecycleConfig
from nemo_repro.mix.blend import tokenizer_record, write_blend
from nemo_repro.mix.merge import merge_indexed
from nemo_repro.mix.ratio import blend_weights, epochs_per_side
from nemo_repro.plots import plot_bars, plot_histograms
from nemo_repro.runs import RunDir, write_atomic

from curator_stages.commit import marker_path
from curator_stages.paths import Paths
from curator_stages.prepare import coverage_similarity, min_coverage, semantic_threshold, tokenizer_path
from curator_stages.read import Shard
from curator_stages.tokenize import SIDES

log = logging.getLogger(__name__)
COUNT_KEYS = ("input", "recycled", "filtered", "rejected")


def tokenizer_of(path: str) -> dict[str, Any]:
    """The `tokenizer_record` of the HF tokenizer folder the Tokenize stage used."""
    from transformers import AutoTokenizer

    return tokenizer_record(path, AutoTokenizer.from_pretrained(path))


def finalize_megatron(paths: Paths, markers: list[dict[str, Any]], organic_to_recycled: float, tokenizer: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge each side's shard datasets (in plan order) into `megatron/<side>`, then write `megatron/blend.json`
    (with the tokenizer's record)."""
    out: dict[str, Any] = {}
    for side in SIDES:
        parts = [m["megatron"][side] for m in markers if side in m.get("megatron", {})]
        if parts:
            documents = merge_indexed([p["prefix"] for p in parts], paths.megatron / side)
            out[side] = {"prefix": str(paths.megatron / side), "documents": documents, "tokens": sum(p["tokens"] for p in parts)}
    weights = blend_weights(out.get("organic", {}).get("tokens", 0), out.get("recycled", {}).get("tokens", 0), organic_to_recycled)
    if weights:
        out["blend"] = str(write_blend(paths.megatron / "blend.json", [(w, paths.megatron / side) for side, w in weights.items()], tokenizer))
        out["weights"] = weights
    else:
        log.warning("no documents reached either side of the mix: no blend.json written")
    if "organic" in out and "recycled" not in out:
        log.warning("nothing was recycled: the blend holds only the organic pool (%d documents)", out["organic"]["documents"])
    return out


def add_epochs(megatron: dict[str, Any], train: tuple[int, int] | None) -> None:
    """`megatron["epochs"]`: how many times `train_iters` iterations of `tokens_per_iter` tokens read each side."""
    if not train or "weights" not in megatron:
        return
    train_iters, tokens_per_iter = train
    sides = {side: megatron[side]["tokens"] for side in SIDES if side in megatron}
    megatron["epochs"] = {
        "train_iters": train_iters,
        "train_tokens": train_iters * tokens_per_iter,
        **{side: round(e, 4) for side, e in epochs_per_side(sides, megatron["weights"], train_iters * tokens_per_iter).items()},
    }


def finalize(
    cfg: RecycleConfig, paths: Paths, shards: list[Shard], run: RunDir, timings: dict[str, float], wall_s: float, train: tuple[int, int] | None = None
) -> dict[str, Any]:
    """Reconcile the shard markers into `summary.json` and write the run's metrics, plots and report
    (`train`: `(train_iters, tokens per iteration)` of the intended pretraining run, for epochs per side)."""
    markers = [json.loads(marker_path(paths.markers, s.shard_id).read_text(encoding="utf-8")) for s in shards]
    counts = {k: sum(m["counts"][k] for m in markers) for k in COUNT_KEYS}
    if counts["input"] != counts["recycled"] + counts["filtered"] + counts["rejected"]:
        raise RuntimeError(f"counts do not reconcile: {counts}")
    reasons = {kind: dict(sum((Counter(m["reasons"][kind]) for m in markers), Counter()).most_common()) for kind in ("filtered", "rejected")}
    megatron = finalize_megatron(paths, markers, cfg.organic_to_recycled, tokenizer_of(tokenizer_path(cfg)))
    add_epochs(megatron, train)
    summary: dict[str, Any] = {
        **counts, "method": cfg.method, "shards": len(shards), "thresholds": thresholds_used(cfg, paths), "reasons": reasons,
        "megatron": megatron, "stage_seconds": timings, "wall_seconds": round(wall_s, 2),
    }
    write_atomic(paths.root / "summary.json", json.dumps(summary, indent=1) + "\n")

    run.metrics.truncate_after(-1)  # a resumed run rewrites the per-shard rows
    for step, m in enumerate(markers):
        tokens = {f"tokens/{side}": m["megatron"].get(side, {}).get("tokens", 0) for side in SIDES}
        run.metrics.log(step, {**{f"docs/{k}": v for k, v in m["counts"].items()}, **tokens})
    signals = {key: [v for m in markers for v in m["signals"][key]] for key in markers[0]["signals"]} if markers else {}
    plots = _plots(paths.root, counts, signals, summary["thresholds"]["quality_scorer"])
    run.write_report(_report(cfg, summary, plots))
    return summary


def thresholds_used(cfg: RecycleConfig, paths: Paths) -> dict[str, Any]:
    """The filter settings this run applied, `auto` resolved (null = that check was off)."""
    semantic = semantic_threshold(cfg, paths, None)  # the filter's own rule, on what the run calibrated
    coverage, similarity = min_coverage(cfg), coverage_similarity(cfg, paths, None)
    recycled, organic = cfg.quality_thresholds()
    return {
        "min_semantic_f1": semantic, "min_semantic_f1_setting": cfg.min_semantic_f1, "min_structure": cfg.min_structure,
        "max_length_ratio": cfg.max_length_ratio, "quality_scorer": cfg.quality_kind(), "quality_threshold": recycled,
        "organic_quality_threshold": organic, "min_quality_gain": cfg.min_quality_gain,
        "min_coverage": coverage, "coverage_similarity": similarity,
    }


def _plots(root: Path, counts: dict[str, int], signals: dict[str, list[float]], scorer: str = "fasttext") -> list[Path]:
    out = [plot_bars(list(counts), {"documents": list(counts.values())}, root / "counts.png", "Where the input documents went", "documents")]
    out.append(plot_histograms({"original": signals.get("original_chars", []), "recycled": signals.get("recycled_chars", [])}, root / "lengths.png", "Document length", "characters"))
    if signals.get("semantic_f1"):
        out.append(plot_histograms({"semantic F1": signals["semantic_f1"]}, root / "semantic_f1.png", "BERTScore F1, recycled vs original", "F1"))
    if signals.get("quality_before"):
        out.append(plot_histograms({"original": signals["quality_before"], "recycled": signals.get("quality_after", [])}, root / "quality.png",
                                   {"fasttext": "fastText P(high quality)", "heuristic": "heuristic quality score"}.get(scorer, "quality score"), "score"))
    return out


def _report(cfg: RecycleConfig, summary: dict[str, Any], plots: list[Path]) -> str:
    lines = [f"# Recycling run ({cfg.method})", "", "| input | recycled | filtered | rejected |", "|---|---|---|---|"]
    lines.append("| " + " | ".join(str(summary[k]) for k in COUNT_KEYS) + " |")
    for kind in ("filtered", "rejected"):
        if summary["reasons"][kind]:
            note = " (a document may fail several checks)" if kind == "filtered" else ""
            lines += ["", f"Why documents were {kind}{note}:", ""] + [f"- {reason}: {n}" for reason, n in summary["reasons"][kind].items()]
    lines += ["", "Filter settings applied (null: that check was off): "
              + ", ".join(f"`{k}`={v}" for k, v in summary["thresholds"].items()), ""]
    meg = summary["megatron"]
    lines += ["", "## Megatron data", ""]
    for side in SIDES:
        if side in meg:
            lines.append(f"- {side}: {meg[side]['documents']} documents, {meg[side]['tokens']} tokens, weight {meg['weights'][side]:.3f} (`{meg[side]['prefix']}`)")
    if "organic" in meg and "recycled" not in meg:
        lines.append("- **Nothing was recycled**: no document passed the filters, so the blend holds only the organic pool.")
    if "blend" in meg:
        lines.append(f"- blend file: `{meg['blend']}` (organic:recycled = {cfg.organic_to_recycled}:1 by tokens in training, set by the weights)")
    if "epochs" in meg:
        ep = meg["epochs"]
        reads = ", ".join(f"the {side} side {ep[side]:.2f} times" for side in SIDES if side in ep)
        lines.append(f"- pretraining for `pretrain.train_iters={ep['train_iters']}` ({ep['train_tokens']:,} tokens) reads {reads}")
    if summary["stage_seconds"]:
        lines += ["", "## Stage time (this run)", "", "| stage | seconds |", "|---|---|"]
        lines += [f"| {name} | {sec:.2f} |" for name, sec in summary["stage_seconds"].items()]
    lines += ["", f"Wall time: {summary['wall_seconds']} s over {summary['shards']} shards.", ""]
    lines += [f"![{p.stem}]({p.name})" for p in plots]
    return "\n".join(lines)
