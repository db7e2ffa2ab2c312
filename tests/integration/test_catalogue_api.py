"""The catalogue and pathway-authoring API on the demo city: filters and totals
checked against the YAML files, ownership, validation errors with field paths,
pathway warnings, publish/archive, and the once-only completion award."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.graph import feed, queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue import demo_city_path, ingest_catalogue
from colearn.service.app import create_app
from colearn.service.auth import create_key, issue_learner_token

from tests.catalogue_builders import DEMO_CITY, load_yaml_folder


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict]]]:
    ingest_catalogue(store, demo_city_path())
    keys = {"admin": create_key(store, "admin").secret,
            "kiln": create_key(store, "organisation", organisation_id="kiln-digital").secret,
            "college": create_key(store, "organisation", organisation_id="brackenford-college").secret,
            "partner": create_key(store, "partner", origins=["https://partner.example"]).secret}
    app = create_app(Settings(data_dir=tmp_path), store=store)
    with TestClient(app) as client:
        origin = {"partner": {"Origin": "https://partner.example"}}  # a partner key is used from its origin
        yield client, {k: {"X-API-Key": v, **origin.get(k, {})} for k, v in keys.items()}


def test_lists_filter_and_page_like_the_yaml(api) -> None:
    client, h = api
    raw = load_yaml_folder(DEMO_CITY)
    digital = sorted(b["id"] for b in raw["badges"] if "digital" in b.get("themes", []))
    first = client.get("/badges", params={"theme": "digital", "limit": 5}, headers=h["partner"]).json()
    rest = client.get("/badges", params={"theme": "digital", "limit": 5, "offset": 5}, headers=h["partner"]).json()
    assert first["count"] == rest["count"] == len(digital)
    assert [b["id"] for b in first["data"] + rest["data"]] == digital[:10]
    online = client.get("/opportunities", params={"mode": "online"}, headers=h["partner"]).json()
    assert online["count"] == sum(o["mode"] == "online" for o in raw["opportunities"])
    at = client.get("/opportunities", params={"place": "central-library"}, headers=h["partner"]).json()
    assert sorted(o["id"] for o in at["data"]) == sorted(
        o["id"] for o in raw["opportunities"] if o.get("place") == "central-library")
    q = client.get("/organisations", params={"q": "YOUTH"}, headers=h["partner"]).json()
    assert {o["id"] for o in q["data"]} == {o["id"] for o in raw["organisations"]
                                            if "youth" in (o["name"] + o.get("description", "")).lower()}
    cells = client.get("/spine-cells", params={"domain": "skills"}, headers=h["partner"]).json()
    assert [c["layer"] for c in cells["data"]] == ["engagement", "participation", "demonstration", "leadership"]
    bad = client.get("/badges", params={"limit": 0}, headers=h["partner"])
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.limit"
    assert client.get("/badges/nope", headers=h["partner"]).json()["type"] == "/problems/not-found"


def test_organisations_change_only_their_own(api) -> None:
    client, h = api
    body = {"id": "pair-programming", "name": "Pair Programming", "issuer": "kiln-digital",
            "cells": ["skills.participation"], "themes": ["digital"]}
    assert client.post("/badges", json=body | {"issuer": "brackenford-college"}, headers=h["kiln"]).status_code == 403
    assert client.post("/badges", json=body, headers=h["partner"]).status_code == 403
    created = client.post("/badges", json=body, headers=h["kiln"])
    assert created.status_code == 201 and created.json()["issuer"] == "kiln-digital"
    assert client.post("/badges", json=body, headers=h["kiln"]).status_code == 409
    assert client.patch("/badges/pair-programming", json={"name": "X"}, headers=h["college"]).status_code == 403
    moved = client.patch("/badges/pair-programming", json={"issuer": "brackenford-college"}, headers=h["kiln"])
    assert moved.status_code == 403
    patched = client.patch("/badges/pair-programming", json={"criteria": "Pair for a day."}, headers=h["kiln"])
    assert patched.json()["criteria"] == "Pair for a day." and patched.json()["themes"] == ["digital"]
    assert client.post("/themes", json={"id": "t", "name": "T", "kind": "civic"}, headers=h["kiln"]).status_code == 403
    assert client.post("/themes", json={"id": "t", "name": "T", "kind": "civic"}, headers=h["admin"]).status_code == 201
    assert client.delete("/badges/pair-programming", headers=h["college"]).status_code == 403
    assert client.delete("/badges/pair-programming", headers=h["kiln"]).status_code == 204
    assert client.get("/badges/pair-programming", headers=h["kiln"]).status_code == 404
    used = client.delete("/badges/first-web-app", headers=h["admin"])
    # it names which pathway, and counts in the singular (before: "(1 pathway steps)")
    assert used.status_code == 409 and used.json()["detail"] == (
        "badge 'first-web-app' is still in use (1 pathway step: digital-careers; "
        "1 opportunity: app-building-evening-course); remove those first (take it off an opportunity with "
        "DELETE /badges/first-web-app/opportunities/{opportunity_id})")


def test_a_refused_owner_is_told_what_the_key_may_not_do(api) -> None:
    """An organisation key that names another organisation as the owner is told that
    it writes for its own organisation only, naming the field; before, it was told
    "only the organisation that owns opportunity 'nu-opp' (or an admin) may change it"
    (it does own it) and the same of a badge that did not exist yet."""
    client, h = api
    opp = {"id": "nu-opp", "name": "Nu", "organisation": "kiln-digital", "mode": "online",
           "url": "https://kiln.example/nu"}
    assert client.post("/opportunities", json=opp, headers=h["kiln"]).status_code == 201
    moved = client.patch("/opportunities/nu-opp", json={"organisation": "brackenford-college"}, headers=h["kiln"])
    assert moved.status_code == 403 and moved.json()["detail"] == (
        "an organisation key may not hand opportunity 'nu-opp' to another organisation ('brackenford-college'); "
        "only admin may move it away from 'kiln-digital'")
    assert moved.json()["errors"][0]["field"] == "body.organisation"
    assert client.get("/opportunities/nu-opp", headers=h["kiln"]).json()["organisation"] == "kiln-digital"
    badge = {"id": "nu-other", "name": "Nu", "issuer": "brackenford-college", "cells": ["skills.participation"]}
    made = client.post("/badges", json=badge, headers=h["kiln"])
    assert made.status_code == 403 and made.json()["detail"] == (
        "an organisation key creates badges for its own organisation only: body.issuer must be 'kiln-digital', "
        "not 'brackenford-college'")
    assert made.json()["errors"][0]["field"] == "body.issuer"
    made = client.post("/pathways", json=PATHWAY | {"organisation": "brackenford-college"}, headers=h["kiln"])
    assert made.status_code == 403 and "creates pathways for its own organisation only" in made.json()["detail"]
    # another organisation's record: still "only the organisation that owns it"
    theirs = client.patch("/opportunities/nu-opp", json={"name": "X"}, headers=h["college"])
    assert theirs.status_code == 403 and theirs.json()["detail"].startswith("only the organisation that owns")
    assert client.patch("/opportunities/nu-opp", json={"organisation": "brackenford-college"},
                        headers=h["admin"]).status_code == 200


def test_write_errors_name_the_field(api) -> None:
    client, h = api
    r = client.post("/badges", json={"id": "Bad Id", "name": "", "issuer": "kiln-digital", "cells": [],
                                      "colour": "red"}, headers=h["kiln"])
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert {e["field"] for e in r.json()["errors"]} == {"body.id", "body.name", "body.cells", "body.colour"}
    r = client.post("/badges", json={"id": "b", "name": "B", "issuer": "kiln-digital",
                                      "cells": ["skills.engagement", "skills.nowhere"]}, headers=h["kiln"])
    assert r.json()["errors"] == [{"field": "body.cells.1", "message": "unknown SpineCell 'skills.nowhere'"}]
    r = client.patch("/opportunities/kiln-digital-open-day", json={"place": None}, headers=h["kiln"])
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.place"


def test_a_null_in_a_patch_puts_an_optional_field_back_to_its_default(api) -> None:
    """A PATCH body is read as a JSON merge patch (RFC 7396): a null clears an optional field (its
    default: an empty description, no criteria), as the OpenAPI schema says; a null for a field
    every record needs is refused, naming it. Before, a null description was refused."""
    client, h = api
    badge = client.patch("/badges/first-web-app", json={"criteria": "Ship it."}, headers=h["admin"]).json()
    assert badge["criteria"] == "Ship it." and badge["description"]
    cleared = client.patch("/badges/first-web-app", json={"description": None, "criteria": None}, headers=h["admin"])
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["description"] == "" and cleared.json()["criteria"] is None
    assert cleared.json()["name"] == badge["name"] and cleared.json()["cells"] == badge["cells"]
    r = client.patch("/badges/first-web-app", json={"name": None}, headers=h["admin"])
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["body.name"]
    made = client.post("/pathways", json=PATHWAY | {"description": "Steps into software."}, headers=h["kiln"])
    assert made.status_code == 201 and made.json()["description"] == "Steps into software."
    r = client.patch("/pathways/into-software", json={"description": None}, headers=h["kiln"])
    assert r.status_code == 200, r.text
    assert r.json()["description"] == "" and len(r.json()["steps"]) == 2
    r = client.patch("/pathways/into-software", json={"title": None}, headers=h["kiln"])
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["body.title"]
    # a status has no empty value: a null is refused, and the draft stays a draft (the record's
    # default, published, would have published it without POST /pathways/{id}/publish)
    r = client.patch("/pathways/into-software", json={"status": None}, headers=h["kiln"])
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["body.status"]
    assert client.get("/pathways/into-software", headers=h["kiln"]).json()["status"] == "draft"
    # every catalogue entity patches through the same rule, spine cells (not a Record) too
    cell = client.patch("/spine-cells/skills.participation", json={"description": "Taking part."}, headers=h["admin"])
    assert cell.status_code == 200 and cell.json()["description"] == "Taking part."
    cell = client.patch("/spine-cells/skills.participation", json={"description": None}, headers=h["admin"])
    assert cell.status_code == 200 and cell.json()["description"] == "", cell.json()
    assert cell.json()["layer"] == "participation"


PATHWAY = {"id": "into-software", "title": "Into software", "organisation": "kiln-digital",
           "destination": "employment",
           "steps": [{"title": "Try it", "badges": ["digital-explorer", "tech-workplace-taster"]},
                     {"title": "Build", "badges": ["first-web-app"]}],
           "completion_badge": "digital-careers-award"}


@pytest.mark.parametrize("change, field, words", [
    ({"steps": []}, "body.steps", "at least one step"),
    ({"steps": [{"title": "Empty", "badges": []}]}, "body.steps.0.badges", "at least one badge"),
    ({"steps": [{"title": "Two of one", "badges": ["first-web-app"], "required": 2}]}, "body.steps.0.required",
     "required is 2"),
    ({"steps": [{"title": "A", "badges": ["first-web-app"]}, {"title": "B", "badges": ["nope", "first-web-app"]}]},
     "body.steps.1.badges.1", "already accepted by step 1"),
    ({"steps": [{"title": "A", "badges": ["first-web-app", "no-such-badge"]}]}, "body.steps.0.badges.1",
     "unknown Badge 'no-such-badge'"),
    ({"destination": "the-moon"}, "body.destination", "unknown Destination"),
    ({"steps": [{"title": "A", "badges": ["first-web-app"], "optional": True}]}, "body.steps",
     "at least one step must be required"),
])
def test_pathway_errors_are_precise(api, change, field, words) -> None:
    client, h = api
    r = client.post("/pathways", json=PATHWAY | change, headers=h["kiln"])
    assert r.status_code == 422, r.json()
    assert r.json()["errors"][0]["field"] == field and words in r.json()["errors"][0]["message"]


def test_pathway_lifecycle_and_spine_warning(api) -> None:
    client, h = api
    r = client.post("/pathways", json=PATHWAY, headers=h["kiln"])
    assert r.status_code == 201 and r.json()["status"] == "draft" and r.json()["warnings"] == []
    assert client.get("/pathways/into-software", headers=h["college"]).status_code == 404
    assert client.get("/pathways/into-software", headers=h["kiln"]).status_code == 200
    assert client.post("/pathways/into-software/publish", headers=h["college"]).status_code == 404
    down = client.patch("/pathways/into-software", headers=h["kiln"], json={"steps": [
        PATHWAY["steps"][1], PATHWAY["steps"][0]]})
    assert down.status_code == 200
    assert [w["field"] for w in down.json()["warnings"]] == ["steps.1"]
    assert "lower on the spine" in down.json()["warnings"][0]["message"]
    assert [s["title"] for s in down.json()["steps"]] == ["Build", "Try it"]
    assert client.post("/pathways/into-software/publish", headers=h["kiln"]).json()["status"] == "published"
    assert client.get("/pathways/into-software", headers=h["college"]).status_code == 200
    assert client.patch("/pathways/into-software", json={"title": "X"}, headers=h["college"]).status_code == 403
    assert client.post("/pathways/into-software/archive", headers=h["kiln"]).json()["status"] == "archived"
    assert client.patch("/pathways/into-software", json={"title": "X"}, headers=h["kiln"]).status_code == 409
    listed = client.get("/pathways", params={"status": "published"}, headers=h["partner"]).json()
    assert listed["count"] == 4 and "into-software" not in {p["id"] for p in listed["data"]}


def test_demo_pathways_climb_the_spine(api) -> None:
    client, h = api
    for p in client.get("/pathways", headers=h["admin"]).json()["data"]:
        steps = [{k: s[k] for k in ("title", "badges", "required", "optional")} for s in p["steps"]]
        r = client.patch(f"/pathways/{p['id']}", json={"steps": steps}, headers=h["admin"])
        assert r.status_code == 200 and r.json()["warnings"] == [], (p["id"], r.json()["warnings"])


def _hold_all_but_last_step(client: TestClient, h: dict[str, dict], store: GraphStore,
                            learner: str) -> list[dict]:
    """Give ``learner`` accepted awards for the digital-careers steps but the last
    needed badge; returns every needed award row, the last one unwritten."""
    pathway = client.get("/pathways/digital-careers", headers=h["admin"]).json()
    needed = [b for s in pathway["steps"] if not s["optional"] for b in s["badges"][:s["required"]]]
    rows = [{"id": f"a-{b}", "organisation_id": "kiln-digital", "badge_id": b, "learner_id": learner,
             "learner_props": {}, "props": {"status": "accepted", "issued_on": 1_700_000_000}} for b in needed]
    store.write(queries.MERGE_ASSERTIONS, {"rows": rows[:-1]})
    return rows


def test_completion_is_awarded_once(api, store: GraphStore) -> None:
    client, h = api
    rows = _hold_all_but_last_step(client, h, store, "ada")
    token = {"Authorization": f"Bearer {issue_learner_token(client.app.state.token_secret, 'ada')}"}
    url = "/pathways/digital-careers/completions"
    partial = client.post(url, json={"learner_id": "ada"}, headers=token).json()
    assert partial["completed"] is False and partial["unmet_steps"] == [4]
    store.write(queries.MERGE_ASSERTIONS, {"rows": rows[-1:]})
    assert client.post(url, json={"learner_id": "ada"}, headers=h["college"]).status_code == 403
    first = client.post(url, json={"learner_id": "ada"}, headers=token).json()
    again = client.post(url, json={"learner_id": "ada"}, headers=h["kiln"]).json()
    assert first["awarded"] and first["created"] and not again["created"]
    assert first["assertion_id"] == again["assertion_id"] and first["badge_id"] == "digital-careers-award"
    held = store.read("MATCH (:Learner {id: 'ada'})<-[:TO]-(a:Assertion)-[:OF]->(:Badge {id: $b}) "
                      "RETURN a.id AS id, a.status AS status", {"b": "digital-careers-award"})
    assert held == [{"id": first["assertion_id"], "status": "issued"}]


def test_a_pathway_is_deleted_with_its_steps_unless_completions_are_live(api, store: GraphStore) -> None:
    """``DELETE /pathways/{id}`` answered 405. Now its organisation (or admin) deletes it,
    archived too, with its steps and a change-feed entry; live completion awards keep it
    (409 naming them), as revoking a step badge needs the pathway to revoke them."""
    client, h = api
    rows = _hold_all_but_last_step(client, h, store, "ada")
    store.write(queries.MERGE_ASSERTIONS, {"rows": rows[-1:]})
    done = client.post("/pathways/digital-careers/completions", json={"learner_id": "ada"}, headers=h["kiln"]).json()
    assert done["created"]
    assert client.delete("/pathways/digital-careers", headers=h["college"]).status_code == 403
    kept = client.delete("/pathways/digital-careers", headers=h["kiln"])
    assert kept.status_code == 409 and kept.json()["detail"].startswith(
        f"pathway 'digital-careers' is still in use (1 live completion award: {done['assertion_id']}); ")
    assert client.get("/pathways/digital-careers", headers=h["kiln"]).status_code == 200
    revoked = client.post(f"/assertions/{done['assertion_id']}/revoke", json={"reason": "test"}, headers=h["admin"])
    assert revoked.status_code == 200, revoked.text
    assert client.post("/pathways/digital-careers/archive", headers=h["kiln"]).status_code == 200
    head = store.read(queries.count_nodes(Label.STEP))[0]["n"]
    assert client.delete("/pathways/digital-careers", headers=h["kiln"]).status_code == 204
    assert client.get("/pathways/digital-careers", headers=h["kiln"]).status_code == 404
    assert client.delete("/pathways/digital-careers", headers=h["kiln"]).status_code == 404
    assert store.read(queries.count_nodes(Label.STEP))[0]["n"] < head
    assert store.read("MATCH (s:Step) WHERE s.id STARTS WITH 'digital-careers.' RETURN count(s) AS n") == [{"n": 0}]
    last = store.read(feed.FEED_SINCE, {"after": feed.feed_head(store) - 1, "limit": 1})[0]
    assert (last["kind"], last["label"], last["ids"]) == (feed.CATALOGUE, "Pathway", ["digital-careers"])
    # the revoked completion stays on record; the badges stay
    assert client.get("/badges/digital-careers-award", headers=h["kiln"]).status_code == 200
    assert client.get(f"/assertions/{done['assertion_id']}", headers=h["admin"]).json()["status"] == "revoked"
    # a draft: its organisation deletes it; another organisation is not told it exists
    assert client.post("/pathways", json=PATHWAY, headers=h["kiln"]).status_code == 201
    assert client.delete("/pathways/into-software", headers=h["college"]).status_code == 404
    assert client.delete("/pathways/into-software", headers=h["partner"]).status_code == 404
    assert client.delete("/pathways/into-software", headers=h["admin"]).status_code == 204


def test_places_keep_their_district(api) -> None:
    client, h = api
    raw = load_yaml_folder(DEMO_CITY)
    venues = sorted(p["id"] for p in raw["places"] if p.get("within") == "northgate")
    assert venues, "the demo city must place venues within districts"
    got = client.get("/places", params={"within": "northgate"}, headers=h["partner"]).json()
    assert [p["id"] for p in got["data"]] == venues
    made = client.post("/places", json={"id": "new-hall", "name": "New Hall", "kind": "venue",
                                         "within": "northgate"}, headers=h["admin"])
    assert made.status_code == 201 and made.json()["within"] == "northgate"
    assert client.patch("/places/new-hall", json={"name": "Newer Hall"}, headers=h["admin"]).json()["within"] == (
        "northgate")
    blocked = client.delete("/places/northgate", headers=h["admin"])
    assert blocked.status_code == 409 and "places within it" in blocked.json()["detail"]


def test_a_theme_or_destination_in_use_is_kept(api) -> None:
    """Before, deleting a theme answered 204 and dropped it from every badge
    (``"themes": []``), and a destination from every theme that led to it."""
    client, h = api
    before = client.get("/badges/digital-explorer", headers=h["admin"]).json()["themes"]
    assert "digital" in before
    used = client.delete("/themes/digital", headers=h["admin"])
    assert used.status_code == 409 and used.headers["content-type"].startswith("application/problem+json")
    assert "badges" in used.json()["detail"] and "opportunities" in used.json()["detail"]
    assert client.get("/badges/digital-explorer", headers=h["admin"]).json()["themes"] == before
    assert client.get("/themes/digital", headers=h["admin"]).status_code == 200
    led = client.delete("/destinations/employment", headers=h["admin"])
    assert led.status_code == 409 and "themes" in led.json()["detail"]
    assert "employment" in client.get("/themes/digital", headers=h["admin"]).json()["destinations"]
    made = client.post("/themes", json={"id": "quiet", "name": "Quiet", "kind": "civic"}, headers=h["admin"])
    assert made.status_code == 201
    assert client.delete("/themes/quiet", headers=h["admin"]).status_code == 204


def test_accepting_the_last_step_awards_the_completion_once(api, store: GraphStore) -> None:
    client, h = api
    rows = _hold_all_but_last_step(client, h, store, "grace")
    # the last badge is awarded through the API and accepted by the learner
    last = rows[-1]["badge_id"]
    issuer = store.read("MATCH (o:Organisation)-[:DEFINES]->(:Badge {id: $b}) RETURN o.id AS id", {"b": last})
    org_key = {"X-API-Key": create_key(store, "organisation", organisation_id=issuer[0]["id"]).secret}
    award = client.post(f"/organisations/{issuer[0]['id']}/badges/{last}/assertions", headers=org_key,
                        json={"learner_id": "grace"})
    assert award.status_code == 201, award.text
    assert award.json()["learner_id"] == "grace"
    completion = ("MATCH (:Learner {id: 'grace'})<-[:TO]-(a:Assertion)-[:OF]->(:Badge {id: 'digital-careers-award'}) "
                  "RETURN a.id AS id, a.status AS status")
    assert store.read(completion) == []  # issued, not yet accepted: the step is not met
    token = {"Authorization": f"Bearer {issue_learner_token(client.app.state.token_secret, 'grace')}"}
    accepted = client.post(f"/assertions/{award.json()['id']}/accept", headers=token)
    assert accepted.status_code == 200, accepted.text
    first = store.read(completion)
    assert len(first) == 1 and first[0]["status"] == "issued"
    # claiming it by hand afterwards finds the same one assertion
    claimed = client.post("/pathways/digital-careers/completions", json={"learner_id": "grace"}, headers=token)
    assert claimed.json()["assertion_id"] == first[0]["id"] and claimed.json()["created"] is False
    assert store.read(completion) == first


#: Every list route's filters that name something of the city (id filters, and kinds).
_NAMED_FILTERS = [
    *((route, name) for route in ("/badges", "/opportunities")
      for name in ("theme", "destination", "spine_cell", "place", "district", "organisation")),
    ("/places", "within"), ("/places", "kind"), ("/spine-cells", "layer"), ("/spine-cells", "domain"),
    ("/pathways", "organisation"), ("/pathways", "destination"), ("/themes", "destination"),
    ("/organisations", "kind"), ("/organisations/kiln-digital/assertions", "badge"),
    ("/organisations/kiln-digital/assertions", "learner"),
]


def test_list_filters_naming_nothing_are_refused_by_field(api, store: GraphStore) -> None:
    """A list filter that names nothing of the city used to answer 200 with an empty list,
    which reads as 'none there'; it is refused as /next refuses one, naming the
    parameter and where the valid ids are listed (a kind or layer: its values)."""
    client, h = api
    for route, name in _NAMED_FILTERS:
        got = client.get(route, params={name: "zzz"}, headers=h["admin"])
        assert got.status_code == 422, (route, name, got.text)
        [error] = got.json()["errors"]
        assert error["field"] == f"query.{name}" and "'zzz'" in error["message"], (route, error)
    message = {(r, n): client.get(r, params={n: "zzz"}, headers=h["admin"]).json()["errors"][0]["message"]
               for r, n in (("/badges", "district"), ("/places", "kind"), ("/spine-cells", "layer"))}
    assert "GET /places lists them" in message[("/badges", "district")]
    assert "expected one of district, venue" in message[("/places", "kind")]
    assert "demonstration, engagement, leadership, participation" in message[("/spine-cells", "layer")]
    # a real id, kind or layer with no match still answers an empty list
    assert client.post("/themes", json={"id": "quiet", "name": "Quiet", "kind": "civic"},
                       headers=h["admin"]).status_code == 201
    store.write(queries.merge_nodes(Label.LEARNER), {"rows": [{"id": "no-awards-yet", "props": {}}]})
    for route, params in (("/badges", {"theme": "quiet"}), ("/opportunities", {"theme": "quiet"}),
                          ("/places", {"kind": "district", "within": "northgate"}),
                          ("/organisations/kiln-digital/assertions", {"learner": "no-awards-yet"})):
        got = client.get(route, params=params, headers=h["admin"])
        assert got.status_code == 200 and got.json()["count"] == 0 and got.json()["data"] == [], (route, got.text)
    assert client.get("/spine-cells", params={"layer": "leadership"}, headers=h["partner"]).json()["count"] == 3


def test_every_unknown_filter_value_is_named_at_once(api) -> None:
    """Several unknown values in a GET route's query (two themes, a destination, a district;
    a theme and a destination; a layer and a domain; an insight's theme and place) answered
    one 422 naming only the first; every unknown value now has its own ``errors`` entry, in the order given, as a
    body's unknown references do, and a known value among them is not named."""
    client, h = api
    cases = [
        ("/learners/bf-0476/next", [("themes", "digital"), ("themes", "zz1"), ("themes", "zz2"),
                                    ("destinations", "zz3"), ("district", "zz4")],
         ["query.themes.1", "query.themes.2", "query.destinations.0", "query.district"]),
        ("/visitors/next", [("themes", "zz1"), ("destinations", "zz2"), ("destinations", "zz3")],
         ["query.themes.0", "query.destinations.0", "query.destinations.1"]),
        ("/learners/bf-0476/pathways", [("themes", "zz1"), ("themes", "zz2"), ("district", "zz3")],
         ["query.themes.0", "query.themes.1", "query.district"]),
        ("/badges", [("theme", "zz1"), ("destination", "zz2"), ("organisation", "zz3")],
         ["query.theme", "query.destination", "query.organisation"]),
        ("/spine-cells", [("layer", "zz1"), ("domain", "zz2")], ["query.layer", "query.domain"]),
        ("/pathways", [("destination", "zz1"), ("organisation", "zz2")],
         ["query.destination", "query.organisation"]),
        ("/organisations/kiln-digital/assertions", [("badge", "zz1"), ("learner", "zz2")],
         ["query.badge", "query.learner"]),
        ("/insights/spine", [("domain", "zz1"), ("layer", "zz2")], ["query.domain", "query.layer"]),
        ("/insights/supply-demand", [("theme", "zz1"), ("place", "zz2")], ["query.theme", "query.place"]),
        ("/insights/unseen-talent", [("theme", "zz1"), ("place", "zz2")], ["query.theme", "query.place"]),
    ]
    for route, params, fields in cases:
        got = client.get(route, params=params, headers=h["admin"])
        assert got.status_code == 422, (route, got.text)
        errors = got.json()["errors"]
        assert [e["field"] for e in errors] == fields, (route, errors)
        named = [v for _, v in params if v.startswith("zz")]
        assert all(f"'{v}'" in e["message"] for v, e in zip(named, errors, strict=True)), (route, errors)


