"""The demo city as ``colearn ingest demo`` loads it: Brackenford only (no Stack
Exchange history), a demo learner who exists, and opportunities with where and
when: ended ones never offered, a home district including its venues, online only."""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.ingest.awards import ingest_awards
from colearn.ingest.catalogue import (DEMO_DATES_AS_OF, demo_city_path, demo_shift_days, ingest_demo_catalogue,
                                      read_catalogue)
from colearn.service.app import create_app
from colearn.service.auth import create_key
from colearn.service.examples import EXAMPLES
from colearn.service.routers.widget import DEMO_LEARNER

from tests.insights_builders import period

YESTERDAY = int(time.time()) - 86_400


def _load(store: GraphStore) -> None:
    ingest_demo_catalogue(store)
    ingest_awards(store, demo_city_path())


@pytest.fixture
def client(store: GraphStore, tmp_path: Path) -> Iterator[TestClient]:
    _load(store)
    # the placement (the only way to earn its badge) ended yesterday
    store.write(queries.merge_nodes(Label.OPPORTUNITY),
                {"rows": [{"id": "kiln-junior-developer-placement", "props": {"ends_on": YESTERDAY}}]})
    with TestClient(create_app(Settings(data_dir=tmp_path, anonymous_role="partner"), store=store)) as c:
        yield c


def test_the_demo_learner_is_a_brackenford_learner() -> None:
    with (demo_city_path() / "learners.csv").open() as f:
        assert DEMO_LEARNER in {r["id"] for r in csv.DictReader(f)}


def test_demo_dates_move_by_whole_weeks_and_keep_some_ended() -> None:
    assert demo_shift_days(DEMO_DATES_AS_OF) == 0
    assert demo_shift_days(DEMO_DATES_AS_OF + timedelta(days=10)) == 7  # the Monday of that week
    for today in (date(2027, 5, 19), date(2031, 1, 1)):
        shift = timedelta(days=demo_shift_days(today))
        opps = [e.value for e in read_catalogue(demo_city_path()).opportunities]
        now = datetime(today.year, today.month, today.day, tzinfo=UTC).timestamp() - shift.total_seconds()
        ended = [o.id for o in opps if o.ends_on is not None and o.ends_on <= now]
        to_come = [o.id for o in opps if o.starts_on is not None and o.starts_on > now]
        assert 3 <= len(ended) <= 8 and len(to_come) >= 10, (today, ended)


def test_ingest_demo_loads_only_the_city(store: GraphStore) -> None:
    _load(store)
    learners = {r["id"] for r in store.read(queries.catalogue_page(Label.ORGANISATION),
                                            {"kind": None, "q": None, "limit": 1000, "offset": 0})[0]["data"]}
    assert not any("stackexchange" in o or o.startswith("se-") for o in learners)
    n = store.read(queries.count_nodes(Label.LEARNER))[0]
    assert list(n.values())[0] == 760


def test_no_ended_opportunity_in_next_lists_or_pathway_steps(client: TestClient) -> None:
    now = time.time()
    items = client.get(f"/learners/{DEMO_LEARNER}/next", params={"limit": 50}).json()["items"]
    visitor = client.post("/visitors/next", json={"themes": ["digital"], "limit": 50}).json()["items"]
    pathways = client.get(f"/learners/{DEMO_LEARNER}/pathways").json()["data"]
    steps = [p["next_step"] for p in pathways if p["next_step"]]
    opps = [o for i in items + visitor for o in i["opportunities"]] + [o for s in steps for o in s["opportunities"]]
    assert opps and steps
    assert all(o["end"] is None or datetime.fromisoformat(o["end"]).timestamp() > now for o in opps)
    assert "kiln-junior-developer-placement" not in {o["id"] for o in opps}
    # its badge has nowhere left to be earned: not recommended, though the step still names it
    assert "junior-developer-placement" not in {i["badge_id"] for i in items + visitor}
    digital = next(s for p, s in ((p, p["next_step"]) for p in pathways) if p["pathway_id"] == "digital-careers")
    assert digital["rule"] == "any 1 of Data Detective or First Web App"
    # where and when are given
    dated = [o for o in opps if o["start"]]
    placed = [o for o in opps if o["mode"] != "online"]
    assert dated and all(o["place_name"] and o["district_name"] for o in placed)
    assert any(o["sessions"] for o in opps)


