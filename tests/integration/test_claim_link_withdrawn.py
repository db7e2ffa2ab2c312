"""A claim link of an award its organisation revoked or withdrew answers 410 saying so,
on view and accept alike; and a link is spent only by an answer that was made."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.errors import Conflict
from colearn.graph.store import GraphStore
from colearn.service import learner_awards
from colearn.service.auth import create_key
from tests.learner_builders import learner_client, link_token, outbox

EMAIL = "mary@example.org"


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict, str, str]]:
    with learner_client(store, tmp_path) as (client, box):
        college = {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret}
        r = client.post("/organisations/college/badges/web/assertions", headers=college,
                        json={"recipient": {"type": "email", "identity": EMAIL}})
        assert r.status_code == 201, r.text
        yield client, college, r.json()["id"], link_token(outbox(box)[-1], "claim")


def _is_withdrawn(r) -> None:
    assert r.status_code == 410, r.text
    assert r.json()["type"] == "/problems/gone" and "withdrawn by its organisation" in r.json()["detail"]


def test_a_withdrawn_awards_link_answers_410(api) -> None:
    client, college, award, token = api
    assert client.delete(f"/assertions/{award}", headers=college, params={"reason": "error"}).status_code in (
        200, 204)
    _is_withdrawn(client.post("/claims/view", json={"token": token}))
    _is_withdrawn(client.post("/claims/accept", json={"token": token}))
    _is_withdrawn(client.post("/claims/decline", json={"token": token}))


def test_a_revoked_awards_link_answers_410_and_stays_unspent(api) -> None:
    client, college, award, token = api
    r = client.post(f"/assertions/{award}/revoke", headers=college, json={"reason": "awarded in error"})
    assert r.status_code == 200, r.text
    _is_withdrawn(client.post("/claims/view", json={"token": token}))
    for _ in range(2):  # the same answer each time: never "already used"
        r = client.post("/claims/accept", json={"token": token})
        _is_withdrawn(r)
        assert "awarded in error" in r.json()["detail"]


def test_a_refused_accept_leaves_the_link_unused(api, monkeypatch: pytest.MonkeyPatch) -> None:
    client, _, award, token = api
    real = learner_awards.respond

    def refuse_once(*args, **kwargs):
        monkeypatch.setattr(learner_awards, "respond", real)
        raise Conflict("refused for this test")
    monkeypatch.setattr(learner_awards, "respond", refuse_once)
    r = client.post("/claims/accept", json={"token": token})
    assert r.status_code == 409 and r.json()["detail"] == "refused for this test", r.text
    r = client.post("/claims/accept", json={"token": token})
    assert r.status_code == 200, r.text
    assert r.json()["assertion_id"] == award and r.json()["status"] == "accepted" and r.json()["session"]
    again = client.post("/claims/accept", json={"token": token})
    assert again.status_code == 409 and "already been used" in again.json()["detail"]
