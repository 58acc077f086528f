"""Build and run the recycling pipeline from `RecycleConfig`; `nemo-repro recycle` lands here.

    read -> validate -> [segment -> rephrase -> score -> reassemble | rewrites -> score | rewire -> score
         | prox -> score] -> filter -> quality_filter -> mix -> tokenize -> commit          (one shard per task)

`repro` scores each segment before reassembling (document scores are length-weighted means);
`recycle.backend=precomputed` replaces segment/rephrase/reassemble by the user's rewrites.

Shards are planned once per run directory; each shard is committed on its own
(outputs renamed into place, then a marker), and a rerun with the same `run.dir`
only sends the shards without a marker. When every shard is committed, the
driver merges the per-shard `.bin/.idx` into `megatron/{organic,recycled}`,
writes `megatron/blend.json`, `summary.json`, metrics, plots and `report.md`.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional

from nemo_curator.stages.base import ProcessingStage
from nemo_curator.stages.resources import Resources

from curator_stages.commit import CommitShard, WriteShard, marker_path
from curator_stages.filter import Filter
from curator_stages.generation import GeneratorSpec
from curator_stages.mix import Mix
from curator_stages.quality import QualityFilter
from curator_stages.read import ReadShard, Shard, load_or_write_plan, resolve_inputs, shard_task
from curator_stages.reassemble import Reassemble
from curator_stages.rephrase import Rephrase
from curator_stages.score import Score
from curator_stages.segment import Segment
from curator_stages.tokenize import SIDES, Tokenize
from curator_stages.validate import Validate
from nemo_repro.config.fields import ConfigError
from nemo_repro.config.root import recycler_requires_marker
from nemo_repro.config.recycle import RecycleConfig
from nemo_repro.generation.chat_template import require_local_chat_template, require_served_chat_template
from nemo_repro.runs import RunDir, write_atomic

log = logging.getLogger(__name__)

OUTPUT_FOLDERS = ("recycled", "filtered", "rejects")


class Paths:
    """Where a recycling run writes, under `run.dir`."""

    def __init__(self, run_dir: str | Path) -> None:
        self.root = Path(run_dir)
        self.markers = self.root / "shards"
        self.plan = self.markers / "plan.json"
        self.megatron = self.root / "megatron"
        self.models = self.root / "models"


# ----------------------------------------------------------------------------- inputs and models


def input_files(cfg: RecycleConfig, paths: Paths, seed: int) -> list[Path]:
    """`recycle.input`, or the embedded sample corpus written once into `run.dir/input/`."""
    if cfg.input is not None:
        return resolve_inputs(cfg.input)
    from nemo_repro.data.sample_corpus import write_corpus

    target = paths.root / "input" / "sample.jsonl"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".sample.jsonl.tmp{os.getpid()}")
        write_corpus(tmp, n_docs=cfg.sample_docs, seed=seed)
        tmp.replace(target)
    return [target]


def quality_model(cfg: RecycleConfig, paths: Paths, seed: int) -> Optional[str]:
    """The fastText classifier path; `sample` trains a small one into `run.dir/models/` (once)."""
    if cfg.quality_model is None:
        return None
    if cfg.quality_model == "sample":
        from nemo_repro.rewards.quality_fasttext import train_quality_fasttext

        target = paths.models / "quality_fasttext.bin"
        if not target.exists():
            train_quality_fasttext(target, seed=seed)
        return str(target)
    if not Path(cfg.quality_model).is_file():
        raise ConfigError(f"recycle.quality_model={cfg.quality_model!r} is not a file")
    return cfg.quality_model


def semantic_threshold(cfg: RecycleConfig, paths: Paths, files: list[Path]) -> Optional[float]:
    """`recycle.min_semantic_f1` as a number: as given, from a calibration json, or (`auto`) calibrated once per run dir."""
    from nemo_repro.rewards import calibrate

    value = cfg.min_semantic_f1
    if cfg.semantic_model == "none":
        return None  # no F1 computed (the config refuses a number here)
    if value is None or isinstance(value, float):
        return value
    if value != "auto":
        return calibrate.load_calibration(value)
    if calibrate.is_paper_encoder(cfg.semantic_model):
        return calibrate.PAPER_THRESHOLD
    target = paths.root / "calibration" / "semantic.json"
    if not target.exists():
        calibrate.write_calibration(target, calibrate_on_input(cfg, files))
    threshold = calibrate.load_calibration(target)
    log.info("recycle.min_semantic_f1=auto: %.4f (%s)", threshold, target)
    return threshold


def coverage_similarity(cfg: RecycleConfig, paths: Paths, files: list[Path]) -> Optional[float]:
    """`recycle.coverage_similarity` as a number, `auto` read from the semantic calibration (calibrated once per run dir,
    or the `min_semantic_f1` calibration json when it has one); None when no coverage is checked."""
    from nemo_repro.rewards import calibrate

    if cfg.semantic_model == "none" or cfg.min_coverage is None:
        return None
    if isinstance(cfg.coverage_similarity, float):
        return cfg.coverage_similarity
    given = cfg.min_semantic_f1
    if isinstance(given, str) and given != "auto":
        calibrate.load_calibration(given)  # a clear error for a bad file
        if calibrate.load_coverage_similarity(given) is not None:
            return calibrate.load_coverage_similarity(given)
    target = paths.root / "calibration" / "semantic.json"
    if not target.exists() or calibrate.load_coverage_similarity(target) is None:
        calibrate.write_calibration(target, calibrate_on_input(cfg, files))
    similarity = calibrate.load_coverage_similarity(target)
    log.info("recycle.coverage_similarity=auto: %.4f (%s)", similarity, target)
    return similarity


def sample_texts(files: list[Path], text_field: str, id_field: str, limit: int) -> list[tuple[str, str]]:
    """(id, text) of the first `limit` readable documents of `files` (unreadable rows are skipped: Read rejects them).

    Rows without an id get Read's own derived id, so they match precomputed rewrites keyed the same way."""
    from curator_stages.read import _labels, iter_json_rows

    out: list[tuple[str, str]] = []
    for path, label in zip(files, _labels(files)):
        for k, row, _ in iter_json_rows(path):
            text = row.get(text_field) if row is not None else None
            if isinstance(text, str) and text.strip():
                out.append((str(row.get(id_field, f"{label}:{k}")), text))
            if len(out) >= limit:
                return out
    return out


