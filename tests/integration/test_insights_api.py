"""``/insights/...`` over HTTP on the demo city (the Martial Arts data is counted in
test_insights.py; here it would only slow the many requests down): JSON or
charts, who may ask, and the privacy guarantees, for every aggregate endpoint.

The differencing tests: (1) two requests that differ by one filter show the
same cells with the same numbers and the same suppression, so subtracting one
answer from the other gives nothing that is not already shown; (2) in every
line of an answer whose total is shown (a period's groups, a group's periods,
the margins, a domain's steps, a theme's places, ...), the hidden cells are
none or at least two, holding at least k learners together (true counts from
the same insight with k = 1), so "total minus the shown cells" never gives a
hidden cell away; (3) funnel stages differ by 0 or at least k learners.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.graph.falkordb_store import EmbeddedFalkorDB
from colearn.graph.store import GraphStore
from colearn.insights.aggregates import DIMENSIONS, INTERVALS, Insights
from colearn.service.app import create_app
from colearn.service.auth import create_key, issue_learner_token
from colearn.service.routers.insights import negotiate

from tests.insights_builders import loaded_store

K = 5
ENDPOINTS = ["/insights/issued", "/insights/spine", "/insights/progression", "/insights/pathways",
             "/insights/supply-demand", "/insights/unseen-talent"]


@pytest.fixture(scope="module")
def city(falkordb_server: EmbeddedFalkorDB) -> Iterator[GraphStore]:
    yield from loaded_store(falkordb_server, stackexchange=False)


@pytest.fixture(scope="module")
def api(city: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict]]:
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("api"), rate_limit_per_minute=0,
                              insights_min_learners=K, insights_cache_seconds=3600), store=city)
    with TestClient(app) as client:
        keys = {"admin": create_key(city, "admin").secret,
                "org": create_key(city, "organisation", organisation_id="kiln-digital").secret,
                "partner": create_key(city, "partner", origins=["https://p.example"]).secret}
        yield client, keys


@pytest.fixture(scope="module")
def truth(city: GraphStore) -> Insights:
    """The same insights with k = 1 (nothing hidden): the true counts behind hidden cells."""
    return Insights(city, min_learners=1, cache_seconds=3600)


def get(api: tuple[TestClient, dict], path: str, role: str = "admin", **params: Any) -> dict:
    client, keys = api
    r = client.get(path, params=params, headers={"X-API-Key": keys[role]})
    assert r.status_code == 200, r.text
    return r.json()


# --------------------------------------------------------------------------
# Formats and parameters
# --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ENDPOINTS)
def test_json_by_default_and_charts_on_request(api, path: str) -> None:
    client, keys = api
    h = {"X-API-Key": keys["admin"]}
    r = client.get(path, headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert r.json()["privacy"]["min_learners"] == K
    png = client.get(path, headers={**h, "Accept": "image/png"})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n") and len(png.content) > 5000
    svg = client.get(path, headers={**h, "Accept": "image/svg+xml"})
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content[:2000]


def test_accept_negotiation() -> None:
    assert negotiate(None) == "json" and negotiate("*/*") == "json"
    assert negotiate("image/svg+xml;q=0.5, image/png") == "png"
    assert negotiate("image/png;q=0.2, application/json;q=0.9") == "json"
    assert negotiate("text/html, image/svg+xml") == "svg"


@pytest.mark.parametrize(("path", "params", "status"), [
    ("/insights/issued", {"by": "shoe_size"}, 422),
    ("/insights/issued", {"interval": "fortnight"}, 422),
    ("/insights/issued", {"from": "2025-13-01"}, 422),
    ("/insights/issued", {"from": "2026-01-01", "to": "2025-01-01"}, 422),
    ("/insights/pathways", {"pathway": "no-such-pathway"}, 422),
])
def test_bad_parameters_are_problems(api, path: str, params: dict, status: int) -> None:
    client, keys = api
    r = client.get(path, params=params, headers={"X-API-Key": keys["admin"]})
    assert r.status_code == status and r.headers["content-type"].startswith("application/problem+json")


def test_an_unknown_pathway_is_named_where_it_is_in_the_request(api) -> None:
    """``pathway`` was named without its location, where every other error says ``query.``."""
    client, keys = api
    r = client.get("/insights/pathways", params={"pathway": "nope"}, headers={"X-API-Key": keys["admin"]})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["query.pathway"], r.json()


# --------------------------------------------------------------------------
# Who may ask, and what they are shown
# --------------------------------------------------------------------------


def test_only_admin_and_organisation_keys(api) -> None:
    client, keys = api
    secret = client.app.state.token_secret
    for path in ENDPOINTS:
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"X-API-Key": keys["partner"], "Origin": "https://p.example"}).status_code == 403
        learner = {"Authorization": f"Bearer {issue_learner_token(secret, 'bf-0001')}"}
        assert client.get(path, headers=learner).status_code == 403


@pytest.mark.parametrize("path", ENDPOINTS)
def test_organisation_keys_see_the_citywide_aggregates(api, path: str) -> None:
    assert get(api, path, "org") == get(api, path, "admin")


_LEARNER_ID = re.compile(r"\b(bf-\d{4}|se-martialarts-\d+)\b")


@pytest.mark.parametrize("path", ENDPOINTS)
def test_no_answer_holds_a_learner_id(api, path: str) -> None:
    client, keys = api
    params = [{}] + [{"by": by, "interval": "week"} for by in DIMENSIONS] if path.endswith("issued") else [{}]
    for p in params:
        text = client.get(path, params=p, headers={"X-API-Key": keys["org"]}).text
        assert not _LEARNER_ID.search(text), _LEARNER_ID.search(text)


def test_k_is_configurable(city: GraphStore, tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, rate_limit_per_minute=0, insights_min_learners=25), store=city)
    with TestClient(app) as client:
        h = {"X-API-Key": create_key(city, "admin").secret}
        body = client.get("/insights/issued", params={"by": "place"}, headers=h).json()
    assert body["privacy"]["min_learners"] == 25 and "fewer than 25 learners" in body["privacy"]["note"]
    shown = [c["learners"] for c in body["rows"] + body["periods"] + body["groups"] if c["learners"]]
    assert shown and min(shown) >= 25


# --------------------------------------------------------------------------
# Differencing: filters only choose cells
# --------------------------------------------------------------------------

#: endpoint -> (its filters with values to try, how to key and list its cells)
def _cells(body: dict) -> dict[tuple, dict]:
    """Every cell of an answer, keyed by where it sits."""
    kind = body["insight"]
    out: dict[tuple, dict] = {}
    if kind == "issued":
        out |= {("row", r["period"], r["group"]): r for r in body["rows"]}
        out |= {("period", r["period"]): r for r in body["periods"]}
        out |= {("group", r["group"]): r for r in body["groups"]}
        out[("total",)] = body["total"]
    elif kind == "spine":
        out |= {("cell", c["cell"]): c for c in body["cells"]}
        out[("total",)] = body["total"]
    elif kind == "progression":
        for d in body["domains"]:
            out[("domain", d["domain"])] = {k: v for k, v in d.items() if k != "steps"}
            out |= {("step", d["domain"], s["from_layer"]): s for s in d["steps"]}
    elif kind == "pathways":
        out |= {("stage", p["pathway"], s["step"]): s for p in body["pathways"] for s in p["stages"]}
    elif kind == "supply_demand":
        out |= {("row", r["theme"], r["place"]): r for r in body["rows"]}
        out |= {("theme", r["theme"]): r for r in body["themes"]}
        out |= {("place", r["place"]): r for r in body["places"]}
        out[("total",)] = body["total"]
    else:
        out |= {("row", r["place"], r["theme"]): r for r in body["rows"]}
        out |= {("place", r["place"]): r for r in body["places"]}
        out |= {("theme", r["theme"]): r for r in body["themes"]}
        out[("total",)] = body["total"]
    return out


FILTERS: list[tuple[str, dict, dict]] = [
    *[("/insights/issued", {"by": by, "interval": iv}, f) for by in DIMENSIONS for iv in INTERVALS
      for f in ({"from": "2025-06-01"}, {"to": "2025-12-31"}, {"from": "2026-02-10", "to": "2026-03-05"})],
    ("/insights/issued", {"by": "theme"}, {"group": "digital"}),
    ("/insights/issued", {"by": "place", "interval": "week"}, {"group": "northgate"}),
    ("/insights/issued", {"by": "organisation"}, {"group": "kiln-digital"}),
    ("/insights/spine", {}, {"domain": "skills"}),
    ("/insights/spine", {}, {"layer": "leadership"}),
    ("/insights/progression", {}, {"domain": "attitudes_values"}),
    ("/insights/pathways", {}, {"pathway": "digital-careers"}),
    ("/insights/supply-demand", {}, {"theme": "digital"}),
    ("/insights/supply-demand", {}, {"place": "millbrook"}),
    ("/insights/unseen-talent", {}, {"place": "northgate"}),
    ("/insights/unseen-talent", {}, {"theme": "creative-industries"}),
]


@pytest.mark.parametrize(("path", "base", "extra"), FILTERS,
                         ids=[f"{p.rsplit('/', 1)[1]}-{b}-{e}" for p, b, e in FILTERS])
def test_one_more_filter_shows_the_same_cells(api, path: str, base: dict, extra: dict) -> None:
    """Subtracting the filtered answer from the unfiltered one cancels cell for cell."""
    whole = _cells(get(api, path, **base))
    part = _cells(get(api, path, **base, **extra))
    assert part, "the filter must leave something to compare"
    for key, cell in part.items():
        assert key in whole, key
        assert cell == whole[key], (key, cell, whole[key])
    hidden = [c for c in whole.values() if c.get("suppressed")]
    assert all(c["learners"] is None for c in hidden)


@pytest.mark.parametrize(("path", "field", "value"), [
    ("/insights/supply-demand", "theme", "not-a-theme"), ("/insights/supply-demand", "place", "atlantis"),
    ("/insights/unseen-talent", "place", "Northgate"), ("/insights/unseen-talent", "theme", "digital "),
])
def test_a_filter_naming_nothing_is_refused_not_an_empty_table(api, path: str, field: str, value: str) -> None:
    client, keys = api
    r = client.get(path, params={field: value}, headers={"X-API-Key": keys["admin"]})
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [f"query.{field}"] and f"'{value}'" in r.text


def test_the_hierarchy_of_dimensions_is_protected_too(api, truth: Insights) -> None:
    """A theme kind is the union of its themes: kind minus its shown themes never isolates one theme."""
    themes = {g["group"]: g for g in get(api, "/insights/issued", by="theme")["groups"]}
    kinds = {g["group"]: g for g in get(api, "/insights/issued", by="theme_kind")["groups"]}
    true_themes = {g["group"]: g for g in truth.issued("theme")["groups"]}
    kind_of = {r["id"]: r["kind"] for r in truth.store.read("MATCH (t:Theme) RETURN t.id AS id, t.kind AS kind")}
    for kind, total in kinds.items():
        if total["suppressed"]:
            continue
        members = [t for t, k in kind_of.items() if k == kind and t in themes]
        hidden = [t for t in members if themes[t]["suppressed"]]
        assert len(hidden) != 1, (kind, hidden)
        if hidden:
            assert sum(true_themes[t]["learners"] for t in hidden) >= K


# --------------------------------------------------------------------------
# Differencing: totals minus shown cells
# --------------------------------------------------------------------------


#: Dimensions that give each award exactly one group (a partition of the awards).
PARTITIONS = ("place", "organisation")


def _lines(body: dict) -> list[tuple[dict, list[tuple], bool]]:
    """(total cell, member keys, whether the members partition the total's awards)
    for every line of an answer whose total is in it."""
    kind, cells = body["insight"], _cells(body)
    lines: list[tuple[dict, list[tuple], bool]] = []
    split = kind == "issued" and body["params"]["by"] in PARTITIONS

    def line(total_key: tuple, pred, partition: bool = False) -> None:
        if total_key in cells:
            lines.append((cells[total_key], [k for k in cells if pred(k)], partition))

    if kind == "issued":
        for p in {k[1] for k in cells if k[0] == "period"}:
            line(("period", p), lambda k, p=p: k[0] == "row" and k[1] == p, split)
        for g in {k[1] for k in cells if k[0] == "group"}:
            line(("group", g), lambda k, g=g: k[0] == "row" and k[2] == g, True)
        line(("total",), lambda k: k[0] == "group", split)
        line(("total",), lambda k: k[0] == "period", True)
    elif kind == "spine":
        line(("total",), lambda k: k[0] == "cell")
    elif kind == "progression":
        for d in {k[1] for k in cells if k[0] == "domain"}:
            line(("domain", d), lambda k, d=d: k[0] == "step" and k[1] == d)
    elif kind in ("supply_demand", "unseen_talent"):
        a, b = ("theme", "place") if kind == "supply_demand" else ("place", "theme")
        for x in {k[1] for k in cells if k[0] == a}:
            line((a, x), lambda k, x=x: k[0] == "row" and k[1] == x)
        for y in {k[1] for k in cells if k[0] == b}:
            line((b, y), lambda k, y=y: k[0] == "row" and k[2] == y)
        line(("total",), lambda k: k[0] == a)
        line(("total",), lambda k: k[0] == b)
    return lines


ANSWERS: list[tuple[str, dict]] = [
    *[("/insights/issued", {"by": by, "interval": iv}) for by in DIMENSIONS for iv in INTERVALS],
    ("/insights/spine", {}), ("/insights/progression", {}),
    ("/insights/supply-demand", {}), ("/insights/unseen-talent", {}),
]


def _true(truth: Insights, path: str, params: dict) -> dict[tuple, dict]:
    name = path.rsplit("/", 1)[1].replace("-", "_")
    return _cells(getattr(truth, name)(**params))


@pytest.mark.parametrize(("path", "params"), ANSWERS, ids=[f"{p.rsplit('/', 1)[1]}-{q}" for p, q in ANSWERS])
def test_a_total_minus_the_shown_cells_never_gives_a_hidden_cell_away(api, truth: Insights, path: str,
                                                                      params: dict) -> None:
    body = get(api, path, **params)
    cells, true = _cells(body), _true(truth, path, params)
    checked = attacked = 0
    for total, members, partition in _lines(body):
        if total["suppressed"]:
            continue
        hidden = [m for m in members if cells[m]["suppressed"]]
        shown = [m for m in members if not cells[m]["suppressed"]]
        if not hidden or not shown:
            continue
        checked += 1
        assert len(hidden) >= 2, (path, params, hidden)
        assert sum(true[m]["learners"] for m in hidden) >= K, (path, params, hidden)
        if partition:
            # The attack: the total's awards minus the shown cells' awards. It gives
            # the hidden cells' sum, which is more than any one hidden cell holds.
            rest = total["assertions"] - sum(cells[m]["assertions"] for m in shown)
            assert rest == sum(true[m]["assertions"] for m in hidden)
            assert all(rest > true[m]["assertions"] for m in hidden)
            attacked += 1
    for key, cell in cells.items():
        if cell["suppressed"] == "primary":
            assert 0 < true[key]["learners"] < K, key
        elif cell["suppressed"] is None:
            assert cell == true[key] | {"suppressed": None}, key
    if path.endswith("issued") and params["by"] in ("place", "organisation", "theme"):
        assert checked > 0, "the data must exercise complementary suppression"
    if path.endswith("issued") and params["by"] in PARTITIONS:
        assert attacked > 0, "the data must let the attack be tried"


@pytest.mark.parametrize("pathway", ["digital-careers", "young-entrepreneur", "youth-voice-leader",
                                     "health-and-care-study"])
def test_funnel_stages_differ_by_zero_or_at_least_k(api, truth: Insights, pathway: str) -> None:
    stages = get(api, "/insights/pathways", pathway=pathway)["pathways"][0]["stages"]
    true = truth.pathways(pathway=pathway)["pathways"][0]["stages"]
    shown = [s["learners"] for s in stages if s["suppressed"] is None]
    assert shown, pathway
    assert all(a - b == 0 or a - b >= K for i, a in enumerate(shown) for b in shown[i + 1:])
    for s, t in zip(stages, true):
        assert s["learners"] in (None, t["learners"])
        if s["suppressed"] == "primary":
            assert 0 < t["learners"] < K


def _days(rows: list[dict], first: date, n: int) -> list[range]:
    """The day indices (from ``first``, clipped to ``0..n``) each period row covers, read
    from the answer alone: a period runs from its ``start`` to the next row's ``start``
    (the last one to the end of the week series: a later day has no award yet)."""
    starts = [(date.fromisoformat(r["start"]) - first).days for r in rows]
    return [range(max(a, 0), min(b, n)) for a, b in zip(starts, [*starts[1:], n])]


def _derivable_hidden_weeks(weeks: list[dict], months: list[dict], total: dict) -> list[str]:
    """The hidden week rows of one series whose awards follow, by any linear combination,
    from its shown week rows, its shown month rows and its all-time total: a hidden week
    is given away when its days' indicator lies in the row space of what is published
    (the unknowns are the awards of each day the week series covers; a day before it has
    none, since the series starts at the first award)."""
    first, n = date.fromisoformat(weeks[0]["start"]), 7 * len(weeks)
    rows, hidden = [], []
    for r, days in [*zip(weeks, _days(weeks, first, n)), *zip(months, _days(months, first, n))]:
        row = np.zeros(n)
        row[list(days)] = 1
        (hidden if r["suppressed"] and "W" in r["period"] else rows).append((r, row))
    published = [row for r, row in rows if not r["suppressed"]]
    if not total["suppressed"]:
        published.append(np.ones(n))
    _, sv, vt = np.linalg.svd(np.array(published))
    free = vt[int((sv > 1e-9).sum()):]  # the null space: what the published rows leave unknown
    return [r["period"] for r, row in hidden if np.abs(free @ row).max(initial=0) < 1e-9]


@pytest.mark.parametrize("by", ["theme", "place", "organisation"])
def test_weekly_and_monthly_answers_cannot_be_subtracted(api, by: str) -> None:
    """A calendar month did not nest its ISO weeks, and only months made of whole weeks
    were joined to them for suppression: the month answer minus the shown weeks, with the
    boundary weeks' parts solved one from the next (starting from the zero before the
    first award), gave hidden weeks away (digital 2026-W04: 265 - 261 = 4). A month is now
    the ISO weeks whose Thursday falls in it, joined to them by a suppression line, so no
    combination of one group's week rows, month rows and total isolates a hidden week."""
    weekly = get(api, "/insights/issued", by=by, interval="week")
    monthly = get(api, "/insights/issued", by=by, interval="month")
    series = [(weekly["periods"], monthly["periods"], weekly["total"])]
    for g in weekly["groups"]:
        series.append(([r for r in weekly["rows"] if r["group"] == g["group"]],
                       [r for r in monthly["rows"] if r["group"] == g["group"]], g))
    hidden = sum(1 for weeks, _, _ in series for r in weeks if r["suppressed"])
    assert hidden, "the data must hide some weeks"
    given_away = {(weeks[0].get("group"), p) for weeks, months, total in series
                  for p in _derivable_hidden_weeks(weeks, months, total)}
    assert not given_away, sorted(given_away, key=str)
    for month in monthly["periods"]:  # each month is its weeks: Monday to Sunday, a Thursday in it
        start = date.fromisoformat(month["start"])
        assert start.weekday() == 0 and (start + timedelta(days=3)).strftime("%Y-%m") == month["period"]


