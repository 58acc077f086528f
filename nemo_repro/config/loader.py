"""Compose `conf/` with Hydra, validate it against the dataclass schemas.

The schemas are registered in Hydra's ConfigStore (`root_schema`, and
`<group>_schema` in each group); every YAML in `conf/` names its schema first in
its defaults list, so Hydra itself rejects unknown keys and wrong types. The
composed config is then turned into the typed `RootConfig`, whose
`__post_init__` checks run before any work starts.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from nemo_repro.config.cluster import ClusterConfig
from nemo_repro.config.evaluate import EvaluateConfig
from nemo_repro.config.fields import ConfigError
from nemo_repro.config.pretrain import PretrainConfig
from nemo_repro.config.recycle import RecycleConfig
from nemo_repro.config.rl import RLConfig
from nemo_repro.config.root import RootConfig

GROUPS: dict[str, type] = {
    "rl": RLConfig,
    "recycle": RecycleConfig,
    "pretrain": PretrainConfig,
    "evaluate": EvaluateConfig,
    "cluster": ClusterConfig,
}
SCHEMA_SUFFIX = "_schema"


def _sections() -> dict[str, type]:
    """Top-level sections a subcommand owns: its group, or a plain section named after it."""
    from nemo_repro.config.launch import LaunchConfig
    from nemo_repro.config.quickstart import QuickstartConfig

    return {**GROUPS, "launch": LaunchConfig, "quickstart": QuickstartConfig}


def conf_dir() -> Path:
    """The `conf/` folder: `$NEMO_REPRO_CONF_DIR`, else the one beside the package."""
    env = os.environ.get("NEMO_REPRO_CONF_DIR")
    path = Path(env) if env else Path(__file__).resolve().parents[2] / "conf"
    if not (path / "config.yaml").is_file():
        raise ConfigError(f"no config.yaml in {path}; set NEMO_REPRO_CONF_DIR to the project's conf/ folder")
    return path


def register_schemas() -> None:
    """Put the dataclass schemas into Hydra's ConfigStore (idempotent)."""
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    store.store(name="root_schema", node=RootConfig)
    for group, schema in GROUPS.items():
        store.store(group=group, name=f"{group}{SCHEMA_SUFFIX}", node=schema)


def group_options(group: str) -> list[str]:
    """The YAML options of a config group (`conf/<group>/*.yaml`)."""
    return sorted(p.stem for p in (conf_dir() / group).glob("*.yaml"))


def expand_shorthand(overrides: list[str], subcommand: str | None) -> list[str]:
    """Let `nemo-repro recycle stage=x` mean `recycle.stage=x`.

    A bare key that is not a top-level key but is a field of the subcommand's
    group gets the group prefix; everything else passes through unchanged.
    """
    schema = _sections().get(subcommand or "")
    if schema is None:
        return list(overrides)
    top = set(RootConfig.__dataclass_fields__)
    fields = set(schema.__dataclass_fields__)
    out = []
    for item in overrides:
        match = re.match(r"^([A-Za-z_][\w]*)(=.*)$", item)
        if match and match.group(1) not in top and match.group(1) in fields:
            item = f"{subcommand}.{match.group(1)}{match.group(2)}"
        out.append(item)
    return out


def _explain(exc: BaseException, overrides: list[str]) -> str:
    """Turn Hydra/OmegaConf errors into one message naming the key and the choices."""
    text = str(exc).strip()
    if exc.__cause__ is not None:
        text += "\n" + str(exc.__cause__).strip()
    key_match = re.search(r"full_key: ([\w.\[\]]+)", text) or re.search(r"override '([\w.]+)'", text)
    if key_match:
        key = key_match.group(1)
        parent, _, _ = key.rpartition(".")
        if re.search(r"Key '\w+' not in|not in struct", text):
            schema = GROUPS.get(parent) if parent else RootConfig
            valid = ", ".join(sorted(schema.__dataclass_fields__)) if schema else "(see --help-config)"
            where = f" under '{parent}'" if parent else ""
            return f"unknown config key '{key}'. Valid keys{where}: {valid}"
        reason = next((line for line in text.splitlines() if "could not be converted" in line or "Invalid value" in line), text.splitlines()[0])
        return f"bad value for '{key}': {reason.strip()}"
    group_match = re.search(r"Could not find '(\w+)/(\w+)'", text)
    if group_match:
        group = group_match.group(1)
        return (
            f"unknown option '{group_match.group(2)}' for config group '{group}'. "
            f"Choose one of: {', '.join(group_options(group))}"
        )
    return f"{text} (overrides: {' '.join(overrides)})"


def _compose(overrides: list[str], return_hydra_config: bool = False) -> DictConfig:
    """Hydra's composition of `conf/config.yaml` with `overrides`; Hydra errors become `ConfigError`."""
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    register_schemas()
    try:
        with initialize_config_dir(config_dir=str(conf_dir()), version_base=None, job_name="nemo_repro"):
            return compose(config_name="config", overrides=overrides, return_hydra_config=return_hydra_config)
    except (HydraException, OmegaConfBaseException, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(_explain(exc, overrides)) from None


def load_config(overrides: list[str] | None = None, subcommand: str | None = None) -> tuple[RootConfig, DictConfig]:
    """Compose `conf/config.yaml` with `key=value` overrides.

    Returns the typed config and the resolved DictConfig (what gets saved to
    `run.dir/config.yaml`). Raises `ConfigError` naming the bad key.
    """
    from omegaconf.errors import OmegaConfBaseException

    overrides = expand_shorthand(list(overrides or []), subcommand)
    cfg = _compose(overrides)
    try:
        typed = OmegaConf.to_object(cfg)
    except ConfigError:
        raise
    except (OmegaConfBaseException, ValueError, TypeError) as exc:
        raise ConfigError(_explain(exc, overrides)) from None
    assert isinstance(typed, RootConfig)
    return typed, cfg


def selected_options(overrides: list[str] | None = None, subcommand: str | None = None) -> dict[str, str]:
    """The option each config group resolves to (`{"pretrain": "tiny", ...}`) after the defaults list and overrides."""
    cfg = _compose(expand_shorthand(list(overrides or []), subcommand), return_hydra_config=True)
    choices = cfg.hydra.runtime.choices
    return {group: str(choices[group]) for group in GROUPS if choices.get(group) is not None}
