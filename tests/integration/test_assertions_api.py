"""The issuing API: awards with idempotency keys, ownership (403), accept / decline /
revoke, the portfolio by spine cell, the recommender's view, /verify and imports."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from openbadgeslib.ob3 import Achievement, IdentityObject, Issuer, OB3Signer, OpenBadgeCredential

from colearn.config import Settings
from colearn.domain import awards as issuing
from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.service.app import create_app
from colearn.service.auth import create_key, issue_learner_token
from tests.openbadges_builders import BASE, seed_issuing_city

EMAIL = "ada@example.org"


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    yield from _api(store, tmp_path)


@pytest.fixture
def api_polling_hourly(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    """``api`` whose feed follower (caching portfolios as it does in service) waits an hour
    between polls: what a request sees of a write through the same process then comes from
    the write's own sync, never from a poll that happened to fall between."""
    for client, keys in _api(store, tmp_path):
        client.app.state.follower.poll_s = 3600.0
        time.sleep(0.5)  # the poll waiting out the old interval runs; the next is an hour away
        yield client, keys


def _api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    seed_issuing_city(store)
    app = create_app(Settings(data_dir=tmp_path, base_url=BASE, rate_limit_per_minute=0), store=store)
    with TestClient(app) as client:
        keys = {
            "admin": {"X-API-Key": create_key(store, "admin").secret},
            "college": {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret},
            "club": {"X-API-Key": create_key(store, "organisation", organisation_id="club").secret},
            "partner": {"X-API-Key": create_key(store, "partner", origins=["https://p.example"]).secret,
                        "Origin": "https://p.example"},
        }
        yield client, keys


def learner(client: TestClient, learner_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_learner_token(client.app.state.token_secret, learner_id)}"}


def award(client: TestClient, headers: dict, badge: str = "web", org: str = "college", key: str | None = None,
          **body) -> dict:
    body = body or {"recipient": {"type": "email", "identity": EMAIL}}
    h = {**headers, **({"Idempotency-Key": key} if key else {})}
    r = client.post(f"/organisations/{org}/badges/{badge}/assertions", json=body, headers=h)
    assert r.status_code in (200, 201), r.text
    return r.json()


def test_award_accept_revoke_and_ownership(api) -> None:
    client, keys = api
    r = client.post("/organisations/college/badges/web/assertions", headers={**keys["college"], "Idempotency-Key": "k1"},
                    json={"recipient": {"type": "email", "identity": EMAIL}, "evidence_url": "https://ex.org/w"})
    assert r.status_code == 201 and r.json()["created"] is True and r.json()["status"] == "issued"
    a = r.json()
    assert a["links"]["ob2"] == f"{BASE}/ob/v2/assertions/{a['id']}"
    again = client.post("/organisations/college/badges/web/assertions",
                        headers={**keys["college"], "Idempotency-Key": "k1"},
                        json={"recipient": {"type": "email", "identity": EMAIL}})
    assert again.status_code == 200 and again.json()["id"] == a["id"] and again.json()["created"] is False
    # another organisation may not award or revoke college's badges
    for path in ("/organisations/club/badges/web/assertions", "/organisations/college/badges/web/assertions"):
        r = client.post(path, headers=keys["club"], json={"recipient": {"type": "email", "identity": EMAIL}})
        assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    assert client.post(f"/assertions/{a['id']}/revoke", headers=keys["club"], json={"reason": "x"}).status_code == 403
    # only the learner accepts
    me, other = learner(client, a["learner_id"]), learner(client, "se-1")
    assert client.post(f"/assertions/{a['id']}/accept", headers=other).status_code == 403
    assert client.post(f"/assertions/{a['id']}/accept", headers=keys["college"]).status_code == 403
    assert client.post(f"/assertions/{a['id']}/accept", headers=me).json()["status"] == "accepted"
    pf = client.get(f"/learners/{a['learner_id']}/portfolio", headers=me).json()
    assert pf["count"] == 1 and [c["cell_id"] for c in pf["cells"]] == ["knowledge.participation"]
    assert pf["cells"][0]["name"] == "Knowledge: Participation"
    assert client.get(f"/learners/{a['learner_id']}/portfolio", headers=other).status_code == 403
    # revoke: out of the portfolio, 410 at the hosted URL, still on record
    r = client.post(f"/assertions/{a['id']}/revoke", headers=keys["college"], json={"reason": "awarded in error"})
    assert r.status_code == 200 and r.json()["revocation_reason"] == "awarded in error"
    assert client.get(f"/learners/{a['learner_id']}/portfolio", headers=me).json()["count"] == 0
    hosted = client.get(f"/ob/v2/assertions/{a['id']}")
    assert hosted.status_code == 410 and hosted.json()["revoked"] is True
    assert client.post(f"/assertions/{a['id']}/accept", headers=me).status_code == 409
    assert client.get(f"/assertions/{a['id']}", headers=me).json()["status"] == "revoked"


