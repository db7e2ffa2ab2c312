"""Caps on award notices: no one can make the service mail without end. Per recipient address an
hour (``COLEARN_AWARD_NOTICES_PER_ADDRESS_HOUR``) and per organisation a day
(``COLEARN_AWARD_NOTICES_PER_ORGANISATION_DAY``). Over a cap the award is still made, its
notice is not sent, and the answer says so (``notice_held``, ``notices_held``). Before, six
rounds of award and revoke to one address put six notices in its inbox, and a 5,000-row CSV
sent 5,000 mails. A held notice is sent later on the issuer's request
(``POST /assertions/{id}/notice``), within the same caps; before, it was never sent."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.graph.store import GraphStore
from colearn.service.auth import create_key
from colearn.service.bulk_limits import NoticeCaps
from colearn.service.limits import BucketTable
from tests.learner_builders import learner_client, link_token, outbox

EMAIL = "mary@example.org"
AWARD = "/organisations/college/badges/web/assertions"


@pytest.fixture
def api(store: GraphStore, tmp_path: Path, request) -> Iterator[tuple[TestClient, Path, dict]]:
    settings = getattr(request, "param", {})
    with learner_client(store, tmp_path, **settings) as (client, box):
        yield client, box, {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret}


def _to(box: Path, address: str) -> int:
    return sum(m["To"] == address for m in outbox(box))


def test_one_address_gets_five_award_notices_an_hour(api) -> None:
    """The tester's case: award, revoke, award again (a new Idempotency-Key each time) six times."""
    client, box, college = api
    answers = []
    for i in range(6):
        r = client.post(AWARD, headers={**college, "Idempotency-Key": f"round-{i}"},
                        json={"recipient": {"type": "email", "identity": EMAIL}})
        assert r.status_code == 201, r.text
        answers.append(r.json())
        assert client.post(f"/assertions/{r.json()['id']}/revoke", headers=college,
                           json={"reason": "again"}).status_code == 200
    assert _to(box, EMAIL) == 5
    assert [a["notice_held"] for a in answers[:5]] == [None] * 5
    held = answers[5]["notice_held"]
    assert "this organisation has sent this address" in held and "COLEARN_AWARD_NOTICES_PER_ADDRESS_HOUR" in held, held
    # the held award was made all the same
    assert client.get(f"/assertions/{answers[5]['id']}", headers=college).json()["status"] == "revoked"
    # another address is not held back, and a list answer counts its held notices
    r = client.post(AWARD, headers=college, json=[{"recipient": {"type": "email", "identity": "ada@example.org"}},
                                                  {"recipient": {"type": "email", "identity": EMAIL}}])
    assert r.status_code == 201, r.text
    assert r.json()["notices_held"] == 1
    assert [a["notice_held"] is None for a in r.json()["data"]] == [True, False]
    assert _to(box, "ada@example.org") == 1 and _to(box, EMAIL) == 5


@pytest.mark.parametrize("api", [{"award_notices_per_organisation_day": 3}], indirect=True)
def test_an_organisation_over_its_daily_cap_awards_without_notices(api) -> None:
    client, box, college = api
    csv = "badge_id,email,key\n" + "".join(f"web,p{i}@example.org,k{i}\n" for i in range(5))
    r = client.post("/organisations/college/assertions/csv", content=csv,
                    headers={**college, "Content-Type": "text/csv"})
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["created"], out["notices_held"]) == (5, 2)
    assert len(outbox(box)) == 3
    held = [a["notice_held"] for a in out["data"]]
    assert held[:3] == [None] * 3
    assert all("this organisation" in h and "COLEARN_AWARD_NOTICES_PER_ORGANISATION_DAY" in h for h in held[3:])
    # a single award is held the same way; a retry (nothing new) is not a notice at all
    r = client.post(AWARD.replace("web", "app"), headers=college,
                    json={"recipient": {"type": "email", "identity": "p0@example.org"}})
    assert r.status_code == 201 and "this organisation" in r.json()["notice_held"], r.text
    again = client.post("/organisations/college/assertions/csv", content=csv,
                        headers={**college, "Content-Type": "text/csv"})
    assert again.status_code == 200 and again.json()["notices_held"] == 0, again.text
    assert len(outbox(box)) == 3


