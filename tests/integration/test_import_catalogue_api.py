"""The tester's report, through the API on both engines: a learner imports a
self-signed credential naming the City Council as its issuer, and a hosted OB 2.0
assertion from anywhere; neither issuer nor badge becomes the city's (lists,
search, pages, /health, authoring references), and the portfolio marks them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.domain import awards as issuing
from colearn.graph.store import GraphStore
from colearn.openbadges.keys import KeyStore
from colearn.service.app import create_app
from colearn.service.auth import create_key, issue_learner_token
from colearn.service.learner_awards import learner_for_email
from tests.openbadges_builders import BASE, seed_issuing_city, self_signed_credential

EMAIL = "sam@example.org"


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], str]]:
    seed_issuing_city(store)
    app = create_app(Settings(data_dir=tmp_path, base_url=BASE, rate_limit_per_minute=0), store=store)
    with TestClient(app) as client:
        sam = learner_for_email(EMAIL, KeyStore(tmp_path).recipient_pepper())
        store.write("MERGE (:Learner {id: $id})", {"id": sam})
        keys = {"admin": {"X-API-Key": create_key(store, "admin").secret},
                "college": {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret},
                "sam": {"Authorization": f"Bearer {issue_learner_token(client.app.state.token_secret, sam)}"}}
        yield client, keys, sam


def test_imported_issuers_and_badges_stay_out_of_the_catalogue(api) -> None:
    client, keys, sam = api
    health = client.get("/health").json()["badges"]
    r = client.post(f"/learners/{sam}/portfolio/imports", headers=keys["sam"],
                    json={"credential": self_signed_credential(EMAIL), "identity": EMAIL})
    assert r.status_code == 201 and r.json()["verified"] is False, r.text
    prizes = r.json()["badge_id"]
    ob2 = {"@context": "https://w3id.org/openbadges/v2", "id": "https://anywhere.example/assertions/9",
           "type": "Assertion", "issuedOn": "2025-05-01T10:00:00Z", "verification": {"type": "HostedBadge"},
           "recipient": {"type": "email", "hashed": True, "salt": "s", "identity": issuing.identity_hash(EMAIL, "s")},
           "badge": "https://anywhere.example/badges/9"}
    r = client.post(f"/learners/{sam}/portfolio/imports", headers=keys["sam"], json={"credential": ob2, "identity": EMAIL})
    assert r.status_code == 201, r.text
    hosted = r.json()["badge_id"]
    h = keys["admin"]
    assert client.get("/badges?q=prizes", headers=h).json()["count"] == 0
    assert client.get("/organisations?q=council", headers=h).json()["count"] == 0
    assert client.get("/organisations?q=anywhere", headers=h).json()["count"] == 0
    assert {b["id"] for b in client.get("/badges", headers=h).json()["data"]} == {"web", "safety", "app", "coding"}
    assert client.get("/organisations", headers=h).json()["count"] == 2
    for badge in (prizes, hosted):
        assert client.get(f"/badges/{badge}", headers=h).status_code == 404
        assert client.get(f"/ob/v2/badges/{badge}").status_code == 404
    assert client.get("/health").json()["badges"] == health == 4
    # the city's authoring cannot refer to them
    opp = {"id": "free-prizes", "name": "Free prizes", "organisation": "college", "mode": "online",
           "badges": [prizes]}
    refused = client.post("/opportunities", headers=keys["college"], json=opp)
    assert refused.status_code == 422 and prizes in refused.text, refused.text
    # the portfolio keeps them, marked, beside an award made here
    award = client.post("/organisations/college/badges/web/assertions", headers=keys["college"],
                        json={"learner_id": sam}).json()
    assert client.post(f"/assertions/{award['id']}/accept", headers=keys["sam"]).status_code in (200, 204)
    pf = client.get(f"/learners/{sam}/portfolio", headers=keys["sam"]).json()
    got = {a["badge_id"]: (a["imported"], a["verified"]) for c in pf["cells"] for a in c["awards"]}
    assert got == {prizes: (True, False), hosted: (True, False), "web": (False, True)}
    assert "Imported, not verified" in client.get("/portfolio").text