def test_the_issued_chart_says_how_many_groups_it_left_out(truth: Insights) -> None:
    """The chart draws the largest MAX_LINES groups; the rest are named in the legend as left
    out, so that a group missing from the chart is not read as having no awards."""
    from colearn.insights.charts import MAX_LINES, figure

    answer = truth.issued("cell")
    with_awards = {r["group"] for r in answer["rows"] if r["assertions"]}
    assert len(with_awards) > MAX_LINES  # the demo city's awards fall in more spine cells than are drawn
    legend = [t.get_text() for t in figure(answer).axes[0].get_legend().get_texts()]
    left = len(with_awards) - MAX_LINES
    assert sum("not drawn" in t for t in legend) == 1 and f"{left} smaller groups not drawn" in " ".join(legend)
    few = truth.issued("theme_kind")
    kinds = {r["group"] for r in few["rows"] if r["assertions"]}
    assert len(kinds) <= MAX_LINES
    assert not any("not drawn" in t.get_text() for t in figure(few).axes[0].get_legend().get_texts())


@pytest.mark.parametrize(("path", "field", "value"), [
    ("/insights/spine", "domain", "nosuch"), ("/insights/spine", "layer", "Leadership"),
    ("/insights/progression", "domain", "skill"),
])
def test_a_spine_filter_naming_no_domain_or_layer_is_refused(api, path: str, field: str, value: str) -> None:
    client, keys = api
    r = client.get(path, params={field: value}, headers={"X-API-Key": keys["admin"]})
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == [f"query.{field}"], r.text
    assert f"'{value}'" in r.text and "expected one of" in r.text


