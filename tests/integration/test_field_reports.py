"""The field reports (tests/data/field-reports/README.md): each input through every
interface that reads it (POST /verify, the portfolio import, `ingest openbadges`),
which must answer by one rule, plus variants of the same kind of fault."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.errors import InvalidInput
from colearn.graph.store import GraphStore
from colearn.ingest.openbadges import ingest_openbadges, parse_openbadges_document
from colearn.service.app import create_app
from colearn.service.auth import create_key, issue_learner_token
from tests.openbadges_builders import BASE, seed_issuing_city

DATA = Path(__file__).resolve().parents[1] / "data" / "field-reports"
EMAIL = "learner@example.org"


def load(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text("utf-8"))


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    seed_issuing_city(store)
    app = create_app(Settings(data_dir=tmp_path / "data", base_url=BASE, rate_limit_per_minute=0), store=store)
    with TestClient(app) as client:
        keys = {"admin": {"X-API-Key": create_key(store, "admin").secret},
                "college": {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret},
                "se-1": {"Authorization": f"Bearer {issue_learner_token(app.state.token_secret, 'se-1')}"}}
        yield client, keys


def verify(client: TestClient, document: Any, identity: str | None = EMAIL) -> dict[str, Any]:
    r = client.post("/verify", json={"document": document, "identity": identity})
    assert r.status_code == 200, r.text
    return r.json()


def check(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in report["checks"] if c["name"] == name)


def import_(client: TestClient, keys: dict, document: Any, identity: str = EMAIL):
    """Import ``document`` into se-1's portfolio as the operator (admin), who may import
    for any identity: these tests are about the document; who may import what is
    ``test_import_identity``'s."""
    return client.post("/learners/se-1/portfolio/imports", headers=keys["admin"],
                       json={"credential": document, "identity": identity})


def ingest(store: GraphStore, tmp_path: Path, document: dict[str, Any], name: str = "doc.json"):
    p = tmp_path / name
    p.write_text(json.dumps(document), "utf-8")
    return ingest_openbadges(store, [p])


def refused_field(tmp_path: Path, document: dict[str, Any]) -> InvalidInput:
    p = tmp_path / "doc.json"
    p.write_text(json.dumps(document), "utf-8")
    with pytest.raises(InvalidInput) as err:
        parse_openbadges_document(p)
    return err.value


# ---------------------------------------------------------------- R06, R08: one IdentityHash rule


@pytest.mark.parametrize("name", ["r06-sha256-upper.json", "r06-md5-upper.json", "r08-nullsalt.json"])
def test_identity_hash_rule_is_one_for_verify_import_and_ingest(api, store, tmp_path, name) -> None:
    client, keys = api
    doc = load(name)
    report = verify(client, doc)
    assert check(report, "format")["ok"] is True, report
    assert check(report, "recipient")["ok"] is True
    assert check(verify(client, doc, "someone@example.org"), "recipient")["ok"] is False
    r = import_(client, keys, doc)
    assert r.status_code == 201, r.text
    assert r.json()["verified"] is False  # hosted elsewhere, not fetched: marked
    assert parse_openbadges_document(_write(tmp_path, doc)).assertions


@pytest.mark.parametrize("identity", [
    "SHA256$F58E12A2BA4CB33D6B8340EC13CC09E1E347709A94E0DEBDAED87473A22659AA",  # algorithm upper too
    "Md5$9bec6e8d7f089392AA58A5949E7490FF",  # mixed case
])
def test_identity_hash_variants(api, identity) -> None:
    client, _ = api
    doc = load("r06-sha256-upper.json")
    doc["recipient"]["identity"] = identity
    assert check(verify(client, doc), "recipient")["ok"] is True


def test_ingest_learner_is_the_same_whatever_the_case(store, tmp_path) -> None:
    upper = parse_openbadges_document(DATA / "r06-sha256-upper.json")
    lower = copy.deepcopy(load("r06-sha256-upper.json"))
    lower["recipient"]["identity"] = lower["recipient"]["identity"].lower()
    (tmp_path / "l.json").write_text(json.dumps(lower))
    assert parse_openbadges_document(tmp_path / "l.json").assertions[0].learner == upper.assertions[0].learner


