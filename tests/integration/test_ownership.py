"""No organisation acts for another: a pathway's completion badge must be
defined by the pathway's own organisation (its award is issued in the badge
issuer's name); an opportunity may list any badge, but only its issuer awards it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue import demo_city_path, ingest_catalogue
from colearn.service.app import create_app
from colearn.service.auth import create_key
from tests.integration.test_completion_contract import RECIPIENT


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict]]]:
    ingest_catalogue(store, demo_city_path())
    keys = {"admin": create_key(store, "admin").secret,
            "kiln": create_key(store, "organisation", organisation_id="kiln-digital").secret}
    with TestClient(create_app(Settings(data_dir=tmp_path), store=store)) as client:
        yield client, {k: {"X-API-Key": v} for k, v in keys.items()}


def _issuer(store: GraphStore, badge: str) -> str:
    return store.read(queries.catalogue_get(Label.BADGE), {"id": badge})[0]["record"]["issuer"]


def _pathway_before_the_rule(store: GraphStore, *, completion_badge: str, step_badge: str) -> None:
    """Kiln's published pathway ``old``, one step accepting ``step_badge``, completing with
    ``completion_badge``: written straight to the graph, as a graph stored before the
    completion-ownership rule may hold it."""
    store.write(queries.pathway_upsert(create=True), {
        "id": "old", "organisation": "kiln-digital", "destination": "employment",
        "completion_badge": completion_badge,
        "steps": [{"id": "old-1", "order": 1, "badges": [step_badge],
                   "props": {"title": "Build", "required": 1, "optional": False}}],
        "props": {"title": "Old", "description": "", "status": "published", "kind": "recommended"}})


def test_a_pathway_cannot_complete_with_another_organisations_badge(api, store: GraphStore) -> None:
    client, h = api
    foreign = "digital-explorer"
    assert _issuer(store, foreign) != "kiln-digital"
    body = {"id": "borrowed", "title": "Borrowed", "organisation": "kiln-digital", "destination": "employment",
            "steps": [{"title": "Build", "badges": ["first-web-app"]}], "completion_badge": foreign,
            "status": "published"}
    for who in ("kiln", "admin"):
        r = client.post("/pathways", json=body, headers=h[who])
        assert r.status_code == 422, r.json()
        assert r.json()["errors"][0]["field"] == "body.completion_badge"
        assert _issuer(store, foreign) in r.json()["errors"][0]["message"]
    own = client.post("/pathways", json=body | {"completion_badge": "digital-careers-award"}, headers=h["kiln"])
    assert own.status_code == 201, own.json()
    r = client.patch("/pathways/borrowed", json={"completion_badge": foreign}, headers=h["kiln"])
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.completion_badge"


def test_a_completion_is_never_issued_in_another_organisations_name(api, store: GraphStore) -> None:
    """Even a pathway stored before the rule (written here straight to the graph)
    awards nothing when its completion badge belongs to someone else."""
    client, h = api
    _pathway_before_the_rule(store, completion_badge="digital-explorer", step_badge="first-web-app")
    store.write("CREATE (:Learner {id: 'lea'})")
    rows = store.write(queries.AWARD_PATHWAY_COMPLETION, {
        "id": "pc-x", "pathway_id": "old", "learner_id": "lea", "now": 1,
        "recipient": RECIPIENT,
        "props": {"status": "issued", "issued_on": 1}})
    assert rows == []
    assert store.read("MATCH (a:Assertion {id: 'pc-x'}) RETURN a.id AS id") == []


def test_an_opportunity_may_list_another_organisations_badge_but_not_award_it(api, store: GraphStore) -> None:
    """Listing a badge on an opportunity issues nothing (the decision documented in
    ``service/catalogue.py``); awarding it stays its issuer's alone."""
    client, h = api
    body = {"id": "kiln-night", "name": "Kiln night", "kind": "event", "organisation": "kiln-digital",
            "mode": "online", "badges": ["junior-developer-placement", "digital-explorer"]}
    assert _issuer(store, "digital-explorer") != "kiln-digital"
    assert client.post("/opportunities", json=body, headers=h["kiln"]).status_code == 201
    r = client.post("/organisations/kiln-digital/badges/digital-explorer/assertions", headers=h["kiln"],
                    json={"recipient": {"type": "email", "identity": "ada@example.org"}})
    assert r.status_code in (403, 422), r.text
    assert store.read("MATCH (a:Assertion) RETURN count(a) AS n") == [{"n": 0}]