@pytest.mark.parametrize(("by", "group"), [
    ("theme", "Digital"), ("theme", "no-such-theme"), ("theme_kind", "sport"), ("destination", "digital"),
    ("cell", "skills.Leadership"), ("place", "atlantis"), ("organisation", "no-such-org"),
])
def test_an_issued_group_naming_nothing_is_refused(api, by: str, group: str) -> None:
    """``group`` names one of ``by``'s groups; anything else was answered with an
    empty table that read as "no awards there"."""
    client, keys = api
    r = client.get("/insights/issued", params={"by": by, "group": group}, headers={"X-API-Key": keys["admin"]})
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["query.group"], r.text
    assert f"unknown {by} group '{group}'" in r.text and "expected one of" in r.text


@pytest.mark.parametrize("by", ["theme", "theme_kind", "destination", "cell", "place", "organisation"])
def test_every_issued_group_shown_can_be_asked_for(api, by: str) -> None:
    client, keys = api
    headers = {"X-API-Key": keys["admin"]}
    groups = [g["group"] for g in client.get("/insights/issued", params={"by": by}, headers=headers).json()["groups"]]
    named = [g for g in groups if g is not None]
    assert named
    for group in named:
        r = client.get("/insights/issued", params={"by": by, "group": group}, headers=headers)
        assert r.status_code == 200, r.text
        assert {row["group"] for row in r.json()["rows"]} <= {group}