@pytest.mark.parametrize("identity", ["sha256$abc", "sha1$" + "a" * 40, "md5$" + "a" * 64])
def test_bad_identity_hash_is_refused_by_all(api, tmp_path, identity) -> None:
    client, keys = api
    doc = load("r06-sha256-upper.json")
    doc["recipient"]["identity"] = identity
    assert check(verify(client, doc), "format")["ok"] is False
    assert import_(client, keys, doc).status_code == 422
    assert refused_field(tmp_path, doc).field == "recipient.identity"


# ---------------------------------------------------------------- embedded context


def test_embedded_objects_share_the_documents_context(api, store, tmp_path) -> None:
    client, keys = api
    doc = load("other-embedded-badgeclass-no-context.json")
    report = verify(client, doc)
    assert check(report, "format")["ok"] is True, report
    assert not ingest(store, tmp_path, doc).refused
    assert import_(client, keys, {**doc, "id": doc["id"] + "-2"}).status_code == 201
    # the top object still needs one
    no_ctx = {k: v for k, v in doc.items() if k != "@context"}
    assert client.post("/verify", json={"document": no_ctx}).status_code == 422


# ---------------------------------------------------------------- R01: image data URIs


def test_r01_only_png_and_svg_data_uris(api, tmp_path) -> None:
    client, keys = api
    doc = load("r01-assertion-datauri-texthtml.json")
    err = refused_field(tmp_path, doc)
    assert err.field == "badge.image" and "text/html" in err.detail
    report = verify(client, doc)
    assert check(report, "format")["ok"] is False and "badge.image" in check(report, "format")["detail"]
    assert import_(client, keys, doc).status_code == 422
    for bad in ("data:application/xhtml+xml,<x/>", "data:,hello", "javascript:alert(1)",
                "data:image/jpeg;base64,AAAA"):
        doc["badge"]["image"] = bad
        assert refused_field(tmp_path, doc).field == "badge.image", bad
        assert check(verify(client, doc), "format")["ok"] is False, bad
    for good in ("data:IMAGE/PNG;base64,iVBORw0KGgo=", "data:image/svg+xml;charset=utf-8,%3Csvg%2F%3E",
                 {"id": "data:image/png;base64,iVBORw0KGgo="}):
        doc["badge"]["image"] = good
        assert parse_openbadges_document(_write(tmp_path, doc)).assertions
        assert check(verify(client, doc), "format")["ok"] is True, good


def _write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    p = tmp_path / "doc.json"
    p.write_text(json.dumps(doc), "utf-8")
    return p


# ---------------------------------------------------------------- R05: origins


def test_r05_assertion_on_another_host_is_refused(api, store, tmp_path) -> None:
    client, keys = api
    doc = load("r05-id-on-other-host.json")
    report = verify(client, doc)
    assert check(report, "hosted")["ok"] is False and check(report, "hosted")["code"] == "origin"
    r = import_(client, keys, doc)
    assert r.status_code == 422 and "lms.example" in r.text
    assert refused_field(tmp_path, doc).field == "id"
    # an embedded issuer decides, and its allowedOrigins widen it; host names ignore case
    doc["badge"] = {**load("other-embedded-badgeclass-no-context.json")["badge"], "id": doc["badge"]}
    assert check(verify(client, doc), "hosted")["code"] == "origin"
    doc["badge"]["issuer"]["verification"] = {"type": "VerificationObject", "allowedOrigins": ["LMS.example"]}
    assert check(verify(client, doc), "hosted")["ok"] is None
    assert parse_openbadges_document(_write(tmp_path, doc)).assertions


# ---------------------------------------------------------------- R16, R17, R18


@pytest.mark.parametrize("proof", [None, {"type": "DataIntegrityProof", "cryptosuite": "ecdsa-rdfc-2019"},
                                   {"type": "BbsBlsSignature2020"}])
def test_r16_unsupported_cryptosuite_is_its_own_outcome(api, proof) -> None:
    client, _ = api
    doc = load("r16-ed25519signature2020.json")
    if proof is not None:
        doc["proof"] = {**doc["proof"], **proof}
        doc["proof"].pop("cryptosuite", None) if "cryptosuite" not in proof else None
    report = verify(client, doc)
    sig = check(report, "signature")
    assert sig["ok"] is None and sig["code"] == "unsupported-cryptosuite", sig
    name = (proof or {}).get("cryptosuite") or (proof or {}).get("type") or "Ed25519Signature2020"
    assert f"unsupported cryptosuite '{name}'" in sig["detail"]
    assert report["valid"] is False and "signature" not in report["failed"]