def test_only_the_issuer_revokes_an_award_after_its_badge_changes_hands(api, store: GraphStore) -> None:
    """A revocation is published in the issuer's own signed revocation list and status
    list: were a badge's ``issuer`` changed, the new organisation could award it but
    not revoke what the old one issued (it could before). The issuer of a badge with
    live awards can no longer change (409), so the move is made in the graph."""
    client, h = api
    h["college"] = {"X-API-Key": create_key(store, "organisation", organisation_id="brackenford-college").secret}
    assert _issuer(store, "web-foundations") == "brackenford-college"
    r = client.post("/organisations/brackenford-college/badges/web-foundations/assertions", headers=h["college"],
                    json={"recipient": {"type": "email", "identity": "ana@example.org"}})
    assert r.status_code == 201, r.text
    old = r.json()["id"]
    # a badge with live awards keeps its issuer (its awards' BadgeClass names it) ...
    r = client.patch("/badges/web-foundations", json={"issuer": "kiln-digital"}, headers=h["admin"])
    assert r.status_code == 409 and "issuer cannot change" in r.text, r.text
    # ... but a graph written before that rule may hold such a badge: moved here by hand
    store.write("MATCH (:Organisation {id: 'brackenford-college'})-[d:DEFINES]->(b:Badge {id: 'web-foundations'}) "
                "MATCH (k:Organisation {id: 'kiln-digital'}) DELETE d MERGE (k)-[:DEFINES]->(b) "
                "SET b.issuer = 'kiln-digital'")
    r = client.post(f"/assertions/{old}/revoke", json={"reason": "not ours"}, headers=h["kiln"])
    assert r.status_code == 403 and "issued" in r.json()["detail"], r.text
    assert client.get(f"/assertions/{old}", headers=h["college"]).status_code == 200
    r = client.post("/organisations/kiln-digital/badges/web-foundations/assertions", headers=h["kiln"],
                    json={"recipient": {"type": "email", "identity": "bo@example.org"}})
    assert r.status_code == 201, r.text
    new = r.json()["id"]
    assert client.post(f"/assertions/{new}/revoke", json={"reason": "in error"}, headers=h["kiln"]).status_code == 200
    assert client.post(f"/assertions/{old}/revoke", json={"reason": "in error"},
                       headers=h["college"]).status_code == 200


def test_a_draft_pathway_shows_in_insights_only_to_its_organisation(api, store: GraphStore) -> None:
    """The funnels read every recommended pathway; a draft's title, steps and counts
    are shown to its organisation and admins only, as its own page is."""
    client, h = api
    h["college"] = {"X-API-Key": create_key(store, "organisation", organisation_id="brackenford-college").secret}
    body = {"id": "kiln-plan", "title": "Kiln's secret plan", "organisation": "kiln-digital",
            "destination": "employment", "steps": [{"title": "Build", "badges": ["first-web-app"]}]}
    assert client.post("/pathways", json=body, headers=h["kiln"]).status_code == 201
    assert client.get("/pathways/kiln-plan", headers=h["college"]).status_code == 404

    def funnels(who: str, **params: str) -> tuple[int, list[str]]:
        r = client.get("/insights/pathways", params=params, headers=h[who])
        return r.status_code, [p["pathway"] for p in r.json().get("pathways", [])] if r.status_code == 200 else []

    status, seen = funnels("college")
    assert status == 200 and seen and "kiln-plan" not in seen
    assert funnels("college", pathway="kiln-plan")[0] == 422
    assert "kiln-plan" in funnels("kiln")[1] and "kiln-plan" in funnels("admin")[1]
    assert funnels("kiln", pathway="kiln-plan") == (200, ["kiln-plan"])