# --------------------------------------------------------------------------
# A funnel's completed count, in every format
# --------------------------------------------------------------------------


def _funnel_bars(answer: dict) -> list[tuple[str, str]]:
    """(label, the text beside the bar) of each bar of the first pathway's chart."""
    from colearn.insights.charts import figure

    ax = figure(answer).axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    notes = [t.get_text().strip() for t in ax.texts]
    return list(zip(labels, notes))


def test_the_funnel_csv_and_chart_show_completed(api) -> None:
    """``completed`` was in the JSON only: the CSV and the chart showed the steps."""
    client, keys = api
    body = get(api, "/insights/pathways", pathway="digital-careers")
    done = body["pathways"][0]["completed"]
    assert done["suppressed"] is None and done["learners"] > 0
    r = client.get("/insights/pathways", params={"pathway": "digital-careers"},
                   headers={"X-API-Key": keys["admin"], "Accept": "text/csv"})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    required = [str(s["step"]) for s in body["pathways"][0]["stages"] if not s["optional"]]
    optional = [str(s["step"]) for s in body["pathways"][0]["stages"] if s["optional"]]
    assert optional, "digital-careers has an optional step, after completed"
    assert [row["step"] for row in rows] == [*required, "completed", *optional]
    completed = rows[len(required)]
    assert (completed["learners"], completed["suppressed"], completed["optional"]) == (str(done["learners"]), "", "")
    bars = _funnel_bars(body)
    assert bars[len(required)] == ("Completed (every required step)", str(done["learners"]))