def test_r17_an_external_revoked_assertion_is_reported_revoked(api) -> None:
    client, keys = api
    body = load("r17-external-full-revoked.json")
    r = client.post("/verify", json=body)
    rev = check(r.json(), "revocation")
    assert rev["ok"] is False and rev["code"] == "revoked" and "Issued in error" in rev["detail"]
    assert import_(client, keys, body["document"]).status_code == 422


def _rsa_jws(payload: dict[str, Any]) -> str:
    key = generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return jwt.encode(payload, pem, algorithm="RS256")


def test_r18_ob2_signed_badges_are_detected(api) -> None:
    client, keys = api
    payload = load("r18-signed-ob2.json")
    token = _rsa_jws(payload)
    for r in (client.post("/verify", content=token, headers={"Content-Type": "application/vc+jwt"},
                          params={"identity": EMAIL}),
              client.post("/verify", json={"jwt": token, "identity": EMAIL})):
        assert r.status_code == 200, r.text
        rep = r.json()
        assert rep["format"] == "ob2-signed" and rep["valid"] is False
        assert check(rep, "signature")["code"] == "ob2-signed-unverifiable"
        assert check(rep, "recipient")["ok"] is True
    # its bare JSON carries no signature: refused clearly, not misread
    rep = verify(client, payload)
    assert rep["format"] == "ob2-hosted" and check(rep, "hosted")["code"] == "signed-without-jws"
    assert import_(client, keys, payload).status_code == 422


def test_r18_signed_badge_under_our_key_verifies_and_tampering_fails(api) -> None:
    client, keys = api
    r = client.post("/organisations/college/badges/web/assertions", headers=keys["college"],
                    json={"recipient": {"type": "email", "identity": EMAIL}})
    assert r.status_code == 201
    pub = client.app.state.ob_keys
    payload = {**load("r18-signed-ob2.json"),
               "verification": {"type": "SignedBadge", "creator": f"{BASE}/ob/v2/issuers/college/key"}}
    token = jwt.encode(payload, pub.issuer_key("college").private_pem, algorithm="EdDSA")
    rep = client.post("/verify", json={"jwt": token, "identity": EMAIL}).json()
    assert check(rep, "signature")["ok"] is True, rep
    head, body, sig = token.split(".")
    forged = jwt.encode({**payload, "issuedOn": "2024-11-09T10:33:30Z"}, "x" * 32, algorithm="HS256")
    rep = client.post("/verify", json={"jwt": ".".join([head, forged.split(".")[1], sig])}).json()
    assert check(rep, "signature")["ok"] is False and check(rep, "signature")["code"] == "tampered"


# ---------------------------------------------------------------- R19: dates


@pytest.mark.parametrize(("name", "fld"), [("r19-expires-before-issued.json", "expires"),
                                           ("r19-issued-future.json", "issuedOn")])
def test_r19_dates_refused_with_the_field_named(api, tmp_path, name, fld) -> None:
    client, keys = api
    doc = load(name)
    err = refused_field(tmp_path, doc)
    assert err.field == fld and fld in err.detail
    report = verify(client, doc)
    assert check(report, "expiry")["ok"] is False and fld in check(report, "expiry")["detail"]
    assert import_(client, keys, doc).status_code == 422


@pytest.mark.parametrize(("issued", "expires", "fld"), [
    ("2024-11-08T12:00:00+02:00", "2024-11-08T10:00:00Z", "expires"),  # offsets: expires 0 s after issue
    ("2024-11-08T10:00:00.5Z", "2024-11-08T09:59:59Z", "expires"),
    ("2999-01-01T00:00:00-05:00", None, "issuedOn"),
])
def test_r19_date_forms(tmp_path, issued, expires, fld) -> None:
    doc = load("r06-sha256-upper.json")
    doc["issuedOn"] = issued
    if expires:
        doc["expires"] = expires
    assert refused_field(tmp_path, doc).field == fld


def test_r19_ob3_dates(tmp_path) -> None:
    doc = load("r16-ed25519signature2020.json")
    doc.pop("proof")
    doc["validUntil"] = "2023-12-31T00:00:00Z"
    assert refused_field(tmp_path, doc).field == "validUntil"
    doc.pop("validUntil")
    doc["validFrom"] = "2999-01-01T00:00:00Z"
    assert refused_field(tmp_path, doc).field == "validFrom"


