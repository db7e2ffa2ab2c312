"""Sign-in limits sized for a classroom behind one address: asking for links, exchanging
them and refreshing each spend their own allowance per client address, and one email
address gets few links an hour."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.graph.store import GraphStore
from tests.learner_builders import learner_client, link_token, outbox


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    with learner_client(store, tmp_path) as (client, box):
        yield client, box


def _token_for(box: Path, address: str) -> str:
    found = [m for m in outbox(box) if m["To"] == address]
    return link_token(found[-1], "signin")


def test_a_classroom_behind_one_address_signs_in_and_refreshes(api) -> None:
    client, box = api
    pupils = [f"pupil{i}@school.example" for i in range(30)]
    for address in pupils:  # the tester's case: many links asked for from one client first
        assert client.post("/signin/email", json={"email": address}).status_code == 202
    sessions = []
    for address in pupils:
        r = client.post("/signin/token", json={"token": _token_for(box, address)})
        assert r.status_code == 200, r.text
        sessions.append(r.json())
    for session in sessions:
        r = client.post("/signin/refresh", json={"refresh_token": session["refresh_token"]})
        assert r.status_code == 200, r.text


def test_one_address_gets_five_links_an_hour(api) -> None:
    client, box = api
    for _ in range(5):
        assert client.post("/signin/email", json={"email": "ada@example.org"}).status_code == 202
    r = client.post("/signin/email", json={"email": "ADA@example.org"})
    assert r.status_code == 429 and "this address" in r.json()["detail"], r.text
    assert int(r.headers["Retry-After"]) > 0
    assert len(outbox(box)) == 5
    assert client.post("/signin/email", json={"email": "grace@example.org"}).status_code == 202


def test_links_per_client_address_have_a_burst_of_sixty(api) -> None:
    client, box = api
    for i in range(60):
        assert client.post("/signin/email", json={"email": f"p{i}@school.example"}).status_code == 202
    r = client.post("/signin/email", json={"email": "late@school.example"})
    assert r.status_code == 429 and "from this client" in r.json()["detail"], r.text
    # exchanging and refreshing keep their own allowance
    r = client.post("/signin/token", json={"token": _token_for(box, "p0@school.example")})
    assert r.status_code == 200, r.text
    assert client.post("/signin/refresh", json={"refresh_token": r.json()["refresh_token"]}).status_code == 200