def calibrate_on_input(cfg: RecycleConfig, files: list[Path]) -> dict[str, Any]:
    """Calibrate the semantic threshold on the first documents of `files` (against other documents' rewrites when precomputed)."""
    from nemo_repro.rewards.calibrate import calibrate_semantic
    from nemo_repro.rewards.semantic import SemanticReward

    docs = sample_texts(files, cfg.text_field, cfg.id_field, cfg.semantic_calibration_pairs)
    originals = [text for _, text in docs]
    candidates = None
    if cfg.backend == "precomputed":
        from curator_stages.rewrites import load_rewrites

        rewrites = load_rewrites(cfg.rewrites, cfg.rewrite_field)
        docs = [(i, t) for i, t in docs if rewrites.get(i, "").strip()]
        originals, candidates = [t for _, t in docs], [rewrites[i] for i, _ in docs]
    # score at the length the filter scores at: one segment where the pipeline segments
    max_chars = cfg.segment_chars if cfg.method == "repro" and cfg.backend != "precomputed" else 4 * cfg.segment_chars
    reward = SemanticReward(cfg.semantic_model, num_layers=cfg.semantic_num_layers, truncate=cfg.semantic_truncate)
    result = calibrate_semantic(reward, originals, candidates, cfg.semantic_false_accept_rate, cfg.semantic_calibration_pairs, max_chars=max_chars)
    result.update(encoder=cfg.semantic_model or "all-MiniLM-L6-v2 (bundled)", num_layers=cfg.semantic_num_layers, truncate=cfg.semantic_truncate)
    return result