# ---------------------------------------------------------------- security: keys and issuers


def test_a_get_never_creates_keys_and_external_issuers_are_never_published(api, store, tmp_path) -> None:
    client, keys = api
    ks = client.app.state  # the KeyStore is made on first use
    ingest(store, tmp_path, load("other-embedded-badgeclass-no-context.json"))
    from colearn.ingest.openbadges import organisation_id
    external = organisation_id("https://issuer.example/issuer")
    for path in (f"/ob/v2/issuers/{external}/key", f"/ob/v2/issuers/{external}", f"/ob/v3/issuers/{external}",
                 f"/ob/v3/issuers/{external}/status/0", f"/ob/v2/issuers/{external}/revocations",
                 "/ob/v2/issuers/college/key", "/ob/v3/issuers/college/status/0"):
        r = client.get(path)
        assert r.status_code == 404, (path, r.text)
    assert client.get("/ob/v2/issuers/college").status_code == 200  # no key yet: no publicKey
    assert "publicKey" not in client.get("/ob/v2/issuers/college").json()
    assert "assertionMethod" not in client.get("/ob/v3/issuers/college").json()
    key_dir = tmp_path / "data" / "issuer-keys"
    assert not key_dir.exists() or not any(key_dir.iterdir())
    # an organisation colearn controls gets its key when it first awards (a POST)
    r = client.post("/organisations/college/badges/web/assertions", headers=keys["college"],
                    json={"recipient": {"type": "email", "identity": EMAIL}})
    assert r.status_code == 201
    assert client.get("/ob/v2/issuers/college/key").status_code == 200
    assert len(list(key_dir.iterdir())) == 1
    assert ks.ob_keys.existing_key(external) is None


# ---------------------------------------------------------------- R11, R13: baked images


def _award_web(client: TestClient, keys: dict) -> dict[str, Any]:
    r = client.post("/organisations/college/badges/web/assertions", headers=keys["college"],
                    json={"recipient": {"type": "email", "identity": EMAIL}})
    assert r.status_code == 201, r.text
    return r.json()


def _verify_image(client: TestClient, data: bytes, kind: str) -> dict[str, Any]:
    r = client.post("/verify", content=data, headers={"Content-Type": kind}, params={"identity": EMAIL})
    assert r.status_code == 200, r.text
    return r.json()


def test_r11_baked_svg_found_by_namespace_any_prefix(api) -> None:
    client, keys = api
    a = _award_web(client, keys)
    url = a["links"]["ob2"]
    template = (DATA / "r11b-other-prefix.svg.template").read_text("utf-8")
    rep = _verify_image(client, template.replace("{{ASSERTION_URL}}", url).encode(), "image/svg+xml")
    assert rep["valid"] is True and rep["baked_in"] == "svg", rep
    # other prefixes, a default namespace, and OB 3.0's credential element the same way
    svg = '<svg xmlns="http://www.w3.org/2000/svg" {ns}><{el} verify="{v}"/></svg>'
    for ns, el in (('xmlns:zz9="http://openbadges.org"', "zz9:assertion"),
                   ('', 'assertion xmlns="http://openbadges.org"')):
        rep = _verify_image(client, svg.format(ns=ns, el=el, v=url).encode(), "image/svg+xml")
        assert rep["valid"] is True, (ns, rep)
    token = client.get(f"/ob/v3/credentials/{a['id']}/jwt").text
    for prefix in ("ob3", "credential"):
        doc = svg.format(ns=f'xmlns:{prefix}="https://purl.imsglobal.org/ob/v3p0"', el=f"{prefix}:credential",
                         v=token)
        rep = _verify_image(client, doc.encode(), "image/svg+xml")
        assert rep["valid"] is True and rep["format"] == "ob3-vc-jwt", rep
    # the prefix alone means nothing: openbadges: bound to another namespace is not a badge
    wrong = svg.format(ns='xmlns:openbadges="https://not-badges.example"', el="openbadges:assertion", v=url)
    assert client.post("/verify", content=wrong.encode(), headers={"Content-Type": "image/svg+xml"}).status_code == 422


