"""Learner credentials under attack or misuse: a replayed refresh token ends the
learner's refresh tokens (RFC 9700 4.14.2), and a refused credential is named
(the API key of ``X-API-Key``, not a learner token)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.graph.store import GraphStore
from colearn.service.app import create_app
from colearn.service.auth import create_key, issue_learner_token
from tests.learner_builders import link_token, outbox, seed_learner_city
from tests.openbadges_builders import BASE

EMAIL = "grace@example.org"


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    seed_learner_city(store)
    box = tmp_path / "outbox"
    app = create_app(Settings(data_dir=tmp_path, base_url=BASE, rate_limit_per_minute=0, mail_outbox=box),
                     store=store)
    with TestClient(app) as client:
        yield client, box


def _sign_in(client: TestClient, box: Path) -> dict:
    assert client.post("/signin/email", json={"email": EMAIL}).status_code == 202
    r = client.post("/signin/token", json={"token": link_token(outbox(box)[-1], "signin")})
    assert r.status_code == 200, r.text
    return r.json()


def _refresh(client: TestClient, session: dict):
    return client.post("/signin/refresh", json={"refresh_token": session["refresh_token"]})


def test_a_replayed_refresh_token_ends_every_refresh_token_of_the_learner(api) -> None:
    client, box = api
    first = _sign_in(client, box)
    other_device = _sign_in(client, box)  # a second chain of the same learner
    second = _refresh(client, first).json()  # the learner rotates: first's token is used
    replay = _refresh(client, first)  # ... and someone presents it again
    assert replay.status_code == 409
    detail = replay.json()["detail"]
    assert "already been used" in detail and "every refresh token of this learner is now ended" in detail
    assert "sign in again" in detail
    for session in (second, other_device):  # the newer token of the chain, and the other chain
        ended = _refresh(client, session)
        detail = ended.json()["detail"]
        # said as it is: ended (not "expired", 30 days early), and what to do
        assert ended.status_code == 409 and "was ended" in detail and "sign in again by email" in detail, ended.text
    # signing in again starts a chain that works
    fresh = _sign_in(client, box)
    assert _refresh(client, fresh).status_code == 200


def test_an_expired_unused_refresh_token_ends_nothing_else(api, store: GraphStore) -> None:
    client, box = api
    first, second = _sign_in(client, box), _sign_in(client, box)
    from colearn.graph import access
    store.write("MATCH (t:AccessToken {id: $id}) SET t.expires_on = 0",
                {"id": access.digest(first["refresh_token"])})
    late = _refresh(client, first)
    assert late.status_code == 409 and "expired" in late.json()["detail"]
    assert "ended" not in late.json()["detail"]
    assert _refresh(client, second).status_code == 200


def test_a_refused_credential_is_named(api, store: GraphStore) -> None:
    client, _ = api
    cases = [({"X-API-Key": "garbage"}, "X-API-Key header holds no valid API key"),
             ({"X-API-Key": "col_nope_nope"}, "unknown or revoked API key (in the X-API-Key header)"),
             ({"Authorization": "Bearer col_nope_nope"}, "unknown or revoked API key (in the Authorization header)"),
             ({"Authorization": "Bearer garbage"}, "invalid or expired learner token (in the Authorization header)")]
    for headers, words in cases:
        r = client.get("/me", headers=headers)
        assert r.status_code == 401 and words in r.json()["detail"], (headers, r.text)
        assert "learner token" not in r.json()["detail"] or "Bearer garbage" in str(headers)
    # valid credentials still work in either header (a learner token in X-API-Key too, as before)
    token = issue_learner_token(client.app.state.token_secret, "rc-x")
    assert client.get("/me", headers={"X-API-Key": token}).status_code != 401
    key = create_key(store, "admin").secret
    assert client.get("/badges", headers={"X-API-Key": key}).status_code == 200


def _award_with_link(client: TestClient, store: GraphStore, box: Path, badge: str = "web") -> tuple[dict, str]:
    """Award ``badge`` to ``EMAIL`` from the college; the award and the claim link's token from its notice."""
    key = {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret}
    r = client.post(f"/organisations/college/badges/{badge}/assertions", headers=key,
                    json={"recipient": {"type": "email", "identity": EMAIL}})
    assert r.status_code == 201, r.text
    return r.json(), link_token(outbox(box)[-1], "claim")


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_a_claim_link_ends_once_its_award_is_answered_another_way(api, store: GraphStore, answer: str) -> None:
    """The tester's repro: the learner answered the award from their portfolio and signed
    out; the old claim link then signed them in again (a 30-day refresh token) and could
    decline the accepted badge. Now answering by any route ends the award's unused links."""
    client, box = api
    award, claim = _award_with_link(client, store, box)
    me = {"Authorization": f"Bearer {_sign_in(client, box)['access_token']}"}
    assert client.post(f"/assertions/{award['id']}/{answer}", headers=me).status_code == 200
    assert client.post("/signin/out", headers=me).status_code == 204
    for route in ("view", "accept", "decline"):
        r = client.post(f"/claims/{route}", json={"token": claim})
        assert r.status_code == 409, (route, r.text)
        assert "accepted or declined another way" in r.json()["detail"] and "session" not in r.json()
    expected = "accepted" if answer == "accept" else "declined"
    admin = {"X-API-Key": create_key(store, "admin").secret}
    assert client.get(f"/assertions/{award['id']}", headers=admin).json()["status"] == expected


def test_sign_out_ends_the_learners_unused_claim_links(api, store: GraphStore) -> None:
    """A claim link signs in, so signing out ends it as it ends sign-in links; the award
    stays, awaiting an answer, for the learner to find after signing in by email."""
    client, box = api
    award, claim = _award_with_link(client, store, box)
    me = {"Authorization": f"Bearer {_sign_in(client, box)['access_token']}"}
    assert client.post("/signin/out", headers=me).status_code == 204
    r = client.post("/claims/accept", json={"token": claim})
    assert r.status_code == 409 and "was ended" in r.json()["detail"], r.text
    again = {"Authorization": f"Bearer {_sign_in(client, box)['access_token']}"}
    pending = client.get("/me/awards", headers=again).json()["data"]
    assert [(a["assertion_id"], a["status"]) for a in pending] == [(award["id"], "issued")]
