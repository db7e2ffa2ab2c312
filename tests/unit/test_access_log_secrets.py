"""The access log keeps no credential: ``GET /demo?key=col_...`` (the README's demo link)
is logged with the key's value masked and every other parameter as sent
(``service.access_log``, installed by ``colearn serve``'s workers as uvicorn's
``log_config``)."""

from __future__ import annotations

import io
import logging
import logging.config

import pytest

from colearn.service import access_log


def _access_record(path: str) -> logging.LogRecord:
    """A record as uvicorn's HTTP protocol logs a request on ``uvicorn.access``."""
    return logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                             ("127.0.0.1:50000", "GET", path, "1.1", 200), None)


def test_the_demo_key_is_masked_in_the_access_log_and_other_parameters_kept() -> None:
    config = access_log.log_config()
    assert config["loggers"]["uvicorn.access"]["filters"] == ["redact_secrets"]
    saved = {name: (lg.handlers[:], lg.filters[:], lg.level, lg.propagate)
             for name in ("uvicorn", "uvicorn.error", "uvicorn.access") for lg in [logging.getLogger(name)]}
    stream = io.StringIO()
    config["handlers"]["access"]["stream"] = stream
    try:
        logging.config.dictConfig(config)  # as uvicorn.Config(log_config=...) does in a worker
        logging.getLogger("uvicorn.access").handle(_access_record("/demo?learner=sam%20o&key=col_abc123&visitor=true"))
    finally:
        for name, (handlers, filters, level, propagate) in saved.items():
            lg = logging.getLogger(name)
            lg.handlers[:], lg.filters[:], lg.level, lg.propagate = handlers, filters, level, propagate
    line = stream.getvalue()
    assert "col_abc123" not in line
    assert '"GET /demo?learner=sam%20o&key=***&visitor=true HTTP/1.1" 200' in line, line


@pytest.mark.parametrize("path,logged", [
    ("/demo?key=col_abc", "/demo?key=***"),
    ("/x?api_key=s&access_token=t&X-API-Key=u&token=v", "/x?api_key=***&access_token=***&X-API-Key=***&token=***"),
    ("/x?monkey=1&keys=2&q=key", "/x?monkey=1&keys=2&q=key"),
    ("/demo", "/demo"),
    ("/x?key=", "/x?key=***"),
])
def test_only_credential_values_are_masked(path: str, logged: str) -> None:
    record = _access_record(path)
    assert access_log.RedactSecrets().filter(record) is True
    assert record.args[2] == logged and record.args[:2] == ("127.0.0.1:50000", "GET")
