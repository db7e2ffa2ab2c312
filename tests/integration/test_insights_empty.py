"""Insights with nothing to count: a CSV still has its header row (the columns an answer
with data has), and a chart says in words that there is nothing to draw, without axes.
Over HTTP on both engines, through ``colearn insights --chart`` on an empty city, and
``insights.charts`` on answers whose counts are all 0."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from colearn.cli import app as cli
from colearn.config import Settings
from colearn.graph.store import GraphStore
from colearn.insights import charts
from colearn.service.app import create_app
from colearn.service.auth import create_key
from tests.cli_helpers import cli_data_dir
from tests.learner_builders import seed_learner_city

#: Each endpoint asked for nothing, and the CSV header the same insight has with data
#: (as the demo city answers it).
EMPTY = {
    "/insights/issued?from=2999-12-31": "period,start,partial,group,label,learners,assertions,suppressed",
    "/insights/issued?by=theme&group=digital":  # a theme of the city, never awarded
        "period,start,partial,group,label,learners,assertions,suppressed",
    "/insights/spine": "cell,cell_name,layer,domain,learners,assertions,suppressed",
    "/insights/progression": "domain,step,learners,median_days,suppressed",
    "/insights/pathways": "pathway,pathway_title,step,title,optional,learners,suppressed",
    "/insights/supply-demand?place=north":
        "theme,theme_name,place,place_name,learners,opportunities,venues,suppressed",
    "/insights/unseen-talent": "place,place_name,theme,theme_name,learners,suppressed,opportunities",
}


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict]]:
    seed_learner_city(store)  # badges, a district, a pathway: no accepted award, no interest
    app = create_app(Settings(data_dir=tmp_path, rate_limit_per_minute=0), store=store)
    with TestClient(app) as client:
        yield client, {"X-API-Key": create_key(store, "admin").secret}


def _says_nothing(svg: bytes, insight: str) -> None:
    """An SVG chart with no axes whose text is the insight's sentence for nothing to draw."""
    text = svg.decode("utf-8")
    assert 'id="axes_1"' not in text and "xtick" not in text and "ytick" not in text
    assert charts.NOTHING[insight][1] in re.findall(r"<!-- (.*?) -->", text)


