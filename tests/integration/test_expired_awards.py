"""An expired award is shown and flagged as expired everywhere a learner meets it, by one
rule (``awards.is_expired``, what ``GET /assertions/{id}`` says): ``GET /me/awards`` and
the portfolio's ``others`` carry ``expired``, the share page says since when, and the
award notice of an award made already expired says so."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.graph.store import GraphStore
from colearn.service.auth import create_key
from tests.learner_builders import learner_client, link_token, outbox

EMAIL = "mary@example.org"


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict, Path]]:
    with learner_client(store, tmp_path) as (client, box):
        yield client, {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret}, box


def _award(client: TestClient, key: dict, issued: datetime, expires: datetime) -> dict:
    r = client.post("/organisations/college/badges/web/assertions", headers=key,
                    json={"recipient": {"type": "email", "identity": EMAIL}, "issued_on": issued.isoformat(),
                          "expires_on": expires.isoformat()})
    assert r.status_code == 201, r.text
    return r.json()


def test_an_award_made_expired_is_flagged_in_the_notice_the_api_and_the_share_page(api) -> None:
    client, key, box = api
    now = datetime.now(UTC)
    expires = now - timedelta(days=1)
    award = _award(client, key, now - timedelta(days=10), expires)
    assert award["expired"] is True
    day = expires.strftime("%d %B %Y")
    text = outbox(box)[-1].get_body(("plain",)).get_content()
    assert f"It expired on {day}" in text, text
    done = client.post("/claims/accept", json={"token": link_token(outbox(box)[-1], "claim")}).json()
    me = {"Authorization": f"Bearer {done['session']['access_token']}"}
    assert client.get(f"/assertions/{award['id']}", headers=me).json()["expired"] is True
    mine = client.get("/me/awards", headers=me).json()["data"]
    assert [(a["assertion_id"], a["status"], a["expired"]) for a in mine] == [(award["id"], "accepted", True)]
    pf = client.get(f"/learners/{done['learner_id']}/portfolio", headers=me).json()
    assert pf["cells"] == [] and [(o["assertion_id"], o["expired"]) for o in pf["others"]] == [(award["id"], True)]
    page = client.get(f"/share/{award['id']}").text
    assert f'<p class="message error" role="status">This badge expired on {day}.</p>' in page, page
    assert 'data-expired="true"' in page


def test_a_live_award_is_not_flagged_and_its_notice_says_until_when(api) -> None:
    client, key, box = api
    now = datetime.now(UTC)
    expires = now + timedelta(days=300)
    award = _award(client, key, now - timedelta(days=1), expires)
    assert award["expired"] is False
    text = outbox(box)[-1].get_body(("plain",)).get_content()
    assert f"It is valid until {expires.strftime('%d %B %Y')}" in text and "expired" not in text
    page = client.get(f"/share/{award['id']}").text
    assert "This badge expired" not in page and 'data-expired="false"' in page
