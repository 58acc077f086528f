"""Turn a stage's resolved config into the Hydra overrides of its command line.

Every stage command is `nemo-repro <stage> run.dir=<dir> <key=value ...>`: the stage
composes `conf/config.yaml` like any other run, and the launcher passes only the keys
whose resolved value differs from what that plain composition gives. So the scripts
stay short and readable, they are exact (the stage sees the very config the launcher
validated, whether it came from YAML options, CLI overrides or Python), and they can
be run by hand.
"""

from __future__ import annotations

import dataclasses
import math
import re
from functools import lru_cache
from typing import Any, Iterator

from nemo_repro.config.loader import conf_dir, load_config
from nemo_repro.config.root import RootConfig

# Strings Hydra's override grammar reads back as the same string without quotes.
_BARE = re.compile(r"[A-Za-z_/][\w/.\-]*", re.ASCII)
_DICT_KEY = re.compile(r"[A-Za-z_][\w\-]*", re.ASCII)
_KEYWORDS = {"true", "false", "null", "inf", "nan"}
# Keys of the shared `run` group a stage inherits from the launch (run.dir is set per stage).
RUN_KEYS = ("seed", "log_level", "progress")


def _quote(text: str) -> str:
    """Single-quote for Hydra: backslashes are doubled only before a quote or at the end; `${` is
    escaped, since the value is already resolved and must not be interpolated again by the stage."""
    text = re.sub(r"(\\*)\$\{", lambda m: m.group(1) * 2 + "\\${", text)
    text = re.sub(r"(\\*)'", lambda m: m.group(1) * 2 + "\\'", text)
    text = re.sub(r"(\\+)$", lambda m: m.group(1) * 2, text)
    return f"'{text}'"


def hydra_value(value: Any) -> str:
    """Format a config value in Hydra's override grammar so it parses back unchanged."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        if _BARE.fullmatch(value) and value.lower() not in _KEYWORDS:
            return value
        return _quote(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(hydra_value(v) for v in value) + "]"
    if isinstance(value, dict):
        bad = [k for k in value if not _DICT_KEY.fullmatch(str(k))]
        if bad:
            raise TypeError(f"dict key {bad[0]!r} cannot be written as a Hydra override (letters, digits, _ and - only)")
        return "{" + ",".join(f"{k}:{hydra_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} value {value!r} as a Hydra override")


def _leaves(node: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    """(dotted key, value) for every field, descending into nested dataclasses."""
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if dataclasses.is_dataclass(value):
            yield from _leaves(value, f"{prefix}{f.name}.")
        else:
            yield f"{prefix}{f.name}", value


@lru_cache(maxsize=None)
def _baseline(stage: str, conf: str) -> RootConfig:
    """What `nemo-repro <stage>` composes with no overrides (read-only; cached per conf folder)."""
    return load_config([], subcommand=stage)[0]


def stage_overrides(cfg: RootConfig, stage: str) -> list[str]:
    """`key=value` overrides that turn the default composition into `cfg` for this stage.

    Covers the stage's own group and the shared `run` keys; `run.dir` is left to the caller.
    """
    baseline = _baseline(stage, str(conf_dir()))
    base = dict(_leaves(getattr(baseline, stage), f"{stage}."))
    out = [f"{key}={hydra_value(value)}" for key, value in _leaves(getattr(cfg, stage), f"{stage}.") if base.get(key) != value]
    out += [f"run.{k}={hydra_value(getattr(cfg.run, k))}" for k in RUN_KEYS if getattr(cfg.run, k) != getattr(baseline.run, k)]
    return out