def test_bad_days_and_unknown_ids_are_named_at_once(api) -> None:
    """An organisation's awards and the issued insight refused a bad ``from``/``to`` and
    an unknown badge, learner or group one at a time (fixing one showed the next); one
    422 now names every bad query value, each with its own ``errors`` entry."""
    client, h = api
    awards = "/organisations/kiln-digital/assertions"
    cases = [
        (awards, {"badge": "zz1", "learner": "zz2", "from": "zz3", "to": "zz4"},
         ["query.badge", "query.learner", "query.from", "query.to"]),
        (awards, {"learner": "zz1", "to": "2025-13-01"}, ["query.learner", "query.to"]),
        (awards, {"badge": "zz1", "from": "2025-02-01", "to": "2025-01-31"}, ["query.badge", "query.from"]),
        ("/insights/issued", {"by": "theme", "group": "zz1", "from": "zz2", "to": "zz3"},
         ["query.group", "query.from", "query.to"]),
        ("/insights/issued", {"by": "place", "group": "zz1", "to": "31-01-2025"}, ["query.group", "query.to"]),
        ("/insights/issued", {"group": "zz1", "from": "2025-02-01", "to": "2025-01-31"},
         ["query.group", "query.from"]),
    ]
    for route, params, fields in cases:
        got = client.get(route, params=params, headers=h["admin"])
        assert got.status_code == 422, (route, got.text)
        errors = got.json()["errors"]
        assert [e["field"] for e in errors] == fields, (route, params, errors)
        for e in errors:
            sent = params[e["field"].removeprefix("query.")]
            assert f"'{sent}'" in e["message"] or e["message"] == "from is after to", (route, e)
    # each alone is still refused alone, and good values answer
    assert [e["field"] for e in client.get(awards, params={"from": "zz"}, headers=h["admin"]).json()["errors"]] == [
        "query.from"]
    assert client.get(awards, params={"from": "2020-01-01", "to": "2999-12-30"}, headers=h["admin"]).status_code == 200
    assert client.get("/insights/issued", params={"by": "theme", "group": "digital", "from": "2020-01-01"},
                      headers=h["admin"]).status_code == 200


