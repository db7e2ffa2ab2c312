"""API keys, learner tokens and who may read a learner's recommendations."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.errors import InvalidInput, NotFound
from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.service.app import create_app
from colearn.service.auth import (Role, create_key, issue_learner_token, list_keys, principal_for_key,
                                  principal_for_token, revoke_key)

NOW = 1_700_000_000


@pytest.fixture
def seeded(store: GraphStore) -> GraphStore:
    store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [
        {"id": "org-a", "props": {"name": "A"}}, {"id": "org-b", "props": {"name": "B"}}]})
    store.write(queries.merge_nodes(Label.BADGE), {"rows": [
        {"id": f"b{i}", "props": {"name": f"Badge {i}"}} for i in range(3)]})
    awards = [("l1", "b0"), ("l1", "b1"), ("l2", "b0"), ("l2", "b2"), ("l3", "b1"), ("l3", "b2")]
    store.write(queries.MERGE_ASSERTIONS, {"rows": [
        {"id": f"a{i}", "organisation_id": "org-a", "badge_id": b, "learner_id": l, "learner_props": {},
         "props": {"status": "accepted", "issued_on": NOW + i}} for i, (l, b) in enumerate(awards)]})
    return store


def test_key_secret_is_never_stored(seeded: GraphStore) -> None:
    key = create_key(seeded, "admin", name="ops")
    assert key.secret.startswith(f"col_{key.id}_")
    stored = seeded.read("MATCH (k:ApiKey) RETURN k.hash AS hash")
    assert len(stored) == 1 and key.secret.split("_", 2)[2] not in stored[0]["hash"]
    assert "hash" not in list_keys(seeded)[0]
    assert principal_for_key(seeded, key.secret).role == Role.ADMIN
    assert principal_for_key(seeded, key.secret[:-1] + "x") is None
    assert principal_for_key(seeded, "col_nope_secret") is None


def test_key_rules(seeded: GraphStore) -> None:
    with pytest.raises(InvalidInput, match="organisation"):
        create_key(seeded, "organisation")
    with pytest.raises(NotFound):
        create_key(seeded, "organisation", organisation_id="org-z")
    with pytest.raises(InvalidInput, match="origin"):
        create_key(seeded, "partner")
    with pytest.raises(InvalidInput, match="not an origin"):
        create_key(seeded, "partner", origins=["https://a.example/path"])
    with pytest.raises(InvalidInput, match="tokens"):
        create_key(seeded, "learner")
    org = create_key(seeded, "organisation", organisation_id="org-a")
    assert principal_for_key(seeded, org.secret).organisation_id == "org-a"


def test_revoked_key_stops_working(seeded: GraphStore) -> None:
    key = create_key(seeded, "partner", origins=["https://partner.example"])
    revoke_key(seeded, key.id)
    assert principal_for_key(seeded, key.secret) is None
    assert list_keys(seeded)[0]["revoked_on"] is not None
    with pytest.raises(NotFound):
        revoke_key(seeded, "nope")


def test_learner_tokens() -> None:
    token = issue_learner_token("a-test-secret-that-is-long-enough-for-hs256", "l1", ttl_s=60)
    assert principal_for_token("a-test-secret-that-is-long-enough-for-hs256", token).learner_id == "l1"
    assert principal_for_token("another-secret-that-is-long-enough-for-hs256", token) is None
    expired = jwt.encode({"sub": "l1", "exp": int(time.time()) - 5, "typ": "learner"}, "a-test-secret-that-is-long-enough-for-hs256", "HS256")
    assert principal_for_token("a-test-secret-that-is-long-enough-for-hs256", expired) is None


@pytest.fixture
def client(seeded: GraphStore, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path), store=seeded)
    with TestClient(app) as c:
        yield c


def test_who_may_read_next(client: TestClient, seeded: GraphStore) -> None:
    admin = create_key(seeded, "admin").secret
    org = create_key(seeded, "organisation", organisation_id="org-a").secret
    partner = create_key(seeded, "partner", origins=["https://partner.example"]).secret
    secret = client.app.state.token_secret
    l1, l2 = issue_learner_token(secret, "l1"), issue_learner_token(secret, "l2")
    url = "/learners/l1/next"
    none = client.get(url)
    assert none.status_code == 401 and none.headers["www-authenticate"].startswith("Bearer")
    assert none.headers["content-type"].startswith("application/problem+json")
    assert client.get(url, headers={"Authorization": "Bearer col_x_y"}).status_code == 401
    assert client.get(url, headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get(url, headers={"Authorization": f"Bearer {admin}"}).status_code == 200
    assert client.get(url, headers={"Authorization": f"Bearer {l1}"}).status_code == 200
    assert client.get(url, headers={"Authorization": f"Bearer {l2}"}).status_code == 403
    assert client.get(url, headers={"Authorization": f"Bearer {org}"}).status_code == 403
    wrong_origin = client.get(url, headers={"X-API-Key": partner, "Origin": "https://evil.example"})
    assert wrong_origin.status_code == 403
    right_origin = client.get(url, headers={"X-API-Key": partner, "Origin": "https://partner.example"})
    assert right_origin.status_code == 200
    # what the learner gets: badges they do not hold
    items = client.get(url, headers={"Authorization": f"Bearer {l1}"}).json()["items"]
    assert [i["badge_id"] for i in items] == ["b2"]


def test_a_partner_key_needs_an_origin_it_lists(seeded: GraphStore, tmp_path: Path) -> None:
    """A partner key is for browsers on its origins (docs/roles.md): sent without an
    ``Origin`` (curl, a server) it is refused with a problem saying why. A browser's
    same-origin ``GET`` carries no ``Origin`` (``Sec-Fetch-Site: same-origin``, the widget
    on ``/demo``): that counts as the service's own origin, from ``COLEARN_BASE_URL``."""
    partner = create_key(seeded, "partner", origins=["https://partner.example"]).secret
    own = create_key(seeded, "partner", origins=["https://colearn.example"]).secret
    app = create_app(Settings(data_dir=tmp_path, base_url="https://colearn.example/api"), store=seeded)
    url = "/learners/l1/next"
    with TestClient(app) as c:
        bare = c.get(url, headers={"X-API-Key": partner})
        assert bare.status_code == 403, bare.text
        assert bare.headers["content-type"].startswith("application/problem+json")
        assert bare.json()["type"] == "/problems/forbidden" and "no Origin header" in bare.json()["detail"]
        assert c.get(url, headers={"Authorization": f"Bearer {partner}"}).status_code == 403
        assert c.get(url, headers={"X-API-Key": partner, "Origin": "https://partner.example"}).status_code == 200
        same = {"Sec-Fetch-Site": "same-origin"}
        assert c.get(url, headers={"X-API-Key": own, **same}).status_code == 200
        assert c.get(url, headers={"X-API-Key": partner, **same}).status_code == 403
        # the Host header does not make a same-origin request come from the host it names
        assert c.get(url, headers={"X-API-Key": partner, "Host": "partner.example", **same}).status_code == 403
        assert c.get(url, headers={"X-API-Key": own, "Sec-Fetch-Site": "cross-site"}).status_code == 403


