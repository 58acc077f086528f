"""Entry points of the recycling pipeline; `nemo-repro recycle` lands here.

    read -> validate -> [segment -> rephrase -> score -> reassemble | rewrites -> score | rewire -> score
         | prox -> score] -> filter -> quality_filter -> mix -> tokenize -> commit          (one shard per task)

`repro` scores each segment before reassembling (document scores are length-weighted means);
`recycle.backend=precomputed` replaces segment/rephrase/reassemble by the user's rewrites.

Shards are planned once per run directory; each shard is committed on its own
(outputs renamed into place, then a marker), and a rerun with the same `run.dir`
only sends the shards without a marker. When every shard is committed, the
driver merges the per-shard `.bin/.idx` into `megatron/{organic,recycled}`,
writes `megatron/blend.json`, `summary.json`, metrics, plots and `report.md`.

A run goes: preparation (`prepare`: sample corpus, models, thresholds, checks), building the
stages (`registry`), running them (`execute`), then the report (`report`).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any, Optional

from curator_stages.commit import WriteShard, marker_path
from curator_stages.execute import clean_partial, run_shards, stage_timings
from curator_stages.paths import OUTPUT_FOLDERS, Paths
from curator_stages.prepare import calibrate_on_input, generator_spec, input_files, prepare
from curator_stages.read import ReadShard, load_or_write_plan
from curator_stages.registry import build_stages, check_stage, make_stage, method_stages
from curator_stages.report import finalize, finalize_megatron, tokenizer_of
from curator_stages.tokenize import SIDES
from nemo_repro.config.recycle import RecycleConfig
from nemo_repro.runs import RunDir, write_atomic

log = logging.getLogger(__name__)


def recycle(
    cfg: RecycleConfig, run_dir: str | Path, seed: int = 1234, progress: bool = True, run: Optional[RunDir] = None, train: Optional[tuple[int, int]] = None
) -> dict[str, Any]:
    """Run (or resume) the whole pipeline into `run_dir`; returns the summary (also in `summary.json`).

    `train`: `(train_iters, tokens per iteration)` of the pretraining run the data is for; the summary then
    says how many epochs of each side it reads."""
    paths = Paths(run_dir)
    paths.root.mkdir(parents=True, exist_ok=True)
    own_run = run is None
    run = run or RunDir(paths.root, "recycle")
    started = time.time()
    try:
        if cfg.backend != "precomputed":  # precomputed rewrites need no rephraser
            generator_spec(cfg)  # a bad rephraser (no folder, no chat template) fails before any work
        files = input_files(cfg, paths, seed)
        shards = load_or_write_plan(paths.plan, files, cfg.shard_docs, cfg.text_field, cfg.id_field)
        clean_partial(paths, [paths.root / f for f in OUTPUT_FOLDERS] + [paths.markers] + [paths.megatron / "shards" / s for s in SIDES])
        stages = build_stages(cfg, prepare(cfg, paths, files, seed, method_stages(cfg)))
        outputs = run_shards(cfg, stages, shards, paths.markers, progress)
        return finalize(cfg, paths, shards, run, stage_timings(outputs), time.time() - started, train)
    finally:
        if own_run:
            run.close()


def run_stage(cfg: RecycleConfig, run_dir: str | Path, seed: int = 1234, progress: bool = True) -> dict[str, Any]:
    """Run `cfg.stage` alone over `cfg.input` into `run_dir/<stage>/` (and `megatron/` for tokenize); resumable per file."""
    check_stage(cfg)
    paths = Paths(run_dir)
    out_dir = paths.root / cfg.stage
    files = input_files(cfg, paths, seed)
    # One shard per input file: a stage's output file then never splits a document's segments,
    # so one-stage runs chain (segment -> rephrase -> reassemble) safely.
    shards = load_or_write_plan(out_dir / "plan.json", files, 2**62, cfg.text_field, cfg.id_field, dedup=False)
    clean_partial(paths, [out_dir])
    prepared = prepare(cfg, paths, files, seed, [cfg.stage])
    read = ReadShard(cfg.text_field, cfg.id_field, cfg.max_doc_chars, keep_fields=True)
    stages = [read, make_stage(cfg.stage, cfg, prepared), WriteShard(str(out_dir))]
    run_shards(cfg, stages, shards, out_dir, progress)
    markers = [json.loads(marker_path(out_dir, s.shard_id).read_text(encoding="utf-8")) for s in shards]
    summary: dict[str, Any] = {"stage": cfg.stage, "rows": sum(m["counts"]["rows"] for m in markers), "output": str(out_dir)}
    if cfg.stage == "tokenize":
        summary["megatron"] = finalize_megatron(paths, markers, cfg.organic_to_recycled, tokenizer_of(prepared.tokenizer))
    write_atomic(out_dir / "summary.json", json.dumps(summary, indent=1) + "\n")
    return summary


def run(cfg, run: RunDir) -> int:
    """`nemo-repro recycle [recycle.stage=<name>] [overrides]`."""
    rc = cfg.recycle
    progress = cfg.run.progress
    if rc.stage == "calibrate":
        from nemo_repro.rewards.calibrate import write_calibration

        target = write_calibration(Path(run.path) / "calibration" / "semantic.json", calibrate_on_input(rc, input_files(rc, Paths(run.path), cfg.run.seed)))
        print(json.dumps({"calibration": str(target), **json.loads(target.read_text(encoding="utf-8"))}, indent=1))
        return 0
    if rc.stage is not None:
        summary = run_stage(rc, run.path, cfg.run.seed, progress)
        print(json.dumps(summary, indent=1))
        return 0
    train = (cfg.pretrain.train_iters, cfg.pretrain.global_batch_size * cfg.pretrain.seq_length)
    summary = recycle(rc, run.path, cfg.run.seed, progress, run=run, train=train)
    print(json.dumps({k: summary[k] for k in ("input", "recycled", "filtered", "rejected")}))
    if summary["input"] and summary["rejected"] == summary["input"]:
        message = (
            f"every one of the {summary['input']} input rows was rejected (reasons in {run.path / 'rejects'} and summary.json); "
            "check recycle.input, recycle.text_field and recycle.id_field"
        )
        log.error(message)
        print(f"nemo-repro recycle: {message}", file=sys.stderr)
        return 2
    return 0
