"""Every email field takes exactly one address (``records.fields.email_problem``): a
list, a display name, whitespace or a line break is refused with 422 naming the field,
and the mailer refuses to build a message to more than one address."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from colearn.graph.store import GraphStore
from colearn.mail import Message, OutboxMailer
from colearn.records.catalogue import OrganisationRecord
from colearn.service.auth import create_key
from tests.learner_builders import learner_client, outbox

NOT_ONE = ["x1@example.org,x2@example.net,x3@example.com", "x1@example.org;x2@example.net", "a@.", "a@b",
           "a\t@example.org", "a@example.org\r\nBcc: b@example.org", "Ada <ada@example.org>", "a@@example.org",
           "a@exa mple.org", "a@-example.org", "a@example..org", ".a@example.org"]


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict, Path]]:
    with learner_client(store, tmp_path) as (client, box):
        yield client, {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret}, box


def _fields(r) -> list[str]:
    return [e["field"] for e in r.json()["errors"]]


@pytest.mark.parametrize("address", NOT_ONE)
def test_sign_in_takes_one_address(api, address: str) -> None:
    client, _, box = api
    r = client.post("/signin/email", json={"email": address})
    assert r.status_code == 422, r.text
    assert _fields(r) == ["body.email"] and "email address" in r.json()["errors"][0]["message"]
    assert outbox(box) == []


def test_sign_in_still_takes_a_plain_address(api) -> None:
    client, _, box = api
    assert client.post("/signin/email", json={"email": " Ana.B+x@sub.exämple.org "}).status_code == 202
    [message] = outbox(box)
    assert message["To"] == "ana.b+x@sub.xn--exmple-cua.org"


@pytest.mark.parametrize("address", NOT_ONE)
def test_an_award_to_an_email_takes_one_address(api, address: str) -> None:
    client, college, box = api
    r = client.post("/organisations/college/badges/web/assertions", headers=college,
                    json={"recipient": {"type": "email", "identity": address}})
    assert r.status_code == 422, r.text
    assert "recipient.identity" in " ".join(_fields(r)) and "email address" in r.text
    assert outbox(box) == []


@pytest.mark.parametrize("address", ["a@example.org,b@example.org", "a@.", "a@example.org\nb"])
def test_an_organisation_contact_is_one_address(api, address: str) -> None:
    client, college, _ = api
    r = client.patch("/organisations/college", json={"email": address}, headers=college)
    assert r.status_code == 422 and _fields(r) == ["body.email"], r.text
    with pytest.raises(ValidationError, match="email address"):
        OrganisationRecord(id="college", name="College", kind="college", email=address)
    assert OrganisationRecord(id="college", name="College", kind="college", email="info@college.example").email


@pytest.mark.parametrize("to", ["a@example.org,b@example.org", "a@example.org\r\nBcc: b@example.org",
                                "Ada <a@example.org>, b@example.org"])
def test_the_mailer_never_sends_to_more_than_one_address(tmp_path: Path, to: str) -> None:
    box = OutboxMailer(tmp_path, "colearn <badges@city.example>")
    with pytest.raises(ValueError, match="not sent"):
        box.send(Message(to, "Your sign-in link", "a link"))
    assert box.messages() == []
