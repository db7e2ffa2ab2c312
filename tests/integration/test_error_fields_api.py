"""Every 422 carries ``errors: [{field, message}]``, each field spelt as the request
has it (``body.recipient.type``, ``query.q``, ``path``, ``line 1`` of a CSV), whichever
layer refused it: the body's model, the domain (``expires_on``), the store
(``valid_until``), the request guard or the CSV reader."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.service.app import create_app
from colearn.service.auth import create_key
from tests.openbadges_builders import BASE, seed_issuing_city

AWARD = "/organisations/college/badges/web/assertions"
ADA = {"type": "email", "identity": "ada@example.org"}


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    seed_issuing_city(store)
    app = create_app(Settings(data_dir=tmp_path, base_url=BASE, rate_limit_per_minute=0), store=store)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret}


def _fields(response) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return [e["field"] for e in response.json()["errors"]]


def test_an_award_body_error_names_the_field_of_the_shape_sent(api, store: GraphStore) -> None:
    """The route takes one award or a list: an error used to name both of the union's
    branches by their internal names (``body.function-after[_someone(), AwardCreate]
    .recipient.type`` and ``body.list[...]``)."""
    client, h = api
    one = client.post(AWARD, json={"recipient": {"type": "learner", "identity": "x"}}, headers=h)
    assert _fields(one) == ["body.recipient.type", "body.recipient.identity"], one.text
    assert "'email' or 'url'" in one.json()["errors"][0]["message"] and "list" not in one.text
    many = client.post(AWARD, json=[{"recipient": ADA}, {"recipient": ADA, "issued_on": "2026-01-01T10:00:00"}],
                       headers=h)
    assert _fields(many) == ["body.1.issued_on"], many.text
    assert _fields(client.post(AWARD, json={}, headers=h)) == ["body"]
    assert _fields(client.post(AWARD, json="ada", headers=h)) == ["body"]
    assert store.read(queries.count_nodes(Label.ASSERTION))[0]["n"] == 0


def test_fields_refused_below_the_route_carry_the_body_prefix(api) -> None:
    """``recipient.identity`` and ``expires_on`` (the domain's checks) and ``valid_until``
    (the store's) came back without the ``body.`` the model's own errors have."""
    client, h = api
    bad_address = client.post(AWARD, json={"recipient": {"type": "email", "identity": "not-an-address"}}, headers=h)
    assert _fields(bad_address) == ["body.recipient.identity"], bad_address.text
    backwards = client.post(AWARD, headers=h, json={"recipient": ADA, "issued_on": "2026-05-01T10:00:00Z",
                                                    "expires_on": "2026-04-01T10:00:00Z"})
    assert _fields(backwards) == ["body.expires_on"], backwards.text
    code = client.post("/organisations/college/claim-codes", headers=h, json={
        "badge_id": "web", "opportunity_id": "anything", "valid_from": "2026-05-01T10:00:00Z",
        "valid_until": "2026-04-01T10:00:00Z", "max_claims": 5})
    assert _fields(code) == ["body.valid_until"], code.text


def test_guard_and_csv_refusals_carry_errors(api) -> None:
    """A control character in the URL and a bad CSV header (or byte) answered 422
    with no ``errors`` at all."""
    client, h = api
    assert _fields(client.get("/badges/web%01", headers=h)) == ["path"]
    assert _fields(client.get("/badges", params={"limit": "5", "q": "a\x1fb"}, headers=h)) == ["query.q"]
    csv = {**h, "Content-Type": "text/csv"}
    header = client.post("/organisations/college/assertions/csv", content=b"badge,who\nweb,ada@example.org\n",
                         headers=csv)
    assert _fields(header) == ["line 1"] and "badge_id" in header.json()["errors"][0]["message"]
    byte = client.post("/organisations/college/assertions/csv", content=b"badge_id,email\nweb,\xff@x.example\n",
                       headers=csv)
    assert _fields(byte) == ["line 2"], byte.text


def test_query_fields_refused_below_the_route_carry_the_query_prefix(api) -> None:
    """``from`` (a day that is no day, or after ``to``) and the insights' ``group`` and
    ``layer`` were named bare, where a filter refused by ``check_filters`` reads ``query.theme``."""
    client, h = api
    awards = "/organisations/college/assertions"
    assert _fields(client.get(awards, params={"from": "2026-13-01"}, headers=h)) == ["query.from"]
    assert _fields(client.get(awards, params={"from": "2026-05-01", "to": "2026-01-01"}, headers=h)) == [
        "query.from"]
    assert _fields(client.get("/insights/issued", params={"to": "someday"}, headers=h)) == ["query.to"]
    assert _fields(client.get("/insights/issued", params={"by": "theme", "group": "zzz"}, headers=h)) == [
        "query.group"]
    assert _fields(client.get("/insights/spine", params={"layer": "zzz"}, headers=h)) == ["query.layer"]


def test_a_refusal_of_the_whole_request_names_its_body_or_query(api) -> None:
    """A refusal that names no field (a URL not published here, a document that is no
    Open Badge) still carries ``errors``: the body for a request with one."""
    client, _ = api
    assert _fields(client.post("/verify", json={"url": "https://example.org/x"})) == ["body"]
    assert _fields(client.post("/verify", json={"document": {"@context": "https://example.org/ctx"}})) == ["body"]


def test_a_body_that_is_not_json_is_named_as_such(api) -> None:
    """``curl -d '{...}'`` sends ``application/x-www-form-urlencoded``: a route that takes JSON
    answers 415 naming the media type to send, not a 422 about "a valid dictionary"; JSON that does
    not parse is a 422 on ``body`` that says where it breaks, not on ``body.0``."""
    client, key = api
    award = '{"recipient": {"type": "email", "identity": "ada@example.org"}}'
    for kind in ("application/x-www-form-urlencoded", "text/plain", "application/xml"):
        r = client.post(AWARD, content=award, headers={**key, "Content-Type": kind})
        assert r.status_code == 415, (kind, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "application/json" in r.json()["detail"] and kind in r.json()["detail"], r.text
    r = client.post(AWARD, content=award, headers={**key, "Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201, r.text  # JSON under any parameter still reads
    broken = client.post(AWARD, content='{"recipient": {"type": "email",, }}',
                         headers={**key, "Content-Type": "application/json"})
    assert _fields(broken) == ["body"]
    said = broken.json()["detail"]
    assert "not valid JSON" in said and "character 32" in said, said
    latin1 = client.post(AWARD, content='{"narrative": "caf\u00e9", "recipient": 1}'.encode("latin-1"),
                         headers={**key, "Content-Type": "application/json"})  # was 400 with no errors
    assert _fields(latin1) == ["body"]
    said = latin1.json()["errors"][0]["message"]
    assert "not valid JSON at byte 19" in said and "0xe9" in said and "UTF-8" in said, said


def test_messages_name_the_form_a_value_takes_not_a_pattern(api) -> None:
    """A URL or an email that does not have its form is told so in words, never with the regular
    expression that checks it; a validator's own message comes without pydantic's "Value error, "."""
    client, key = api
    r = client.patch("/organisations/college", json={"url": "not a url", "email": "nobody"}, headers=key)
    assert r.status_code == 422, r.text
    assert {e["field"]: e["message"] for e in r.json()["errors"]} == {
        "body.url": "must be an http:// or https:// URL, without spaces",
        "body.email": "'nobody' is not an email address: it needs exactly one @ (name@example.org)"}
    r = client.post(AWARD, json={"recipient": {"type": "email", "identity": "nobody"}}, headers=key)
    assert r.status_code == 422 and "^" not in r.text and "Value error" not in r.text, r.text


def test_every_time_in_a_body_lies_between_1970_and_2999(api, store: GraphStore) -> None:
    """A claim code took ``valid_from`` 1900-01-01 and ``valid_until`` 9999-12-31 (201)
    where an award refused them: every time a body carries keeps ``colearn.times``'s
    bounds, a 422 naming the field before anything is written."""
    client, h = api
    codes = "/organisations/college/claim-codes"
    code = {"badge_id": "web", "opportunity_id": "anything", "max_claims": 5}
    for field, value in (("valid_from", "1900-01-01T00:00:00Z"), ("valid_until", "9999-12-31T23:59:59Z")):
        body = {**code, "valid_from": "2026-05-01T10:00:00Z", "valid_until": "2026-06-01T10:00:00Z", field: value}
        r = client.post(codes, headers=h, json=body)
        assert _fields(r) == [f"body.{field}"], r.text
        assert "between 1970-01-01 and 2999-12-31" in r.json()["errors"][0]["message"], r.text
    for field, value in (("issued_on", "1969-12-31T23:59:59Z"), ("expires_on", "3000-01-01T00:00:00Z")):
        r = client.post(AWARD, headers=h, json=[{"recipient": ADA}, {"recipient": ADA, field: value}])
        assert _fields(r) == [f"body.1.{field}"], r.text
    opportunity = {"id": "late", "name": "Late", "organisation": "college", "mode": "online", "start": "2026-05-01",
                   "end": "9999-12-31"}
    assert _fields(client.post("/opportunities", headers=h, json=opportunity)) == ["body.end"]
    assert store.read(queries.count_nodes(Label.ASSERTION))[0]["n"] == 0
    assert client.get(codes, headers=h).json()["count"] == 0
