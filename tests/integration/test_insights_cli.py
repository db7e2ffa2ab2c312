"""``colearn ingest catalogue`` with learners and awards, and ``colearn insights ...``,
end to end through the CLI on an embedded store of their own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from colearn.cli import app

from tests.catalogue_builders import DEMO_CITY
from tests.cli_helpers import cli_data_dir
from tests.insights_builders import Demo, period, tally

runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield from cli_data_dir(tmp_path_factory, "insights-cli", "ingest", "catalogue", str(DEMO_CITY))


def test_ingest_catalogue_loads_the_learners_and_awards_beside_it(data_dir: Path) -> None:
    body = json.loads(runner.invoke(app, ["insights", "spine", "--json"]).output)
    demo = Demo()
    assert body["total"]["learners"] == len({a.learner for a in demo.awards})
    assert body["total"]["assertions"] == len(demo.awards)


def test_insights_issued_names_both_bad_days_at_once(data_dir: Path) -> None:
    """A bad ``--from`` and a bad ``--to`` are refused together, as the API's 422 names them
    (the command named only ``--from``, then ``--to`` once that was mended)."""
    result = runner.invoke(app, ["insights", "issued", "--from", "2026-13-01", "--to", "31/01/2026"])
    assert result.exit_code == 1, result.output
    assert "2 problems" in result.output and "--from" in result.output and "--to" in result.output, result.output


def test_insights_issued_refuses_days_out_of_range_and_too_many_periods(data_dir: Path) -> None:
    """The command shares the API's checks: days before 1970 or after 2999 are named
    together, and a range of more than 520 weeks is refused naming ``--from``."""
    result = runner.invoke(app, ["insights", "issued", "--from", "1969-12-31", "--to", "3000-01-01"])
    assert result.exit_code == 1, result.output
    assert "2 problems" in result.output and "--from" in result.output and "--to" in result.output, result.output
    result = runner.invoke(app, ["insights", "issued", "--interval", "week", "--from", "2000-01-03",
                                 "--to", "2009-12-31"])
    assert result.exit_code == 1 and "--from" in result.output and "at most 520 weeks" in result.output, result.output


def test_insights_issued_json_and_chart(data_dir: Path, tmp_path: Path) -> None:
    chart = tmp_path / "places.svg"
    result = runner.invoke(app, ["insights", "issued", "--by", "place", "--from", "2026-01-01", "--json",
                                 "--chart", str(chart)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    demo = Demo()
    want = tally(demo.awards, lambda a: [(period(a.day, "month"), demo.home(a.learner))])
    for r in body["rows"]:
        assert r["period"] >= "2026-01"
        if r["suppressed"] is None:
            assert (r["learners"], r["assertions"]) == want.get((r["period"], r["group"]), (0, 0))
    assert chart.read_bytes().lstrip().startswith(b"<?xml") and b"<svg" in chart.read_bytes()[:2000]


@pytest.mark.parametrize("command", ["spine", "progression", "pathways", "supply-demand", "unseen-talent"])
def test_every_insight_prints_a_table_and_the_privacy_note(data_dir: Path, command: str) -> None:
    result = runner.invoke(app, ["insights", command])
    assert result.exit_code == 0, result.output
    assert "fewer than 5 learners" in " ".join(result.output.split())


def test_the_pathways_table_shows_completed(data_dir: Path) -> None:
    """The table printed the steps only; the JSON's ``completed`` is a row of its own."""
    body = json.loads(runner.invoke(app, ["insights", "pathways", "--pathway", "digital-careers", "--json"]).stdout)
    done = body["pathways"][0]["completed"]["learners"]
    assert done
    result = runner.invoke(app, ["insights", "pathways", "--pathway", "digital-careers"])
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.output.splitlines() if "Completed" in ln)  # the row's first line
    cells = [c.strip() for c in line.strip("│ ").split("│")]
    assert cells[2].startswith("complet") and cells[4:6] == ["", str(done)], cells


def test_a_bad_dimension_exits_1(data_dir: Path) -> None:
    result = runner.invoke(app, ["insights", "issued", "--by", "shoe_size"])
    assert result.exit_code == 1 and "shoe_size" in result.output
