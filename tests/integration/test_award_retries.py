"""A retried idempotency key answers its own award as ``GET /assertions/{id}`` shows it:
a revoked one with its reason, a withdrawn one (``DELETE /assertions/{id}``) as withdrawn,
never a false refusal, in a single award, its dry run, a list and a CSV alike. An award
naming ``learner_id`` with a recipient of someone else is refused (422, naming the field).
A pathway completion's answer has its links, as any award published here.
(``colearn issue``: ``tests/integration/test_issuing_cli.py``.)"""

from __future__ import annotations

from fastapi.testclient import TestClient

from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from tests.integration import test_field_reports as field_reports
from tests.openbadges_builders import BASE

api = field_reports.api  # the fixture: the app on the issuing city, learner se-1

URL = "/organisations/college/badges/web/assertions"
CSV_URL = "/organisations/college/assertions/csv?name=fo-wd"
#: What an award's answer shares with ``GET /assertions/{id}``.
SHOWN = ("id", "badge_id", "learner_id", "status", "issued_on", "expires_on", "revocation_reason", "links")


def _email(identity: str, **more) -> dict:
    return {"recipient": {"type": "email", "identity": identity}, **more}


def _count(store: GraphStore) -> int:
    return store.read(queries.count_nodes(Label.ASSERTION))[0]["n"]


def _as_get(client: TestClient, keys: dict, answer: dict) -> None:
    """``answer`` (an award's answer) shows its award as ``GET /assertions/{id}`` does."""
    got = client.get(f"/assertions/{answer['id']}", headers=keys["admin"])
    assert got.status_code == 200, got.text
    assert {k: answer[k] for k in SHOWN} == {k: got.json()[k] for k in SHOWN}


def _csv(client: TestClient, keys: dict, text: str, dry_run: bool = False):
    return client.post(CSV_URL + ("&dry_run=true" if dry_run else ""), content=text,
                       headers={**keys["college"], "Content-Type": "text/csv"})


def test_a_retried_key_of_a_withdrawn_award_answers_it_as_withdrawn(api, store: GraphStore) -> None:
    client, keys = api
    h = {**keys["college"], "Idempotency-Key": "fo-wd-2"}
    first = client.post(URL, headers=h, json=_email("college.z@example.org"))
    assert first.status_code == 201, first.text
    aid = first.json()["id"]
    assert client.delete(f"/assertions/{aid}", headers=keys["college"]).status_code == 204
    before = _count(store)
    again = client.post(URL, headers=h, json=_email("college.z@example.org"))
    assert again.status_code == 200, again.text  # not 403 "not defined by"
    a = again.json()
    assert (a["id"], a["created"], a["status"], a["badge_id"], a["learner_id"]) == (aid, False, "revoked", None, None)
    assert "fo-wd-2" in a["detail"] and "withdrew" in a["detail"] and "nothing was awarded" in a["detail"], a
    _as_get(client, keys, a)
    preview = client.post(URL + "?dry_run=true", headers=h, json=_email("college.z@example.org"))
    assert preview.status_code == 200, preview.text  # not 409 "of another badge or learner"
    p = preview.json()
    assert (p["id"], p["would_create"], p["status"], p["dry_run"]) == (aid, False, "revoked", True)
    assert "withdrew" in p["detail"] and "nothing would be awarded" in p["detail"], p
    # a list: the withdrawn item answers its award, the other item its own
    lh = {**keys["college"], "Idempotency-Key": "fo-list"}
    items = [_email("a.one@example.org"), _email("a.two@example.org")]
    made = client.post(URL, headers=lh, json=items).json()["data"]
    assert client.delete(f"/assertions/{made[0]['id']}", headers=keys["college"]).status_code == 204
    for dry in (True, False):
        listed = client.post(URL + ("?dry_run=true" if dry else ""), headers=lh, json=items)
        assert listed.status_code == 200 and listed.json()["refused"] == [], listed.text
        data = listed.json()["data"]
        assert [(d["id"], d["status"]) for d in data] == [(made[0]["id"], "revoked"), (made[1]["id"], "issued")]
        assert "withdrew" in data[0]["detail"] and data[1]["detail"] is None
    assert _count(store) == before + 2