def _png_with_text_chunk(keyword: bytes, text: bytes) -> bytes:
    import struct
    import zlib

    from colearn.openbadges.images import badge_png
    base = badge_png(None)
    data = keyword + b"\0" + text
    chunk = struct.pack("!I", len(data)) + b"tEXt" + data + struct.pack("!I", zlib.crc32(b"tEXt" + data) & 0xFFFFFFFF)
    return base[:-12] + chunk + base[-12:]  # before IEND


def test_r13_legacy_png_text_chunk_is_read_and_itxt_written(api) -> None:
    client, keys = api
    a = _award_web(client, keys)
    rep = _verify_image(client, _png_with_text_chunk(b"openbadges", a["links"]["ob2"].encode()), "image/png")
    assert rep["valid"] is True and rep["baked_in"] == "png", rep
    import png
    baked = client.get(f"/ob/v2/assertions/{a['id']}/baked.png").content
    tags = [t for t, _ in png.Reader(bytes=baked).chunks()]
    assert b"iTXt" in tags and b"tEXt" not in tags


# ---------------------------------------------------------------- R26, R27, R28, CSV keys


def _cp1252_csv() -> bytes:
    return (DATA / "r26-cp1252.csv").read_bytes().replace(b"web-foundations", b"web")


def _csv(client: TestClient, keys: dict, body: bytes, kind: str = "text/csv", **params):
    return client.post("/organisations/college/assertions/csv", content=body, params=params,
                       headers={**keys["college"], "Content-Type": kind})


def test_r26_non_utf8_is_never_decoded_lossily(api, store) -> None:
    client, keys = api
    raw = _cp1252_csv()
    r = _csv(client, keys, raw)
    assert r.status_code == 422 and "line 2" in r.json()["detail"] and "0xe9" in r.json()["detail"], r.text
    assert not store.read("MATCH (a:Assertion) RETURN a.id AS id")
    for charset in ("windows-1252", "cp1252", '"Windows-1252"'):
        r = _csv(client, keys, raw, f"text/csv; charset={charset}")
        assert r.status_code in (200, 201), r.text
    rows = store.read("MATCH (a:Assertion) RETURN a.evidence_narrative AS n ORDER BY n")
    assert [x["n"] for x in rows] == ["Ana", "José Example"]
    # the recipient was hashed from the real address, so it verifies
    jose = next(a for a in r.json()["data"] if a["learner_id"])
    hosted = [client.get(a["links"]["ob2"].removeprefix(BASE)).json() for a in r.json()["data"]]
    assert any(check(verify(client, h, "josé@example.org"), "recipient")["ok"] for h in hosted), jose
    # other encodings, declared, decode; an unknown charset is 415
    text = "email,narrative,badge_id\nzoë@example.org,Zoë,web\n"
    assert _csv(client, keys, text.encode("utf-16"), "text/csv; charset=utf-16").status_code == 201
    latin = text.replace("zoë@", "zoë.b@")  # another learner: the first holds the badge now (no second copy)
    assert _csv(client, keys, latin.encode("latin-1"), "text/csv; charset=iso-8859-1", name="l1").status_code == 201
    assert _csv(client, keys, text.encode(), "text/csv; charset=no-such-thing").status_code == 415
    bad = "email,narrative,badge_id\nx@example.org,ok,web\ny@example.org,\u00e9,web\n".encode("latin-1")
    assert "line 3" in _csv(client, keys, bad).json()["detail"]


def test_r26_the_cli_reader_uses_the_same_rule(store, tmp_path) -> None:
    from colearn.domain import awards as issuing
    seed_issuing_city(store)
    p = tmp_path / "r26.csv"
    p.write_bytes(_cp1252_csv())
    with pytest.raises(InvalidInput) as err:
        issuing.award_csv(store, "college", p, pepper=b"p")
    assert err.value.record == 2 and "r26.csv" in str(err.value) and "0xe9" in str(err.value)