def test_an_organisations_awards_take_any_day_as_from_and_to(api) -> None:
    """``to=2999-12-31`` (the last day a time may have) was refused naming ``query.from``, a
    day before 1970 was refused, and ``to=9999-12-31`` failed with a 500 (the day after it
    overflowed): a day only bounds the awards listed, so any real day is taken, and a bound
    outside the times stored leaves nothing out."""
    client, h = api
    badge = client.get("/badges", params={"organisation": "kiln-digital", "limit": 1}, headers=h["kiln"]).json()
    for i, day in enumerate(("1970-01-01T00:00:00Z", "2020-05-01T12:00:00Z", None)):  # None: now
        made = client.post(f"/organisations/kiln-digital/badges/{badge['data'][0]['id']}/assertions",
                           headers=h["kiln"], json={"recipient": {"type": "email", "identity": f"d{i}@example.org"},
                                                    **({"issued_on": day} if day else {})})
        assert made.status_code == 201, made.text
    url = "/organisations/kiln-digital/assertions"
    every = client.get(url, params={"limit": 10_000}, headers=h["admin"]).json()
    assert every["count"] == 3
    for params in ({"to": "2999-12-31"}, {"from": "1900-01-01"}, {"to": "9999-12-31"},
                   {"from": "0001-01-01", "to": "9999-12-31"}):
        got = client.get(url, params={**params, "limit": 10_000}, headers=h["admin"])
        assert got.status_code == 200, (params, got.text)
        assert got.json()["count"] == every["count"], params
    counts = {(a, b): client.get(url, params={"from": a, "to": b}, headers=h["admin"]).json()["count"]
              for a, b in (("1900-01-01", "1969-12-31"), ("1900-01-01", "1970-01-01"), ("2020-05-01", "2020-05-01"),
                           ("2020-05-02", "2999-12-31"), ("3000-01-01", "9999-12-31"))}
    assert counts == {("1900-01-01", "1969-12-31"): 0, ("1900-01-01", "1970-01-01"): 1,
                      ("2020-05-01", "2020-05-01"): 1, ("2020-05-02", "2999-12-31"): 1,
                      ("3000-01-01", "9999-12-31"): 0}


