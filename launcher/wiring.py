"""How the stages hand their outputs to each other: the one place that knows it.

Each stage runs in `<launch run.dir>/<stage>`. A `Handoff` says which file or folder
a stage leaves there and which config key of a later stage reads it. The launcher
fills that key when the producer runs earlier in `stages` and the user left the key
unset; a value the user set explicitly always wins.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nemo_repro.config.generation import serves_model
from nemo_repro.config.recycle import PRECOMPUTED
from nemo_repro.config.root import LAUNCH_STAGES, RootConfig


@dataclass(frozen=True)
class Handoff:
    producer: str
    """Stage that writes the output."""

    output: str
    """Path of the output, relative to the producer's run dir."""

    consumer: str
    """Dotted config key of the later stage that reads it."""

    required: bool
    """The consuming stage cannot run with the key unset."""


HANDOFFS: tuple[Handoff, ...] = (
    Handoff("rl", "final", "recycle.rephraser", required=True),
    Handoff("recycle", "megatron/blend.json", "pretrain.data", required=False),
    Handoff("pretrain", "checkpoints", "evaluate.model", required=True),
)

# Keys of each stage that name input files or folders; checked before anything runs.
PATH_KEYS: dict[str, tuple[str, ...]] = {
    "rl": ("rl.policy", "rl.data"),
    "recycle": ("recycle.input", "recycle.rephraser"),
    "pretrain": ("pretrain.data", "pretrain.tokenizer"),
    "evaluate": ("evaluate.model", "evaluate.data_dir"),
}


# Further keys that name files or folders when set (checked when the stage reads them, not by the launcher);
# each with the values that are words, not paths.
OTHER_PATH_KEYS: dict[str, tuple[str, ...]] = {
    "recycle.tokenizer": (),
    "recycle.rewrites": (),
    "recycle.min_semantic_f1": ("auto",),
    "recycle.quality_model": ("sample",),
    "recycle.semantic_model": ("none",),
    "rl.rewards.quality_model": (),
    "rl.rewards.semantic_model": (),
    "rl.rewards.structure_judge_model": (),
}


def is_path_value(cfg: RootConfig, key: str) -> bool:
    """Whether the key's current value names a host path (not null, not a word like `sample`,
    not the served model name of the openai backend)."""
    value = get_key(cfg, key)
    if value is None or value in OTHER_PATH_KEYS.get(key, ()) or not needs_key(cfg, key):
        return False
    if key == "recycle.min_semantic_f1":  # a number, or a calibration file
        return isinstance(value, str) and value.endswith(".json")
    return not (key == "recycle.rephraser" and serves_model(cfg.recycle.backend))


def needs_key(cfg: RootConfig, key: str) -> bool:
    """Whether the stage reads `key` at all with this config (precomputed rewrites need no rephraser)."""
    return not (key == "recycle.rephraser" and cfg.recycle.backend == PRECOMPUTED)


def path_keys(cfg: RootConfig) -> list[str]:
    """Every path-valued key of the stages in `cfg.stages`."""
    keys = [k for stage in cfg.stages for k in PATH_KEYS[stage]]
    keys += [k for k in OTHER_PATH_KEYS if k.split(".")[0] in cfg.stages]
    return [k for k in keys if is_path_value(cfg, k)]


def get_key(cfg: RootConfig, key: str) -> Any:
    node: Any = cfg
    for part in key.split("."):
        node = getattr(node, part)
    return node


def set_key(cfg: RootConfig, key: str, value: Any) -> None:
    parent, _, name = key.rpartition(".")
    setattr(get_key(cfg, parent), name, value)


def produced(cfg: RootConfig, run_dir: Path, before: str) -> dict[str, Handoff]:
    """Paths that stages running before `before` will leave behind, with their handoff."""
    earlier = cfg.stages[: cfg.stages.index(before)]
    return {str(run_dir / h.producer / h.output): h for h in HANDOFFS if h.producer in earlier}


def recycle_tokenizer(cfg: RootConfig) -> str | None:
    """The tokenizer recycle writes its `.bin/.idx` with."""
    return cfg.recycle.tokenizer_folder()


def reads_recycled_blend(cfg: RootConfig, run_dir: Path) -> bool:
    return "recycle" in cfg.stages and cfg.pretrain.data == str(run_dir / "recycle" / "megatron" / "blend.json")


def wire(cfg: RootConfig, run_dir: Path, workdir: Path | None = None) -> RootConfig:
    """A copy of `cfg` whose relative paths are absolute (against `workdir`, default the current folder)
    and whose unset consumer keys point at the outputs of earlier stages."""
    wired = copy.deepcopy(cfg)
    base = Path(workdir or Path.cwd()).resolve()
    # Jobs run in other folders (and containers): a relative path would resolve against the wrong one.
    for key in path_keys(wired):
        value = str(get_key(wired, key))
        absolute = os.path.normpath(os.path.join(base, os.path.expanduser(value)))
        if absolute != value:
            set_key(wired, key, absolute)
    for h in HANDOFFS:
        consumer_stage = h.consumer.split(".")[0]
        if consumer_stage not in wired.stages or h.producer not in wired.stages:
            continue
        if wired.stages.index(h.producer) < wired.stages.index(consumer_stage) and get_key(wired, h.consumer) is None:
            set_key(wired, h.consumer, str(run_dir / h.producer / h.output))
    # Pretraining on recycle's token files must read them with the vocabulary they were written with.
    if reads_recycled_blend(wired, run_dir) and wired.pretrain.tokenizer is None:
        wired.pretrain.tokenizer = recycle_tokenizer(wired)
    return wired


def canonical_order(stages: list[str]) -> list[str]:
    return [s for s in LAUNCH_STAGES if s in stages]