def test_a_hidden_completed_count_is_hidden_in_the_csv_and_chart(city: GraphStore) -> None:
    """With k above the completed count, it is hidden in every format, as in the JSON."""
    from colearn.insights.tables import to_csv

    shown = Insights(city, min_learners=1).pathways(pathway="digital-careers")["pathways"][0]["completed"]
    answer = Insights(city, min_learners=shown["learners"] + 1).pathways(pathway="digital-careers")
    assert answer["pathways"][0]["completed"] == {"learners": None, "suppressed": "primary"}
    rows = {row["step"]: row for row in csv.DictReader(io.StringIO(to_csv(answer)))}
    assert (rows["completed"]["learners"], rows["completed"]["suppressed"]) == ("", "primary")
    assert ("Completed (every required step)", "hidden") in _funnel_bars(answer)


# --------------------------------------------------------------------------
# Places are districts: a venue is refused, naming its district
# --------------------------------------------------------------------------

#: The demo city's districts, and a venue with the district it lies within.
DISTRICTS = ["city-centre", "eastfield", "harbourside", "millbrook", "northgate", "riverside"]
VENUE, ITS_DISTRICT = "kiln-studios", "harbourside"


@pytest.mark.parametrize(("path", "params", "field"), [
    ("/insights/issued", {"by": "place", "group": VENUE}, "group"),
    ("/insights/unseen-talent", {"place": VENUE}, "place"),
    ("/insights/supply-demand", {"place": VENUE}, "place"),
])
def test_a_venue_where_districts_are_counted_is_refused_naming_its_district(api, path: str, params: dict,
                                                                            field: str) -> None:
    """Places are counted by district, so a venue always answered an empty table (200)."""
    client, keys = api
    r = client.get(path, params=params, headers={"X-API-Key": keys["admin"]})
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [f"query.{field}"]
    message = r.json()["errors"][0]["message"]
    assert f"'{VENUE}' is not a district" in message and f"within '{ITS_DISTRICT}'" in message
    listed = message.split("expected one of ", 1)[1]
    assert all(d in listed for d in DISTRICTS) and "central-library" not in listed and VENUE not in listed


