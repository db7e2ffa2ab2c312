"""Field reports R17, R18, R19 once more, each through every reader (POST /verify,
the portfolio import, ``ingest openbadges``): OB 2.0 signed badges recognised by
what they are (any IRI as a signed Assertion's id, no @context or OB 1.x's
``verify``, a line-wrapped compact JWS, the JWS JSON serialisation refused
clearly), impossible dates refused by the one date rule, the date fields an
OB 3.0 credential used named, an Assertion stripped down after revocation
reported revoked, and an OB 3.0 salt that is not a string refused by all."""

from __future__ import annotations

import copy
import json
from typing import Any

import jwt
import pytest

from colearn.ingest.openbadges import parse_openbadges_document
from colearn.openbadges.recognise import is_revoked_stub
from tests.integration import test_field_reports as field_reports
from tests.integration.test_field_reports import EMAIL, _rsa_jws, _write, check, import_, load, refused_field, verify
from tests.integration.test_field_reports_ingest import _ingest_refusal
from tests.openbadges_builders import BASE

api = field_reports.api  # the fixture: the app on a seeded city


def signed_payload(**changes: Any) -> dict[str, Any]:
    """The R18 signed Assertion (another issuer's key), with ``changes``."""
    return {**load("r18-signed-ob2.json"), **changes}


def jwt_verify(client, token: str, identity: str | None = EMAIL) -> dict[str, Any]:
    r = client.post("/verify", json={"jwt": token, "identity": identity})
    assert r.status_code == 200, r.text
    return r.json()


# ---------------------------------------------------------------- R18: a signed badge's id


@pytest.mark.parametrize("iri", ["urn:uuid:5b8a8b5e-4f0b-4d8e-9f7e-2d7c1a0b3c4d",
                                 "URN:UUID:5B8A8B5E-4F0B-4D8E-9F7E-2D7C1A0B3C4E",
                                 "tag:issuer.example,2024:assertions/7"])
def test_a_signed_badges_id_may_be_any_absolute_iri_a_hosted_ones_is_http(api, iri) -> None:
    client, keys = api
    token = _rsa_jws(signed_payload(id=iri))
    rep = jwt_verify(client, token)
    assert rep["format"] == "ob2-signed" and check(rep, "format")["ok"] is True, rep
    assert check(rep, "signature")["code"] == "ob2-signed-unverifiable"
    r = import_(client, keys, token)
    assert r.status_code == 201, r.text
    assert r.json()["verified"] is False
    # a hosted Assertion with the same id is still refused: it is fetched from its id (OB 2.0 HostedBadge)
    doc = {**load("r06-sha256-upper.json"), "id": iri}
    fmt = check(verify(client, doc), "format")
    assert fmt["ok"] is False and "$.id" in fmt["detail"], fmt
    assert import_(client, keys, doc).status_code == 422
    # and a signed one's id is still an IRI
    rep = jwt_verify(client, _rsa_jws(signed_payload(id="not an iri")))
    assert check(rep, "format")["ok"] is False and "$.id" in check(rep, "format")["detail"]


# ---------------------------------------------------------------- R18: recognised by what it is


def _ob1(payload: dict[str, Any], context: str | None) -> dict[str, Any]:
    """``payload`` as OB 1.x wrote it: ``verify`` (type signed, the key's url) for
    ``verification``, and the v1 context or none (OB 1.0)."""
    out = {k: v for k, v in payload.items() if k not in ("@context", "verification")}
    out["verify"] = {"type": "signed", "url": "https://issuer.example/keys/1.pem"}
    return {**out, "@context": context} if context else out