def test_a_catalogue_pathway_cannot_complete_with_another_organisations_badge(api, store: GraphStore,
                                                                              tmp_path: Path) -> None:
    """The catalogue files follow the API's rule: a completion badge is awarded in the
    pathway organisation's name, so it must be that organisation's (it was accepted,
    and every accept of a step badge then answered 404)."""
    import yaml

    from colearn.errors import InvalidInput

    pathway = {"id": "steal-path", "title": "Borrowed", "organisation": "kiln-digital", "destination": "employment",
               "steps": [{"title": "Explore", "badges": ["digital-explorer"]}], "completion_badge": "web-foundations",
               "status": "published"}
    (tmp_path / "pathways.yaml").write_text(yaml.safe_dump({"pathways": [pathway]}), encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        ingest_catalogue(store, tmp_path)
    assert err.value.field == "completion_badge" and "brackenford-college" in str(err.value)
    assert store.read("MATCH (p:Pathway {id: 'steal-path'}) RETURN p.id AS id") == []
    # the same file, the badge moved to kiln in the same catalogue: accepted
    badge = {"id": "web-foundations", "name": "Web Foundations", "issuer": "kiln-digital",
             "cells": ["knowledge.participation"]}
    (tmp_path / "badges.yaml").write_text(yaml.safe_dump({"badges": [badge]}), encoding="utf-8")
    ingest_catalogue(store, tmp_path)
    assert store.read("MATCH (p:Pathway {id: 'steal-path'}) RETURN p.id AS id") == [{"id": "steal-path"}]


def test_an_accept_is_not_answered_404_by_a_pathway_it_completes(api, store: GraphStore) -> None:
    """A pathway stored before the rule, whose completion badge is someone else's, cannot
    award its completion: accepting one of its step badges still answers 200."""
    client, h = api
    _pathway_before_the_rule(store, completion_badge="web-foundations", step_badge="interview-ready")
    r = client.post("/organisations/kiln-digital/badges/interview-ready/assertions", headers=h["kiln"],
                    json={"recipient": {"type": "email", "identity": "cy@example.org"}})
    assert r.status_code == 201, r.text
    accepted = client.post(f"/assertions/{r.json()['id']}/accept", headers=h["admin"])
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted", accepted.text


def test_a_badge_keeps_its_issuer_once_awarded_or_completing_a_pathway(api, store: GraphStore,
                                                                       tmp_path: Path) -> None:
    """Its awards' BadgeClass names the issuer, and a completion badge must be its
    pathway organisation's: the same rule for PATCH /badges and catalogue files."""
    import yaml

    from colearn.errors import InvalidInput

    client, h = api
    h["college"] = {"X-API-Key": create_key(store, "organisation", organisation_id="brackenford-college").secret}
    # unawarded and completing nothing: it may change hands
    assert client.patch("/badges/online-safety-aware", json={"issuer": "kiln-digital"},
                        headers=h["admin"]).status_code == 200
    # a completion badge of a published pathway: kept (409), by the API and by a file
    r = client.patch("/badges/digital-careers-award", json={"issuer": "brackenford-college"}, headers=h["admin"])
    assert r.status_code == 409 and "has 1 pathway completion: digital-careers:" in r.json()["detail"], r.text
    r = client.post("/organisations/brackenford-college/badges/web-foundations/assertions", headers=h["college"],
                    json={"recipient": {"type": "email", "identity": "di@example.org"}})
    assert r.status_code == 201, r.text
    moved = {"id": "web-foundations", "name": "Web Foundations", "issuer": "kiln-digital",
             "cells": ["knowledge.participation"]}
    (tmp_path / "badges.yaml").write_text(yaml.safe_dump({"badges": [moved]}), encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        ingest_catalogue(store, tmp_path)
    assert err.value.field == "issuer" and "has 1 live assertion: " in str(err.value)
    assert _issuer(store, "web-foundations") == "brackenford-college"
