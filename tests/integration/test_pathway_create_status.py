"""``POST /pathways`` may publish at once, with the same checks and warnings as
``POST /pathways/{id}/publish`` (README said POST makes a draft, while a body with
``"status": "published"`` was answered 201 published); ``archived`` is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.graph import enrolments
from colearn.graph.store import GraphStore
from colearn.service.app import create_app
from colearn.service.auth import create_key
from tests.learner_builders import seed_learner_city


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    seed_learner_city(store)
    with TestClient(create_app(Settings(data_dir=tmp_path, rate_limit_per_minute=0), store=store)) as client:
        yield client, {"college": {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret},
                       "club": {"X-API-Key": create_key(store, "organisation", organisation_id="club").secret}}


def _pathway(pid: str, **fields) -> dict:
    # the second step sits lower on the spine than the first: a warning on every write and publish
    return {"id": pid, "title": "Build then learn", "organisation": "college", "destination": "employment",
            "steps": [{"title": "Build", "badges": ["app"]}, {"title": "Learn", "badges": ["web"]}],
            "completion_badge": "safety", **fields}


def _status_on(store: GraphStore, pid: str) -> int | None:
    return store.read("MATCH (p:Pathway {id: $id}) RETURN p.status_on AS t", {"id": pid})[0]["t"]


def test_publishing_at_creation_is_publishing_a_draft(api, store: GraphStore) -> None:
    client, keys = api
    draft = client.post("/pathways", headers=keys["college"], json=_pathway("later"))
    assert draft.status_code == 201 and draft.json()["status"] == "draft"
    drafted = _status_on(store, "later")
    published = client.post("/pathways/later/publish", headers=keys["college"])
    at_once = client.post("/pathways", headers=keys["college"], json=_pathway("at-once", status="published"))
    assert at_once.status_code == 201, at_once.text
    a, b = at_once.json(), published.json()
    assert a["status"] == b["status"] == "published"
    assert a["warnings"] == b["warnings"] and [w["field"] for w in a["warnings"]] == ["steps.1"]
    assert {k: v for k, v in a.items() if k not in ("id", "steps")} == {k: v for k, v in b.items()
                                                                         if k not in ("id", "steps")}
    # the status time is stamped as a publish stamps it (a draft's: when it was drafted)
    assert drafted is not None and _status_on(store, "later") >= drafted and _status_on(store, "at-once") is not None
    # offered to learners and other organisations like any published pathway
    assert client.get("/pathways/at-once", headers=keys["club"]).status_code == 200
    assert enrolments.enrol(store, "se-1", "at-once")["created"] is True
    # and refused by the same checks: another organisation, another's completion badge
    assert client.post("/pathways", headers=keys["club"], json=_pathway("theirs", status="published")).status_code == 403
    wrong = client.post("/pathways", headers=keys["college"],
                        json=_pathway("foreign", status="published", completion_badge="coding"))
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "body.completion_badge"


def test_a_new_pathway_is_never_archived(api, store: GraphStore) -> None:
    client, keys = api
    r = client.post("/pathways", headers=keys["college"], json=_pathway("gone", status="archived"))
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["field"] == "body.status" and "draft or published" in error["message"]
    assert client.get("/pathways/gone", headers=keys["college"]).status_code == 404
