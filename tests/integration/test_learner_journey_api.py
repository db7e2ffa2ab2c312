"""Learners get in without an operator, over the API: award notices with claim links,
sign-in by email, the learner's own profile, awards and pathways, claim codes, and
what stays private (raw emails never stored; another learner's things out of reach)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.graph.store import GraphStore
from colearn.service.app import create_app
from colearn.service.auth import create_key
from tests.learner_builders import link_token, outbox, seed_learner_city
from tests.openbadges_builders import BASE

EMAIL = "Ada.Lovelace@Example.org"


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict, Path]]:
    seed_learner_city(store)
    box = tmp_path / "outbox"
    app = create_app(Settings(data_dir=tmp_path, base_url=BASE, rate_limit_per_minute=0, mail_outbox=box),
                     store=store)
    with TestClient(app) as client:
        keys = {"college": {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret},
                "club": {"X-API-Key": create_key(store, "organisation", organisation_id="club").secret},
                "admin": {"X-API-Key": create_key(store, "admin").secret}}
        yield client, keys, box


def bearer(session: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}"}


def _award(client: TestClient, keys: dict, badge: str = "web", email: str = EMAIL, key: str | None = None) -> dict:
    headers = {**keys["college"], **({"Idempotency-Key": key} if key else {})}
    r = client.post(f"/organisations/college/badges/{badge}/assertions", headers=headers,
                    json={"recipient": {"type": "email", "identity": email}})
    assert r.status_code in (200, 201), r.text
    return r.json()


def test_award_notice_claim_link_signs_in_and_accepts(api, store: GraphStore) -> None:
    client, keys, box = api
    first = _award(client, keys, key="k1")
    _award(client, keys, key="k1")  # a retry sends nothing
    messages = outbox(box)
    assert len(messages) == 1 and messages[0]["To"] == EMAIL.lower()
    assert "Web Foundations" in messages[0]["Subject"]
    token = link_token(messages[0], "claim")
    view = client.post("/claims/view", json={"token": token}).json()
    assert (view["assertion_id"], view["badge_name"], view["issuer_name"], view["status"], view["signs_in"]) == (
        first["id"], "Web Foundations", "Brackenford College", "issued", True)
    assert client.post("/claims/view", json={"token": token}).status_code == 200  # viewing does not use it up
    r = client.post("/claims/accept", json={"token": token})
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "accepted" and done["learner_id"] == first["learner_id"]
    session = done["session"]
    pf = client.get(f"/learners/{done['learner_id']}/portfolio", headers=bearer(session)).json()
    assert [a["badge_id"] for c in pf["cells"] for a in c["awards"]] == ["web"]
    again = client.post("/claims/accept", json={"token": token})
    assert again.status_code == 409 and "already been used" in again.json()["detail"]
    assert client.post("/claims/view", json={"token": "x" * 43}).status_code == 401
    # the same address, in any case, later lands on the same learner
    second = _award(client, keys, badge="app", email="  ada.lovelace@example.ORG ")
    assert second["learner_id"] == first["learner_id"]
    token2 = link_token(outbox(box)[-1], "claim")
    assert client.post("/claims/decline", json={"token": token2}).json()["status"] == "declined"
    # the address itself is stored nowhere in the graph
    dump = repr(store.read("MATCH (n) RETURN properties(n) AS p"))
    assert "lovelace" not in dump.lower()


def test_an_award_to_a_named_learner_at_someone_elses_address_is_refused(api, store: GraphStore) -> None:
    """An award naming ``learner_id`` with an email that does not name that learner is
    refused (422 on the recipient) and sends no notice: before, it went to the learner
    while its notice, and the recipient it published, named the other address."""
    client, keys, box = api
    sent = len(outbox(box))
    r = client.post("/organisations/college/badges/web/assertions", headers=keys["college"],
                    json={"learner_id": "se-1", "recipient": {"type": "email", "identity": "sam@example.org"}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.recipient.identity", r.text
    assert len(outbox(box)) == sent


def _sign_in(client: TestClient, box: Path, email: str = EMAIL) -> dict:
    assert client.post("/signin/email", json={"email": email}).status_code == 202
    token = link_token(outbox(box)[-1], "signin")
    r = client.post("/signin/token", json={"token": token})
    assert r.status_code == 200, r.text
    assert client.post("/signin/token", json={"token": token}).status_code == 409
    return r.json()


def test_sign_in_profile_awards_and_pathways(api, store: GraphStore) -> None:
    client, keys, box = api
    awarded = _award(client, keys)
    session = _sign_in(client, box)
    assert session["learner_id"] == awarded["learner_id"] and session["expires_in"] == 15 * 60
    me = bearer(session)
    assert client.get("/me", headers=me).json()["themes"] == []
    r = client.patch("/me", headers=me, json={"themes": ["digital"], "destinations": ["employment"],
                                              "home_place": "north", "interests": "websites for my band"})
    assert r.status_code == 200 and r.json()["home_place"] == "north"
    assert client.get("/me", headers=me).json()["interests"] == "websites for my band"
    bad = client.patch("/me", headers=me, json={"themes": ["space"]})
    assert bad.status_code == 422 and "space" in bad.text
    pending = client.get("/me/awards", headers=me).json()
    assert [(a["assertion_id"], a["status"]) for a in pending["data"]] == [(awarded["id"], "issued")]
    assert client.post(f"/assertions/{awarded['id']}/accept", headers=me).json()["status"] == "accepted"
    assert client.get("/me/awards", headers=me).json()["count"] == 0
    # start a pathway: it appears with progress; organisations see counts
    assert client.post("/me/pathways", headers=me, json={"pathway_id": "into-web"}).status_code == 201
    assert client.post("/me/pathways", headers=me, json={"pathway_id": "into-web"}).status_code == 200
    mine = client.get("/me/pathways", headers=me).json()["data"]
    assert [(p["pathway_id"], p["steps_met"], p["steps_total"], p["completed"]) for p in mine] == [
        ("into-web", 1, 2, False)]
    assert mine[0]["next_step"]["badges"] == ["app"]  # and each named beside its id, as /next names them
    assert mine[0]["next_step"]["named_badges"] == [{"badge_id": "app", "name": "First Web App"}]
    uptake = client.get("/organisations/college/pathway-enrolments", headers=keys["college"]).json()
    assert uptake["data"] == [{"pathway_id": "into-web", "title": "Into web work",  # one learner: hidden (k = 5)
                               "started": {"learners": None, "suppressed": "primary"},
                               "completed": {"learners": 0, "suppressed": None}}]
    assert client.get("/organisations/college/pathway-enrolments", headers=keys["club"]).status_code == 403
    assert client.post("/me/pathways", headers=me, json={"pathway_id": "nope"}).status_code == 404
    # refresh: single use, rotated
    r = client.post("/signin/refresh", json={"refresh_token": session["refresh_token"]})
    assert r.status_code == 200 and r.json()["learner_id"] == session["learner_id"]
    assert client.post("/signin/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 409
    newer = r.json()
    assert client.post("/signin/out", headers=bearer(newer)).status_code == 204
    assert client.post("/signin/refresh", json={"refresh_token": newer["refresh_token"]}).status_code == 409
    # "me" is for learners only
    assert client.get("/me", headers=keys["admin"]).status_code == 403
    assert client.get("/me").status_code == 401


def test_first_sign_in_creates_the_learner_and_answers_alike(api, store: GraphStore) -> None:
    client, _, box = api
    a = client.post("/signin/email", json={"email": "new@example.org"})
    b = client.post("/signin/email", json={"email": "other@example.org"})
    assert a.json() == b.json() and a.status_code == b.status_code == 202
    session = _sign_in(client, box, "new@example.org")
    assert client.get("/me", headers=bearer(session)).json()["learner_id"] == session["learner_id"]
    assert client.post("/signin/email", json={"email": "not an address"}).status_code == 422


def test_sign_in_links_are_rate_limited_per_address(api) -> None:
    client, _, _ = api
    codes = [client.post("/signin/email", json={"email": "flood@example.org"}).status_code for _ in range(7)]
    assert codes[:5] == [202] * 5 and codes[5] == 429


def _code(client: TestClient, keys: dict, **body) -> dict:
    body = {"badge_id": "web", "opportunity_id": "open-day", "session": "Saturday 10:00",
            "valid_until": (datetime.now(UTC) + timedelta(hours=2)).isoformat(), "max_claims": 2, **body}
    r = client.post("/organisations/college/claim-codes", headers=keys["college"], json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_claim_codes(api, store: GraphStore) -> None:
    client, keys, box = api
    code = _code(client, keys)
    assert code["qr_svg"].startswith("<svg") and code["claim_url"].endswith(f"/redeem#code={code['code']}")
    ada, bo, cy = (bearer(_sign_in(client, box, f"{n}@example.org")) for n in ("ada", "bo", "cy"))
    r = client.post("/claim-codes/redeem", headers=ada, json={"code": code["code"].lower()})
    assert r.status_code == 201, r.text
    got = r.json()
    day = datetime.now(UTC).strftime("%d %B %Y")
    assert got["status"] == "accepted" and got["evidence"] == f"claimed with code at College open day (Saturday 10:00) on {day}"
    assert store.read("MATCH (a:Assertion {id: $id}) RETURN a.evidence_narrative AS e", {"id": got["assertion_id"]}) == [
        {"e": got["evidence"]}]
    twice = client.post("/claim-codes/redeem", headers=ada, json={"code": code["code"]})
    assert twice.status_code == 409 and "already claimed" in twice.json()["detail"]
    assert client.post("/claim-codes/redeem", headers=bo, json={"code": code["code"]}).status_code == 201
    full = client.post("/claim-codes/redeem", headers=cy, json={"code": code["code"]})
    assert full.status_code == 409 and "limit of 2" in full.json()["detail"]
    listed = client.get("/organisations/college/claim-codes", headers=keys["college"]).json()
    assert listed["count"] == 1 and listed["data"][0]["claims"] == 2 and "code" not in listed["data"][0]
    # expired and not yet valid
    past = _code(client, keys, valid_from=(datetime.now(UTC) - timedelta(days=2)).isoformat(),
                 valid_until=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    store.write("MATCH (c:ClaimCode {id: $id}) SET c.valid_until = $t",  # its window ended since
                {"id": past["id"], "t": int((datetime.now(UTC) - timedelta(days=1)).timestamp())})
    r = client.post("/claim-codes/redeem", headers=cy, json={"code": past["code"]})
    assert r.status_code == 409 and "expired" in r.json()["detail"]
    later = _code(client, keys, valid_from=(datetime.now(UTC) + timedelta(days=1)).isoformat(),
                  valid_until=(datetime.now(UTC) + timedelta(days=2)).isoformat())
    assert "can be claimed from" in client.post("/claim-codes/redeem", headers=cy, json={"code": later["code"]}).text
    # revoked
    live = _code(client, keys)
    assert client.post(f"/organisations/college/claim-codes/{live['id']}/revoke", headers=keys["club"]).status_code == 403
    assert client.post(f"/organisations/college/claim-codes/{live['id']}/revoke",
                       headers=keys["college"]).json()["revoked_on"]
    assert "withdrawn" in client.post("/claim-codes/redeem", headers=cy, json={"code": live["code"]}).text
    # unknown, malformed, another organisation's badge, and only learners redeem
    assert client.post("/claim-codes/redeem", headers=cy, json={"code": "AAAA-BBBB-CCCC"}).status_code == 404
    assert client.post("/claim-codes/redeem", headers=cy, json={"code": "abc"}).status_code == 422
    assert client.post("/organisations/college/claim-codes", headers=keys["college"], json={
        "badge_id": "coding", "opportunity_id": "open-day", "valid_until": "2099-01-01T00:00:00Z",
        "max_claims": 1}).status_code == 403
    assert client.post("/claim-codes/redeem", headers=keys["college"], json={"code": code["code"]}).status_code == 403


@pytest.mark.parametrize("window", [{"valid_until": -1}, {"valid_from": -3, "valid_until": -2},
                                    {"valid_from": 2, "valid_until": 2}])
def test_a_claim_code_made_already_expired_is_refused(api, window: dict) -> None:
    """A code whose ``valid_until`` has passed (or is not after ``valid_from``) answered 201:
    it could never be claimed. Now 422 naming ``body.valid_until``, and no code is made."""
    client, keys, _ = api
    now = datetime.now(UTC)
    body = {k: (now + timedelta(days=d)).isoformat() for k, d in window.items()}
    r = client.post("/organisations/college/claim-codes", headers=keys["college"],
                    json={"badge_id": "web", "opportunity_id": "open-day", "max_claims": 2, **body})
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["body.valid_until"], r.text
    assert client.get("/organisations/college/claim-codes", headers=keys["college"]).json()["count"] == 0


def test_claim_code_guessing_is_rate_limited(api) -> None:
    client, keys, box = api
    me = bearer(_sign_in(client, box, "guesser@example.org"))
    codes = [client.post("/claim-codes/redeem", headers=me, json={"code": f"AAAA-BBBB-{i:04d}"}).status_code
             for i in range(12)]
    assert codes[:10] == [404] * 10 and codes[10] == 429


def test_a_cut_off_link_token_is_refused_saying_so(api, store: GraphStore) -> None:
    """A claim or sign-in link's token cut off (or broken) by a mail program is refused as the
    pages refuse it, naming the field: 422 "This link is incomplete: copy the whole link from the
    mail." It was a bare 422 ("String should have at least 16 characters") when short, and 401
    (an unknown token) from 16 characters on. The whole token still works after."""
    client, keys, box = api
    _award(client, keys)
    claim = link_token(outbox(box)[-1], "claim")
    assert client.post("/signin/email", json={"email": EMAIL}).status_code == 202
    signin = link_token(outbox(box)[-1], "signin")
    for path, token in (("/claims/view", claim), ("/claims/accept", claim), ("/claims/decline", claim),
                        ("/signin/token", signin)):
        for cut in (token[:8], token[:30], token[:-1], token + "x", token[:-1] + "=", token[:20] + " " + token[21:]):
            r = client.post(path, json={"token": cut})
            assert r.status_code == 422, (path, cut, r.text)
            [error] = r.json()["errors"]
            assert error["field"] == "body.token" and error["message"].startswith(
                "This link is incomplete: copy the whole link from the mail."), (path, cut, error)
            assert "This link is incomplete" in r.json()["detail"]
    assert client.post("/claims/view", json={"token": claim}).status_code == 200
    assert client.post("/signin/token", json={"token": signin}).status_code == 200
    assert client.post("/claims/view", json={"token": "x" * 43}).status_code == 401  # whole, but no link's
