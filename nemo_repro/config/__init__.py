"""Typed configuration: dataclass schemas (the source of truth) and the Hydra loader."""

from nemo_repro.config.fields import ConfigError, field_docs
from nemo_repro.config.loader import load_config, register_schemas
from nemo_repro.config.root import RootConfig

__all__ = ["ConfigError", "RootConfig", "field_docs", "load_config", "register_schemas"]