def test_1000_awards_with_retries_make_exactly_1000(api, store: GraphStore) -> None:
    client, keys = api
    h = keys["college"]
    started = time.perf_counter()
    # 1,000 awards as 10 list requests of 100 (one statement each), each request sent twice
    for batch in range(10):
        body = [{"recipient": {"type": "email", "identity": f"learner{batch * 100 + i}@example.org"}}
                for i in range(100)]
        for attempt in range(2):
            r = client.post("/organisations/college/badges/web/assertions", json=body,
                            headers={**h, "Idempotency-Key": f"batch-{batch}"})
            assert r.status_code == (201 if attempt == 0 else 200) and r.json()["count"] == 100
            assert r.json()["created"] == (100 if attempt == 0 else 0)
    # and 100 of them retried one by one, 4 at a time, with the keys the list derived
    def retry(i: int) -> int:
        r = client.post("/organisations/college/badges/web/assertions",
                        json={"recipient": {"type": "email", "identity": f"learner{i}@example.org"}},
                        headers={**h, "Idempotency-Key": f"batch-{i // 100}:{i % 100}"})
        return r.status_code
    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(retry, range(0, 1000, 10)))
    elapsed = time.perf_counter() - started
    assert set(codes) == {200}
    assert store.read(queries.count_nodes(Label.ASSERTION)) == [{"n": 1000}]
    assert store.read(queries.COUNT_ASSERTION_PATHS) == [{"paths": 1000, "assertions": 1000}]
    print(f"\n1,000 awards + 1,100 retried ones over HTTP: {elapsed:.2f} s")


def test_recommender_stops_suggesting_held_badges(api_polling_hourly, store: GraphStore) -> None:
    # every award route makes this process's recommender apply the change before it answers
    client, keys = api_polling_hourly
    # a few learners who hold web and then app: app is what web-holders do next
    for i in range(6):
        for badge in ("web", "app"):
            a = award(client, keys["college"], badge, recipient={"type": "email", "identity": f"p{i}@example.org"})
            client.post(f"/assertions/{a['id']}/accept", headers=keys["admin"])
    a = award(client, keys["college"], "web")
    me = learner(client, a["learner_id"])
    client.post(f"/assertions/{a['id']}/accept", headers=me)
    nxt = [i["badge_id"] for i in client.get(f"/learners/{a['learner_id']}/next", headers=me).json()["items"]]
    assert nxt[0] == "app" and "web" not in nxt
    def offered() -> list[str]:
        return [i["badge_id"] for i in client.get(f"/learners/{a['learner_id']}/next", headers=me).json()["items"]]

    # awarded and awaiting the learner's answer: not offered as "next" (it is theirs to accept)
    b = award(client, keys["college"], "app")
    assert "app" not in offered()
    client.post(f"/assertions/{b['id']}/decline", headers=me)
    assert "app" in offered()  # declined: theirs to earn again
    client.post(f"/assertions/{b['id']}/accept", headers=me)
    assert "app" not in [i["badge_id"] for i in
                         client.get(f"/learners/{a['learner_id']}/next", headers=me).json()["items"]]
    client.post(f"/assertions/{b['id']}/revoke", headers=keys["college"], json={"reason": "mistake"})
    assert "app" in [i["badge_id"] for i in client.get(f"/learners/{a['learner_id']}/next", headers=me).json()["items"]]
    held = {r["badge_id"] for r in store.read(queries.LEARNER_PORTFOLIO,
                                              {"learner_id": a["learner_id"], "now": int(time.time())})}
    assert held == {"web"}


