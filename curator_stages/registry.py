"""Which stages exist and how each is built from the config: one registry `{name: factory}`.

The pipeline builds its stages from it, `recycle.stage=<name>` runs one of them alone, and the
CLI (and the launcher) check `recycle.stage` against its names before any work. A factory only
puts config values and the preparation step's results (`curator_stages.prepare.Prepared`) into
a stage object: it trains, writes and loads nothing.
"""

from __future__ import annotations

import logging
from typing import Callable

from nemo_curator.stages.base import ProcessingStage

from curator_stages.commit import CommitShard
from curator_stages.filter import Filter
from curator_stages.mix import Mix
from curator_stages.prepare import Prepared, min_coverage
from curator_stages.prox import ProXRefine
from curator_stages.quality import QualityFilter
from curator_stages.read import ReadShard
from curator_stages.reassemble import Reassemble
from curator_stages.rephrase import Rephrase
from curator_stages.rewire import ReWireRewrite
from curator_stages.rewrites import AttachRewrites
from curator_stages.score import Score
from curator_stages.segment import Segment
from curator_stages.tokenize import Tokenize
from curator_stages.validate import Validate
from nemo_repro.config.fields import ConfigError, check_choice
from nemo_repro.config.recycle import RecycleConfig
from nemo_repro.config.root import recycler_requires_marker

log = logging.getLogger(__name__)

StageFactory = Callable[[RecycleConfig, Prepared], ProcessingStage]


def _quality_filter(cfg: RecycleConfig, prepared: Prepared) -> QualityFilter:
    kind = cfg.quality_kind()
    if kind == "none":
        raise ConfigError("recycle.stage=quality_filter needs a quality scorer (recycle.quality_scorer is none)")
    return QualityFilter(prepared.quality_model, cfg.quality_label, cfg.quality_thresholds()[0], cfg.min_quality_gain, scorer=kind)


STAGES: dict[str, StageFactory] = {
    "validate": lambda cfg, prepared: Validate(cfg.max_doc_chars, cfg.min_common_english_words),
    "segment": lambda cfg, prepared: Segment(cfg.segment_chars),
    "rephrase": lambda cfg, prepared: Rephrase(prepared.generator, max_chars=cfg.segment_chars),
    "reassemble": lambda cfg, prepared: Reassemble(),
    "rewrites": lambda cfg, prepared: AttachRewrites(cfg.rewrites or "", cfg.rewrite_field),
    "score": lambda cfg, prepared: Score(
        "none" if cfg.semantic_model == "none" else cfg.semantic_model, cfg.semantic_num_layers, cfg.semantic_truncate, prepared.coverage_similarity
    ),
    # the marker rule is the one that keeps GRPO's format reward on
    "filter": lambda cfg, prepared: Filter(
        recycler_requires_marker(cfg), prepared.semantic_threshold, cfg.max_length_ratio, cfg.min_structure, min_coverage(cfg)
    ),
    "quality_filter": _quality_filter,
    "prox": lambda cfg, prepared: ProXRefine(prepared.generator),
    "rewire": lambda cfg, prepared: ReWireRewrite(prepared.generator),
    "mix": lambda cfg, prepared: Mix(cfg.quality_thresholds()[1]),
    "tokenize": lambda cfg, prepared: Tokenize(str(prepared.paths.megatron), prepared.tokenizer, cfg.append_eod),
}
"""Stage name -> factory, in the order `recycle.stage` lists its choices."""

ACTIONS = ("calibrate",)
"""`recycle.stage` choices that run no stage (`calibrate`: the semantic threshold on `recycle.input`)."""


def stage_choices() -> tuple[str, ...]:
    """Every value `recycle.stage` takes."""
    return (*STAGES, *ACTIONS)


def check_stage(cfg: RecycleConfig) -> None:
    """`recycle.stage` names a registered stage or action (ConfigError naming the key and the choices otherwise)."""
    if cfg.stage is not None:
        check_choice("recycle.stage", cfg.stage, stage_choices())


def check_config(cfg) -> None:
    """The CLI's check of a `RootConfig` before any work (see `nemo_repro.cli.CONFIG_CHECKS`)."""
    check_stage(cfg.recycle)


def make_stage(name: str, cfg: RecycleConfig, prepared: Prepared) -> ProcessingStage:
    """One stage, configured from `cfg` and the preparation step's results (also what `recycle.stage=<name>` runs)."""
    if name not in STAGES:
        raise ConfigError(f"unknown stage {name!r}; the stages are {', '.join(STAGES)}")
    return STAGES[name](cfg, prepared)


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


def build_stages(cfg: RecycleConfig, prepared: Prepared) -> list[ProcessingStage]:
    """Read + the method's stages + commit."""
    read = ReadShard(cfg.text_field, cfg.id_field, cfg.max_doc_chars)
    commit = CommitShard(str(prepared.paths.root), str(prepared.paths.markers))
    return [read, *(make_stage(n, cfg, prepared) for n in method_stages(cfg)), commit]