def test_the_same_csv_after_a_withdrawal_awards_nothing_and_refuses_nothing(api, store: GraphStore) -> None:
    client, keys = api
    text = "badge_id,email\nweb,one@example.org\nweb,two@example.org\n"
    first = _csv(client, keys, text)
    assert first.status_code == 201 and first.json()["created"] == 2, first.text
    ids = [d["id"] for d in first.json()["data"]]
    assert client.delete(f"/assertions/{ids[0]}", headers=keys["college"]).status_code == 204
    for dry in (True, False):
        again = _csv(client, keys, text, dry_run=dry)
        assert again.status_code == 200 and again.json()["refused"] == [], again.text
        body = again.json()
        assert (body["created"], body["dry_run"]) == (0, dry) and [d["id"] for d in body["data"]] == ids
        gone = body["data"][0]
        assert (gone["status"], gone["badge_id"], gone["learner_id"]) == ("revoked", None, None)
        assert "idempotency key 'fo-wd:2'" in gone["detail"] and "withdrew" in gone["detail"]
    assert _count(store) == 2


def test_a_retry_of_a_revoked_award_answers_as_get_does(api) -> None:
    client, keys = api
    h = {**keys["college"], "Idempotency-Key": "fo-rv-1"}
    first = client.post(URL, headers=h, json=_email("rev@example.org")).json()
    r = client.post(f"/assertions/{first['id']}/revoke", headers=keys["college"], json={"reason": "awarded in error"})
    assert r.status_code == 200, r.text
    again = client.post(URL, headers=h, json=_email("rev@example.org"))
    assert again.status_code == 200 and again.json()["created"] is False, again.text
    assert again.json()["revocation_reason"] == "awarded in error"
    _as_get(client, keys, again.json())
    listed = client.post(URL, headers={**keys["college"], "Idempotency-Key": "fo-rv"},
                         json=[_email("rev@example.org", idempotency_key="fo-rv-1")])
    assert listed.status_code == 200, listed.text
    _as_get(client, keys, listed.json()["data"][0])


def test_a_learner_id_with_a_recipient_of_someone_else_is_refused(api, store: GraphStore) -> None:
    client, keys = api
    other = _email("someone.else@example.org", learner_id="se-1")
    one = client.post(URL, headers=keys["college"], json=other)
    assert one.status_code == 422, one.text
    [error] = one.json()["errors"]
    assert error["field"] == "body.recipient.identity" and "does not identify learner 'se-1'" in error["message"]
    listed = client.post(URL, headers=keys["college"], json=[{"learner_id": "se-1"}, other])
    assert listed.status_code == 422 and [e["field"] for e in listed.json()["errors"]] == ["body.1"], listed.text
    assert "recipient.identity" in listed.json()["errors"][0]["message"]
    csv = _csv(client, keys, "badge_id,email,learner_id\nweb,someone.else@example.org,se-1\n")
    assert csv.status_code == 422 and [e["field"] for e in csv.json()["errors"]] == ["line 2"], csv.text
    assert "does not identify learner 'se-1'" in csv.json()["errors"][0]["message"]
    dry = client.post(URL + "?dry_run=true", headers=keys["college"], json=other)
    assert dry.status_code == 422, dry.text
    assert _count(store) == 0
    # a recipient that does identify the learner is accepted: its page, or the address it is of
    page = client.post(URL, headers=keys["college"],
                       json={"learner_id": "se-1", "recipient": {"type": "url", "identity": f"{BASE}/learners/se-1/"}})
    assert page.status_code == 201 and page.json()["learner_id"] == "se-1", page.text
    by_mail = client.post("/organisations/college/badges/app/assertions", headers=keys["college"],
                          json=_email("own@example.org")).json()
    own = client.post("/organisations/college/badges/safety/assertions", headers=keys["college"],
                      json=_email(" OWN@example.org", learner_id=by_mail["learner_id"]))
    assert own.status_code == 201 and own.json()["learner_id"] == by_mail["learner_id"], own.text


def test_a_completion_award_answers_its_links(api, store: GraphStore) -> None:
    client, keys = api
    store.write(queries.merge_nodes(Label.DESTINATION), {"rows": [{"id": "employment", "props": {"name": "Work"}}]})
    pathway = {"id": "web-path", "title": "Web", "organisation": "college", "destination": "employment",
               "steps": [{"title": "s1", "badges": ["web"]}], "completion_badge": "app", "status": "published"}
    assert client.post("/pathways", headers=keys["college"], json=pathway).status_code == 201
    step = client.post(URL, headers=keys["college"], json={"learner_id": "se-1"}).json()["id"]
    assert client.post(f"/assertions/{step}/accept", headers=keys["admin"]).status_code == 200
    done = client.post("/pathways/web-path/completions", headers=keys["admin"], json={"learner_id": "se-1"}).json()
    assert done["awarded"] is True, done
    got = client.get(f"/assertions/{done['assertion_id']}", headers=keys["admin"])
    assert got.status_code == 200 and got.json()["id"].startswith("pc-"), got.text
    links = got.json()["links"]
    assert links is not None, got.json()
    for name in ("ob2", "ob3", "ob3_jwt"):
        assert client.get(links[name].removeprefix(BASE)).status_code == 200, name