def generator_spec(cfg: RecycleConfig) -> GeneratorSpec:
    if cfg.backend == "precomputed":
        raise ConfigError("recycle.backend=precomputed generates nothing: the rephrase, rewire and prox stages need a generating backend (hf, vllm, openai)")
    if cfg.rephraser is None:
        raise ConfigError(
            "recycle.rephraser is required: a local HF folder of the recycling model (e.g. the `rephraser/` folder "
            "`nemo-repro rl` writes) or, with recycle.backend=openai, the served model name"
        )
    if cfg.backend in ("hf", "vllm") and not (Path(cfg.rephraser) / "config.json").is_file():
        raise ConfigError(f"recycle.rephraser={cfg.rephraser!r} is not a local HF model folder (no config.json)")
    if cfg.backend == "openai":
        require_served_chat_template(cfg.base_url, cfg.rephraser, api_key_env=cfg.api_key_env)
    else:
        require_local_chat_template(cfg.rephraser)
    options: dict[str, Any] = {
        "hf": {"batch_size": cfg.generation_batch_size},
        "vllm": {"engine": cfg.vllm},
        "openai": {
            "base_url": cfg.base_url, "max_concurrent_requests": cfg.max_concurrent_requests, "api_key_env": cfg.api_key_env,
            "timeout": cfg.request_timeout_s, "max_retries": cfg.max_retries, "base_delay": cfg.retry_base_delay_s,
        },
    }[cfg.backend]
    return GeneratorSpec(cfg.backend, cfg.rephraser, cfg.sampling, options, cfg.gpus_per_worker)


def tokenizer_path(cfg: RecycleConfig) -> str:
    """`recycle.tokenizer`, else the rephraser's folder."""
    path = cfg.tokenizer or (cfg.rephraser if cfg.backend != "openai" else None)
    if path is None or not Path(path).is_dir():
        raise ConfigError(f"recycle.tokenizer={cfg.tokenizer!r}: set it to a local HF tokenizer folder (the pretraining tokenizer)")
    return str(path)


# ----------------------------------------------------------------------------- stages


def make_stage(name: str, cfg: RecycleConfig, paths: Paths, seed: int) -> ProcessingStage:
    """One stage of the pipeline, configured from `cfg` (also what `recycle.stage=<name>` runs)."""
    if name == "validate":
        return Validate(cfg.max_doc_chars, cfg.min_common_english_words)
    if name == "segment":
        return Segment(cfg.segment_chars)
    if name == "rephrase":
        return Rephrase(generator_spec(cfg), max_chars=cfg.segment_chars)
    if name == "reassemble":
        return Reassemble()
    if name == "rewire":
        from curator_stages.rewire import ReWireRewrite

        return ReWireRewrite(generator_spec(cfg))
    if name == "prox":
        from curator_stages.prox import ProXRefine

        return ProXRefine(generator_spec(cfg))
    if name == "rewrites":
        from curator_stages.rewrites import AttachRewrites

        return AttachRewrites(cfg.rewrites or "", cfg.rewrite_field)
    if name == "score":
        files = input_files(cfg, paths, seed) if cfg.coverage_similarity == "auto" else []
        return Score("none" if cfg.semantic_model == "none" else cfg.semantic_model, cfg.semantic_num_layers, cfg.semantic_truncate,
                     coverage_similarity(cfg, paths, files))
    if name == "filter":
        files = input_files(cfg, paths, seed) if cfg.min_semantic_f1 == "auto" and cfg.semantic_model != "none" else []
        require_marker = recycler_requires_marker(cfg)  # the same rule that keeps GRPO's format reward on
        min_coverage = cfg.min_coverage if cfg.semantic_model != "none" else None  # coverage comes from the encoder's tokens
        return Filter(require_marker, semantic_threshold(cfg, paths, files), cfg.max_length_ratio, cfg.min_structure, min_coverage)
    if name == "quality_filter":
        kind = cfg.quality_kind()
        if kind == "none":
            raise ConfigError("recycle.stage=quality_filter needs a quality scorer (recycle.quality_scorer is none)")
        model = quality_model(cfg, paths, seed) if kind == "fasttext" else ""
        return QualityFilter(model or "", cfg.quality_label, cfg.quality_thresholds()[0], cfg.min_quality_gain, scorer=kind)
    if name == "mix":
        return Mix(cfg.quality_thresholds()[1])
    if name == "tokenize":
        return Tokenize(str(paths.megatron), tokenizer_path(cfg), cfg.append_eod)
    raise ConfigError(f"unknown stage {name!r}")