def test_verify_endpoint(api) -> None:
    client, keys = api
    a = award(client, keys["college"])
    token = client.get(f"/ob/v3/credentials/{a['id']}/jwt").text
    doc = client.get(f"/ob/v3/credentials/{a['id']}").json()
    hosted = client.get(f"/ob/v2/assertions/{a['id']}").json()
    for body in ({"jwt": token, "identity": EMAIL}, {"document": doc}, {"document": hosted},
                 {"url": f"{BASE}/ob/v2/assertions/{a['id']}"}):
        r = client.post("/verify", json=body)
        assert r.status_code == 200 and r.json()["valid"] is True, r.text
    for path, kind in ((f"/ob/v2/assertions/{a['id']}/baked.png", "image/png"),
                       (f"/ob/v2/assertions/{a['id']}/baked.svg", "image/svg+xml"),
                       (f"/ob/v3/credentials/{a['id']}/baked.png", "image/png"),
                       (f"/ob/v3/credentials/{a['id']}/baked.svg", "image/svg+xml")):
        image = client.get(path)
        assert image.status_code == 200 and image.headers["content-type"] == kind
        r = client.post(f"/verify?identity={EMAIL}", content=image.content, headers={"Content-Type": kind})
        assert r.json()["valid"] is True and r.json()["baked_in"] in ("png", "svg"), r.text
    r = client.post("/verify", content=token, headers={"Content-Type": "application/vc+jwt"})
    assert r.json()["valid"] is True
    doc["credentialSubject"]["achievement"]["name"] = "Forged"
    assert client.post("/verify", json={"document": doc}).json()["failed"] == ["signature"]
    assert client.post("/verify", json={"jwt": token, "url": "x"}).status_code == 422
    assert client.post("/verify", json={"url": "https://elsewhere.example/a"}).status_code == 422


def test_verify_takes_every_url_in_an_awards_links(api) -> None:
    client, keys = api
    a = award(client, keys["college"])
    formats = {"ob2": ("ob2-hosted", None), "ob3": ("ob3-data-integrity", None), "ob3_jwt": ("ob3-vc-jwt", None),
               "baked_png": ("ob2-hosted", "png"), "baked_svg": ("ob2-hosted", "svg")}
    assert set(a["links"]) == set(formats)
    for name, url in a["links"].items():
        r = client.post("/verify", json={"url": url, "identity": EMAIL})
        assert r.status_code == 200, (name, r.text)
        report = r.json()
        assert report["valid"] is True and (report["format"], report["baked_in"]) == formats[name], (name, report)
        assert report["assertion_id"] == a["id"], (name, report)
    for ext in ("png", "svg"):  # the OB 3.0 baked downloads too
        report = client.post("/verify", json={"url": f"{BASE}/ob/v3/credentials/{a['id']}/baked.{ext}"}).json()
        assert report["valid"] is True and (report["format"], report["baked_in"]) == ("ob3-vc-jwt", ext), report
    assert client.post("/verify", json={"url": f"{BASE}/ob/v2/badges/web"}).status_code == 422  # not an award


def _external_credential(email: str) -> str:
    key = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption())
    cred = OpenBadgeCredential(
        id="https://elsewhere.example/credentials/1",
        issuer=Issuer(id="https://elsewhere.example/issuer", name="Elsewhere"),
        recipient_id=None, identifiers=[IdentityObject.create(email, salt="pepper")],
        achievement=Achievement(id="https://elsewhere.example/achievements/first-aid", name="First Aid",
                                description="Knows first aid.", criteria_narrative="Pass the course."),
        issuance_date=datetime.now(UTC) - timedelta(days=3))
    return OB3Signer(key, algorithm="EdDSA").sign(cred)