@pytest.mark.parametrize("make", [
    lambda p: {k: v for k, v in p.items() if k != "@context"},
    lambda p: _ob1(p, "https://w3id.org/openbadges/v1"),
    lambda p: _ob1(p, None),
    lambda p: {k: v for k, v in p.items() if k not in ("@context", "verification")},  # recipient + badge
], ids=["ob2-without-context", "ob1.1-verify", "ob1.0-verify", "recipient-and-badge"])
def test_a_signed_badge_without_the_ob2_context_is_not_read_as_ob3(api, make) -> None:
    client, keys = api
    token = _rsa_jws(make(signed_payload()))
    rep = jwt_verify(client, token)
    assert rep["format"] == "ob2-signed", rep
    fmt = check(rep, "format")
    assert fmt["ok"] is False and "@context" in fmt["detail"] and "OpenBadgeCredential" not in fmt["detail"], fmt
    assert check(rep, "recipient")["ok"] is True
    assert import_(client, keys, token).status_code == 422


def test_an_ob1_signed_badge_names_its_key_by_verify_url(api) -> None:
    client, _ = api
    rep = jwt_verify(client, _rsa_jws(_ob1(signed_payload(), "https://w3id.org/openbadges/v1")))
    sig = check(rep, "signature")
    assert sig["ok"] is None and sig["code"] == "ob2-signed-unverifiable" and "keys/1.pem" in sig["detail"], sig
    assert "Open Badges 1.x" in check(rep, "format")["detail"]


def _wrapped(token: str, width: int, sep: str) -> str:
    return sep.join(token[i:i + width] for i in range(0, len(token), width))


@pytest.mark.parametrize(("width", "sep"), [(40, "\n"), (64, "\r\n"), (76, " "), (17, "\n\t")])
def test_a_line_wrapped_compact_jws_is_read(api, width, sep) -> None:
    client, keys = api
    token = _rsa_jws(signed_payload(id=f"urn:uuid:00000000-0000-4000-8000-0000000000{width}"))
    wrapped = _wrapped(token, width, sep)
    rep = jwt_verify(client, wrapped)
    assert rep["format"] == "ob2-signed" and check(rep, "format")["ok"] is True, rep
    assert check(rep, "recipient")["ok"] is True
    r = client.post("/verify", content=wrapped, headers={"Content-Type": "application/jwt"},
                    params={"identity": EMAIL})
    assert r.status_code == 200 and r.json()["format"] == "ob2-signed", r.text
    # the import reads the wrapped token as verify did (it answered 500: the JWT decoder refused the line breaks)
    imported = import_(client, keys, wrapped)
    assert imported.status_code == 201 and imported.json()["verified"] is False, imported.text


def test_a_url_two_parsers_read_apart_fails_the_format_check(api) -> None:
    """``https://evil.example\\@issuer.example/...``: Python's parser reads the host as
    issuer.example, a browser's (WHATWG) as evil.example; every URL member is checked."""
    client, keys = api
    doc = load("r06-sha256-upper.json")
    for where, bad in (("evidence", "https://evil.example\\@issuer.example/evidence/1"),
                       ("id", "https://evil.example\\@issuer.example/assertions/bs")):
        fmt = check(verify(client, {**doc, where: bad}), "format")
        assert fmt["ok"] is False and f"$.{where}" in fmt["detail"], (where, fmt)
        assert import_(client, keys, {**doc, where: bad}).status_code == 422


def test_a_line_wrapped_jws_under_our_key_verifies(api) -> None:
    client, keys = api
    r = client.post("/organisations/college/badges/web/assertions", headers=keys["college"],
                    json={"recipient": {"type": "email", "identity": EMAIL}})
    assert r.status_code == 201
    payload = signed_payload(verification={"type": "SignedBadge", "creator": f"{BASE}/ob/v2/issuers/college/key"})
    token = jwt.encode(payload, client.app.state.ob_keys.issuer_key("college").private_pem, algorithm="EdDSA")
    rep = jwt_verify(client, _wrapped(token, 30, "\n"))
    assert check(rep, "signature")["ok"] is True, rep
    # an OB 3.0 VC-JWT of ours is still one, wrapped or not
    award = client.post("/organisations/college/badges/web/assertions", headers=keys["college"],
                        json={"recipient": {"type": "email", "identity": "other@example.org"}}).json()
    vc = client.get(f"/ob/v3/credentials/{award['id']}/jwt").text
    rep = jwt_verify(client, _wrapped(vc, 50, "\n"), identity=None)
    assert rep["format"] == "ob3-vc-jwt" and check(rep, "signature")["ok"] is True, rep