def method_stages(cfg: RecycleConfig) -> list[str]:
    """The stage names of `cfg.method`, from validation to tokenization."""
    if cfg.backend == "precomputed":
        recycler = ["rewrites", "score"]
    else:
        recycler = {"repro": ["segment", "rephrase", "score", "reassemble"], "rewire": ["rewire", "score"], "prox": ["prox", "score"]}[cfg.method]
    names = ["validate", *recycler, "filter"]
    if cfg.quality_kind() != "none":
        names.append("quality_filter")
    return [*names, "mix", "tokenize"]


def build_stages(cfg: RecycleConfig, paths: Paths, seed: int) -> list[ProcessingStage]:
    """Read + the method's stages + commit."""
    if cfg.backend == "precomputed":
        from curator_stages.rewrites import load_rewrites

        log.info("recycle.rewrites: %d rewrites", len(load_rewrites(cfg.rewrites, cfg.rewrite_field)))  # a bad file fails here, before any work
    read = ReadShard(cfg.text_field, cfg.id_field, cfg.max_doc_chars)
    commit = CommitShard(str(paths.root), str(paths.markers))
    return [read, *(make_stage(n, cfg, paths, seed) for n in method_stages(cfg)), commit]


# ----------------------------------------------------------------------------- execution


def make_executor(cfg: RecycleConfig):
    """Xenna in batch mode (streaming wants more CPUs than small machines have), Ray Data, or in-process.

    Xenna and Ray Data call `ray.init()`, which attaches to the cluster at `RAY_ADDRESS` when set, else starts
    a local one (see `_fresh_local_ray`).
    """
    if cfg.executor == "local":
        from curator_stages.local_executor import LocalExecutor

        return LocalExecutor()
    if os.environ.get("RAY_ADDRESS", "local") != "local":
        log.info("attaching to the Ray cluster at RAY_ADDRESS=%s", os.environ["RAY_ADDRESS"])
    if cfg.executor == "xenna":
        from nemo_curator.backends.xenna import XennaExecutor

        return XennaExecutor(config={"execution_mode": "batch", "logging_interval": 30})
    from nemo_curator.backends.ray_data import RayDataExecutor

    return RayDataExecutor()


def run_shards(cfg: RecycleConfig, stages: list[ProcessingStage], shards: list[Shard], markers_dir: Path, progress: bool) -> list[Any]:
    """Run the pending shards (no marker yet) through `stages`, `shards_per_run` at a time; returns the output tasks."""
    from nemo_curator.pipeline import Pipeline
    from tqdm.auto import tqdm

    pending = [s for s in shards if not marker_path(markers_dir, s.shard_id).exists()]
    log.info("%d shards, %d already committed, %d to run", len(shards), len(shards) - len(pending), len(pending))
    if cfg.executor == "ray_data" and not os.environ.get("RAY_ADDRESS"):
        stages = fit_cpus(stages, float(os.cpu_count() or 1))
    step = cfg.shards_per_run or max(1, len(pending))
    if cfg.executor == "xenna" and not cfg.shards_per_run:
        # Xenna's batch mode runs each stage over all tasks of a run before the next, so nothing is committed
        # before the run's end: waves of one shard per CPU bound what a kill can lose.
        step = max(1, os.cpu_count() or 1)
    outputs: list[Any] = []
    with tqdm(total=len(shards), initial=len(shards) - len(pending), desc="shards committed", unit="shard", disable=not progress) as bar:
        for start in range(0, len(pending), step):
            wave = pending[start : start + step]
            pipeline = Pipeline(name="recycle", description="RePro recycling", stages=list(stages))
            with _fresh_local_ray(cfg.executor):
                outputs += pipeline.run(make_executor(cfg), initial_tasks=[shard_task(s) for s in wave]) or []
            missing = [s.shard_id for s in wave if not marker_path(markers_dir, s.shard_id).exists()]
            if missing:
                raise RuntimeError(f"the executor finished but {len(missing)} shards were not committed (first: {missing[0]}); see the log")
            bar.update(len(wave))
    return outputs