def test_visitor_query_answers_as_the_post_and_refuses_empty_ids(client: TestClient) -> None:
    got = client.get("/visitors/next", params={"themes": ["digital"], "limit": 5, "district": "eastfield"})
    posted = client.post("/visitors/next", json={"themes": ["digital"], "limit": 5, "district": "eastfield"})
    assert got.status_code == 200 and got.json() == posted.json() and got.json()["items"]
    bad = client.get("/visitors/next", params={"destinations": [""]})
    assert bad.status_code == 422 and "destinations" in bad.text


def test_visitor_pathways_rank_the_published_ones_for_what_a_visitor_wants(client: TestClient) -> None:
    """A visitor (no badges) gets every published pathway, best fit to the stated themes first,
    each with its first step: the rule in words and where to earn it, none ended."""
    published = {p["id"]: p for p in client.get("/pathways", params={"status": "published", "limit": 100}).json()["data"]
                 if p.get("kind") in (None, "recommended")}
    plain = client.get("/visitors/pathways").json()
    digital = client.get("/visitors/pathways", params={"themes": ["digital"], "limit": 100}).json()
    assert len(published) >= 3 and plain["count"] == len(plain["data"]) == len(published)
    assert {p["pathway_id"] for p in digital["data"]} == set(published)
    scores = [p["score"] for p in digital["data"]]
    assert scores == sorted(scores, reverse=True)
    top, unsteered = digital["data"][0], {p["pathway_id"]: p for p in plain["data"]}
    assert top["pathway_id"] == "digital-careers" and top["score"] > unsteered["digital-careers"]["score"]
    assert any(r.startswith("Its badges fit your themes") for r in top["reasons"]), top["reasons"]
    for p in digital["data"]:
        pathway, step = published[p["pathway_id"]], p["next_step"]
        first = next(i for i, s in enumerate(pathway["steps"], 1) if not s.get("optional"))
        assert (p["progress"], p["steps_met"], p["description"]) == (0, 0, pathway["description"])
        optional = sum(1 for s in pathway["steps"] if s.get("optional"))
        assert p["reasons"][0] == f"{p['steps_total']} steps" + (f" and {optional} optional" if optional else "")
        assert p["steps_total"] == len(pathway["steps"]) - optional >= 2
        assert step["index"] == first and step["badges"] == pathway["steps"][first - 1]["badges"]
        assert step["rule"].startswith(("any ", "both ", "all ")) and f"Next: {step['title']}" in " ".join(p["reasons"])
        assert all(set(o["badge_ids"]) <= set(step["badges"]) for o in step["opportunities"])
        ends = [o["end"] for o in step["opportunities"] if o["end"]]
        assert all(datetime.fromisoformat(e).timestamp() > time.time() for e in ends)
    assert any(p["next_step"]["opportunities"] for p in digital["data"])
    # fit is over what was stated: with themes alone it is the theme fit the reason shows,
    # not halved by a destination fit nobody stated (a perfect match once scored as readiness alone)
    for p in digital["data"]:
        shown = [r for r in p["reasons"] if r.startswith("Its badges fit your themes")]
        assert round(p["fit"] * 100) == (int(shown[0].split("(")[1].rstrip("%)")) if shown else 0), p
    assert all(p["fit"] == 0 for p in plain["data"])  # nothing stated: no fit


