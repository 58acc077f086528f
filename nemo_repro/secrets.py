"""Keep credentials out of logs, saved configs and job scripts.

Two kinds of secret reach a run: credentials inside URLs (`https://user:token@host/v1`)
and environment variables that hold keys or tokens. URLs are redacted wherever text is
written (every log line, `config.yaml`); secret variables are passed by name only, so
their values never enter a config or a script (`RootConfig.secret_env_vars`).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from nemo_repro.config.fields import is_secret_name

REDACTED = "***"

# scheme://user:password@  or  scheme://token@  (userinfo of a URL)
_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/\s@'\"]+)@")


def redact(text: str) -> str:
    """`text` with the userinfo of every URL replaced by `***`."""
    return _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", text)


def redact_config(node: Any, key: str = "") -> Any:
    """A copy of a plain config tree (dicts, lists, scalars) with URL credentials and the values of
    secret-named `env_vars` replaced by `***`."""
    if isinstance(node, dict):
        in_env = key.endswith("env_vars")
        return {k: (REDACTED if in_env and is_secret_name(str(k)) else redact_config(v, str(k))) for k, v in node.items()}
    if isinstance(node, list):
        return [redact_config(v, key) for v in node]
    if isinstance(node, str):
        return redact(node)
    return node


class RedactingFilter(logging.Filter):
    """Rewrites each record's message and traceback with `redact` before any handler formats it.

    httpx logs every request's full URL at INFO; this is what keeps a `base_url` credential
    out of the console and `logs/<sub>.log`.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# Loggers of the HTTP stack that write request URLs; filtered at the source too, so that processes
# without our handlers (Ray workers running the openai generator) redact as well.
HTTP_LOGGERS = ("httpx", "httpx2", "httpcore", "httpcore2", "openai", "openai._base_client")


def _add_filter(target: logging.Logger | logging.Handler) -> None:
    if not any(isinstance(f, RedactingFilter) for f in target.filters):
        target.addFilter(RedactingFilter())


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Attach one `RedactingFilter` to every handler of `logger` (default: the root logger) and to the
    HTTP stack's own loggers."""
    for handler in (logger or logging.getLogger()).handlers:
        _add_filter(handler)
    for name in HTTP_LOGGERS:
        _add_filter(logging.getLogger(name))
    _redact_loguru()


def _redact_loguru() -> None:
    """NeMo Curator logs through loguru (its client's retry warnings carry the SDK's error text)."""
    try:
        from loguru import logger
    except ImportError:
        return
    logger.configure(patcher=lambda record: record.update(message=redact(record["message"])))
