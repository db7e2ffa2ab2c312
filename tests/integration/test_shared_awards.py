"""What the public sees of an award after its learner or issuer acts: a declined award is
shared nowhere (HTML 404 page, hosted Open Badges documents 404), a withdrawn one has an
HTML 410 page, and the portfolio gives each award's real status."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from colearn.openbadges import images
from colearn.service.auth import issue_learner_token
from colearn.service.routers.ob import MEDIA_TYPES
from tests.integration import test_badge_pages as badge_pages
from tests.openbadges_builders import BASE

api = badge_pages.api  # the fixture: the learner city served, organisation and admin keys


def _award(client: TestClient, keys: dict) -> tuple[dict, dict]:
    r = client.post("/organisations/college/badges/web/assertions", headers=keys["college"],
                    json={"recipient": {"type": "email", "identity": "grace@example.org"},
                          "narrative": "Built the club's website"})
    assert r.status_code == 201, r.text
    award = r.json()
    me = {"Authorization": f"Bearer {issue_learner_token(client.app.state.token_secret, award['learner_id'])}"}
    return award, me


def _published(client: TestClient, aid: str) -> dict[str, int]:
    return {path: client.get(path).status_code for path in (
        f"/ob/v2/assertions/{aid}", f"/ob/v2/assertions/{aid}/baked.png", f"/ob/v3/credentials/{aid}",
        f"/ob/v3/credentials/{aid}/jwt")}


def _is_page(r, status: int) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    return r.text


def test_a_declined_award_is_shared_nowhere_until_accepted(api) -> None:
    client, keys = api
    award, me = _award(client, keys)
    aid = award["id"]
    assert client.get(f"/share/{aid}").status_code == 200
    assert set(_published(client, aid).values()) == {200}
    copy = client.get(f"/ob/v2/assertions/{aid}").json()  # copies kept before the decline
    ob3_copies = ({"jwt": client.get(f"/ob/v3/credentials/{aid}/jwt").text},
                  {"document": client.get(f"/ob/v3/credentials/{aid}").json()})
    for body in ({"document": copy}, *ob3_copies):
        assert client.post("/verify", json=body).json()["valid"] is True
    assert client.post(f"/assertions/{aid}/decline", headers=me).json()["status"] == "declined"
    page = _is_page(client.get(f"/share/{aid}"), 404)
    never = _is_page(client.get("/share/as-never-issued"), 404)
    assert page == never  # a decline looks like nothing was ever shared
    for gone in ("Web Foundations", "Built the club", "declined", "holder"):
        assert gone not in page, gone
    assert set(_published(client, aid).values()) == {404}
    # every public answer is the one an id never issued gets, with the id swapped
    for path in (*_published(client, aid), f"/ob/v2/assertions/{aid}/baked.svg",
                 f"/ob/v3/credentials/{aid}/baked.png"):
        declined, unknown = client.get(path), client.get(path.replace(aid, "as-never-issued"))
        assert declined.status_code == unknown.status_code == 404, path
        assert declined.json() == {**unknown.json(), "detail": unknown.json()["detail"].replace(
            "as-never-issued", aid)}, path
        assert "declined" not in declined.text, path
    for url in (f"{BASE}/ob/v2/assertions/{aid}", f"{BASE}/ob/v3/credentials/{aid}"):
        declined = client.post("/verify", json={"url": url})
        unknown = client.post("/verify", json={"url": url.replace(aid, "as-never-issued")})
        assert declined.status_code == unknown.status_code == 422, declined.text
        assert declined.text == unknown.text.replace("as-never-issued", aid), declined.text
    # the organisation and the learner still see the truth
    assert client.get(f"/assertions/{aid}", headers=keys["college"]).json()["status"] == "declined"
    verified = client.post("/verify", json={"document": copy}).json()
    assert verified["valid"] is False and "hosted" in verified["failed"], verified
    for body in ob3_copies:  # OB 3.0 copies fail the same way, their signature still good
        verified = client.post("/verify", json=body).json()
        assert verified["valid"] is False and verified["failed"] == ["hosted"], verified
        assert verified["assertion_id"] is None and "declined" not in json.dumps(verified), verified
    # the learner changes their mind: published again
    assert client.post(f"/assertions/{aid}/accept", headers=me).json()["status"] == "accepted"
    assert client.get(f"/share/{aid}").status_code == 200
    assert set(_published(client, aid).values()) == {200}
    assert all(client.post("/verify", json=body).json()["valid"] is True for body in ob3_copies)


def test_a_withdrawn_award_has_a_410_page(api) -> None:
    client, keys = api
    award, _ = _award(client, keys)
    aid = award["id"]
    token = client.get(f"/ob/v3/credentials/{aid}/jwt").text  # a copy kept before the withdrawal
    assert client.delete(f"/assertions/{aid}", headers=keys["college"]).status_code == 204
    verified = client.post("/verify", json={"jwt": token}).json()
    assert verified["valid"] is False and {"hosted", "revocation"} <= set(verified["failed"]), verified
    page = _is_page(client.get(f"/share/{aid}"), 410)
    assert "withdrawn" in page and "badge &#x27;&#x27;" not in page and "Built the club" not in page
    assert client.get(f"/ob/v2/assertions/{aid}").status_code == 410  # verifiers: revoked
    record = client.get(f"/assertions/{aid}", headers=keys["admin"]).json()
    assert (record["status"], record["badge_id"], record["learner_id"]) == ("revoked", None, None)


def test_a_revoked_award_keeps_its_page_saying_so(api) -> None:
    client, keys = api
    award, _ = _award(client, keys)
    assert client.post(f"/assertions/{award['id']}/revoke", headers=keys["college"],
                       json={"reason": "awarded in error"}).status_code == 200
    page = _is_page(client.get(f"/share/{award['id']}"), 200)
    assert "This badge was revoked: awarded in error." in page


def test_the_portfolio_gives_each_award_its_status(api) -> None:
    client, keys = api
    award, me = _award(client, keys)
    lid = award["learner_id"]
    before = client.get(f"/learners/{lid}/portfolio", headers=me).json()
    assert before["cells"] == [] and [(o["assertion_id"], o["status"]) for o in before["others"]] == [
        (award["id"], "issued")]
    client.post(f"/assertions/{award['id']}/accept", headers=me)
    after = client.get(f"/learners/{lid}/portfolio", headers=me).json()
    held = [(a["assertion_id"], a["status"]) for c in after["cells"] for a in c["awards"]]
    assert held and set(held) == {(award["id"], "accepted")} and after["others"] == []


def test_a_revoked_awards_baked_images_answer_as_the_documents_they_carry(api) -> None:
    client, keys = api
    award, _ = _award(client, keys)
    aid = award["id"]
    assert client.post(f"/assertions/{aid}/revoke", headers=keys["college"],
                       json={"reason": "awarded in error"}).status_code == 200
    # OB 3.0: the credential is still served (its status list carries the revocation), so is its baked image
    jwt_copy = client.get(f"/ob/v3/credentials/{aid}/jwt")
    assert jwt_copy.status_code == client.get(f"/ob/v3/credentials/{aid}").status_code == 200
    for ext in ("png", "svg"):
        baked = client.get(f"/ob/v3/credentials/{aid}/baked.{ext}")
        assert baked.status_code == 200 and baked.headers["content-type"].startswith(MEDIA_TYPES[ext]), baked.text
        assert images.unbake(baked.content)[1] == jwt_copy.text
        verified = client.post("/verify", content=baked.content, headers={"Content-Type": MEDIA_TYPES[ext]}).json()
        assert verified["valid"] is False and "revocation" in verified["failed"], verified
    # OB 2.0: the hosted assertion and its baked images answer 410 with the revocation
    for path in (f"/ob/v2/assertions/{aid}", f"/ob/v2/assertions/{aid}/baked.png"):
        gone = client.get(path)
        assert gone.status_code == 410 and gone.json()["revocationReason"] == "awarded in error", path
    # withdrawn: nothing is left to carry, both answer as the credential does
    assert client.delete(f"/assertions/{aid}", headers=keys["college"]).status_code == 204
    for path in (f"/ob/v3/credentials/{aid}", f"/ob/v3/credentials/{aid}/baked.png"):
        assert client.get(path).status_code == 404, path
