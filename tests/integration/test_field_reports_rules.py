"""More field reports, each through every reader (POST /verify, the portfolio
import, ``ingest openbadges``), which must answer by one rule: OB 3.0 images,
date syntax and bounds, the OB 3.0 IdentityHash, proofs, and baked images."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import jwt
import pytest

from colearn import times
from colearn.ingest.openbadges import parse_openbadges_document
from colearn.openbadges.schema import ob2_schema
from tests.integration import test_field_reports as field_reports
from tests.integration.test_field_reports import (
    EMAIL, _award_badge, _award_web, _rsa_jws, _verify_image, _write, check, import_, ingest, load, refused_field,
    verify)
from tests.integration.test_field_reports_ingest import _ingest_refusal

api = field_reports.api  # the fixture: the app on a seeded city

HASH = "sha256$f58e12a2ba4cb33d6b8340ec13cc09e1e347709a94e0debdaed87473a22659aa"


def ob3() -> dict[str, Any]:
    """Another issuer's OB 3.0 credential (its proof is a suite not verified here):
    it passes every check that can be made, so an import takes it."""
    return load("r16-ed25519signature2020.json")


def ob2() -> dict[str, Any]:
    """Another issuer's OB 2.0 assertion, hosted elsewhere, for ``EMAIL``."""
    return load("r06-sha256-upper.json")