def test_import_a_badge_earned_elsewhere(api, store: GraphStore) -> None:
    client, keys = api
    from colearn.openbadges.keys import KeyStore
    from colearn.service.learner_awards import learner_for_email

    # Sam, signed in with sam@example.org, is the learner that address names
    sam = learner_for_email("sam@example.org", KeyStore(client.app.state.settings.data_dir).recipient_pepper())
    store.write("MERGE (:Learner {id: $id})", {"id": sam})
    me = learner(client, sam)
    token = _external_credential("sam@example.org")
    r = client.post(f"/learners/{sam}/portfolio/imports", headers=me,
                    json={"credential": token, "identity": "sam@example.org"})
    assert r.status_code == 201 and r.json()["already_imported"] is False, r.text
    checks = {c["name"]: c["ok"] for c in r.json()["verification"]["checks"]}
    assert checks["recipient"] is True and checks["signature"] is None and checks["expiry"] is True
    pf = client.get(f"/learners/{sam}/portfolio", headers=me).json()
    assert pf["count"] == 1 and pf["cells"][0]["awards"][0]["name"] == "First Aid"
    # the same credential again: 200 with the award as stored, no second copy
    again = client.post(f"/learners/{sam}/portfolio/imports", headers=me,
                        json={"credential": token, "identity": "sam@example.org"})
    assert again.status_code == 200 and again.json()["already_imported"] is True, again.text
    assert {k: again.json()[k] for k in ("assertion_id", "badge_id", "verified")} == {
        k: r.json()[k] for k in ("assertion_id", "badge_id", "verified")}
    assert client.get(f"/learners/{sam}/portfolio", headers=me).json() == pf
    # someone else's badge, a tampered one, and another learner's import are refused
    assert client.post(f"/learners/{sam}/portfolio/imports", headers=me,
                       json={"credential": _external_credential("x@example.org"),
                             "identity": "sam@example.org"}).status_code == 422
    head, body, sig = token.split(".")
    forged = ".".join([head, body[:-4] + ("AAAA" if body[-4:] != "AAAA" else "BBBB"), sig])
    assert client.post(f"/learners/{sam}/portfolio/imports", headers=me,
                       json={"credential": forged, "identity": "sam@example.org"}).status_code == 422
    assert client.post(f"/learners/{sam}/portfolio/imports", headers=learner(client, "other"),
                       json={"credential": token, "identity": "sam@example.org"}).status_code == 403
    # a learner cannot import a badge awarded to an address that is not theirs, even into their own portfolio
    refused = client.post("/learners/se-1/portfolio/imports", headers=learner(client, "se-1"),
                          json={"credential": token, "identity": "sam@example.org"})
    assert refused.status_code == 403 and "not shown to be yours" in refused.text
    # an OB 2.0 assertion hosted elsewhere: recipient checked, hosting not (no network)
    salt = "s1"
    ob2 = {"@context": "https://w3id.org/openbadges/v2", "id": "https://elsewhere.example/assertions/9",
           "type": "Assertion", "issuedOn": "2025-05-01T10:00:00Z", "verification": {"type": "HostedBadge"},
           "recipient": {"type": "email", "hashed": True, "salt": salt,
                         "identity": issuing.identity_hash("sam@example.org", salt)},
           "badge": "https://elsewhere.example/badges/9"}
    r = client.post(f"/learners/{sam}/portfolio/imports", headers=keys["admin"],
                    json={"credential": ob2, "identity": "sam@example.org"})
    assert r.status_code == 201, r.text
    assert client.get(f"/learners/{sam}/portfolio", headers=me).json()["count"] == 2


def test_csv_award(api, store: GraphStore) -> None:
    client, keys = api
    text = "badge_id,email\nweb,a@example.org\ncoding,b@example.org\napp,\n"
    r = client.post("/organisations/college/assertions/csv?name=term1.csv", content=text,
                    headers={**keys["college"], "Content-Type": "text/csv"})
    # the file lands whole or not at all: two bad rows refuse it, each named by its line
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["line 3", "line 4"], r.text
    assert "nothing was awarded" in r.json()["detail"]
    assert store.read(queries.count_nodes(Label.ASSERTION)) == [{"n": 0}]
    fixed = "badge_id,email\nweb,a@example.org\n"
    r = client.post("/organisations/college/assertions/csv?name=term1.csv", content=fixed,
                    headers={**keys["college"], "Content-Type": "text/csv"})
    assert r.status_code == 201 and r.json()["created"] == 1 and r.json()["refused"] == []
    again = client.post("/organisations/college/assertions/csv?name=term1.csv", content=fixed,
                        headers={**keys["college"], "Content-Type": "text/csv"})
    assert again.status_code == 200 and again.json()["created"] == 0
    assert store.read(queries.count_nodes(Label.ASSERTION)) == [{"n": 1}]
    listed = client.post("/organisations/college/badges/web/assertions", headers=keys["college"],
                         json=[{"recipient": {"type": "email", "identity": "b@example.org"}},
                               {"recipient": {"type": "email", "identity": "c@example.org"}, "learner_id": "nobody"}])
    assert listed.status_code == 422 and [e["field"] for e in listed.json()["errors"]] == ["body.1"], listed.text
    assert "learner 'nobody' does not exist" in listed.json()["errors"][0]["message"]
    assert store.read(queries.count_nodes(Label.ASSERTION)) == [{"n": 1}]
    assert client.post("/organisations/college/assertions/csv", content=text,
                       headers={**keys["club"], "Content-Type": "text/csv"}).status_code == 403


