"""Log records written off a terminal (a file, a pipe, a service's journal) are one line
each, never wrapped at 80 columns mid-message (rich's handler did, "...Error \\n 111
connecting..."), so that ``grep`` finds a message whole (``colearn.cli.common.log_handler``,
the handler every ``colearn`` command, ``serve`` among them, logs through)."""

from __future__ import annotations

import io
import logging

from rich.console import Console
from rich.logging import RichHandler

from colearn.cli.common import err, log_handler


def test_a_long_record_written_to_a_file_stays_on_one_line() -> None:
    stream = io.StringIO()
    handler = log_handler(Console(file=stream))  # not a terminal: rich would lay it out at 80 columns
    logger = logging.getLogger("colearn.test-unwrapped")
    logger.addHandler(handler)
    logger.propagate = False
    message = "store unavailable: Error 111 connecting to 127.0.0.1:6379. Connection refused. " + "x" * 200
    try:
        logger.warning(message)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].endswith(message) and "WARNING colearn.test-unwrapped" in lines[0], lines


def test_a_terminal_keeps_richs_handler() -> None:
    assert isinstance(log_handler(Console(file=io.StringIO(), force_terminal=True)), RichHandler)
    assert not isinstance(log_handler(err), RichHandler) or err.is_terminal
