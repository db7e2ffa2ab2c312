"""Every pathway completion this service awards is published as an Open Badge, like any
award made here: before, a completion copied its recipient from the learner's latest
award issued here, so a learner known only from the city's award history (or from
imports) got a completion that every hosted document answered 404 ("was not issued by
this service"), and ``GET /assertions/{id}`` gave it no ``links`` even once published."""

from __future__ import annotations

from colearn.graph.issuing import identity_hash
from colearn.graph.store import GraphStore
from colearn.ingest.awards import ingest_awards
from colearn.ingest.catalogue import demo_city_path
from colearn.service.auth import issue_learner_token
from tests.integration import test_catalogue_api as catalogue_api

api = catalogue_api.api  # the fixture: the app on the demo city

#: The tester's pathway: one step that the demo city's award history meets.
PATHWAY = {"id": "fo-path3", "title": "Explorer plus", "organisation": "kiln-digital", "destination": "employment",
           "status": "published", "steps": [{"title": "explore", "badges": ["digital-explorer"]}],
           "completion_badge": "fo-race-2"}
RACE_BADGE = {"id": "fo-race-2", "name": "Race 2", "issuer": "kiln-digital", "cells": ["skills.participation"]}


def _history_holders(store: GraphStore, badge: str) -> list[str]:
    """Learners who hold ``badge`` from the ingested award history alone (no award here)."""
    holders = {r["id"] for r in store.read(
        "MATCH (l:Learner)<-[:TO]-(:Assertion {status: 'accepted'})-[:OF]->(:Badge {id: $b}) RETURN l.id AS id",
        {"b": badge})}
    named = {r["id"] for r in store.read(
        "MATCH (l:Learner)<-[:TO]-(a:Assertion) WHERE a.recipient_hash IS NOT NULL RETURN l.id AS id")}
    return sorted(holders - named)


def test_a_completion_for_a_learner_of_the_award_history_is_published(api, store: GraphStore) -> None:
    client, h = api
    ingest_awards(store, demo_city_path())
    learner = _history_holders(store, "digital-explorer")[0]
    assert client.post("/badges", json=RACE_BADGE, headers=h["kiln"]).status_code == 201
    assert client.post("/pathways", json=PATHWAY, headers=h["kiln"]).status_code == 201
    done = client.post("/pathways/fo-path3/completions", json={"learner_id": learner}, headers=h["kiln"]).json()
    assert done["awarded"] and done["created"], done
    aid = done["assertion_id"]
    ob2 = client.get(f"/ob/v2/assertions/{aid}")
    assert ob2.status_code == 200, ob2.text
    recipient = ob2.json()["recipient"]
    # named as a direct award by learner_id or a claim code names them: their page here
    base = ob2.json()["id"].removesuffix(f"/ob/v2/assertions/{aid}")
    page = f"{base}/learners/{learner}"
    assert recipient["type"] == "url" and recipient["hashed"] is True
    assert recipient["identity"] == identity_hash(page, recipient["salt"])
    for url in (f"/ob/v3/credentials/{aid}", f"/ob/v3/credentials/{aid}/jwt", f"/ob/v2/assertions/{aid}/baked.png",
                f"/share/{aid}"):
        assert client.get(url).status_code == 200, url
    # the learner accepts it: still published, and its record links to the documents, which answer
    token = {"Authorization": f"Bearer {issue_learner_token(client.app.state.token_secret, learner)}"}
    assert client.post(f"/assertions/{aid}/accept", headers=token).status_code == 200
    record = client.get(f"/assertions/{aid}", headers=h["kiln"]).json()
    assert record["links"] is not None, record
    for name in ("ob2", "ob3", "ob3_jwt", "baked_png"):
        path = record["links"][name].split("://", 1)[1].split("/", 1)[1]
        assert client.get(f"/{path}").status_code == 200, (name, record["links"][name])


def test_a_completion_keeps_the_recipient_of_the_learners_award_here(api, store: GraphStore) -> None:
    """A learner awarded here by email is named by that email in their completion too
    (a backpack that knows their address accepts it): the step's badge is awarded to
    an address by the organisation that defines it, and accepted."""
    client, h = api
    issuer = store.read("MATCH (o:Organisation)-[:DEFINES]->(:Badge {id: 'digital-explorer'}) RETURN o.id AS id")
    org = issuer[0]["id"]
    key = {"X-API-Key": catalogue_api.create_key(store, "organisation", organisation_id=org).secret}
    direct = client.post(f"/organisations/{org}/badges/digital-explorer/assertions", headers=key,
                         json={"recipient": {"type": "email", "identity": "Sam@Example.org"}})
    assert direct.status_code == 201, direct.text
    learner = direct.json()["learner_id"]
    token = {"Authorization": f"Bearer {issue_learner_token(client.app.state.token_secret, learner)}"}
    assert client.post(f"/assertions/{direct.json()['id']}/accept", headers=token).status_code == 200
    assert client.post("/badges", json=RACE_BADGE, headers=h["kiln"]).status_code == 201
    assert client.post("/pathways", json=PATHWAY, headers=h["kiln"]).status_code == 201
    done = client.post("/pathways/fo-path3/completions", json={"learner_id": learner}, headers=h["kiln"]).json()
    assert done["awarded"] and done["created"], done
    recipient = client.get(f"/ob/v2/assertions/{done['assertion_id']}").json()["recipient"]
    assert recipient["type"] == "email"
    assert recipient["identity"] == identity_hash("sam@example.org", recipient["salt"])


