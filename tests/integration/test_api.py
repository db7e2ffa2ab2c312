"""The HTTP API on a real store with the real Martial Arts data (anonymous
callers act as a read-only partner here, as in ``make run``; auth has its own tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.graph.store import GraphStore
from colearn.ingest.stackexchange import ingest_stackexchange
from colearn.service.app import create_app

from tests.conftest import DATA

# FalkorDB only: each test loads the whole Stack Exchange dump; its statements run on Neo4j in the contract suite.
pytestmark = pytest.mark.falkordb_only

BADGES_XML = DATA / "stackexchange" / "martialarts" / "Badges.xml"


@pytest.fixture
def client(store: GraphStore, tmp_path: Path) -> Iterator[TestClient]:
    ingest_stackexchange(store, BADGES_XML, site="martialarts")
    app = create_app(Settings(data_dir=tmp_path, anonymous_role="partner"), store=store)
    with TestClient(app) as c:
        yield c


def test_health(client: TestClient, store: GraphStore) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["backend"] == store.backend in ("falkordb", "neo4j")
    assert body["badges"] == 81 and body["learners"] == 6366


def test_next_for_a_real_learner(client: TestClient) -> None:
    # UserId 75 holds 6 distinct badges in the dump (Autobiographer, Beta, Editor, ...)
    r = client.get("/learners/se-martialarts-75/next", params={"limit": 5})
    assert r.status_code == 200
    body = r.json()
    assert body["learner_id"] == "se-martialarts-75"
    items = body["items"]
    assert 1 <= len(items) <= 5
    scores = [i["score"] for i in items]
    assert scores == sorted(scores, reverse=True)
    assert all(i["reasons"] for i in items)
    assert len({i["badge_id"] for i in items}) == len(items)


def test_next_leaves_out_held_badges(client: TestClient, store: GraphStore) -> None:
    held = {r["badge_id"] for r in store.read(
        "MATCH (:Learner {id: $l})<-[:TO]-(a:Assertion)-[:OF]->(b:Badge) RETURN b.id AS badge_id, a.id AS a",
        {"l": "se-martialarts-75"})}
    assert held
    items = client.get("/learners/se-martialarts-75/next", params={"limit": 50}).json()["items"]
    assert not held & {i["badge_id"] for i in items}


def test_unknown_learner_is_404_problem(client: TestClient) -> None:
    r = client.get("/learners/nobody-here/next")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"] == "/problems/not-found" and "nobody-here" in r.json()["detail"]


def test_bad_limit_is_422_problem_with_field(client: TestClient) -> None:
    r = client.get("/learners/se-martialarts-75/next", params={"limit": 0})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "query.limit"


def test_openapi_and_docs(client: TestClient) -> None:
    assert "/learners/{learner_id}/next" in client.get("/openapi.json").json()["paths"]
    assert client.get("/docs").status_code == 200