def _json_serialisations(token: str) -> list[dict[str, Any]]:
    h, p, s = token.split(".")
    return [{"protected": h, "payload": p, "signature": s},  # flattened (RFC 7515 section 7.2.2)
            {"payload": p, "signatures": [{"protected": h, "signature": s}]}]  # general (section 7.2.1)


def test_a_jws_json_serialisation_is_refused_saying_what_to_send(api) -> None:
    client, keys = api
    for doc in _json_serialisations(_rsa_jws(signed_payload())):
        for r in (client.post("/verify", json={"document": doc, "identity": EMAIL}),
                  client.post("/verify", content=json.dumps(doc), headers={"Content-Type": "application/jose+json"}),
                  import_(client, keys, doc)):
            assert r.status_code == 422, r.text
            detail = r.json()["detail"]
            assert "OB 2.0 signed badge" in detail and "JSON serialisation" in detail, detail
            assert "compact" in detail and "names neither" not in detail


# ---------------------------------------------------------------- R19: impossible dates, one rule


@pytest.mark.parametrize(("fld", "value"), [
    ("expires", "2024-02-30T00:00:00Z"), ("expires", "2025-13-01T00:00:00Z"), ("expires", "2025-01-01T24:00:00Z"),
    ("expires", "2025-01-01T23:59:60Z"), ("expires", "2025-01-01T00:00:00+24:00"), ("expires", "2025-04-31T00:00:00Z"),
    ("issuedOn", "2030-02-30T00:00:00Z"), ("issuedOn", "2023-02-29T00:00:00Z"),
])
def test_an_impossible_date_is_refused_by_all_naming_the_field(api, store, tmp_path, fld, value) -> None:
    client, keys = api
    doc = load("r06-sha256-upper.json")
    doc[fld] = value
    rep = verify(client, doc)
    fmt = check(rep, "format")
    assert fmt["ok"] is False and f"$.{fld}" in fmt["detail"] and "not a real date" in fmt["detail"], fmt
    assert check(rep, "expiry")["ok"] is not True and rep["valid"] is False
    r = import_(client, keys, doc)
    assert r.status_code == 422 and value in r.text, r.text
    assert refused_field(tmp_path, doc).field == fld
    assert value in _ingest_refusal(store, tmp_path, client, doc)
    # a signed badge by the same rule
    signed = jwt_verify(client, _rsa_jws(signed_payload(**{fld: value})))
    assert check(signed, "format")["ok"] is False and f"$.{fld}" in check(signed, "format")["detail"]


# ---------------------------------------------------------------- R19: the fields an OB 3.0 credential used


def _vcdm11(**dates: str) -> dict[str, Any]:
    doc = load("r16-ed25519signature2020.json")
    doc.pop("validFrom")
    return {**doc, **dates}