def test_anonymous_partner_mode(seeded: GraphStore, tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, anonymous_role="partner"), store=seeded)
    with TestClient(app) as c:
        assert c.get("/learners/l1/next").status_code == 200


def test_token_secret_file_is_private(client: TestClient, tmp_path: Path) -> None:
    path = tmp_path / "token-secret"
    assert path.exists() and path.stat().st_mode & 0o777 == 0o600


def _secret_after_barrier(args: tuple[str, object]) -> str:
    from colearn.service.auth import token_secret

    data_dir, barrier = args
    barrier.wait()  # type: ignore[attr-defined]
    return token_secret(Path(data_dir))


def test_workers_starting_together_on_a_new_data_dir_agree_on_one_secret(tmp_path: Path) -> None:
    """``colearn serve --workers 2`` on a fresh data directory: each worker asks for the secret at
    once. One of them used to fail its start-up (``FileExistsError``), and a reader could see the
    file before its secret was written."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    for round_ in range(3):
        data_dir = tmp_path / f"d{round_}"
        with ctx.Manager() as manager:
            barrier = manager.Barrier(6)
            with ctx.Pool(6) as pool:
                got = pool.map(_secret_after_barrier, [(str(data_dir), barrier)] * 6)
        assert len(set(got)) == 1 and len(got[0]) >= 48
        assert [p.name for p in data_dir.iterdir()] == ["token-secret"]  # no worker's own file left behind
        assert (data_dir / "token-secret").stat().st_mode & 0o777 == 0o600


def test_an_empty_token_secret_file_is_refused_not_used_as_a_key(tmp_path: Path) -> None:
    from colearn.service.auth import token_secret

    (tmp_path / "token-secret").write_text("\n")
    with pytest.raises(InvalidInput, match="empty") as err:
        token_secret(tmp_path)
    assert err.value.file == str(tmp_path / "token-secret")
    assert token_secret(tmp_path, "configured") == "configured"