def test_visitor_pathways_keep_to_a_district_or_online_and_a_limit(client: TestClient) -> None:
    near = client.get("/visitors/pathways", params={"district": "eastfield", "limit": 2}).json()
    assert near["count"] == len(near["data"]) == 2
    opps = [o for p in near["data"] for o in p["next_step"]["opportunities"]]
    assert opps and {o["district_id"] for o in opps} == {"eastfield"}
    online = client.get("/visitors/pathways", params={"online": True}).json()["data"]
    opps = [o for p in online for o in p["next_step"]["opportunities"]]
    assert opps and all(o["mode"] == "online" for o in opps)
    assert client.get("/visitors/pathways", params={"limit": 0}).status_code == 422


def _errors(response: object) -> list[tuple[str, str]]:
    body = response.json()  # type: ignore[attr-defined]
    return [(e["field"], e["message"]) for e in body["errors"]]


def test_filters_naming_nothing_in_the_city_are_refused_by_field(client: TestClient) -> None:
    """An unknown theme, destination, spine cell or district used to answer 200 with an
    empty or unfiltered list, which reads as a real answer; each route now says which."""
    learner = f"/learners/{DEMO_LEARNER}"
    cases = [
        (client.get(f"{learner}/next", params={"district": "atlantis"}), "query.district", "atlantis"),
        (client.get(f"{learner}/next", params={"themes": ["digital", "basket-weaving"]}),
         "query.themes.1", "basket-weaving"),
        (client.get(f"{learner}/pathways", params={"destinations": ["space"]}), "query.destinations.0", "space"),
        (client.get(f"{learner}/pathways", params={"district": "Eastfield"}), "query.district", "Eastfield"),
        (client.post(f"{learner}/pathways/interest", json={"cells": ["skills.mastery"]}),
         "body.cells.0", "skills.mastery"),
        (client.get("/visitors/next", params={"themes": ["digital"], "district": "nowhere"}),
         "query.district", "nowhere"),
        (client.post("/visitors/next", json={"themes": ["nope"]}), "body.themes.0", "nope"),
        (client.get("/visitors/pathways", params={"destinations": ["space"]}), "query.destinations.0", "space"),
        (client.get("/visitors/pathways", params={"district": "atlantis"}), "query.district", "atlantis"),
    ]
    for response, field, value in cases:
        assert response.status_code == 422, (field, response.text)
        [(got_field, message)] = _errors(response)
        assert got_field == field and f"'{value}'" in message and "lists them" in message, response.text
    # real ids still answer, a venue counts as a place, and empty lists read nothing
    for params in ({"district": "eastfield", "themes": ["digital"], "destinations": ["employment"]},
                   {"district": "college-main-campus"}, {"themes": []}):
        assert client.get(f"{learner}/next", params=params).status_code == 200, params
    # an empty target names the body (it used to be a 422 with no errors at all)
    assert _errors(client.post(f"{learner}/pathways/interest", json={})) == [
        ("body", "the target needs spine cells, themes, a destination or free text")]
    interest = client.post(f"{learner}/pathways/interest", json={"cells": ["skills.demonstration"]})
    assert interest.status_code == 200 and interest.json()["steps"]
    # a visitor's ranking reads no spine cells: a field it would ignore is refused, not dropped
    ignored = client.post("/visitors/next", json={"themes": ["digital"], "cells": ["skills.demonstration"]})
    assert ignored.status_code == 422 and [f for f, _ in _errors(ignored)] == ["body.cells"], ignored.text


def test_district_filter_includes_its_venues_and_online_only(client: TestClient) -> None:
    near = client.get(f"/learners/{DEMO_LEARNER}/next", params={"limit": 50, "district": "eastfield"}).json()
    opps = [o for i in near["items"] for o in i["opportunities"]]
    assert opps and {o["district_id"] for o in opps} == {"eastfield"}
    assert "college-main-campus" in {o["place_id"] for o in opps}  # a venue within Eastfield
    online = client.get(f"/learners/{DEMO_LEARNER}/next", params={"limit": 50, "online": True}).json()
    assert online["items"] and all(o["mode"] == "online" for i in online["items"] for o in i["opportunities"])
    assert all(i["opportunities"] for i in online["items"])
    steps = client.get(f"/learners/{DEMO_LEARNER}/pathways", params={"district": "eastfield"}).json()["data"]
    step_opps = [o for p in steps if p["next_step"] for o in p["next_step"]["opportunities"]]
    assert step_opps and {o["district_id"] for o in step_opps} == {"eastfield"}