def test_notice_caps_are_counted_once_for_forked_workers() -> None:
    """``colearn serve --workers N`` forks after making the ``BucketTable``: notices a child
    process sent count in the parent too, per address and per organisation."""
    caps = NoticeCaps(per_address_hour=2, per_organisation_day=3, table=BucketTable())
    pid = os.fork()
    if pid == 0:  # the child sends two notices to one address
        ok = caps.hold("college", EMAIL) is None and caps.hold("college", EMAIL.upper()) is None
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert "this organisation has sent this address" in (caps.hold("college", EMAIL) or "")
    assert caps.hold("college", "ada@example.org") is None  # the organisation's third
    assert "this organisation" in (caps.hold("college", "grace@example.org") or "")
    assert caps.hold("club", "grace@example.org") is None
    # the address's cap is per organisation: another organisation may still mail it, and is told
    # nothing of the college's notices
    assert caps.hold("club", EMAIL) is None
    # an hour later the address has its allowance back
    hourly = NoticeCaps(per_address_hour=1, per_organisation_day=100, table=BucketTable())
    start = time.monotonic()
    assert hourly.hold("college", EMAIL, now=start) is None
    assert "this organisation has sent this address" in (hourly.hold("college", EMAIL, now=start) or "")
    assert hourly.hold("college", EMAIL, now=start + 3600) is None


@pytest.mark.parametrize("api", [{"award_notices_per_organisation_day": 1}], indirect=True)
def test_a_held_notice_is_sent_later_on_request_to_the_address_the_award_was_made_to(api, store) -> None:
    client, box, college = api
    first = client.post(AWARD, headers=college, json={"recipient": {"type": "email", "identity": "ada@example.org"}})
    r = client.post(AWARD, headers=college, json={"recipient": {"type": "email", "identity": EMAIL}})
    assert first.json()["notice_held"] is None and "POST /assertions/{id}/notice" in r.json()["notice_held"], r.text
    held = r.json()["id"]
    notice = f"/assertions/{held}/notice"
    assert _to(box, EMAIL) == 0

    # only the address it was made to (its salted hash is all that is kept), case and spaces aside
    wrong = client.post(notice, headers=college, json={"email": "ada@example.org"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "body.email", wrong.text
    assert f"is not the address assertion '{held}' was made to" in wrong.json()["detail"]
    # the organisation's daily cap still holds it: 429 with when to ask again, nothing sent
    capped = client.post(notice, headers=college, json={"email": " Mary@Example.org "})
    assert capped.status_code == 429 and 0 < int(capped.headers["Retry-After"]) <= 86400, capped.text
    assert "notice not sent: this organisation has had 1 award notices" in capped.json()["detail"]
    assert _to(box, EMAIL) == 0
    # another organisation's key, a partner's, the learner's: not theirs to send
    club = {"X-API-Key": create_key(store, "organisation", organisation_id="club").secret}
    assert client.post(notice, headers=club, json={"email": EMAIL}).status_code == 403

    # a day later (a new allowance): sent, with a claim link that shows and accepts the award
    client.app.state.notice_caps = NoticeCaps(per_address_hour=5, per_organisation_day=1)
    sent = client.post(notice, headers=college, json={"email": " Mary@Example.org "})
    assert sent.status_code == 200 and sent.json()["sent"] is True, sent.text
    assert _to(box, EMAIL) == 1
    token = link_token([m for m in outbox(box) if m["To"] == EMAIL][0], "claim")
    view = client.post("/claims/view", json={"token": token})
    assert view.status_code == 200 and view.json()["assertion_id"] == held, view.text
    assert client.post("/claims/accept", json={"token": token}).json()["status"] == "accepted"
    # answered: no notice is sent for it again
    again = client.post(notice, headers=college, json={"email": EMAIL})
    assert again.status_code == 409 and f"assertion '{held}' is accepted" in again.json()["detail"], again.text


def test_an_award_made_to_a_learner_id_has_no_address_to_send_a_notice_to(api) -> None:
    client, box, college = api
    r = client.post(AWARD, headers=college, json={"learner_id": "se-1"})
    assert r.status_code == 201, r.text
    refused = client.post(f"/assertions/{r.json()['id']}/notice", headers=college, json={"email": EMAIL})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.email", refused.text
    assert client.post("/assertions/no-such-award/notice", headers=college, json={"email": EMAIL}).status_code == 404
    assert outbox(box) == []