def test_every_district_is_accepted_and_online_is_a_supply_place(api) -> None:
    for d in DISTRICTS:
        rows = get(api, "/insights/unseen-talent", place=d)["rows"]
        assert rows and {r["place"] for r in rows} == {d}
        assert {r["place"] for r in get(api, "/insights/supply-demand", place=d)["rows"]} == {d}
    online = get(api, "/insights/supply-demand", place="online")["rows"]
    assert online and {r["place"] for r in online} == {"online"}
    client, keys = api
    r = client.get("/insights/issued", params={"by": "place", "group": "atlantis"}, headers={"X-API-Key": keys["admin"]})
    assert r.status_code == 422 and "unknown place group 'atlantis'" in r.text and "central-library" not in r.text


# --------------------------------------------------------------------------
# Names beside ids
# --------------------------------------------------------------------------


def _place_name(demo, place: str | None) -> str:
    return {None: "no home place recorded", "online": "online"}.get(place) or demo.places[place]["name"]


def test_supply_demand_and_unseen_talent_name_their_themes_and_places(api) -> None:
    """Rows had only theme and place ids, and an unseen-talent opportunity only its
    district's id: each id keeps its place and gets its name beside it."""
    from tests.insights_builders import Demo

    demo = Demo()
    supply = get(api, "/insights/supply-demand")
    unseen = get(api, "/insights/unseen-talent")
    for r in supply["rows"] + unseen["rows"]:
        assert r["theme_name"] == demo.themes[r["theme"]]["name"], r
        assert r["place_name"] == _place_name(demo, r["place"]), r
    assert {r["place"] for r in supply["rows"]} >= {"online", "eastfield"}
    assert {(r["place_name"], r["theme_name"]) for r in supply["places"] + unseen["themes"]} >= {
        (demo.places["eastfield"]["name"], "all"), ("all", demo.themes["digital"]["name"])}
    opportunities = [o for r in unseen["rows"] for o in r["opportunities"]]
    assert {o["place"] for o in opportunities} >= {None, "eastfield"}
    for o in opportunities:
        assert o["place_name"] == ("online" if o["place"] is None else demo.places[o["place"]]["name"]), o
