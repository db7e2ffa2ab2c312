"""Claim codes award only what the opportunity awards, never a pathway's completion,
and never a second live copy (a tester's report on the demo city): a code was made
for a badge its opportunity did not award and for a pathway's completion badge,
and redeeming a code for a badge the learner held gave them a second copy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from colearn.graph.store import GraphStore
from tests.integration import test_learner_journey_api as journey
from tests.integration.test_catalogue_references import _is_reference_read
from tests.integration.test_learner_journey_api import EMAIL, _sign_in, bearer

api = journey.api  # the fixture: the learner city served, organisation and admin keys, the outbox


def _body(**fields) -> dict:
    return {"badge_id": "web", "opportunity_id": "open-day", "max_claims": 5,
            "valid_until": (datetime.now(UTC) + timedelta(hours=2)).isoformat(), **fields}


def _awards_open_day(store: GraphStore, badge: str) -> None:
    store.write("MATCH (op:Opportunity {id: 'open-day'}), (b:Badge {id: $b}) CREATE (op)-[:AWARDS]->(b)", {"b": badge})


def _completion_pathway(client: TestClient, keys: dict, badge: str = "safety") -> None:
    r = client.post("/pathways", headers=keys["college"], json={
        "id": "web-ready", "title": "Web ready", "organisation": "college", "destination": "employment",
        "steps": [{"title": "Build", "badges": ["app"]}], "completion_badge": badge})
    assert r.status_code == 201, r.text


def test_a_code_is_only_for_a_badge_the_opportunity_awards(api, store: GraphStore) -> None:
    client, keys, _ = api
    r = client.post("/organisations/college/claim-codes", headers=keys["college"], json=_body(badge_id="app"))
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["field"] == "body.badge_id"
    assert "does not award badge 'app'" in error["message"] and "it awards 'web'" in error["message"]
    assert client.get("/organisations/college/claim-codes", headers=keys["college"]).json()["count"] == 0
    assert client.post("/organisations/college/claim-codes", headers=keys["college"], json=_body()).status_code == 201


def test_a_code_for_unknown_references_names_each_of_them(api, store: GraphStore, monkeypatch) -> None:
    """A code for a badge and an opportunity that do not exist answered 404 naming the
    badge only: it is one 422 with an entry for each unknown reference, named as the
    catalogue API names them, found with one read of the graph, and no code is made."""
    client, keys, _ = api
    reads: list[str] = []
    read = store.read

    def counting(query: str, params: dict | None = None) -> list[dict]:
        reads.append(query)
        return read(query, params)

    monkeypatch.setattr(store, "read", counting)
    r = client.post("/organisations/college/claim-codes", headers=keys["college"],
                    json=_body(badge_id="ghost", opportunity_id="nowhere"))
    assert r.status_code == 422 and r.json()["type"] == "/problems/invalid-input", r.text
    assert r.json()["errors"] == [{"field": "body.badge_id", "message": "unknown Badge 'ghost'"},
                                  {"field": "body.opportunity_id", "message": "unknown Opportunity 'nowhere'"}]
    assert r.json()["detail"] == ("body.badge_id: unknown Badge 'ghost'; "
                                  "body.opportunity_id: unknown Opportunity 'nowhere'")
    assert len([q for q in reads if _is_reference_read(q)]) == 1, reads
    r = client.post("/organisations/college/claim-codes", headers=keys["college"], json=_body(opportunity_id="nowhere"))
    assert r.status_code == 422 and r.json()["errors"] == [
        {"field": "body.opportunity_id", "message": "unknown Opportunity 'nowhere'"}], r.text
    assert client.get("/organisations/college/claim-codes", headers=keys["college"]).json()["count"] == 0


def test_a_code_is_never_for_a_pathways_completion_badge(api, store: GraphStore) -> None:
    client, keys, box = api
    _awards_open_day(store, "safety")  # the opportunity awards it: only the completion rule refuses
    _completion_pathway(client, keys)
    r = client.post("/organisations/college/claim-codes", headers=keys["college"], json=_body(badge_id="safety"))
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["field"] == "body.badge_id" and "completion badge of pathway 'web-ready'" in error["message"]
    # a code made before the badge became a completion badge is refused when redeemed
    _awards_open_day(store, "app")
    code = client.post("/organisations/college/claim-codes", headers=keys["college"], json=_body(badge_id="app"))
    assert code.status_code == 201, code.text
    r = client.patch("/pathways/web-ready", headers=keys["college"], json={
        "steps": [{"title": "Start", "badges": ["web"]}], "completion_badge": "app"})
    assert r.status_code == 200, r.text
    me = bearer(_sign_in(client, box))
    refused = client.post("/claim-codes/redeem", headers=me, json={"code": code.json()["code"]})
    assert refused.status_code == 409 and "completes pathway 'web-ready'" in refused.json()["detail"]
    assert client.get("/me/awards", headers=me).json()["count"] == 0


def test_redeeming_a_badge_already_held_gives_no_second_copy(api, store: GraphStore) -> None:
    client, keys, box = api
    awarded = client.post("/organisations/college/badges/web/assertions", headers=keys["college"],
                          json={"recipient": {"type": "email", "identity": EMAIL}}).json()
    session = _sign_in(client, box)
    me = bearer(session)
    code = client.post("/organisations/college/claim-codes", headers=keys["college"], json=_body()).json()
    # held but not yet accepted (issued): still live, no second award
    r = client.post("/claim-codes/redeem", headers=me, json={"code": code["code"]})
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["created"], got["assertion_id"], got["status"]) == (False, awarded["id"], "issued")
    assert "already hold" in got["detail"] and "awaiting your answer" in got["detail"]
    assert client.post(f"/assertions/{awarded['id']}/accept", headers=me).json()["status"] == "accepted"
    r = client.post("/claim-codes/redeem", headers=me, json={"code": code["code"]})
    assert r.status_code == 200 and (r.json()["created"], r.json()["status"]) == (False, "accepted")
    portfolio = client.get(f"/learners/{session['learner_id']}/portfolio", headers=me).json()
    assert [a["assertion_id"] for c in portfolio["cells"] for a in c["awards"]] == [awarded["id"]]
    assert client.get("/me/awards", headers=me).json()["count"] == 0
    held = store.read("MATCH (:Learner {id: $l})<-[:TO]-(a:Assertion)-[:OF]->(:Badge {id: 'web'}) RETURN a.id AS id",
                      {"l": session["learner_id"]})
    assert held == [{"id": awarded["id"]}]
    # the code was not used: another learner still claims it, and gets a new award
    listed = client.get("/organisations/college/claim-codes", headers=keys["college"]).json()
    assert listed["data"][0]["claims"] == 0
    other = bearer(_sign_in(client, box, "bo@example.org"))
    made = client.post("/claim-codes/redeem", headers=other, json={"code": code["code"]})
    assert made.status_code == 201 and made.json()["created"] is True and made.json()["status"] == "accepted"


def test_a_refusal_below_the_route_names_the_body_field(api) -> None:
    """A malformed code (refused by the store's reading of it) answered 422 naming ``code``,
    and an unknown theme in a profile ``themes``, where the body's own checks say ``body.code``."""
    client, _, box = api
    me = bearer(_sign_in(client, box))
    r = client.post("/claim-codes/redeem", headers=me, json={"code": "not-a-code"})
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["body.code"], r.text
    assert r.json()["detail"].startswith("body.code: a claim code has 12"), r.text
    r = client.patch("/me", headers=me, json={"themes": ["no-such-theme"]})
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["body.themes.0"], r.text