#: A pathway whose one step is optional: met by holding nothing.
ALL_OPTIONAL = [{"title": "a", "badges": ["first-web-app"], "optional": True}]


def test_a_pathway_with_no_required_step_is_refused_and_awards_nothing(api, store: GraphStore) -> None:
    """Before, a pathway whose steps were all optional was accepted (PATCH, publish) and
    its completion badge went to anyone who asked, a learner asking for themselves too,
    holding none of its badges (``steps_total: 0``)."""
    client, h = api
    body = {"id": "fo-path", "title": "Optional", "organisation": "kiln-digital", "destination": "employment",
            "steps": [{"title": "a", "badges": ["first-web-app"]}], "completion_badge": "digital-careers-award"}
    assert client.post("/pathways", json=body, headers=h["kiln"]).status_code == 201
    for r in (client.patch("/pathways/fo-path", json={"steps": ALL_OPTIONAL}, headers=h["kiln"]),
              client.post("/pathways", json=body | {"id": "fo-path2", "steps": ALL_OPTIONAL}, headers=h["kiln"])):
        assert r.status_code == 422, r.text
        [error] = r.json()["errors"]
        assert error["field"] == "body.steps" and "at least one step must be required" in error["message"]
    # one stored before the rule (straight to the graph): it is not published, nor completed
    store.write("MATCH (:Pathway {id: 'fo-path'})-[:HAS_STEP]->(s:Step) SET s.optional = true")
    published = client.post("/pathways/fo-path/publish", headers=h["kiln"])
    assert published.status_code == 422 and published.json()["errors"][0]["field"] == "body.steps", published.text
    assert client.get("/pathways/fo-path", headers=h["kiln"]).json()["status"] == "draft"
    store.write("MATCH (p:Pathway {id: 'fo-path'}) SET p.status = 'published'")
    store.write("CREATE (:Learner {id: 'bf-0002'})")
    token = {"Authorization": f"Bearer {issue_learner_token(client.app.state.token_secret, 'bf-0002')}"}
    for who in (h["kiln"], token):
        done = client.post("/pathways/fo-path/completions", json={"learner_id": "bf-0002"}, headers=who).json()
        assert (done["completed"], done["awarded"], done["created"], done["assertion_id"]) == (
            False, False, False, None), done
    assert store.read("MATCH (:Learner {id: 'bf-0002'})<-[:TO]-(a:Assertion) RETURN count(a) AS n") == [{"n": 0}]


def test_a_completion_stored_without_a_recipient_is_named_when_the_api_starts(api, store: GraphStore,
                                                                               tmp_path) -> None:
    """A completion made before every completion named its learner (stored with no
    recipient, every hosted document 404) is given the learner's page as its recipient
    when the API starts, and is then published; a second start changes nothing."""
    from fastapi.testclient import TestClient

    from colearn.config import Settings
    from colearn.service.app import create_app

    client, h = api
    ingest_awards(store, demo_city_path())
    learner = _history_holders(store, "digital-explorer")[0]
    assert client.post("/badges", json=RACE_BADGE, headers=h["kiln"]).status_code == 201
    assert client.post("/pathways", json=PATHWAY, headers=h["kiln"]).status_code == 201
    aid = client.post("/pathways/fo-path3/completions", json={"learner_id": learner},
                      headers=h["kiln"]).json()["assertion_id"]
    store.write("MATCH (a:Assertion {id: $id}) REMOVE a.recipient_type, a.recipient_salt, a.recipient_hash",
                {"id": aid})
    assert client.get(f"/ob/v2/assertions/{aid}").status_code == 404  # as such a completion was
    settings = Settings(data_dir=tmp_path / "again", base_url="https://city.example")
    with TestClient(create_app(settings, store=store)) as again:
        ob2 = again.get(f"/ob/v2/assertions/{aid}")
        assert ob2.status_code == 200, ob2.text
        recipient = ob2.json()["recipient"]
        assert recipient["identity"] == identity_hash(f"https://city.example/learners/{learner}", recipient["salt"])
    with TestClient(create_app(settings, store=store)) as third:
        assert third.get(f"/ob/v2/assertions/{aid}").json()["recipient"] == recipient