@pytest.mark.parametrize(("dates", "fld", "absent"), [
    ({"issuanceDate": "2030-01-01T00:00:00Z"}, "issuanceDate", "validFrom"),
    ({"issuanceDate": "2024-01-01T00:00:00Z", "expirationDate": "2023-06-01T00:00:00Z"}, "expirationDate",
     "validUntil"),
    ({"validFrom": "2024-01-01T00:00:00Z", "expirationDate": "2023-06-01T00:00:00Z"}, "expirationDate",
     "validUntil"),
])
def test_the_ob3_date_fields_named_are_the_documents(api, tmp_path, dates, fld, absent) -> None:
    client, keys = api
    doc = _vcdm11(**dates)
    exp = check(verify(client, doc), "expiry")
    assert exp["ok"] is False and f"'{fld}'" in exp["detail"] and f"'{absent}'" not in exp["detail"], exp
    assert refused_field(tmp_path, doc).field == fld
    r = import_(client, keys, doc)
    assert r.status_code == 422 and f"'{fld}'" in r.text, r.text
    # the VCDM 2.0 names where the document uses them
    mixed = _vcdm11(issuanceDate="2024-01-01T00:00:00Z", validUntil="2023-06-01T00:00:00Z")
    assert "'validUntil'" in check(verify(client, mixed), "expiry")["detail"]
    assert refused_field(tmp_path, mixed).field == "validUntil"


# ---------------------------------------------------------------- R17: stripped down after revocation


@pytest.mark.parametrize("extra", [{}, {"type": "Assertion"}])
def test_an_assertion_stripped_down_after_revocation_is_reported_revoked(api, store, tmp_path, extra) -> None:
    client, keys = api
    doc = {"id": "https://issuer.example/assertions/9", "revoked": True, "revocationReason": "Issued in error",
           **extra}
    with_context = {**doc, "@context": "https://w3id.org/openbadges/v2"}  # reported so before: the same answer
    assert check(verify(client, with_context, None), "revocation")["code"] == "revoked"
    r = client.post("/verify", json={"document": doc})
    assert r.status_code == 200, r.text
    rep = r.json()
    rev = check(rep, "revocation")
    assert rev["ok"] is False and rev["code"] == "revoked" and "Issued in error" in rev["detail"], rep
    assert check(rep, "format")["ok"] is True and rep["valid"] is False
    assert import_(client, keys, doc).status_code == 422
    assert is_revoked_stub(doc)
    if "type" not in doc:  # ingest names it by the same rule
        assert "stripped down after revocation" in refused_field(tmp_path, doc).detail
    no_reason = {k: v for k, v in doc.items() if k != "revocationReason"}
    assert "no reason given" in check(verify(client, no_reason, None), "revocation")["detail"]


def test_other_fragments_are_not_taken_for_a_revoked_assertion(api, tmp_path) -> None:
    client, _ = api
    for doc in ({"revoked": True}, {"id": "https://issuer.example/assertions/9", "revoked": True, "recipient": {}},
                {"id": "https://issuer.example/assertions/9", "revoked": False},
                {"id": "https://issuer.example/assertions/9", "revoked": "true"}):
        assert not is_revoked_stub(doc)
        assert client.post("/verify", json={"document": doc}).status_code == 422
        assert "stripped down" not in refused_field(tmp_path, doc).detail, doc


# ---------------------------------------------------------------- OB 3.0 salt: one rule


@pytest.mark.parametrize("salt", [12345, 1.5, True, ["s4lt"], {"v": "s4lt"}])
def test_an_ob3_salt_that_is_not_a_string_is_refused_by_all(api, store, tmp_path, salt) -> None:
    client, keys = api
    doc = load("r16-ed25519signature2020.json")
    doc["credentialSubject"]["identifier"][0]["salt"] = salt
    fmt = check(verify(client, doc), "format")
    assert fmt["ok"] is False and "$.credentialSubject.identifier[0].salt" in fmt["detail"], fmt
    r = import_(client, keys, doc)
    assert r.status_code == 422 and "salt" in r.text, r.text
    assert refused_field(tmp_path, doc).field.endswith("salt")
    assert "salt" in _ingest_refusal(store, tmp_path, client, copy.deepcopy(doc))
    # null is no salt (OB 2.0 errata, the IdentityHash rule of colearn.identity)
    doc["credentialSubject"]["identifier"][0].update(salt=None, identityHash="sha256$" + "0" * 64)
    assert check(verify(client, doc), "format")["ok"] is True
    assert parse_openbadges_document(_write(tmp_path, doc)).assertions
