"""The access log without credentials: uvicorn logs each request's path with its query
string, and ``GET /demo?key=<partner key>`` (the README's own demo link,
``routers/widget.py``) would put a partner key in every log that keeps it. ``log_config``
is uvicorn's logging configuration with ``RedactSecrets`` on the ``uvicorn.access``
logger, which replaces the value of every credential-like query parameter with ``***``
and keeps the rest of the line as it was."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import unquote_plus

__all__ = ["MASK", "RedactSecrets", "is_secret", "log_config", "redact_query"]

#: What a credential's value reads as in the log.
MASK = "***"

#: A query parameter's name that carries a credential: ``key`` (the demo's partner key),
#: ``token``, and the usual spellings of others (``api_key``, ``access_token``, ``X-API-Key``).
_SECRET_NAME = re.compile(r"(?:^|[-_.])(?:key|token|secret|password|passwd|signature|sig)$|^(?:apikey|auth|authorization)$",
                          re.IGNORECASE)
#: One ``name=value`` of a query string, with the separator before it.
_PARAM = re.compile(r"([?&;])([^=&;#]*)=([^&;#]*)")


def is_secret(name: str) -> bool:
    """Whether the query parameter ``name`` (percent-encoded as sent) carries a credential."""
    return bool(_SECRET_NAME.search(unquote_plus(name).strip()))


def redact_query(path: str) -> str:
    """``path`` (``/demo?key=col_abc&learner=x``) with each credential's value as ``MASK``
    (``/demo?key=***&learner=x``); the path, the other parameters and their encoding are kept."""
    head, mark, query = path.partition("?")
    if not mark:
        return path
    kept = _PARAM.sub(lambda m: f"{m[1]}{m[2]}={MASK}" if is_secret(m[2]) else m[0], "?" + query)
    return head + kept


class RedactSecrets(logging.Filter):
    """Masks credentials in an access record's path (uvicorn's ``args``: client address,
    method, path with query string, HTTP version, status); other records pass unchanged.
    Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's path (see the class); always True."""
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration (``uvicorn.config.LOGGING_CONFIG``, copied)
    with ``RedactSecrets`` on the ``uvicorn.access`` logger: what ``uvicorn.Config`` takes
    as ``log_config``."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_secrets"] = {"()": f"{__name__}.RedactSecrets"}
    config["loggers"]["uvicorn.access"].setdefault("filters", []).append("redact_secrets")
    return config
