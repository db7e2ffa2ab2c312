"""Long commands show what they are doing on stderr: rich progress on a terminal,
one plain line per step elsewhere (stdout stays the command's answer)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from colearn.cli import common as cli
from colearn.ingest.common import write_batches


def test_steps_on_a_terminal_show_bars_and_ticks(monkeypatch: pytest.MonkeyPatch) -> None:
    buf = io.StringIO()
    monkeypatch.setattr(cli, "err", Console(file=buf, force_terminal=True, width=120))
    written: list[int] = []

    class Store:  # records the batches a write sends
        def write(self, query: str, params: dict) -> list:
            written.append(len(params["rows"]))
            return []

    with cli.Steps() as step:
        step("reading the graph")
        step("embedding Badge texts", 300)
        step.advance(150, 300)
        step.advance(300, 300)
        step("writing awards")
        # a reader's own bar joins the command's display (rich allows one live display at a time)
        write_batches(Store(), "UNWIND $rows AS r RETURN r", [{}] * 12_000, label="Assertion", size=5_000,
                      progress=True)
    text = buf.getvalue()
    assert "reading the graph" in text and "embedding Badge texts" in text
    assert "300/300" in text and "\u2713" in text and "writing Assertion" in text
    assert written == [5_000, 5_000, 2_000]


def test_steps_elsewhere_print_plain_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    buf = io.StringIO()
    monkeypatch.setattr(cli, "err", Console(file=buf, force_terminal=False, width=120))
    with cli.Steps() as step:
        step("replaying awards")
        step("fitting the ranker")
    lines = buf.getvalue().splitlines()
    assert lines[0] == "replaying awards" and lines[2] == "fitting the ranker"
    assert lines[1].strip().startswith("done in") and lines[3].strip().startswith("done in")