def test_sessions_round_trip_and_need_a_time_zone(api) -> None:
    """An opportunity answers its sessions as ``{start, end}`` objects, but a PATCH took only
    'START/END' strings, so what a GET gave could not be sent back (422). Both forms are
    read now, and a session time without a zone is refused as ``issued_on`` is."""
    client, h = api
    url = "/opportunities/coding-taster-saturday"
    got = client.get(url, headers=h["admin"]).json()
    assert len(got["sessions"]) == 3 and set(got["sessions"][0]) == {"start", "end"}
    back = client.patch(url, json={"sessions": got["sessions"]}, headers=h["admin"])
    assert back.status_code == 200, back.text
    assert back.json()["sessions"] == got["sessions"] and back.json()["start"] == got["start"]
    as_intervals = [f"{s['start']}/{s['end']}" for s in got["sessions"]]
    assert client.patch(url, json={"sessions": as_intervals}, headers=h["admin"]).json()["sessions"] == (
        got["sessions"])
    # a session outside the opportunity's start and end is refused: clear them, it runs by its sessions
    moved = client.patch(url, json={"start": None, "end": None,
                                    "sessions": [{"start": "2027-03-06T10:00:00+01:00",
                                                  "end": "2027-03-06T12:00:00+01:00"}]}, headers=h["admin"])
    assert moved.json()["sessions"] == [{"start": "2027-03-06T09:00:00Z", "end": "2027-03-06T11:00:00Z"}]
    for naive in ({"start": "2027-03-06T10:00:00", "end": "2027-03-06T12:00:00Z"},
                  "2027-03-06T10:00:00Z/2027-03-06T12:00:00"):
        refused = client.patch(url, json={"sessions": [got["sessions"][0], naive]}, headers=h["admin"])
        assert refused.status_code == 422, refused.text
        [error] = refused.json()["errors"]
        assert error["field"] == "body.sessions.1" and "needs a time zone" in error["message"], error
    assert client.get(url, headers=h["admin"]).json()["sessions"] == moved.json()["sessions"]


def test_a_delete_that_loses_to_another_is_not_found_not_in_use(api, store: GraphStore,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Two deletes of one node at once: both read it as unused, one statement deletes it, and the
    other's finds nothing. That one answered 409 "still in use (something refers to it)"; it is
    the 404 it would have been a moment later. The other delete is made to land in between."""
    from colearn.service import catalogue as service_catalogue

    client, h = api
    r = client.post("/themes", json={"id": "short-lived", "name": "Short-lived", "kind": "civic"}, headers=h["admin"])
    assert r.status_code == 201, r.text
    real = service_catalogue.domain_catalogue.delete_node

    def beaten(store_: GraphStore, label, node_id: str) -> bool:
        assert real(store_, label, node_id)  # the other delete
        return real(store_, label, node_id)  # this one's statement: nothing left

    monkeypatch.setattr(service_catalogue.domain_catalogue, "delete_node", beaten)
    r = client.delete("/themes/short-lived", headers=h["admin"])
    assert r.status_code == 404 and "does not exist" in r.json()["detail"], r.text