@pytest.mark.parametrize("path", list(EMPTY))
def test_nothing_to_count_has_a_header_row_and_says_so_in_charts(api, path: str) -> None:
    client, admin = api
    r = client.get(path, headers={**admin, "Accept": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.text.splitlines()[0] == EMPTY[path]
    assert all(row["suppressed"] == "" and row["learners"] in ("", "0")
               for row in csv.DictReader(io.StringIO(r.text)))
    insight = client.get(path, headers=admin).json()["insight"]
    svg = client.get(path, headers={**admin, "Accept": "image/svg+xml"})
    assert svg.status_code == 200
    _says_nothing(svg.content, insight)
    png = client.get(path, headers={**admin, "Accept": "image/png"})
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


@pytest.mark.parametrize(("params", "periods"), [
    ({"from": "2025-11-01", "to": "2025-12-31"}, ["2025-10", "2025-11", "2025-12", "2026-01"]),
    ({"from": "2025-12-01", "to": "2026-01-31"}, ["2025-12", "2026-01"]),
    ({"from": "2025-12-29", "to": "2026-01-11", "interval": "week"}, ["2026-W01", "2026-W02"]),
])
def test_every_period_asked_for_is_shown_as_0_with_no_award(api, params: dict, periods: list[str]) -> None:
    """A city with no award answered ``periods: []`` whatever ``from`` and ``to``: every
    period overlapping them is shown, 0 and not hidden (a month is its ISO weeks, those
    whose Thursday falls in it, so 2025-11-01, a Saturday, lies in month 2025-10)."""
    client, admin = api
    body = client.get("/insights/issued", params=params, headers=admin).json()
    assert [p["period"] for p in body["periods"]] == periods
    assert all(p["learners"] == p["assertions"] == 0 and p["suppressed"] is None for p in body["periods"])


def test_a_range_too_long_or_out_of_the_stored_days_is_refused_naming_it(api) -> None:
    client, admin = api
    r = client.get("/insights/issued", params={"from": "1969-12-31", "to": "3000-01-01"}, headers=admin)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["query.from", "query.to"], r.text
    # 2000-01-03 is the first Monday of month 2000-01; 2010-01-03, a Sunday, is in month 2009-12
    r = client.get("/insights/issued", params={"interval": "month", "from": "2000-01-03", "to": "2010-01-03"},
                   headers=admin)
    assert r.status_code == 200 and len(r.json()["periods"]) == 120, r.text
    r = client.get("/insights/issued", params={"interval": "month", "from": "2000-01-03", "to": "2010-01-04"},
                   headers=admin)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["query.from"], r.text
    assert "at most 120 months" in r.text
    r = client.get("/insights/issued", params={"to": "2000-01-01", "group": "nope"}, headers=admin)  # no award
    assert r.status_code == 422, r.text


@pytest.fixture(scope="module")
def empty_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield from cli_data_dir(tmp_path_factory, "insights-empty", "--help")


@pytest.mark.falkordb_only
@pytest.mark.parametrize("command", ["spine", "progression", "supply-demand", "issued", "pathways",
                                     "unseen-talent"])
def test_cli_charts_of_an_empty_city_say_so(empty_city: Path, command: str) -> None:
    chart = empty_city / f"{command}.svg"
    result = CliRunner().invoke(cli, ["insights", command, "--chart", str(chart), "--csv"])
    assert result.exit_code == 0, result.output
    insight = command.replace("-", "_")
    _says_nothing(chart.read_bytes(), insight)
    assert result.stdout.splitlines()[0] == next(h for p, h in EMPTY.items() if p.startswith(f"/insights/{command}"))


def _answer(insight: str, **tables) -> dict:
    return {"insight": insight, "params": {"interval": "month", "by": "theme"},
            "privacy": {"min_learners": 5, "suppressed_cells": 0, "primary": 0, "complementary": 0, "note": ""},
            **tables}


def test_zero_counts_are_nothing_to_draw_and_a_hidden_cell_is_something() -> None:
    zero = {"learners": 0, "median_days": None, "suppressed": None}
    progression = _answer("progression", domains=[{"domain": "skills", **zero, "steps": [
        {"from_layer": "engagement", "to_layer": "participation", **zero}]}])
    assert charts.nothing_to_draw(progression)
    fig = charts.figure(progression)
    assert fig.axes == [] and charts.NOTHING["progression"][1] in [t.get_text() for t in fig.texts]
    hidden = {"learners": None, "median_days": None, "suppressed": "primary"}
    progression["domains"][0]["steps"][0] = {"from_layer": "engagement", "to_layer": "participation", **hidden}
    assert not charts.nothing_to_draw(progression) and charts.figure(progression).axes
    # a funnel with learners somewhere is drawn; its count axis has whole numbers from 0
    stage = {"step": 1, "title": "Start", "optional": False, "suppressed": None}
    funnels = _answer("pathways", pathways=[
        {"pathway": "p", "title": "P", "stages": [{**stage, "learners": 7}]},
        {"pathway": "q", "title": "Q", "stages": [{**stage, "learners": 0}]}])
    fig = charts.figure(funnels)
    for ax in fig.axes:
        fig.canvas.draw()
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks[0] == 0 and all(float(t).is_integer() for t in ticks), ticks


def test_a_heat_map_of_zeros_and_hidden_cells_is_drawn() -> None:
    cells = [{"cell": "a", "layer": "engagement", "domain": "skills", "learners": 0, "assertions": 0,
              "suppressed": None},
             {"cell": "b", "layer": "participation", "domain": "skills", "learners": None, "assertions": None,
              "suppressed": "primary"}]
    spine = _answer("spine", layers=["engagement", "participation"], domains=["skills"], cells=cells)
    assert charts.render(spine, "svg").count(b"hidden") >= 1
