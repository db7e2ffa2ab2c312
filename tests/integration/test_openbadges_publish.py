"""What colearn publishes: OB 2.0 documents valid against the JSON Schemas, OB 3.0
credentials that round-trip through openbadgeslib, and verification that fails
tampered, expired and revoked awards with the right reason."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from openbadgeslib.ob3 import OB3LdpVerifier, OB3Verifier

from colearn.errors import InvalidInput, NotFound
from colearn.domain import awards as issuing
from colearn.domain.awards import AwardRequest, Recipient
from colearn.graph.store import GraphStore
from colearn.openbadges import images
from colearn.openbadges.documents import Publisher
from colearn.openbadges.schema import ob2_errors
from colearn.openbadges.verify import CHECKS, Verifier
from tests.openbadges_builders import BASE, publisher, seed_issuing_city

EMAIL = "ada@example.org"


@pytest.fixture
def pub(store: GraphStore, tmp_path: Path) -> Publisher:
    seed_issuing_city(store)
    return publisher(store, tmp_path)


def _award(pub: Publisher, badge: str = "web", **kw) -> issuing.Award:
    org = "club" if badge == "coding" else "college"
    pub.ensure_key(org)  # what the award routes and CLI do: issuing makes the key
    return issuing.award(pub.store, org, AwardRequest(badge, Recipient("email", EMAIL), **kw),
                         pepper=pub.keys.recipient_pepper())


def test_every_ob2_document_is_schema_valid(pub: Publisher) -> None:
    a = _award(pub, "safety", evidence_url="https://work.example/ada", evidence_narrative="Ran a workshop")
    b = _award(pub, "coding")
    revoked = _award(pub, "app")
    issuing.revoke(pub.store, revoked.id, "awarded in error")
    for org in ("college", "club"):
        assert ob2_errors(pub.issuer_v2(org), "Profile") == []
        assert ob2_errors(pub.key_v2(org), "CryptographicKey") == []
        assert ob2_errors(pub.revocation_list(org), "RevocationList") == []
    for badge in ("web", "safety", "app", "coding"):
        assert ob2_errors(pub.badgeclass(badge), "BadgeClass") == []
    for aid in (a.id, b.id):
        hosted = pub.assertion_v2(aid)
        assert hosted.status == 200 and ob2_errors(hosted.document, "Assertion") == []
    gone = pub.assertion_v2(revoked.id)
    assert gone.status == 410 and gone.document["revoked"] is True
    assert gone.document["revocationReason"] == "awarded in error"
    assert ob2_errors(gone.document, "RevokedAssertion") == []
    assert [r["id"] for r in pub.revocation_list("college")["revokedAssertions"]] == [pub.urls.assertion(revoked.id)]
    # the schemas do refuse what the spec requires
    bad = pub.assertion_v2(a.id).document
    assert any("recipient" in e for e in ob2_errors({k: v for k, v in bad.items() if k != "recipient"}, "Assertion"))
    assert ob2_errors({**bad, "issuedOn": "2026-01-01T10:00:00"}, "Assertion")
    assert ob2_errors({**bad, "recipient": {**bad["recipient"], "identity": EMAIL}}, "Assertion")
    assert ob2_errors({k: v for k, v in pub.issuer_v2("club").items() if k != "email"}, "Profile")


def test_documents_carry_what_the_issue_asks(pub: Publisher) -> None:
    a = _award(pub, "safety", evidence_url="https://work.example/ada", evidence_narrative="Ran a workshop")
    doc = pub.assertion_v2(a.id).document
    assert doc["@context"] == "https://w3id.org/openbadges/v2" and doc["verification"] == {"type": "HostedBadge"}
    assert doc["recipient"]["hashed"] is True and EMAIL not in json.dumps(doc)
    assert doc["recipient"]["identity"] == issuing.identity_hash(EMAIL, doc["recipient"]["salt"])
    assert doc["badge"] == f"{BASE}/ob/v2/badges/safety"
    assert doc["evidence"] == [{"type": "Evidence", "id": "https://work.example/ada", "narrative": "Ran a workshop"}]
    # expiry from the badge's default duration (730 days)
    assert datetime.fromisoformat(doc["expires"]) - datetime.fromisoformat(doc["issuedOn"]) == timedelta(days=730)
    badge = pub.badgeclass("safety")
    assert badge["issuer"] == f"{BASE}/ob/v2/issuers/college" and badge["tags"] == ["Digital"]
    assert badge["alignment"] == [
        {"targetName": "Knowledge: Participation", "targetUrl": f"{BASE}/ob/spine/knowledge.participation",
         "targetFramework": "Cities of Learning spine", "targetCode": "knowledge.participation"},
        {"targetName": "Attitudes and values: Participation",
         "targetUrl": f"{BASE}/ob/spine/attitudes_values.participation",
         "targetFramework": "Cities of Learning spine", "targetCode": "attitudes_values.participation"}]
    issuer = pub.issuer_v2("college")
    assert issuer["publicKey"] == f"{BASE}/ob/v2/issuers/college/key"
    assert pub.key_v2("college")["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    cred = pub.credential_di(a.id)
    assert cred["@context"][:2] == ["https://www.w3.org/ns/credentials/v2",
                                    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    ach = cred["credentialSubject"]["achievement"]
    assert [x["targetCode"] for x in ach["alignment"]] == ["knowledge.participation", "attitudes_values.participation"]
    assert cred["validFrom"] == doc["issuedOn"] and cred["validUntil"] == doc["expires"]
    assert cred["credentialSubject"]["identifier"][0]["identityHash"] == doc["recipient"]["identity"]
    assert cred["credentialStatus"]["statusListCredential"] == f"{BASE}/ob/v3/issuers/college/status/0"
    assert [p["cryptosuite"] for p in cred["proof"]] == ["eddsa-rdfc-2022"]  # a proof set (OB 3.0 schema)
    # deterministic: the same award signs to the same bytes
    assert pub.credential_di(a.id) == cred and pub.credential_jwt(a.id) == pub.credential_jwt(a.id)
    v3 = pub.issuer_v3("college")
    assert v3["verificationMethod"][0]["id"] == cred["proof"][0]["verificationMethod"]
    with pytest.raises(NotFound):
        pub.assertion_v2("as-unknown")


def test_keys_are_private_files_never_in_the_graph(pub: Publisher, tmp_path: Path) -> None:
    _award(pub)
    pub.credential_jwt(_award(pub).id)
    key = pub.keys.issuer_key("college")
    path = pub.keys.key_path("college")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "recipient-pepper").stat().st_mode) == 0o600
    secret_b64 = key.private_pem.decode().splitlines()[1]
    dump = json.dumps(pub.store.read("MATCH (n) RETURN properties(n) AS p"))
    assert secret_b64 not in dump and "PRIVATE" not in dump
    # a second KeyStore on the same folder uses the same key
    from colearn.openbadges.keys import KeyStore
    assert KeyStore(tmp_path).issuer_key("college").public_pem == key.public_pem
    assert pub.keys.issuer_key("club").public_pem != key.public_pem
    assert "PRIVATE" not in repr(key)


def test_ob3_credentials_round_trip_through_openbadgeslib(pub: Publisher) -> None:
    a = _award(pub, "web")
    key = pub.keys.issuer_key("college").public_pem
    token = pub.credential_jwt(a.id)
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    got = OB3Verifier(key).verify(token, check_status=True, download=pub.fetch)
    assert got.id == f"{BASE}/ob/v3/credentials/{a.id}" and got.achievement.name == "Web Foundations"
    doc = pub.credential_di(a.id)
    got = OB3LdpVerifier(key).verify(doc, check_status=True, download=pub.fetch)
    assert got.identifiers[0].identity_hash == pub.assertion_v2(a.id).document["recipient"]["identity"]
    for report in (Verifier(pub).verify(token, identity=EMAIL), Verifier(pub).verify(doc, identity=EMAIL),
                   Verifier(pub).verify(pub.assertion_v2(a.id).document, identity=EMAIL),
                   Verifier(pub).verify(pub.urls.assertion(a.id))):
        assert report.valid, report.to_dict()
        assert [c.name for c in report.checks] == list(CHECKS) and report.assertion_id == a.id
        assert report.check("library").ok is True
    assert Verifier(pub).verify(token, identity="someone@else.example").failed == ["recipient"]


def test_tampered_expired_and_revoked_fail_with_the_right_reason(pub: Publisher) -> None:
    a = _award(pub, "web")
    token, doc = pub.credential_jwt(a.id), pub.credential_di(a.id)
    hosted = pub.assertion_v2(a.id).document
    v = Verifier(pub)
    # tampered: a signed member changed
    head, body, sig = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["name"] = "Something else"
    forged = ".".join([head, jwt.utils.base64url_encode(json.dumps(claims).encode()).decode(), sig])
    assert v.verify(forged).failed == ["signature"]
    doc2 = json.loads(json.dumps(doc))
    doc2["credentialSubject"]["achievement"]["name"] = "Something else"
    assert v.verify(doc2).failed == ["signature"]
    assert v.verify({**hosted, "badge": f"{BASE}/ob/v2/badges/app"}).failed == ["hosted"]
    # expired
    old = datetime.now(UTC) - timedelta(days=30)
    e = _award(pub, "app", issued_on=old, expires_on=old + timedelta(days=1))
    for presented in (pub.credential_jwt(e.id), pub.credential_di(e.id), pub.assertion_v2(e.id).document):
        report = v.verify(presented)
        assert report.failed == ["expiry"] and not report.valid
        assert report.check("expiry").detail.startswith("expired on")
    # revoked: the status list bit, the graph, the RevocationList, HTTP 410
    issuing.revoke(pub.store, a.id, "awarded in error")
    for presented in (token, doc, hosted, pub.assertion_v2(a.id).document):
        report = v.verify(presented, identity=EMAIL)
        assert report.failed == ["revocation"], report.to_dict()
        assert "awarded in error" in report.check("revocation").detail
        assert report.check("revocation").code == "revoked", report.to_dict()
    # openbadgeslib agrees, through our status list
    from openbadgeslib.ob3 import OB3VerificationError
    with pytest.raises(OB3VerificationError, match="revocation"):
        OB3Verifier(pub.keys.issuer_key("college").public_pem).verify(token, check_status=True, download=pub.fetch)


def test_baked_images_carry_the_award(pub: Publisher) -> None:
    a = _award(pub, "web")
    svg = images.badge_svg("Web Foundations", "participation", "Knowledge: Participation")
    png = images.badge_png("participation")
    assert png.startswith(b"\x89PNG")
    baked = [images.bake_ob2_svg(svg, pub.urls.assertion(a.id)),
             images.bake_ob2_png(png, json.dumps(pub.assertion_v2(a.id).document)),
             images.bake_ob3_svg(svg, pub.credential_jwt(a.id)),
             images.bake_ob3_png(png, pub.credential_jwt(a.id)),
             images.bake_ob3_svg(svg, json.dumps(pub.credential_di(a.id)))]
    for image, fmt in zip(baked, ["ob2-hosted", "ob2-hosted", "ob3-vc-jwt", "ob3-vc-jwt", "ob3-data-integrity"]):
        report = Verifier(pub).verify(image, identity=EMAIL)
        assert report.valid and report.format == fmt and report.baked_in in ("png", "svg"), report.to_dict()
    with pytest.raises(InvalidInput, match="no Open Badges"):
        Verifier(pub).verify(png)
    with pytest.raises(InvalidInput, match="not published by this service|not an assertion"):
        Verifier(pub).verify("https://elsewhere.example/assertion/1")


def test_status_lists_beyond_the_first(pub: Publisher) -> None:
    """An assertion whose status slot is past the first list points into the next one."""
    from colearn.openbadges.documents import STATUS_LIST_SIZE

    pub.store.write("MATCH (o:Organisation {id: 'college'}) SET o.status_next = $n", {"n": STATUS_LIST_SIZE + 3})
    a = _award(pub, "web")
    assert a.status_index == STATUS_LIST_SIZE + 3
    cred = pub.credential_di(a.id)
    assert cred["credentialStatus"]["statusListCredential"].endswith("/status/1")
    assert cred["credentialStatus"]["statusListIndex"] == "3"
    issuing.revoke(pub.store, a.id, "test")
    assert Verifier(pub).verify(cred).failed == ["revocation"]


def test_ob2_documents_lose_no_term_under_the_ob2_context(pub: Publisher) -> None:
    """JSON-LD expansion (pyld, the bundled OB 2.0 context, no network) keeps every
    member we publish: each is a term the context defines."""
    from pyld import jsonld

    from tests.conftest import REPO

    context = json.loads((REPO / "tests/data/openbadges/contexts/ob_v2_context.json").read_text())

    def loader(url: str, options=None) -> dict:
        assert url.rstrip("/") == "https://w3id.org/openbadges/v2", url
        return {"contextUrl": None, "documentUrl": url, "document": context}

    a = _award(pub, "safety", evidence_url="https://work.example/ada", evidence_narrative="Ran a workshop")
    gone = _award(pub, "app")
    issuing.revoke(pub.store, gone.id, "mistake")
    docs = [pub.issuer_v2("college"), pub.key_v2("college"), pub.revocation_list("college"),
            pub.badgeclass("safety"), pub.assertion_v2(a.id).document, pub.assertion_v2(gone.id).document]
    for doc in docs:
        expanded = jsonld.expand(doc, {"documentLoader": loader})
        assert len(expanded) == 1 and "@id" in expanded[0] and "@type" in expanded[0], doc
        # a member the context does not define is dropped by expansion: compacting back shows it
        back = jsonld.compact(expanded, "https://w3id.org/openbadges/v2", {"documentLoader": loader})
        assert set(back) == set(doc), (doc["type"], set(doc) ^ set(back))


def test_a_proofs_created_is_when_the_award_was_made_not_its_issue_date(pub: Publisher) -> None:
    """VC Data Integrity 1.0: ``created`` is when the proof was created. A backdated
    award's proof says when this service made it, the same at every fetch, and verifies."""
    before = datetime.now(UTC).replace(microsecond=0)
    old = before - timedelta(days=30)
    a = _award(pub, "web", issued_on=old)
    after = datetime.now(UTC)
    first, again = pub.credential_di(a.id), pub.credential_di(a.id)
    assert first == again  # signed per fetch, the same bytes each time
    created = datetime.fromisoformat(first["proof"][0]["created"].replace("Z", "+00:00"))
    assert before <= created <= after, (created, before, after)
    assert first["validFrom"].startswith(old.date().isoformat())  # the issue date stays what the issuer said
    key = pub.signing_key("college").public_pem
    OB3LdpVerifier(key).verify(first, check_status=True, download=pub.fetch)
    assert Verifier(pub).verify(first).valid is True