def test_catalogue_lists_by_district_with_its_venues(client: TestClient) -> None:
    opps = client.get("/opportunities", params={"district": "eastfield", "limit": 100}).json()["data"]
    places = {o["place"] for o in opps}
    inside = {"eastfield"} | {p["id"] for p in yaml.safe_load((demo_city_path() / "places.yaml").read_text())
                              if p.get("within") == "eastfield"}
    assert {"eastfield", "college-main-campus"} <= places <= inside  # the district itself and venues within it
    online = client.get("/opportunities", params={"mode": "online", "limit": 100}).json()["data"]
    assert online and all(o["place"] is None for o in online)
    badges = client.get("/badges", params={"district": "eastfield", "limit": 100}).json()["data"]
    assert "first-web-app" in {b["id"] for b in badges}  # awarded at the college's Eastfield campus


def test_catalogue_answers_sessions(client: TestClient, store: GraphStore) -> None:
    opp = client.get("/opportunities/app-building-evening-course").json()
    assert len(opp["sessions"]) == 10 and opp["start"] == opp["sessions"][0]["start"]
    # the documented example creates an opportunity whose dates come from its sessions
    admin = {"X-API-Key": create_key(store, "admin").secret}
    made = client.post("/opportunities", json=EXAMPLES[("post", "/opportunities", "application/json")], headers=admin)
    assert made.status_code == 201, made.text
    body = made.json()
    assert [s["start"][:10] for s in body["sessions"]] == ["2027-03-06", "2027-04-03"]
    assert body["start"].startswith("2027-03-06T10:00") and body["end"].startswith("2027-04-03T12:00")
    bad = client.post("/opportunities", headers=admin, json={
        **EXAMPLES[("post", "/opportunities", "application/json")], "id": "x", "sessions": ["2027-03-06/soon"]})
    assert bad.status_code == 422 and "sessions" in bad.text


INSIGHTS = ["issued?by=place", "spine", "progression", "pathways", "supply-demand", "unseen-talent"]


def test_every_insight_answers_csv_with_names_and_counts_only_the_city(client: TestClient, store: GraphStore) -> None:
    admin = {"X-API-Key": create_key(store, "admin").secret}
    store.write(queries.MERGE_ASSERTIONS, {"rows": [{
        "id": "today-1", "organisation_id": "brackenford-libraries", "badge_id": "code-club-member",
        "learner_id": "bf-0001", "learner_props": {}, "props": {"status": "accepted", "issued_on": int(time.time())}}]})
    for name in INSIGHTS:
        r = client.get(f"/insights/{name}", headers={**admin, "Accept": "text/csv"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), (name, r.text[:200])
        rows = list(csv.DictReader(r.text.splitlines()))
        assert rows, name
        assert "how-the-city-works" not in r.text or "How the City Works" in r.text
        if "theme" in rows[0]:
            assert rows[0]["theme_name"] and rows[0]["theme_name"] != rows[0]["theme"], (name, rows[0])
        if name == "supply-demand":
            assert {"place", "place_name", "opportunities", "learners"} <= set(rows[0])  # the district is kept
    spine = client.get("/insights/spine", headers=admin).json()
    assert 0 < spine["total"]["learners"] <= 760  # the city's learners only, no Stack Exchange users
    # the month not over yet (today's award) is marked partial, and only it
    periods = client.get("/insights/issued", headers=admin).json()["periods"]
    today = datetime.now(UTC).date()  # a month is its ISO weeks: today's is the month of this week's Thursday
    assert periods[-1]["period"] == period(today, "month") and periods[-1]["partial"] is True
    assert not any(p["partial"] for p in periods[:-1])
