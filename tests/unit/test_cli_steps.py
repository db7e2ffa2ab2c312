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


def test_steps_elsewhere_give_back_the_display_they_share(monkeypatch: pytest.MonkeyPatch) -> None:
    """Off a terminal too, leaving the steps restores the display ``write_batches`` shares (it was left
    set, and its reset ran later, at garbage collection, in whatever context that happened in)."""
    from rich.progress import Progress

    from colearn.ingest import common

    monkeypatch.setattr(cli, "err", Console(file=io.StringIO(), force_terminal=False, width=120))
    outer = Progress()
    with common.sharing_progress(outer):
        with cli.Steps() as step:
            step("replaying awards")
            assert common._shared_progress.get() is None
        assert common._shared_progress.get() is outer



@pytest.mark.parametrize("group", [[], ["ingest"], ["insights"], ["keys"]])
def test_command_lists_wrap_each_summary_only_where_it_is_full(group: list[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A summary wrapped over lines in the docstring flows as one text in the group's
    command list: a line of it ends only where the next word would not fit (Typer's rich
    listing kept the source's line breaks, so lines ended half empty)."""
    from typer.testing import CliRunner

    from colearn.cli import app

    monkeypatch.setenv("COLUMNS", "120")
    result = CliRunner().invoke(app, [*group, "--help"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    top = next(i for i, line in enumerate(lines) if "Commands" in line and line.startswith("╭"))
    rows = [line for line in lines[top + 1:] if line.startswith("│ ")]
    first = rows[0]
    start = len(first) - len(first[2 + len(first[2:].split()[0]):].lstrip())  # where the text column starts
    width = len(first) - 2 - start  # the text column, up to its padding and the box
    ends = 0
    for row, following in zip(rows, rows[1:]):
        if following[2] == " ":  # ``following`` continues this command's summary
            text, next_word = row[start:-2].rstrip(), following[start:-2].split()[0]
            assert len(text) + 1 + len(next_word) > width, f"line ended early:\n{row}\n{following}"
            ends += 1
    assert "``" not in result.output
    if not group:
        assert ends > 5  # the root list has several long summaries


def test_messages_keep_a_long_path_on_one_line_on_a_narrow_console(capsys: pytest.CaptureFixture[str],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """What a command says on stderr (refused, skipped) is one line per record however narrow the
    console: rich folded a long file name across two lines at the console's width (80 where
    COLUMNS=80, as pytest-xdist's workers have), so the log's line no longer held the path."""
    from colearn.ingest.common import IngestReport

    monkeypatch.setattr(cli.err, "width", 40)  # as COLUMNS=40 would set it
    path = "/tmp/" + "/".join(f"folder-{i:02d}" for i in range(20)) + "/doc.json"
    report = IngestReport(source=path, refused=[(path, "not JSON: Expecting value at line 1 column 1")])
    cli.print_report(report)
    said = capsys.readouterr().err.splitlines()
    assert said == [f"refused {path}: not JSON: Expecting value at line 1 column 1"]