def fit_cpus(stages: list[ProcessingStage], cpus: float) -> list[ProcessingStage]:
    """Scale the stages' CPU reservations down by one factor so that together they fit in `cpus`.

    Ray Data streams every stage at once, each with at least one worker holding its reservation.
    When the reservations add up to more CPUs than the cluster has, some stage never gets a worker
    and the run never ends (measured: 10 stages asking for 7 CPUs on 2 cores). Used for the local
    cluster this run starts; an existing cluster (RAY_ADDRESS) is sized by its owner.
    """
    needed = sum(stage.resources.cpus for stage in stages)
    if needed <= cpus:
        return stages
    share = cpus / needed
    log.info("ray_data: the %d stages ask for %.1f CPUs and this machine has %g; scaling every reservation by %.2f", len(stages), needed, cpus, share)
    return [stage.with_(resources=Resources(cpus=stage.resources.cpus * share, gpus=stage.resources.gpus)) for stage in stages]


@contextmanager
def _fresh_local_ray(executor: str):
    """Without RAY_ADDRESS, start this run's own local Ray cluster, pin every Ray client to it, and leave no
    process of it behind, whether the run succeeds, fails or is interrupted (Ctrl-C; SIGTERM via the CLI).

    A bare `ray.init()` joins the cluster named in `/tmp/ray/ray_current_cluster` (it hangs when that
    head died), and Xenna's monitoring resolves the cluster again through the state API, which refuses
    to pick when two clusters run on the machine. So we start one explicitly and export its address;
    the executor's own `ray.init(ignore_reinit_error=True)` then reuses it and shuts it down at the end.
    `ray.shutdown()` alone leaves workers behind (Xenna's `ray::StageWorker`s and node monitors, re-parented
    to init, some ignoring SIGTERM), so this process becomes their subreaper and stops what is left.

    NeMo Curator's `RayClient` is not used here: it runs `ray start --head` from PATH on fixed default ports
    (searching upwards, racing other runs on the machine) in the shared `/tmp/ray`, with dashboard and
    metrics discovery, and stops its process group only at interpreter exit.
    """
    if executor == "local" or os.environ.get("RAY_ADDRESS"):
        yield
        return
    import ray

    _become_subreaper()
    before = {p.pid for p in _descendants()}
    # The executors' own runtime env: Xenna assigns GPUs itself, Ray Data lets Ray do it.
    noset = "1" if executor == "xenna" else ""
    try:
        context = ray.init(address="local", runtime_env={"env_vars": {"RAY_EXPERIMENTAL_NOSET_CUDA_VISIBLE_DEVICES": noset}})
        os.environ["RAY_ADDRESS"] = context.address_info["gcs_address"]
        yield
    finally:
        os.environ.pop("RAY_ADDRESS", None)
        try:
            ray.shutdown()
        finally:
            stop_leftovers(before)


def _descendants() -> list:
    import psutil

    return psutil.Process().children(recursive=True)


