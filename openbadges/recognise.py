"""What a presented Open Badges input is: the recognition rules verify, import and ingest share.

``verify.Verifier`` decides by ``classify`` which verification an input gets;
ingest recognises the same shapes by the same functions, so that no reader
calls a document one thing while another calls it something else:

- ``is_revoked_stub``: an OB 2.0 Assertion stripped down after revocation
  (OB 2.0 "Assertion", ``revoked``: "If revoked is true, only revoked and id
  are required properties", ``revocationReason`` optional): ``id`` and
  ``revoked: true``, and nothing but ``@context``, ``type`` and
  ``revocationReason`` besides. Verify reports it revoked; ingest refuses it
  as carrying no award.
- ``compact_jws``: a JWS in the compact serialisation (RFC 7515 section 7.1:
  three base64url segments joined by ``.``). Base64url has no whitespace
  (RFC 4648 section 5), so whitespace inside one (a token line-wrapped by a
  mail client or a PEM-style tool) is removed before it is read.
- ``is_json_jws``: the JWS JSON serialisation (RFC 7515 section 7.2, general
  with ``signatures`` or flattened with ``signature``), which an OB 2.0 signed
  badge is not (OB 2.0 "Signed Verification" and "Baking": the signature is
  the compact JWS string); ``json_jws_message`` says what it is and what to
  send instead.
- ``is_ob2_signed_payload``: a JWS payload that is an OB 2.0 (or 1.x) signed
  Assertion, recognised by what it is, not only by its ``@context``: the OB 2.0
  or 1.x context, a ``verification`` (OB 2.0) or ``verify`` (OB 1.x
  VerificationObject) of type signed, or an Assertion's ``recipient`` and
  ``badge``; never a payload with a VC's marks (the ``vc`` claim of a VCDM 1.1
  JWT, a ``credentialSubject``, or a VC / OB 3.0 ``@context``).
- ``ob3_date_fields``: the names an OB 3.0 credential gave its dates:
  ``validFrom`` / ``validUntil`` (VCDM 2.0), else ``issuanceDate`` /
  ``expirationDate`` (credentials written for VCDM 1.1).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import jwt

from colearn.errors import InvalidInput
from colearn.openbadges.rules import verification_type

#: The OB 2.0 context and its other published URL (``ingest.openbadges.results``' ``OB2_CONTEXT`` and
#: ``OB2_CONTEXT_ALIASES``, not imported from there: the ingest package imports this module).
OB2_CONTEXTS = ("https://w3id.org/openbadges/v2", "https://openbadgespec.org/v2/context.json")
#: The Open Badges 1.1 context (1.0 documents carry none).
OB1_CONTEXT = "https://w3id.org/openbadges/v1"
#: The VC 2.0 and OB 3.0 contexts (an OB 3.0 credential names one of them).
OB3_CONTEXTS = ("https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0")
#: Every context a Verifiable Credential may carry (VCDM 1.1 too).
VC_CONTEXTS = (*OB3_CONTEXTS, "https://www.w3.org/2018/credentials")
#: The members an Assertion keeps once stripped down after revocation (OB 2.0 "Assertion").
REVOKED_STUB_MEMBERS = frozenset({"@context", "id", "type", "revoked", "revocationReason"})

_WHITESPACE = re.compile(r"\s+")
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]*$")


def has_context(doc: dict[str, Any], *prefixes: str) -> bool:
    """Whether ``doc``'s ``@context`` (one value or a list) names a context starting with any of ``prefixes``."""
    ctx = doc.get("@context")
    items = ctx if isinstance(ctx, list) else [ctx]
    return any(isinstance(c, str) and c.rstrip("/").startswith(p.rstrip("/")) for c in items for p in prefixes)


def is_revoked_stub(doc: Any) -> bool:
    """Whether ``doc`` is an OB 2.0 Assertion stripped down after revocation (module docstring)."""
    return isinstance(doc, dict) and doc.get("revoked") is True and isinstance(doc.get("id"), str) and \
        set(doc) <= REVOKED_STUB_MEMBERS


def compact_jws(text: str) -> str | None:
    """``text`` as a compact JWS with any whitespace removed (module docstring), or None
    when it is not three base64url segments with a non-empty header and payload."""
    token = _WHITESPACE.sub("", text)
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]) or not all(_BASE64URL.match(p) for p in parts):
        return None
    return token


def jws_payload(token: str) -> Any:
    """The JSON payload of a compact JWS / JWT, unverified; None when it is not JSON."""
    try:
        return jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None


def is_json_jws(doc: Any) -> bool:
    """Whether ``doc`` is a JWS in the JSON serialisation (RFC 7515 section 7.2)."""
    return isinstance(doc, dict) and isinstance(doc.get("payload"), str) and (
        isinstance(doc.get("signatures"), list) or isinstance(doc.get("signature"), str))