def set_at(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *head, last = path.split(".")
    target: Any = doc
    for key in head:
        target = target[int(key)] if isinstance(target, list) else target[key]
    target[last] = value
    return doc


def refused_by_all(api, store, tmp_path, doc: dict[str, Any], words: str) -> dict[str, Any]:
    """``doc`` fails verify (the failed check's detail has ``words``), an import (422)
    and ingest (refused, nothing written); the verify report."""
    client, keys = api
    report = verify(client, doc)
    assert report["failed"] and report["valid"] is False, report
    failed = [c for c in report["checks"] if c["ok"] is False]
    assert any(words in c["detail"] for c in failed), failed
    r = import_(client, keys, doc)
    assert r.status_code == 422 and words in r.text, r.text
    assert words in _ingest_refusal(store, tmp_path, client, doc)
    return report


def test_the_base_documents_pass_every_reader(api, store, tmp_path) -> None:
    client, keys = api
    assert import_(client, keys, ob3()).status_code == 201
    for doc in (ob3(), ob2()):
        assert not verify(client, doc)["failed"]
        assert not ingest(store, tmp_path, {**doc, "id": doc["id"] + "-2"}).refused


# ---------------------------------------------------------------- 1: every OB 3.0 image


def _with_image(path: str, image: Any) -> tuple[dict[str, Any], str]:
    """The OB 3.0 credential with ``image`` at ``path``, and the JSON path of that image."""
    doc = ob3()
    if path == "credentialSubject.achievement.creator":
        set_at(doc, path, {"id": "https://issuer.example/p", "type": ["Profile"], "image": image})
        return doc, f"$.{path}.image"
    if path == "endorsement":  # an embedded EndorsementCredential's issuer
        doc["endorsement"] = [{"id": "https://e.example/1", "type": ["VerifiableCredential", "EndorsementCredential"],
                               "issuer": {"id": "https://e.example", "type": ["Profile"], "image": image}}]
        return doc, "$.endorsement[0].issuer.image"
    return set_at(doc, path, image), f"$.{path}"


@pytest.mark.parametrize("path", [
    "image", "credentialSubject.image", "credentialSubject.achievement.image", "issuer.image",
    "credentialSubject.achievement.creator", "endorsement"])
def test_every_ob3_image_follows_the_image_rule(api, store, tmp_path, path) -> None:
    doc, where = _with_image(path, {"id": "javascript:alert(1)", "type": "Image"})
    report = refused_by_all(api, store, tmp_path, doc, "javascript:")
    assert where in check(report, "format")["detail"]
    doc, _ = _with_image(path, "data:text/html;base64,PHNjcmlwdD4=")
    assert check(verify(api[0], doc), "format")["ok"] is False
    doc, _ = _with_image(path, {"id": "data:image/png;base64,iVBORw0KGgo=", "type": "Image"})
    assert check(verify(api[0], doc), "format")["ok"] is True


# ---------------------------------------------------------------- 2: one date syntax


def test_the_schema_and_the_rule_state_one_date_pattern() -> None:
    from colearn.openbadges.rules import DATETIME_PATTERN
    assert ob2_schema()["$defs"]["DateTime"]["pattern"] == DATETIME_PATTERN


@pytest.mark.parametrize("fld", ["validFrom", "validUntil", "awardedDate", "issuanceDate"])
@pytest.mark.parametrize("value", ["2024-11-08T10:33:30+0200", "2024-11-08 10:33:30Z", "2024-W45-5T10:33:30Z",
                                   "2024-11-08T10:33:30", "20241108T103330Z"])
def test_ob3_dates_have_one_syntax(api, store, tmp_path, fld, value) -> None:
    doc = ob3()
    doc[fld] = value
    if fld == "issuanceDate":
        doc.pop("validFrom")
    report = refused_by_all(api, store, tmp_path, doc, value)
    assert f"$.{fld}" in check(report, "format")["detail"]
    assert refused_field(tmp_path, doc).field == fld


@pytest.mark.parametrize("value", ["2024-11-08T10:33:30.123456789Z", "2024-11-08T10:33:30-05:00"])
def test_every_dateTimeStamp_form_is_read(api, tmp_path, value) -> None:
    doc = ob3()
    doc["validFrom"] = value
    assert check(verify(api[0], doc), "format")["ok"] is True
    assert parse_openbadges_document(_write(tmp_path, doc)).assertions


# ---------------------------------------------------------------- 3: time bounds, one rule


@pytest.mark.parametrize(("make", "fld"), [(ob2, "expires"), (ob3, "validUntil")])
def test_a_far_expiry_means_never_and_is_stored_at_the_latest_time(api, store, tmp_path, make, fld) -> None:
    client, keys = api
    doc = make()
    doc[fld] = "9999-12-31T23:59:59Z"
    report = verify(client, doc)
    assert check(report, "expiry")["ok"] is True and not report["failed"], report
    r = import_(client, keys, doc)
    assert r.status_code == 201, r.text
    stored = store.read("MATCH (a:Assertion {id: $id}) RETURN a.expires_on AS e", {"id": r.json()["assertion_id"]})
    assert stored[0]["e"] == times.LATEST_S
    assert not ingest(store, tmp_path, {**doc, "id": doc["id"] + "-ingested"}).refused


@pytest.mark.parametrize(("make", "fld"), [(ob2, "issuedOn"), (ob3, "validFrom")])
def test_an_issue_date_before_1970_is_refused_by_all_naming_the_field(api, store, tmp_path, make, fld) -> None:
    doc = make()
    doc[fld] = "1969-12-31T23:59:59Z"
    report = refused_by_all(api, store, tmp_path, doc, "before 1970-01-01")
    assert check(report, "expiry")["code"] == "dates" and fld in check(report, "expiry")["detail"]
    assert refused_field(tmp_path, doc).field == fld


# ---------------------------------------------------------------- 4: the OB 3.0 IdentityHash


@pytest.mark.parametrize("value", [f" {HASH} ", f"{HASH}\n", HASH[:-1], "sha1$" + "a" * 40])
def test_the_ob3_identity_hash_follows_the_identity_hash_rule(api, store, tmp_path, value) -> None:
    doc = ob3()
    doc["credentialSubject"]["identifier"][0]["identityHash"] = value
    report = refused_by_all(api, store, tmp_path, doc, "IdentityHash")
    assert "$.credentialSubject.identifier[0].identityHash" in check(report, "format")["detail"]


# ---------------------------------------------------------------- 5: proofs


@pytest.mark.parametrize("proof", ["absent", None])
def test_an_unsigned_credential_is_not_an_unknown_suite(api, proof) -> None:
    client, _ = api
    doc = ob3()
    if proof == "absent":
        doc.pop("proof")
    else:
        doc["proof"] = None
    sig = check(verify(client, doc), "signature")
    assert sig["ok"] is None and sig["code"] == "no-proof" and "unsigned" in sig["detail"], sig


@pytest.mark.parametrize("proof", ["abc", [], [1], ["abc", {"type": "DataIntegrityProof"}], 5])
def test_a_malformed_proof_fails(api, store, tmp_path, proof) -> None:
    doc = ob3()
    doc["proof"] = proof
    report = refused_by_all(api, store, tmp_path, doc, "'proof' must be")
    assert check(report, "signature")["ok"] is False and check(report, "signature")["code"] == "malformed-proof"


def test_an_unsecured_jwt_fails_even_of_our_own_credential(api) -> None:
    client, keys = api
    award = _award_web(client, keys)
    token = client.get(f"/ob/v3/credentials/{award['id']}/jwt").text
    assert check(client.post("/verify", json={"jwt": token}).json(), "signature")["ok"] is True
    for header in ({"alg": "none"}, {"alg": "None"}):
        unsecured = jwt.utils.base64url_encode(json.dumps({**header, "typ": "JWT"}).encode()).decode() + "." + \
            token.split(".")[1] + "."
        rep = client.post("/verify", json={"jwt": unsecured, "identity": EMAIL}).json()
        sig = check(rep, "signature")
        assert sig["ok"] is False and sig["code"] == "alg-none" and "RFC 8725" in sig["detail"], rep
        assert rep["valid"] is False
        assert import_(client, keys, unsecured).status_code == 422
    # an OB 2.0 signed badge likewise, whoever's key it names
    payload = load("r18-signed-ob2.json")
    unsigned = jwt.encode(payload, None, algorithm="none")
    rep = client.post("/verify", json={"jwt": unsigned}).json()
    assert check(rep, "signature")["code"] == "alg-none" and check(rep, "signature")["ok"] is False
    assert check(client.post("/verify", json={"jwt": _rsa_jws(payload)}).json(), "signature")["ok"] is None


# ---------------------------------------------------------------- 6, 7: baked images


def _with_itxt(image: bytes, keyword: bytes, text: str, *, compressed: bool = False) -> bytes:
    body = zlib.compress(text.encode()) if compressed else text.encode()
    data = keyword + b"\0" + bytes([1 if compressed else 0, 0]) + b"\0\0" + body
    chunk = struct.pack("!I", len(data)) + b"iTXt" + data + struct.pack("!I", zlib.crc32(b"iTXt" + data))
    return image[:-12] + chunk + image[-12:]  # before IEND


def test_a_png_with_two_different_baked_awards_is_refused(api) -> None:
    client, keys = api
    a, other = _award_web(client, keys), _award_badge(client, keys, "safety")
    baked = client.get(f"/ob/v2/assertions/{a['id']}/baked.png").content
    assert _verify_image(client, baked, "image/png")["valid"] is True
    hosted = client.get(f"/ob/v2/assertions/{other['id']}").text
    for twice in (_with_itxt(baked, b"openbadges", hosted), _with_itxt(baked, b"openbadges", hosted, compressed=True),
                  _with_itxt(baked, b"openbadges", "https://elsewhere.example/a/1")):
        r = client.post("/verify", content=twice, headers={"Content-Type": "image/png"})
        assert r.status_code == 422 and "2 different 'openbadges' chunks" in r.json()["detail"], r.text
    token = client.get(f"/ob/v3/credentials/{a['id']}/jwt").text
    ob3_png = client.get(f"/ob/v3/credentials/{a['id']}/baked.png").content
    r = client.post("/verify", content=_with_itxt(ob3_png, b"openbadgecredential", token + "x"),
                    headers={"Content-Type": "image/png"})
    assert r.status_code == 422 and "'openbadgecredential' chunks" in r.json()["detail"]
    # the same award twice is one award
    same = _with_itxt(ob3_png, b"openbadgecredential", token)
    assert _verify_image(client, same, "image/png")["valid"] is True
    # an SVG with two different assertion elements likewise
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
           f'<openbadges:assertion verify="{a["links"]["ob2"]}"/>'
           f'<openbadges:assertion verify="{other["links"]["ob2"]}"/></svg>')
    r = client.post("/verify", content=svg.encode(), headers={"Content-Type": "image/svg+xml"})
    assert r.status_code == 422 and "<assertion> elements" in r.json()["detail"], r.text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_a_utf16_baked_svg_is_read(api, encoding) -> None:
    client, keys = api
    a = _award_web(client, keys)
    name = "UTF-16" if encoding.startswith("utf-16") else "UTF-8"
    svg = (f'<?xml version="1.0" encoding="{name}"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
           f'xmlns:openbadges="http://openbadges.org"><openbadges:assertion verify="{a["links"]["ob2"]}"/></svg>')
    rep = _verify_image(client, svg.encode(encoding), "image/svg+xml")
    assert rep["valid"] is True and rep["baked_in"] == "svg", rep