def test_public_documents(api) -> None:
    client, keys = api
    a = award(client, keys["college"], "safety")
    for path in ("/ob/v2/issuers/college", "/ob/v2/issuers/college/key", "/ob/v2/issuers/college/revocations",
                 "/ob/v2/badges/safety", f"/ob/v2/assertions/{a['id']}", "/ob/v3/issuers/college",
                 "/ob/v3/achievements/safety", f"/ob/v3/credentials/{a['id']}", "/ob/spine/skills.demonstration"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert json.loads(r.text)
    assert client.get("/ob/v2/badges/safety/image.svg").text.startswith("<svg")
    assert client.get("/ob/v2/badges/safety/image.png").content.startswith(b"\x89PNG")
    assert client.get("/ob/v3/issuers/college/status/0").headers["content-type"].startswith("application/vc+jwt")
    assert client.get("/ob/v2/badges/nope").status_code == 404
    assert client.get("/ob/spine/nope.nope").status_code == 404


def test_verify_is_rate_limited_per_client(store: GraphStore, tmp_path: Path) -> None:
    """A burst of 2, then 429. The rate is one a minute: at 60 a minute a token came back each
    second, and on a loaded CI machine (Neo4j) two verifies took that long, so the third passed."""
    seed_issuing_city(store)
    app = create_app(Settings(data_dir=tmp_path, base_url=BASE, rate_limit_per_minute=1, rate_limit_burst=2),
                     store=store)
    with TestClient(app) as client:
        codes = [client.post("/verify", json={"url": f"{BASE}/ob/v2/assertions/nope"}).status_code for _ in range(3)]
    assert codes == [422, 422, 429]


def test_no_second_copy_of_a_badge_held_live(api) -> None:
    client, keys = api
    url = "/organisations/college/badges/web/assertions"
    first = client.post(url, json={"learner_id": "se-1"}, headers=keys["college"])
    assert first.status_code == 201 and first.json()["created"] is True and first.json()["detail"] is None
    again = client.post(url, json={"learner_id": "se-1"}, headers=keys["college"])
    assert again.status_code == 200, again.text
    body = again.json()
    assert (body["id"], body["created"]) == (first.json()["id"], False)
    assert "already holds badge 'web'" in body["detail"]
    # a retried Idempotency-Key answers its own award as before
    keyed = client.post(url, json={"recipient": {"type": "email", "identity": EMAIL}},
                        headers={**keys["college"], "Idempotency-Key": "k-dup"})
    assert keyed.status_code == 201
    retry = client.post(url, json={"recipient": {"type": "email", "identity": EMAIL}},
                        headers={**keys["college"], "Idempotency-Key": "k-dup"})
    assert (retry.status_code, retry.json()["id"], retry.json()["detail"]) == (200, keyed.json()["id"], None)
    # a list: the held item is answered with its award, the others land
    many = client.post(url, json=[{"learner_id": "se-1"}, {"recipient": {"type": "email", "identity": "bo@example.org"}},
                                  {"recipient": {"type": "email", "identity": EMAIL}}], headers=keys["college"])
    assert many.status_code == 201, many.text
    out = many.json()
    assert (out["count"], out["created"], out["refused"]) == (3, 1, [])
    assert [d["created"] for d in out["data"]] == [False, True, False]
    assert out["data"][0]["id"] == first.json()["id"] and out["data"][2]["id"] == keyed.json()["id"]
    # a CSV: likewise; all held answers 200
    csv = f"badge_id,url,email,learner_id\nweb,{BASE}/learners/se-1,,se-1\nweb,,bo@example.org,\n"
    r = client.post("/organisations/college/assertions/csv", content=csv,
                    headers={**keys["college"], "Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    assert [(d["id"], d["created"], "already holds" in d["detail"]) for d in r.json()["data"]] == [
        (first.json()["id"], False, True), (out["data"][1]["id"], False, True)]
    # revoked: the learner can be awarded the badge again
    client.post(f"/assertions/{first.json()['id']}/revoke", json={"reason": "error"}, headers=keys["college"])
    renewed = client.post(url, json={"learner_id": "se-1"}, headers=keys["college"])
    assert renewed.status_code == 201 and renewed.json()["id"] != first.json()["id"]


def test_a_dry_run_answers_a_new_award_as_unwritten_and_a_keyed_one_as_stored(api, store: GraphStore) -> None:
    """A dry run answered a would-be award with ``status: "issued"``, which reads as issued; it
    now has no status (it exists nowhere) and ``would_status`` "issued". A dry run whose key
    names an existing award answered the request's values (status issued, the request's
    issue date) where the real retry answers the stored award (here revoked, issued on
    another day); it now answers as the real retry does. Single and list forms alike."""
    client, keys = api
    url = "/organisations/college/badges/web/assertions"
    h = {**keys["college"], "Idempotency-Key": "dry-honest"}
    first = client.post(url, json={"learner_id": "se-1", "issued_on": "2026-01-05T10:00:00Z"}, headers=h)
    assert first.status_code == 201, first.text
    aid = first.json()["id"]
    assert client.post(f"/assertions/{aid}/revoke", json={"reason": "sent in error"},
                       headers=keys["college"]).status_code == 200
    retry = {"learner_id": "se-1", "issued_on": "2026-02-01T10:00:00Z"}
    dry = client.post(url + "?dry_run=true", json=retry, headers=h)
    [dry_item] = client.post(url + "?dry_run=true", json=[{**retry, "idempotency_key": "dry-honest"}],
                             headers=keys["college"]).json()["data"]
    real = client.post(url, json=retry, headers=h)
    assert dry.status_code == 200 and real.status_code == 200, (dry.text, real.text)
    assert (real.json()["id"], real.json()["status"], real.json()["issued_on"]) == (aid, "revoked",
                                                                                   "2026-01-05T10:00:00Z")
    shown = ("id", "badge_id", "learner_id", "status", "issued_on", "expires_on", "revocation_reason", "detail",
             "links")
    for answer in (dry.json(), dry_item):
        assert {f: answer[f] for f in shown} == {f: real.json()[f] for f in shown}, answer
        assert (answer["would_create"], answer["would_status"], answer["created"]) == (False, None, None)
    new = {"recipient": {"type": "email", "identity": "not-yet@example.org"}}
    one = client.post(url + "?dry_run=true", json=new, headers=keys["college"]).json()
    [listed] = client.post(url + "?dry_run=true", json=[new], headers=keys["college"]).json()["data"]
    for answer in (one, listed):
        assert (answer["status"], answer["would_status"], answer["would_create"], answer["created"]) == (
            None, "issued", True, None), answer
    assert one["dry_run"] is True
    assert client.get(f"/assertions/{one['id']}", headers=keys["college"]).status_code == 404


def test_dry_run_of_a_single_and_a_list_award_writes_nothing(api, store: GraphStore) -> None:
    """``?dry_run=true`` on the single and list forms answers what the award would be, as the
    CSV dry run does, and writes nothing: no assertion, no learner, no claim link (notice)."""
    client, keys = api
    url = "/organisations/college/badges/web/assertions?dry_run=true"
    held = client.post(url.split("?")[0], json={"learner_id": "se-1"}, headers=keys["college"]).json()
    count = f"MATCH (n) WHERE n:{Label.ASSERTION} OR n:{Label.ACCESS_TOKEN} OR n:{Label.LEARNER} RETURN count(n) AS n"
    before = store.read(count)[0]["n"]
    one = client.post(url, json={"recipient": {"type": "email", "identity": "new@example.org"}}, headers=keys["college"])
    assert one.status_code == 200, one.text
    assert (one.json()["dry_run"], one.json()["created"], one.json()["would_create"]) == (True, None, True)
    again = client.post(url, json={"learner_id": "se-1"}, headers=keys["college"]).json()
    assert (again["id"], again["would_create"], "already holds" in again["detail"]) == (held["id"], False, True)
    many = client.post(url, json=[{"learner_id": "se-1"}, {"recipient": {"type": "email", "identity": "x@example.org"}}],
                       headers=keys["college"])
    assert many.status_code == 200, many.text
    out = many.json()
    assert (out["dry_run"], out["created"], out["would_create"]) == (True, 0, 1)
    assert [(d["created"], d["would_create"]) for d in out["data"]] == [(None, False), (None, True)]
    assert store.read(count)[0]["n"] == before