def json_jws_message(doc: dict[str, Any]) -> str:
    """Why a JWS JSON serialisation is refused, and what to send instead."""
    flat = "signature" in doc
    form = "flattened" if flat else "general"
    what = "an OB 2.0 signed badge" if is_ob2_signed_payload(segment_json(doc.get("payload"))) else "a JWS"
    return (f"this is {what} in the JWS JSON serialisation ({form}, RFC 7515 section 7.2); an Open Badges "
            "signed badge is the compact serialisation (RFC 7515 section 7.1; OB 2.0 Signed Verification): "
            "send '<protected>.<payload>.<signature>' (its members joined by '.') as 'jwt', or as the body "
            "with Content-Type application/jwt")


def segment_json(segment: Any) -> Any:
    """The JSON a base64url segment (of a JWS: RFC 7515) holds, or None."""
    if not isinstance(segment, str):
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, TypeError):
        return None


def ob1_verify_type(payload: dict[str, Any]) -> str | None:
    """The type of an OB 1.x ``verify`` VerificationObject (``hosted`` / ``signed``), lower case, or None."""
    v = payload.get("verify")
    t = v.get("type") if isinstance(v, dict) else None
    return t.lower() if isinstance(t, str) else None


def is_signed(payload: dict[str, Any]) -> bool:
    """Whether an Assertion says it is verified by signature: ``verification.type``
    SignedBadge (OB 2.0, ``rules.verification_type``) or ``verify.type`` signed (OB 1.x)."""
    return verification_type(payload) == "signed" or ob1_verify_type(payload) == "signed"


def signing_key_iri(payload: dict[str, Any]) -> Any:
    """The IRI of the key a signed Assertion names: ``verification.creator`` (OB 2.0),
    else ``verify.url`` (OB 1.x: "the URL of the public key"); None when it names none."""
    v = payload.get("verification")
    if isinstance(v, dict) and v.get("creator") is not None:
        return v.get("creator")
    old = payload.get("verify")
    return old.get("url") if isinstance(old, dict) else None


def is_ob2_signed_payload(payload: Any) -> bool:
    """Whether a JWS payload is an OB 2.0 (or 1.x) signed Assertion (module docstring)."""
    if not isinstance(payload, dict):
        return False
    if "vc" in payload or "credentialSubject" in payload or has_context(payload, *VC_CONTEXTS):
        return False
    if has_context(payload, *OB2_CONTEXTS, OB1_CONTEXT) or is_signed(payload):
        return True
    return "recipient" in payload and "badge" in payload


def classify(data: str | dict[str, Any]) -> tuple[str, Any]:
    """What ``verify`` takes ``data`` for, as ``(kind, value)``:

    ``("url", str)``; ``("ob2-signed", (compact JWS, payload dict))``;
    ``("ob3-jwt", compact JWS)``; ``("ob2", dict)`` (an OB 2.0 Assertion, or
    one stripped down after revocation); ``("ob3", dict)``.

    Raises:
        InvalidInput: not JSON (line and column given), not one JSON object, a
            JWS JSON serialisation (``json_jws_message``), or none of the above.
    """
    if isinstance(data, str):
        text = data.strip()
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
        elif text.startswith(("http://", "https://")):
            return "url", text
        elif (token := compact_jws(text)) is not None:
            payload = jws_payload(token)
            return ("ob2-signed", (token, payload)) if is_ob2_signed_payload(payload) else ("ob3-jwt", token)
        else:
            raise InvalidInput("expected an Open Badges JSON document, a VC-JWT, a URL or a baked image")
    if not isinstance(data, dict):
        raise InvalidInput("an Open Badges document is one JSON object")
    if is_json_jws(data):
        raise InvalidInput(json_jws_message(data))
    if has_context(data, OB2_CONTEXTS[0]) or is_revoked_stub(data):
        return "ob2", data
    if "proof" in data or has_context(data, *OB3_CONTEXTS):
        return "ob3", data
    raise InvalidInput("not an Open Badges 2.0 or 3.0 document: its @context names neither")


def ob3_date_fields(body: dict[str, Any]) -> tuple[str, str]:
    """``(issue field, expiry field)`` an OB 3.0 credential uses (module docstring)."""
    issued = "validFrom" if body.get("validFrom") is not None or body.get("issuanceDate") is None \
        else "issuanceDate"
    expires = "validUntil" if body.get("validUntil") is not None or body.get("expirationDate") is None \
        else "expirationDate"
    return issued, expires


__all__ = ["OB1_CONTEXT", "OB2_CONTEXTS", "OB3_CONTEXTS", "REVOKED_STUB_MEMBERS", "VC_CONTEXTS", "classify", "compact_jws",
           "has_context", "is_json_jws", "is_ob2_signed_payload", "is_revoked_stub", "is_signed",
           "json_jws_message", "jws_payload", "ob1_verify_type", "ob3_date_fields", "segment_json", "signing_key_iri"]