def _become_subreaper() -> None:
    """Orphaned descendants are re-parented to this process instead of init (Linux), so they can be found and stopped."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        log.debug("prctl(PR_SET_CHILD_SUBREAPER) unavailable; orphaned Ray workers may go unnoticed")


def stop_leftovers(before: set[int], grace_s: float = 5.0) -> list[int]:
    """Stop the descendants started since `before` that are still running after `grace_s`: SIGTERM, then SIGKILL.
    Returns their pids."""
    import psutil

    deadline = time.time() + grace_s
    while True:
        left = [p for p in _descendants() if p.pid not in before]
        running = []
        for p in left:
            try:
                if p.status() == psutil.STATUS_ZOMBIE:
                    os.waitpid(p.pid, os.WNOHANG)  # an orphan that ended: reap it
                else:
                    running.append(p)
            except (psutil.Error, ChildProcessError):
                pass
        if not running or time.time() > deadline:
            break
        time.sleep(0.2)
    if running:
        log.warning("stopping %d Ray processes left after shutdown: %s", len(running), ", ".join(f"{p.pid}" for p in running))
    for p in running:
        try:
            p.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(running, timeout=3)
    for p in alive:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=3)
    return [p.pid for p in running]


def _clean_partial(paths: Paths, folders: list[Path]) -> None:
    """Drop what a killed run left half-written: temporary files and the tokenizer's staging folder."""
    shutil.rmtree(paths.megatron / ".tmp", ignore_errors=True)
    for folder in folders:
        if folder.is_dir():
            for tmp in folder.glob(".*.tmp*"):
                tmp.unlink()


def stage_timings(outputs: list[Any]) -> dict[str, float]:
    """Seconds spent in each stage over this run's tasks (NeMo Curator's per-task perf stats)."""
    totals: dict[str, float] = {}
    for task in outputs:
        for perf in getattr(task, "_stage_perf", []):
            totals[perf.stage_name] = totals.get(perf.stage_name, 0.0) + float(perf.process_time)
    return totals


# ----------------------------------------------------------------------------- entry points


def recycle(
    cfg: RecycleConfig, run_dir: str | Path, seed: int = 1234, progress: bool = True, run: Optional[RunDir] = None, train: Optional[tuple[int, int]] = None
) -> dict[str, Any]:
    """Run (or resume) the whole pipeline into `run_dir`; returns the summary (also in `summary.json`).

    `train`: `(train_iters, tokens per iteration)` of the pretraining run the data is for; the summary then
    says how many epochs of each side it reads."""
    from curator_stages.report import finalize

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
        _clean_partial(paths, [paths.root / f for f in OUTPUT_FOLDERS] + [paths.markers] + [paths.megatron / "shards" / s for s in SIDES])
        stages = build_stages(cfg, paths, seed)
        outputs = run_shards(cfg, stages, shards, paths.markers, progress)
        return finalize(cfg, paths, shards, run, stage_timings(outputs), time.time() - started, train)
    finally:
        if own_run:
            run.close()


def run_stage(cfg: RecycleConfig, run_dir: str | Path, seed: int = 1234, progress: bool = True) -> dict[str, Any]:
    """Run `cfg.stage` alone over `cfg.input` into `run_dir/<stage>/` (and `megatron/` for tokenize); resumable per file."""
    from curator_stages.report import finalize_megatron, tokenizer_of

    paths = Paths(run_dir)
    out_dir = paths.root / cfg.stage
    files = input_files(cfg, paths, seed)
    # One shard per input file: a stage's output file then never splits a document's segments,
    # so one-stage runs chain (segment -> rephrase -> reassemble) safely.
    shards = load_or_write_plan(out_dir / "plan.json", files, 2**62, cfg.text_field, cfg.id_field, dedup=False)
    _clean_partial(paths, [out_dir])
    read = ReadShard(cfg.text_field, cfg.id_field, cfg.max_doc_chars, keep_fields=True)
    stages = [read, make_stage(cfg.stage, cfg, paths, seed), WriteShard(str(out_dir))]
    run_shards(cfg, stages, shards, out_dir, progress)
    markers = [json.loads(marker_path(out_dir, s.shard_id).read_text(encoding="utf-8")) for s in shards]
    summary: dict[str, Any] = {"stage": cfg.stage, "rows": sum(m["counts"]["rows"] for m in markers), "output": str(out_dir)}
    if cfg.stage == "tokenize":
        summary["megatron"] = finalize_megatron(paths, markers, cfg.organic_to_recycled, tokenizer_of(tokenizer_path(cfg)))
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