# ---------------------------------------------------------------- 8: the CLI's CSV encoding


def test_award_csv_reads_a_declared_encoding_by_the_http_rule(store, tmp_path) -> None:
    from colearn.domain import awards as issuing
    from colearn.text import UnknownCharset
    from tests.openbadges_builders import seed_issuing_city

    seed_issuing_city(store)
    p = tmp_path / "r26.csv"
    p.write_bytes((field_reports.DATA / "r26-cp1252.csv").read_bytes().replace(b"web-foundations", b"web"))
    with pytest.raises(field_reports.InvalidInput) as err:
        issuing.award_csv(store, "college", p, pepper=b"p")
    assert "--encoding windows-1252" in str(err.value) and "Content-Type" not in str(err.value)
    with pytest.raises(UnknownCharset) as unknown:
        issuing.award_csv(store, "college", p, pepper=b"p", encoding="no-such-thing")
    assert unknown.value.field == "--encoding" and "--encoding" in str(unknown.value)
    report = issuing.award_csv(store, "college", p, pepper=b"p", encoding="windows-1252")
    assert not report.refused and len(report.awards) == 2
    rows = store.read("MATCH (a:Assertion) RETURN a.evidence_narrative AS n ORDER BY n")
    assert [x["n"] for x in rows] == ["Ana", "José Example"]