def test_r27_size_limits_and_media_types(api, monkeypatch) -> None:
    client, keys = api
    from colearn.service.routers import assertions, verify as verify_route
    r = client.post("/verify", content=b"{" + b" " * (5 * 1024 * 1024) + b"}",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.headers["content-type"].startswith("application/problem+json")
    monkeypatch.setattr(assertions, "CSV_MAX_BYTES", 200)
    body = b"email,badge_id\n" + b"".join(b"p%d@example.org,web\n" % i for i in range(20))
    assert _csv(client, keys, body).status_code == 413

    def chunks():  # no Content-Length: refused while streaming
        yield body[:100]
        yield body[100:]
    r = client.post("/organisations/college/assertions/csv", content=chunks(),
                    headers={**keys["college"], "Content-Type": "text/csv"})
    assert r.status_code == 413
    monkeypatch.setattr(assertions, "CSV_MAX_BYTES", 10 * 1024 * 1024)
    r = client.post("/organisations/college/assertions/csv", headers=keys["college"],
                    files={"file": ("a.csv", b"email,badge_id\na@example.org,web\n", "text/csv")})
    assert r.status_code == 415 and "multipart" in r.json()["detail"], r.text
    assert _csv(client, keys, b"\x89PNG....", "image/png").status_code == 415
    assert verify_route.MAX_BODY == 5 * 1024 * 1024
    # /verify reads a body by its own type; a form upload of the image is 415, saying what to send
    png = client.get(f"/ob/v2/assertions/{_award_web(client, keys)['id']}/baked.png").content
    for form in ({"files": {"file": ("badge.png", png, "image/png")}}, {"data": {"jwt": "a.b.c"}}):
        r = client.post("/verify", **form)
        assert r.status_code == 415 and "form upload" in r.json()["detail"], r.text
    assert client.post("/verify", content=png, headers={"Content-Type": "image/png"}).json()["valid"] is True


def test_r28_bulk_award_dry_run(api, store) -> None:
    client, keys = api
    body = b"email,badge_id\na@example.org,web\nb@example.org,nope\nc@example.org,coding\n"
    r = _csv(client, keys, body, dry_run="true")
    assert r.status_code == 200, r.text
    j = r.json()
    assert [x["record"] for x in j["refused"]] == [3, 4]
    # the answer says nothing was written, and claims no award was made: what would be is would_create
    assert j["dry_run"] is True and j["created"] == 0 and j["would_create"] == 1
    assert [(a["created"], a["would_create"]) for a in j["data"]] == [(None, True)]
    assert not store.read("MATCH (a:Assertion) RETURN a.id AS id")
    # the real call lands whole or not at all: the refused rows refuse the file
    real = _csv(client, keys, body)
    assert real.status_code == 422 and [e["field"] for e in real.json()["errors"]] == ["line 3", "line 4"]
    assert not store.read("MATCH (a:Assertion) RETURN a.id AS id")
    good = b"email,badge_id\na@example.org,web\n"
    preview = _csv(client, keys, good, dry_run="true").json()
    real = _csv(client, keys, good)
    assert real.status_code == 201 and [a["id"] for a in real.json()["data"]] == [a["id"] for a in preview["data"]]
    assert real.json()["dry_run"] is False and real.json()["would_create"] is None
    assert [(a["created"], a["would_create"]) for a in real.json()["data"]] == [(True, None)]
    again = _csv(client, keys, good, dry_run="true").json()
    assert again["would_create"] == 0 and again["data"][0]["would_create"] is False
    assert again["data"][0]["created"] is None  # its key names the award the real call made


def test_csv_uploads_without_a_name_do_not_share_keys(api) -> None:
    client, keys = api
    first = _csv(client, keys, b"email,badge_id\na@example.org,web\n")
    second = _csv(client, keys, b"email,badge_id\nb@example.org,web\n")
    assert first.status_code == 201 and second.status_code == 201, second.text
    assert second.json()["created"] == 1 and not second.json()["refused"]
    assert _csv(client, keys, b"email,badge_id\na@example.org,web\n").json()["created"] == 0  # same file again


# ---------------------------------------------------------------- R23 and completions


def _pathway(name: str, ids: dict[str, str]) -> dict[str, Any]:
    p = load(name)
    p["organisation"] = "college"
    p["completion_badge"] = ids[p["completion_badge"]]
    for s in p["steps"]:
        s["badges"] = [ids[b] for b in s["badges"]]
    return p


def _accept(client: TestClient, keys: dict, assertion_id: str) -> None:
    r = client.post(f"/assertions/{assertion_id}/accept", headers=keys["admin"])
    assert r.status_code == 200, r.text


def test_r23_completion_cycles_warned_and_a_completion_never_issued_twice(api, store) -> None:
    client, keys = api
    from colearn.graph import queries
    from colearn.graph.schema import Label
    store.write(queries.merge_nodes(Label.DESTINATION), {"rows": [{"id": "employment", "props": {"name": "Work"}}]})
    ids = {"t2-b1": "web", "t2-c1": "safety", "t2-c2": "app"}
    p1, p2 = _pathway("r23b-p1.json", ids), _pathway("r23b-p2.json", ids)
    for p in (p1, p2):
        r = client.post("/pathways", headers=keys["college"], json=p)
        assert r.status_code == 201, r.text
    assert not client.post(f"/pathways/{p1['id']}/publish", headers=keys["college"]).json()["warnings"]
    warned = client.post(f"/pathways/{p2['id']}/publish", headers=keys["college"]).json()["warnings"]
    assert [w["field"] for w in warned] == ["completion_badge"] and "completion cycle" in warned[0]["message"]
    assert p1["id"] in warned[0]["message"] and p2["id"] in warned[0]["message"]
    # the learner holds c1 (safety) directly; it completes p2, whose completion (app) then completes p1
    safety = _award_badge(client, keys, "safety")
    _accept(client, keys, safety["id"])
    learner = safety["learner_id"]
    held = lambda badge: store.read(  # noqa: E731
        "MATCH (:Learner {id: $l})<-[:TO]-(a:Assertion)-[:OF]->(:Badge {id: $b}) RETURN a.id AS id, "
        "a.status AS status, a.revocation_reason AS reason", {"l": learner, "b": badge})
    [app] = held("app")
    _accept(client, keys, app["id"])
    _accept(client, keys, _award_badge(client, keys, "web")["id"])
    assert len(held("safety")) == 1  # p1 is complete, but its completion badge is already held: not again
    r = client.post(f"/pathways/{p1['id']}/completions", headers=keys["admin"], json={"learner_id": learner})
    assert r.json()["completed"] is True and r.json()["created"] is False and r.json()["assertion_id"] == safety["id"]
    # completions are published as Open Badges
    hosted = client.get(f"/ob/v2/assertions/{app['id']}")
    assert hosted.status_code == 200 and hosted.json()["badge"].endswith("/ob/v2/badges/app"), hosted.text
    assert check(verify(client, hosted.json()), "recipient")["ok"] is True
    assert client.get(f"/ob/v3/credentials/{app['id']}").status_code == 200
    # the stated policy: revoking a step badge revokes the completion it no longer supports
    r = client.post(f"/assertions/{safety['id']}/revoke", headers=keys["college"], json={"reason": "error"})
    assert r.status_code == 200
    [app] = held("app")
    # one clean sentence naming the step by its badge's name, on the page and in OB 2.0
    reason = "the learner no longer holds Online Safety Aware, a step of its pathway"
    assert app["status"] == "revoked" and app["reason"] == reason
    gone = client.get(f"/ob/v2/assertions/{app['id']}")
    assert gone.status_code == 410 and gone.json()["revocationReason"] == reason
    assert f"This badge was revoked: {reason}." in client.get(f"/share/{app['id']}").text


def _award_badge(client: TestClient, keys: dict, badge: str) -> dict[str, Any]:
    r = client.post(f"/organisations/college/badges/{badge}/assertions", headers=keys["college"],
                    json={"recipient": {"type": "email", "identity": EMAIL}})
    assert r.status_code == 201, r.text
    return r.json()


def test_unverified_imports_never_complete_a_pathway(api, store) -> None:
    client, keys = api
    from colearn.graph import queries
    from colearn.graph.schema import Label
    store.write(queries.merge_nodes(Label.DESTINATION), {"rows": [{"id": "employment", "props": {"name": "Work"}}]})
    doc = load("other-embedded-badgeclass-no-context.json")
    r = import_(client, keys, doc)
    assert r.status_code == 201 and r.json()["verified"] is False
    imported = r.json()["badge_id"]
    pathway = {"id": "via-import", "title": "Via an import", "organisation": "college", "destination": "employment",
               "steps": [{"title": "s1", "badges": [imported]}], "completion_badge": "safety", "status": "published"}
    # an imported badge is never the city's: no pathway can name it, so no import completes one
    r = client.post("/pathways", headers=keys["college"], json=pathway)
    assert r.status_code == 422 and imported in r.text, r.text
    pf = client.get("/learners/se-1/portfolio", headers=keys["se-1"]).json()
    held = [a for c in pf["cells"] for a in c["awards"]] + pf["others"]
    assert pf["count"] == 1 and [(a["imported"], a["verified"]) for a in held] == [(True, False)]  # kept, marked


# ---------------------------------------------------------------- R29: deletion policy


def test_r29_badges_go_when_nothing_live_refers_to_them_and_awards_can_be_withdrawn(api, store) -> None:
    client, keys = api
    a = _award_badge(client, keys, "safety")
    r = client.delete("/badges/safety", headers=keys["college"])
    assert r.status_code == 409 and f"(1 live assertion: {a['id']})" in r.json()["detail"], r.text
    assert client.post(f"/assertions/{a['id']}/revoke", headers=keys["college"], json={"reason": "x"}).status_code == 200
    assert client.delete("/badges/safety", headers=keys["college"]).status_code == 204
    assert client.get("/badges/safety", headers=keys["admin"]).status_code == 404
    gone = client.get(f"/ob/v2/assertions/{a['id']}")
    assert gone.status_code == 410 and gone.json()["revoked"] is True  # verifiers still learn it is revoked
    listed = [x["id"] for x in client.get("/ob/v2/issuers/college/revocations").json()["revokedAssertions"]]
    assert a["links"]["ob2"] in listed
    # an award withdrawn by its issuer: revoked, out of the learner's records, recipient erased, still 410
    w = _award_badge(client, keys, "web")
    assert client.delete(f"/assertions/{w['id']}", headers=keys["college"]).status_code == 204
    assert client.delete(f"/assertions/{w['id']}", headers=keys["college"]).status_code == 204  # again: nothing
    assert client.get(f"/ob/v2/assertions/{w['id']}").status_code == 410
    assert client.get(f"/ob/v3/credentials/{w['id']}").status_code == 404
    row = store.read("MATCH (a:Assertion {id: $id}) OPTIONAL MATCH (a)-[:TO]->(l) RETURN properties(a) AS p, "
                     "l.id AS learner", {"id": w["id"]})[0]
    assert row["learner"] is None and "recipient_hash" not in row["p"] and row["p"]["status"] == "revoked"
    assert client.delete("/badges/web", headers=keys["college"]).status_code == 204
    assert client.delete(f"/assertions/{a['id']}", headers={"X-API-Key": create_key(
        store, "organisation", organisation_id="club").secret}).status_code == 403


def test_a_completion_earned_by_a_learner_page_accept_is_published_like_an_api_accept(api, store, tmp_path) -> None:
    """Accepting through the claim link (the learner's page) and through
    ``POST /assertions/{id}/accept`` is one operation: a completion it awards is
    signed by its issuer, whose key is made there (a GET never makes one)."""
    client, keys = api
    from colearn.graph import access, queries
    from colearn.graph.schema import Label
    store.write(queries.merge_nodes(Label.DESTINATION), {"rows": [{"id": "employment", "props": {"name": "Work"}}]})
    pathway = {"id": "club-path", "title": "Into the club", "organisation": "club", "destination": "employment",
               "steps": [{"title": "s1", "badges": ["web"]}], "completion_badge": "coding", "status": "published"}
    r = client.post("/pathways", headers=keys["admin"], json=pathway)
    assert r.status_code == 201, r.text
    web = _award_badge(client, keys, "web")  # college's key is made here; club has none yet
    assert client.get("/ob/v2/issuers/club/key").status_code == 404
    token = access.issue_token(store, access.CLAIM, web["learner_id"], 3600, assertion_id=web["id"])
    r = client.post("/claims/accept", json={"token": token})
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    [done] = store.read("MATCH (:Learner {id: $l})<-[:TO]-(a:Assertion)-[:OF]->(:Badge {id: 'coding'}) "
                        "RETURN a.id AS id", {"l": web["learner_id"]})
    assert client.get("/ob/v2/issuers/club/key").status_code == 200
    cred = client.get(f"/ob/v3/credentials/{done['id']}")
    assert cred.status_code == 200, cred.text
    assert cred.json()["issuer"]["id"].endswith("/ob/v3/issuers/club")


def test_a_verify_body_of_the_wrong_shape_names_its_fields(api) -> None:
    """``/verify``'s JSON body is checked as any body is: 422 with ``errors`` naming each field."""
    client, _ = api
    r = client.post("/verify", json={"credential": {}, "identity": 5})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"body.credential", "body.identity"} <= fields, r.json()
    r = client.post("/verify", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["body"], r.json()
