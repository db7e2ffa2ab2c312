"""Verify an Open Badges 2.0 assertion, an OB 3.0 credential or a baked image, offline.

The answer is a ``VerificationReport``: ``valid``, and each check with its
outcome (``ok`` True, False, or None when it could not be made):

==============  ============================================================
``format``      the document has the shape its spec requires (OB 2.0: the
                JSON Schemas of ``schema.py``, a signed Assertion's ``id`` any
                absolute IRI, a hosted one's an http(s) URL; OB 3.0: ``openbadgeslib``'s
                credential model: VC 2.0 + OB 3.0 contexts, types, subject),
                and the shared rules on both: every ``image``
                (``rules.link_problems``: images, and URLs no two parsers read apart); OB 3.0 also the date syntax of
                ``OB3_DATES`` (``rules.parse_datetime``) and each hashed
                identifier's IdentityHash (``colearn.identity``) and a ``salt``
                that is a string (or absent or null)
``hosted``      OB 2.0: the assertion is hosted here and the presented copy
                (by value or baked in a PNG) says what the hosted one says,
                the hosted copy being authoritative (OB 2.0 HostedBadge): every
                top-level member compared (``rules.hosted_differences``; the
                same award's baked image in either format stands for its
                ``image``), the members that differ named (code ``tampered``); hosted
                elsewhere, its ``id`` must at least be on its issuer's host
                (``rules.hosted_origin_problem``, code ``origin``). OB 3.0
                (VC-JWT or Data Integrity) whose ``id`` is a credential URL of
                ours: the award is still published there, so a copy of an
                award its learner declined, or one withdrawn, fails (saying
                what an unknown id says); its revocation is the ``revocation``
                check
``issuer``      the issuer is an organisation of this service (whose key we hold)
``signature``   OB 3.0: the VC-JWT (RFC 7519, ``EdDSA`` per RFC 8037) or the
                Data Integrity proof (``eddsa-rdfc-2022``) verifies under the
                issuer's key (``proofs.signature_check``): any change to a
                signed member fails here (code ``tampered``); another
                cryptosuite or JOSE algorithm is not made (None, code
                ``unsupported-cryptosuite``); no proof is None (``no-proof``),
                a malformed one fails (``malformed-proof``), and so does any
                JWS with ``"alg": "none"`` (``alg-none``). OB 2.0 signed
                badges (a compact JWS): the JWS under the ``creator`` key (OB
                1.x: ``verify.url``) when that key is ours, else not made
                (``ob2-signed-unverifiable``)
``expiry``      not past ``expires`` / ``validUntil``, and the date rule of
                ``rules.date_problem`` (code ``dates``, the field named)
``revocation``  not revoked: the graph's status, the OB 2.0 RevocationList,
                the OB 3.0 Bitstring Status List bit, and a presented
                ``revoked: true`` whoever hosts it (code ``revoked``)
``recipient``   when an identity (email or URL) is given: it hashes, with the
                published salt, to the published identity (OB 2.0 / OB 3.0
                IdentityObject, by the one rule of ``colearn.identity``)
``library``     the whole document passes ``openbadgeslib``'s own verifier
                (``OB2Verifier.verify_hosted``, ``OB3Verifier``,
                ``OB3LdpVerifier``) with status checking on; run last, when
                every other check passed
==============  ============================================================

What an input is (an OB 2.0 Assertion or one stripped down after revocation,
an OB 2.0 or 1.x signed badge as a compact JWS, whitespace inside it allowed,
an OB 3.0 credential or VC-JWT, a URL) is decided by ``recognise.classify``,
whose rules ingest shares; a JWS in the JSON serialisation is refused there,
saying what to send instead. OB 2.0 dates are read by the one date rule
(``rules.parse_datetime``: an impossible date such as 2024-02-30 fails
``format`` naming the field, and ``expiry`` is then not made); OB 3.0 date
problems name the fields the credential used (``recognise.ob3_date_fields``).

Nothing is fetched over the network: documents under our base URL are built
from the graph (``Publisher.fetch``); for anything published elsewhere the
checks that need it answer None, and the report is not valid.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import jwt
from openbadgeslib.ob2 import OB2Verifier
from openbadgeslib.ob3 import OB3LdpVerifier, OB3Verifier, OpenBadgeCredential, check_credential_status

from colearn.errors import InvalidInput, NotFound
from colearn.graph.issuing import AssertionRecord, Recipient
from colearn.identity import IdentityHashError, identity_hash_matches, parse_identity_hash
from colearn.graph.schema import AssertionStatus
from colearn.openbadges.documents import OB2_CONTEXT, JWT_ALGORITHM, Publisher, iso
from colearn.openbadges.recognise import (REVOKED_STUB_MEMBERS, classify, has_context, is_signed, ob3_date_fields,
                                          signing_key_iri)
from colearn.openbadges.images import sniff, unbake
from colearn.openbadges.proofs import SUPPORTED_CRYPTOSUITES, signature_check, unsecured_jws
from colearn.openbadges.report import CHECKS, Check, VerificationReport
from colearn.openbadges.rules import (date_problem, datetime_problem, hosted_differences, hosted_origin_problem,
                                     link_problems, parse_datetime, verification_type)
from colearn.openbadges.schema import ob2_errors

#: What ``ObUrls.parse`` calls the URLs of an award's ``links``: what ``verify`` takes as a URL.
AWARD_URL_KINDS = ("assertion", "credential", "credential_jwt", "baked", "baked_v3")
#: OB 3.0 credential members that are dates (DateTimeZ; VCDM 1.1 names too).
OB3_DATES = ("validFrom", "validUntil", "issuanceDate", "expirationDate", "awardedDate")
#: OB 2.0 Assertion members that are dates (DateTime): the issue date and the expiry.
OB2_DATES = ("issuedOn", "expires")

def recipient_matches(published: dict[str, Any], identity: str, identity_type: str | None = None) -> bool:
    """Whether ``identity`` (plaintext) is the recipient of a published OB 2.0
    ``IdentityObject`` (``identity``, ``hashed``, ``salt``, ``type``) or OB 3.0
    one (``identityHash``, ``hashed``, ``salt``, ``identityType``), by the
    shared IdentityHash rule (``colearn.identity``: sha256 or md5, digest
    compared case-insensitively, a null salt is no salt)."""
    kind = identity_type or ("email" if "@" in identity else "url")
    plain = Recipient(kind, identity).normalised()
    value = published.get("identity", published.get("identityHash"))
    if not isinstance(value, str):
        return False
    if published.get("hashed"):
        salt = published.get("salt")
        return identity_hash_matches(value, plain, salt) or identity_hash_matches(value, identity.strip(), salt)
    return value.strip().lower() == plain.lower()


class Verifier:
    """Verifies documents against what this service published.

    Args:
        publisher: builds our documents from the graph and holds the keys.
        now: the time to check expiry at (epoch seconds); default the current time.
            ``openbadgeslib``'s own verifier always uses the current time.
    """

    def __init__(self, publisher: Publisher, now: int | None = None) -> None:
        self.publisher = publisher
        self.now = now

    def _now(self) -> int:
        return self.now if self.now is not None else int(time.time())

    # ------------------------------------------------------------------ entry

    def verify(self, data: bytes | str | dict[str, Any], *, identity: str | None = None) -> VerificationReport:
        """Verify a JSON document (dict or text), a VC-JWT, a URL under our base
        URL, or a baked PNG / SVG (bytes).

        Args:
            data: what to verify.
            identity: the recipient's email or URL, to check the award is theirs.

        Returns:
            The report (a document that fails a check is a report, not an error).

        Raises:
            InvalidInput: ``data`` is none of the above, is not JSON, or is a URL
                this service does not publish.
        """
        baked_in = None
        document: str | dict[str, Any]
        if isinstance(data, bytes):
            kind = sniff(data)
            if kind is not None:
                baked_in = kind
                _, document = unbake(data)
            else:
                try:
                    document = data.decode("utf-8-sig")
                except UnicodeDecodeError as exc:
                    raise InvalidInput("not UTF-8 text, a PNG or an SVG") from exc
        else:
            document = data
        report = self._dispatch(document, identity)
        report.baked_in = baked_in or report.baked_in
        return report

    def _dispatch(self, data: str | dict[str, Any], identity: str | None) -> VerificationReport:
        """Verify ``data`` as what ``recognise.classify`` takes it for."""
        kind, value = classify(data)
        if kind == "url":
            return self._local(value, identity)
        if kind == "ob2-signed":
            return self._ob2_signed(value[0], value[1], identity)
        if kind == "ob2":
            return self._ob2(value, identity)
        return self._ob3(value, identity)

    def _local(self, url: str, identity: str | None) -> VerificationReport:
        """Verify what this service publishes at ``url``: any of an award's ``links``
        (the OB 2.0 assertion, the OB 3.0 credential and its VC-JWT, the baked
        images: each verified as what it carries, the OB 2.0 hosted assertion or the
        VC-JWT, with ``baked_in`` set)."""
        parsed = self.publisher.urls.parse(url)
        if parsed is None or parsed[0] not in AWARD_URL_KINDS:
            raise InvalidInput(f"{url} is not an assertion or credential published by this service; "
                               "nothing is fetched over the network")
        kind, ids = parsed
        try:
            if kind == "baked":  # the PNG carries the hosted assertion, the SVG its URL: both verify as it
                document: str | dict[str, Any] = self.publisher.assertion_v2(ids[0]).document
            elif kind in ("credential_jwt", "baked_v3"):
                document = self.publisher.credential_jwt(ids[0])
            else:
                document = json.loads(self.publisher.fetch(url))
        except NotFound as exc:
            raise InvalidInput(exc.message) from exc
        report = self._dispatch(document, identity)
        if kind in ("baked", "baked_v3"):
            report.baked_in = ids[1]
        return report

    # ------------------------------------------------------------------ OB 2.0

    def _ob2(self, doc: dict[str, Any], identity: str | None) -> VerificationReport:
        rep = VerificationReport(valid=False, format="ob2-hosted", id=doc.get("id"))
        checks = self._ob2_checks(rep, doc, identity, signed=False)
        if verification_type(doc) == "signed":
            checks["hosted"] = Check("hosted", False, "a SignedBadge assertion is verified by its JWS signature "
                                     "(OB 2.0 Signed Verification); present the signed JWS, not its JSON payload",
                                     code="signed-without-jws")
        elif "hosted" not in checks:
            origin = hosted_origin_problem(doc)
            checks["hosted"] = Check("hosted", False, origin, code="origin") if origin else \
                Check("hosted", None, f"{doc['id']} is hosted elsewhere; it is not fetched (no network)")
        if self._clean(checks, required="hosted"):
            try:
                OB2Verifier(download=self.publisher.fetch).verify_hosted(doc, check_revocation=True)
                checks["library"] = Check("library", True, "openbadgeslib OB2Verifier.verify_hosted: valid")
            except Exception as exc:
                checks["library"] = Check("library", False, f"openbadgeslib: {exc}")
        return self._finish(rep, checks, required="hosted")

    def _ob2_signed(self, token: str, payload: dict[str, Any], identity: str | None) -> VerificationReport:
        """An OB 2.0 signed badge (OB 2.0 "Signed Verification"): a compact JWS whose
        payload is the Assertion and whose ``verification.creator`` names the
        issuer's ``CryptographicKey``. Verified when that key is one of ours;
        another issuer's key is not fetched (no network), so the signature is
        then not checked and the report is not valid."""
        rep = VerificationReport(valid=False, format="ob2-signed", id=payload.get("id"))
        checks = self._ob2_checks(rep, payload, identity, signed=True)
        if not is_signed(payload):
            checks["signature"] = Check("signature", False, "a JWS whose payload is an OB 2.0 Assertion must have "
                                        "verification.type SignedBadge (OB 1.x: verify.type signed)", code="tampered")
            return self._finish(rep, checks, required="signature")
        if (unsecured := unsecured_jws(token)) is not None:
            checks["signature"] = unsecured
            return self._finish(rep, checks, required="signature")
        creator = signing_key_iri(payload)
        parsed = self.publisher.urls.parse(creator) if isinstance(creator, str) else None
        if parsed is None or parsed[0] != "issuer_key":
            checks["signature"] = Check(
                "signature", None, f"an OB 2.0 signed badge: its creator key {creator!r} is published elsewhere "
                "and not fetched (no network), so the JWS signature is not checked", code="ob2-signed-unverifiable")
            return self._finish(rep, checks, required="signature")
        try:
            key = self.publisher.signing_key(parsed[1][0])
            jwt.decode(token, key.public_pem, algorithms=[JWT_ALGORITHM, "RS256"],
                       options={"verify_exp": False, "verify_nbf": False, "verify_aud": False})
            checks["signature"] = Check("signature", True, f"the JWS verifies under {creator}")
        except (NotFound, jwt.PyJWTError) as exc:
            checks["signature"] = Check("signature", False, f"the JWS does not verify under {creator}: {exc}",
                                        code="tampered")
        return self._finish(rep, checks, required="signature")

    def _ob2_checks(self, rep: VerificationReport, doc: dict[str, Any], identity: str | None, *,
                    signed: bool) -> dict[str, Check]:
        """The checks every OB 2.0 assertion gets: format, our hosted copy (when it
        is ours), issuer, expiry and dates, revocation, recipient."""
        checks: dict[str, Check] = {}
        minimal = set(doc) <= REVOKED_STUB_MEMBERS
        dates = {f"$.{name}": f"$.{name}: {wrong}" for name in OB2_DATES
                 if doc.get(name) is not None and (wrong := datetime_problem(doc[name]))}
        errors = [e for e in ob2_errors(doc, "RevokedAssertion" if minimal else "Assertion")
                  if e.split(":", 1)[0] not in dates] + list(dates.values()) + \
            [f"{where}: {wrong}" for where, wrong in link_problems(doc)]
        if signed and not has_context(doc, OB2_CONTEXT):
            errors.insert(0, f"not an OB 2.0 Assertion: its @context is not '{OB2_CONTEXT}'" + (
                " (an Open Badges 1.x assertion: OB 2.0 names 'verify' 'verification')" if "verify" in doc else ""))
        checks["format"] = Check("format", not errors, "; ".join(errors) or "an OB 2.0 Assertion")
        record, hosted = None, None
        parsed = self.publisher.urls.parse(doc["id"]) if isinstance(doc.get("id"), str) else None
        if parsed and parsed[0] == "assertion":
            try:
                record = self.publisher.issued(parsed[1][0])
                hosted = self.publisher.assertion_v2(record.id).document
                rep.assertion_id = record.id
            except NotFound:
                checks["hosted"] = Check("hosted", False, f"no assertion is hosted at {doc['id']}")
        recipient = doc.get("recipient")
        if record is not None and hosted is not None:
            revoked = record.status == AssertionStatus.REVOKED
            baked = {self.publisher.urls.baked(record.id, kind) for kind in ("png", "svg")}
            differs = [] if revoked or minimal else \
                hosted_differences(doc, hosted, images=baked if hosted.get("image") in baked else ())
            if not signed:
                checks["hosted"] = Check("hosted", not differs, f"differs from the hosted assertion in: "
                                         f"{', '.join(differs)}" if differs else f"hosted at {doc['id']}",
                                         code="tampered" if differs else None)
            checks["revocation"] = Check(
                "revocation", not revoked,
                f"revoked: {record.props.get('revocation_reason') or 'no reason given'}" if revoked
                else "not revoked (graph status and the issuer's RevocationList)", code="revoked" if revoked else None)
            org = self.publisher.organisation(record.issuer_id or "")
            checks["issuer"] = Check("issuer", True, f"issued here by {org.get('name') or record.issuer_id}")
            self._expiry(checks, record.props.get("issued_on"), record.props.get("expires_on"))
            if minimal:
                recipient = hosted.get("recipient")
        else:
            checks["issuer"] = Check("issuer", None, "the issuer is not an organisation of this service")
            self._expiry(checks, _epoch_of(doc.get("issuedOn")), _epoch_of(doc.get("expires")),
                         unread=[name for name in OB2_DATES if f"$.{name}" in dates])
            if doc.get("revoked") is True:  # OB 2.0 Assertion "revoked": reported whoever hosts it
                reason = doc.get("revocationReason") or "no reason given"
                checks["revocation"] = Check("revocation", False, f"revoked: {reason}", code="revoked")
        self._recipient(checks, identity, [recipient] if isinstance(recipient, dict) else [])
        return checks

    # ------------------------------------------------------------------ OB 3.0

    def _ob3(self, cred: str | dict[str, Any], identity: str | None) -> VerificationReport:
        is_jwt = isinstance(cred, str)
        rep = VerificationReport(valid=False, format="ob3-vc-jwt" if is_jwt else "ob3-data-integrity", id=None)
        checks: dict[str, Check] = {}
        errors: list[str] = []
        try:
            body = jwt.decode(cred, options={"verify_signature": False}) if isinstance(cred, str) else cred
            if not isinstance(body, dict):
                raise ValueError("the credential is not a JSON object")
            errors = _ob3_rule_errors(body)
            types = body.get("type")
            types = [types] if isinstance(types, str) else types if isinstance(types, list) else []
            if "VerifiableCredential" not in types or not {"OpenBadgeCredential", "AchievementCredential"} & {
                    t for t in types if isinstance(t, str)}:
                raise ValueError(f"type {types} must include VerifiableCredential and OpenBadgeCredential")
            model = OpenBadgeCredential.from_vc_document(body)
        except Exception as exc:
            checks["format"] = Check("format", False, "; ".join([*errors, f"not an OB 3.0 OpenBadgeCredential: {exc}"]))
            return self._finish(rep, checks, required="signature")
        rep.id = model.id
        checks["format"] = Check("format", not errors, "; ".join(errors) or "an OB 3.0 OpenBadgeCredential")
        ours = self._our_credential(model.id)
        record = self._our_record(ours)
        if record is not None:
            rep.assertion_id = record.id
        if ours is not None:  # our award as it stands now, as OB 2.0's hosted check
            published = record is not None and not record.withdrawn
            checks["hosted"] = Check("hosted", published, f"published at {model.id}" if published
                                     else f"no credential is published at {model.id}")
        parsed = self.publisher.urls.parse(model.issuer.id)
        org_id = parsed[1][0] if parsed and parsed[0] == "issuer_v3" else None
        pub = None
        if org_id is not None:
            try:
                org = self.publisher.organisation(org_id)
                pub = self.publisher.signing_key(org_id).public_pem
                checks["issuer"] = Check("issuer", True, f"issued here by {org.get('name') or org_id}")
            except NotFound:
                checks["issuer"] = Check("issuer", False, f"no organisation is published at {model.issuer.id}")
        else:
            checks["issuer"] = Check("issuer", None, f"{model.issuer.id} is not an issuer of this service")
        checks["signature"] = signature_check(cred, pub)
        self._expiry(checks, _ts(model.issuance_date), _ts(model.expiration_date), names=ob3_date_fields(body))
        if pub is not None and model.credential_status:
            try:
                check_credential_status(model, download=self.publisher.fetch, verify_list=True,
                                        list_pubkey_pem=pub)
                status_ok, detail = True, "not revoked (the issuer's signed Bitstring Status List)"
            except Exception as exc:
                status_ok, detail = False, f"revoked: {exc}"
            code = None
            if record is not None and record.status == AssertionStatus.REVOKED:
                status_ok, code = False, "revoked"
                detail = f"revoked: {record.props.get('revocation_reason') or 'no reason given'} ({detail})"
            checks["revocation"] = Check("revocation", status_ok, detail, code=code)
        elif model.credential_status:
            checks["revocation"] = Check("revocation", None, "the status list is published elsewhere; it is "
                                                             "not fetched (no network)")
        else:
            checks["revocation"] = Check("revocation", True, "the credential has no status entry")
        self._recipient(checks, identity, [i.to_dict() for i in model.identifiers],
                        subject_id=model.recipient_id)
        if self._clean(checks, required="signature") and pub is not None:
            try:
                if isinstance(cred, str):
                    OB3Verifier(pub).verify(cred, check_status=True, download=self.publisher.fetch)
                    name = "OB3Verifier"
                else:
                    OB3LdpVerifier(pub).verify(cred, check_status=True, download=self.publisher.fetch)
                    name = "OB3LdpVerifier"
                checks["library"] = Check("library", True, f"openbadgeslib {name}.verify: valid")
            except Exception as exc:
                checks["library"] = Check("library", False, f"openbadgeslib: {exc}")
        return self._finish(rep, checks, required="signature")

    def _our_credential(self, credential_id: str | None) -> str | None:
        """The assertion id when ``credential_id`` is one of our credential URLs, else None."""
        parsed = self.publisher.urls.parse(credential_id) if credential_id else None
        return parsed[1][0] if parsed and parsed[0] == "credential" else None

    def _our_record(self, assertion_id: str | None) -> AssertionRecord | None:
        """The award ``assertion_id`` when it is published (``Publisher.issued``: not
        declined, not unknown); else None."""
        try:
            return self.publisher.issued(assertion_id) if assertion_id else None
        except NotFound:
            return None

    # ------------------------------------------------------------------ shared

    def _expiry(self, checks: dict[str, Check], issued_on: int | None, expires_on: int | None, *,
                names: tuple[str, str] = OB2_DATES, unread: list[str] | None = None) -> None:
        """Expiry and the shared date rule (``rules.date_problem``): an expiry at or
        before the issue date, or an issue date in the future, fails naming the field
        (``names``: the issue and expiry fields as the document calls them). A date
        that is not a real one (``unread``, failed in ``format``) leaves it not made."""
        now = self._now()
        if unread:
            checks["expiry"] = Check("expiry", None, f"not made: {', '.join(repr(n) for n in unread)} is not a "
                                     "real date and time (see format)")
            return
        wrong = date_problem(*(None if t is None else datetime.fromtimestamp(t, UTC) for t in (issued_on, expires_on)),
                             now=datetime.fromtimestamp(now, UTC), issued_field=names[0], expires_field=names[1])
        if wrong is not None:
            checks["expiry"] = Check("expiry", False, wrong[1], code="dates")
        elif expires_on is not None and expires_on <= now:
            checks["expiry"] = Check("expiry", False, f"expired on {iso(expires_on)}")
        else:
            checks["expiry"] = Check("expiry", True, f"valid until {iso(expires_on)}" if expires_on is not None
                                     else "does not expire")

    @staticmethod
    def _recipient(checks: dict[str, Check], identity: str | None, published: list[dict[str, Any]],
                   subject_id: str | None = None) -> None:
        if identity is None:
            checks["recipient"] = Check("recipient", None, "no identity was given to check against")
            return
        if not published and subject_id is None:  # e.g. a revoked assertion's document, which keeps no recipient
            checks["recipient"] = Check("recipient", None, "the document names no recipient to check against")
            return
        plain = identity.strip()
        ok = any(recipient_matches(p, plain) for p in published) or (
            subject_id is not None and subject_id.removeprefix("mailto:").lower() == plain.lower())
        checks["recipient"] = Check("recipient", ok, "the award is for this identity" if ok
                                    else "the award is not for this identity")

    @staticmethod
    def _clean(checks: dict[str, Check], *, required: str) -> bool:
        return all(c.ok is not False for c in checks.values()) and bool(checks.get(required)) and \
            checks[required].ok is True

    def _finish(self, rep: VerificationReport, checks: dict[str, Check], *, required: str) -> VerificationReport:
        for name in CHECKS:
            if name not in checks:
                checks[name] = Check(name, None, "skipped: an earlier check failed" if name == "library"
                                     or any(c.ok is False for c in checks.values()) else "not applicable")
        rep.checks = [checks[n] for n in CHECKS]
        rep.valid = self._clean(checks, required=required) and checks["library"].ok is True
        return rep


def _ob3_rule_errors(body: dict[str, Any]) -> list[str]:
    """The shared rules on an OB 3.0 credential, as ``"<JSON path>: <message>"``: the
    date syntax (``rules.parse_datetime``) of ``OB3_DATES``, every image
    (``rules.link_problems``: images, and URLs no two parsers read apart), each ``identifier``'s ``salt`` (a string, or
    absent or null: OB 3.0 IdentityObject, as ingest's model and the OB 2.0
    schema's IdentityObject) and each hashed one's IdentityHash (``colearn.identity``)."""
    out = [f"$.{name}: {wrong}" for name in OB3_DATES
           if body.get(name) is not None and (wrong := datetime_problem(body[name]))]
    out += [f"{where}: {wrong}" for where, wrong in link_problems(body)]
    subjects = body.get("credentialSubject")
    for i, subject in enumerate(subjects if isinstance(subjects, list) else [subjects]):
        idents = subject.get("identifier") if isinstance(subject, dict) else None
        for j, ident in enumerate(idents if isinstance(idents, list) else [idents] if idents else []):
            where = f"$.credentialSubject{f'[{i}]' if isinstance(subjects, list) else ''}.identifier"
            if isinstance(ident, dict) and ident.get("salt") is not None and not isinstance(ident["salt"], str):
                out.append(f"{where}[{j}].salt: must be a string (OB 3.0 IdentityObject 'salt'), or absent or null "
                           "for no salt")
            if isinstance(ident, dict) and ident.get("hashed") is True:
                try:
                    value = ident.get("identityHash")
                    parse_identity_hash(value if isinstance(value, str) else "")
                except IdentityHashError as exc:
                    out.append(f"{where}[{j}].identityHash: {exc}")
    return out


def _ts(when: datetime | None) -> int | None:
    return None if when is None else int(when.timestamp())


def _epoch_of(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return int(parse_datetime(value).timestamp())
    except (ValueError, OverflowError):
        return None


__all__ = ["CHECKS", "OB3_DATES", "SUPPORTED_CRYPTOSUITES", "Check", "VerificationReport", "Verifier", "recipient_matches"]
