"""Field documentation and validation helpers shared by every config schema.

Schemas follow megatron/core's habit: a dataclass whose every field carries a
docstring (a string literal on the line below it). Python drops those strings at
runtime, so `field_docs` reads them back from the source with `ast`; the CLI uses
them for `--help-config` and a test checks that no field goes undocumented.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
import textwrap
import typing
from functools import lru_cache
from typing import Any, Iterable


class ConfigError(ValueError):
    """A configuration problem, raised before any work starts. Names the key."""


# Names of environment variables that hold credentials.
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    """Whether an environment variable's name says it holds a credential (`OPENAI_API_KEY`, `HF_TOKEN`, ...)."""
    return bool(_SECRET_NAME.search(name))


@lru_cache(maxsize=None)
def field_docs(cls: type) -> dict[str, str]:
    """Map each dataclass field of `cls` (and its bases) to its docstring."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        try:
            source = textwrap.dedent(inspect.getsource(klass))
        except (OSError, TypeError):
            continue
        body = ast.parse(source).body[0].body  # type: ignore[attr-defined]
        for node, following in zip(body, body[1:]):
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                docs[node.target.id] = inspect.cleandoc(following.value.value)
    return docs


def check_choice(key: str, value: Any, choices: Iterable[Any]) -> None:
    """Fail with the key and the valid choices when `value` is not one of them."""
    choices = list(choices)
    if value not in choices:
        raise ConfigError(f"{key}={value!r} is not valid; choose one of {choices}")


def check_positive(key: str, value: float, allow_zero: bool = False) -> None:
    """Fail naming the key when a number that must be positive is not."""
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ConfigError(f"{key}={value!r} must be {bound}")


def describe(cls: type, prefix: str = "") -> list[tuple[str, str, str]]:
    """Flatten a schema into (dotted key, default, doc) rows, for help output."""
    rows: list[tuple[str, str, str]] = []
    docs = field_docs(cls)
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}{f.name}"
        ftype = hints.get(f.name)
        if isinstance(ftype, type) and dataclasses.is_dataclass(ftype):
            rows.append((key, "", docs.get(f.name, "")))
            rows.extend(describe(ftype, prefix=key + "."))
            continue
        if f.default is not dataclasses.MISSING:
            default = repr(f.default)
        elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            default = repr(f.default_factory())  # type: ignore[misc]
        else:
            default = "<required>"
        rows.append((key, default, docs.get(f.name, "")))
    return rows
