"""The preparation step: everything the stages need that takes work or checks the world, done once before they are built.

The sample corpus is written, the sample fastText classifier trained, the semantic
threshold calibrated, the rephraser and the tokenizer folder checked here, in the
driver; the stage factories (`curator_stages.registry`) then only put the results
into stage objects, so building stages writes nothing and fails on nothing but config.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from curator_stages.generation import GeneratorSpec
from curator_stages.paths import Paths
from curator_stages.read import resolve_inputs
from nemo_repro.config.fields import ConfigError
from nemo_repro.config.generation import serves_model
from nemo_repro.config.recycle import PRECOMPUTED, RecycleConfig
from nemo_repro.generation.chat_template import require_local_chat_template, require_served_chat_template
from nemo_repro.models.folder import require_hf_model_folder

log = logging.getLogger(__name__)

GENERATING_STAGES = ("rephrase", "rewire", "prox")
COVERAGE_KEYS = ("coverage_similarity", "coverage_false_match_rate", "coverage_rule", "content_tokens")
"""The keys of a calibration json that belong to the content coverage (the rest is the F1 threshold's)."""


@dataclass
class Prepared:
    """What the preparation step made for the stages of one run (a field is None where no stage needs it)."""

    paths: Paths
    """Where the run writes."""

    generator: Optional[GeneratorSpec] = None
    """The recycler's generator (rephrase, rewire, prox)."""

    semantic_threshold: Optional[float] = None
    """`recycle.min_semantic_f1` as a number (filter); None: the check is off."""

    coverage_similarity: Optional[float] = None
    """`recycle.coverage_similarity` as a number (score); None: no content coverage is computed or checked."""

    quality_model: str = ""
    """The fastText classifier file (quality_filter with the fastText scorer)."""

    tokenizer: str = ""
    """The HF tokenizer folder of the `.bin/.idx` files (tokenize)."""


def prepare(cfg: RecycleConfig, paths: Paths, files: list[Path], seed: int, names: list[str]) -> Prepared:
    """Make what the stages `names` need, over the input `files` (the semantic calibration samples them)."""
    out = Prepared(paths)
    if cfg.backend == "precomputed" and "rewrites" in names:
        from curator_stages.rewrites import load_rewrites

        log.info("recycle.rewrites: %d rewrites", len(load_rewrites(cfg.rewrites, cfg.rewrite_field)))  # a bad file fails here, before any work
    if any(n in GENERATING_STAGES for n in names):
        out.generator = generator_spec(cfg)
    if "filter" in names:
        out.semantic_threshold = semantic_threshold(cfg, paths, files)
    if "score" in names:
        out.coverage_similarity = coverage_similarity(cfg, paths, files)
    if "quality_filter" in names and cfg.quality_kind() == "fasttext":
        out.quality_model = quality_model(cfg, paths, seed) or ""
    if "tokenize" in names:
        out.tokenizer = tokenizer_path(cfg)
    return out


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


def semantic_threshold(cfg: RecycleConfig, paths: Paths, files: Optional[list[Path]]) -> Optional[float]:
    """`recycle.min_semantic_f1` as a number: as given, from a calibration json, or (`auto`) calibrated once per run dir
    on `files`; `files=None` calibrates nothing and gives None where the run dir holds no calibration (the report)."""
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
        if files is None:
            return None
        calibrate.write_calibration(target, calibrate_on_input(cfg, files))
    threshold = calibrate.load_calibration(target)
    log.info("recycle.min_semantic_f1=auto: %.4f (%s)", threshold, target)
    return threshold


def min_coverage(cfg: RecycleConfig) -> Optional[float]:
    """`recycle.min_coverage` where it applies: coverage comes from the semantic encoder's tokens, so none without one."""
    return cfg.min_coverage if cfg.semantic_model != "none" else None


def coverage_similarity(cfg: RecycleConfig, paths: Paths, files: Optional[list[Path]]) -> Optional[float]:
    """`recycle.coverage_similarity` as a number; None when no coverage is checked. `auto` is read from the semantic
    calibration (the `min_semantic_f1` calibration json when it has one, else `run.dir/calibration/semantic.json`,
    calibrated once on `files`); `files=None` calibrates nothing (the report)."""
    from nemo_repro.rewards import calibrate

    if min_coverage(cfg) is None:
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
        if files is None:
            return None
        fresh = calibrate_on_input(cfg, files)
        if target.exists():  # an older calibration: keep the F1 threshold this run dir already applies, (re)do coverage
            fresh = {**json.loads(target.read_text(encoding="utf-8")), **{k: v for k, v in fresh.items() if k in COVERAGE_KEYS}}
        calibrate.write_calibration(target, fresh)
    similarity = calibrate.load_coverage_similarity(target)
    if similarity is None:
        raise ConfigError(
            f"{target}: the calibration found no content token to calibrate recycle.coverage_similarity on; "
            "set recycle.coverage_similarity=<cosine> or recycle.min_coverage=null"
        )
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
    if cfg.backend == PRECOMPUTED:
        raise ConfigError("recycle.backend=precomputed generates nothing: the rephrase, rewire and prox stages need a generating backend (hf, vllm, openai)")
    if cfg.rephraser is None:
        raise ConfigError(
            "recycle.rephraser is required: a local HF folder of the recycling model (e.g. the `rephraser/` folder "
            "`nemo-repro rl` writes) or, with recycle.backend=openai, the served model name"
        )
    if serves_model(cfg.backend):
        require_served_chat_template(cfg.base_url, cfg.rephraser, api_key_env=cfg.api_key_env)
    else:
        require_hf_model_folder(cfg.rephraser, f"recycle.rephraser={cfg.rephraser!r}")
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
    path = cfg.tokenizer_folder()
    if path is None or not Path(path).is_dir():
        raise ConfigError(f"recycle.tokenizer={cfg.tokenizer!r}: set it to a local HF tokenizer folder (the pretraining tokenizer)")
    return str(path)
