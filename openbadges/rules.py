"""Rules about presented Open Badges documents that verify, import and ingest share.

One function per rule, each returning what is wrong (or nothing), so that
``verify.Verifier``, ``importing.import_badge`` and ``ingest.openbadges``
answer the same document the same way:

- ``image_problem``: an image is an http(s) IRI (read by
  ``origins.http_origin``), an Image object with one, or
  a ``data:`` URI (RFC 2397, parameters allowed) of ``image/png`` or
  ``image/svg+xml`` only (OB 2.0 "Image": "PNG or SVG"; OB 3.0 Image);
  anything else (``data:text/html``, ``javascript:``) is refused.
- ``image_problems``: ``image_problem`` applied to every ``image`` member a
  document carries, at any depth (OB 2.0: the Assertion, its BadgeClass and
  issuer Profile; OB 3.0: the credential, its ``credentialSubject``, the
  Achievement, the issuer and creator Profiles, embedded endorsements).
- ``url_problems``: every IRI-valued member (``URL_MEMBERS``: ``id``,
  ``url``, ``image``, ``badge``, ``issuer``, ``evidence``, ``criteria``,
  ``creator``, ``revocationList``, ``publicKey``, ``owner``, ``targetUrl``,
  ``verify.url`` of OB 1.x, at any depth) that is an http(s) URL must pass
  ``origins.http_origin`` (no backslash, control character or user
  information; a valid host and port), so that no reader takes a URL that a
  WHATWG parser reads as on another host. ``link_problems``: both, each member once
  (verify's ``format`` check).
- ``parse_datetime``: the syntax of every date. ``DATETIME_PATTERN`` is XML
  Schema 1.1 ``dateTimeStamp`` (a ``dateTime`` whose time zone is required):
  ``YYYY-MM-DDThh:mm:ss[.f+](Z|+hh:mm|-hh:mm)``, as OB 2.0 "DateTime" and
  OB 3.0 "DateTimeZ" state it (and ``schemas/ob2.schema.json``'s
  ``DateTime``). ISO 8601 forms outside it (``+0200``, a space for the ``T``,
  week or ordinal dates, no time zone) are refused, naming the field.
- ``date_problem``: the stated rule for dates. An award whose expiry
  (``expires`` / ``validUntil``) is at or before its issue (``issuedOn`` /
  ``validFrom``) is refused, naming the expiry field; one issued more than
  ``CLOCK_SKEW_S`` (5 minutes) in the future, or before 1970-01-01T00:00:00Z
  (``colearn.times.EARLIEST``, the earliest time stored), is refused, naming
  the issue field. An expiry after ``colearn.times.LATEST`` (such as
  9999-12-31T23:59:59Z, a common "never expires") is not a problem: it is
  stored as ``LATEST`` (``times.stored_expiry``), a time never reached.
- ``hosted_origin_problem``: OB 2.0 hosted verification ("HostedBadge" and
  ``VerificationObject.allowedOrigins`` / ``startsWith``): a hosted
  Assertion's ``id`` must be an http(s) URL on an origin its issuer allows.
  Every URL here is read by ``origins.http_origin`` (one reading that RFC 3986
  and WHATWG parsers share: no backslash, control character or user
  information, an IDNA host, a port), and one that breaks it is refused naming
  its field. The allowed origins are the entries of the issuer's
  ``verification.allowedOrigins`` (each ``host`` or ``host:port``,
  ``origins.allowed_origin``), else the issuer ``id``'s host and port (as
  1EdTech's validator, which takes the issuer id's authority); when the issuer
  is named only through a BadgeClass IRI (nothing is fetched here), the
  BadgeClass's stands for it. An id matches an entry when its ASCII host
  (lower case, IDNA to ASCII) is the entry's and its port is the entry's, the
  default port of the id's scheme standing for an entry without one
  (``https://h`` and ``https://h:443`` match ``h``; ``https://h:8443`` only
  ``h:8443``). The scheme is not compared (the spec's allowed origin is a
  host; the validator compares authorities).
- ``signed_ob2_problem``: an OB 2.0 ``SignedBadge`` is verified by its JWS
  (OB 2.0 "Signed Verification"); the bare JSON of one carries no proof.
- ``hosted_differences``: OB 2.0 hosted verification (``HostedBadge``: the
  Assertion is verified by fetching it from its ``id``) makes the hosted copy
  authoritative, so a presented copy (given by value or baked into an image)
  must say what the hosted one says: every top-level member is compared as a
  JSON value (key order, array order and the JSON text's whitespace do not
  matter, as JSON-LD arrays are unordered unless declared ``@list``, which no
  OB 2.0 term is; the order of ``@context``'s contexts does); strings, numbers and booleans do; a member only one side has
  is a difference). Forms that say the same are the same: a single ``@context``
  or ``type`` and a list of just it (JSON-LD), a DateTime and another
  spelling of the same instant (``Z`` or ``+00:00``, fractions of a second),
  a hashed ``recipient.identity`` in upper or lower case (the same digest),
  ``verification.type`` ``hosted`` and ``HostedBadge`` (OB 1.1's name), and
  an ``image`` naming another image the caller says stands for the hosted one.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from collections.abc import Collection, Iterator
from typing import Any
from colearn.openbadges.origins import Origin, allowed_origin, as_allowed, http_origin, origin_allowed
from colearn.times import EARLIEST

#: Media types an image data URI may have.
IMAGE_TYPES = ("image/png", "image/svg+xml")
#: How far in the future an issue date may lie (clock skew between systems), seconds.
CLOCK_SKEW_S = 300

#: XML Schema 1.1 ``dateTimeStamp`` (section 3.4.28), the lexical form of OB 2.0
#: "DateTime" and OB 3.0 "DateTimeZ"; ``schemas/ob2.schema.json`` states the same.
DATETIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"
_DATETIME = re.compile(DATETIME_PATTERN)
#: Deepest nesting ``image_problems`` looks into.
_MAX_DEPTH = 32

_DATA_URI = re.compile(r"^data:([^,;]*)((?:;[^,;]*)*),", re.IGNORECASE | re.DOTALL)


def image_problem(value: Any) -> str | None:
    """What is wrong with an image value (IRI, data URI or Image object), or None."""
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("id")
        if value is None:
            return None
    if not isinstance(value, str):
        return "must be an IRI, a data URI or an Image object"
    text = value.strip()
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    if scheme in ("http", "https"):
        try:
            http_origin(text)
        except ValueError as exc:
            return f"the image URL {exc}"
        return None
    if scheme == "data":
        m = _DATA_URI.match(text)
        media = m.group(1).strip().lower() if m else ""
        if media in IMAGE_TYPES:
            return None
        return (f"a data URI image must be {' or '.join(IMAGE_TYPES)} (RFC 2397), not "
                f"'{media or 'text/plain'}'")
    if scheme in ("javascript", "vbscript", "file"):
        return f"an image cannot be a '{scheme}:' URI"
    return None


def _members(document: Any) -> Iterator[tuple[str, str, Any]]:
    """``(JSON path such as "$.badge.issuer.id", key, value)`` of every member of every object
    in ``document``, at any depth up to ``_MAX_DEPTH``, parents before their members."""
    def walk(value: Any, path: str, depth: int) -> Iterator[tuple[str, str, Any]]:
        if depth > _MAX_DEPTH:
            return
        if isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}"
                yield where, key, item
                yield from walk(item, where, depth + 1)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from walk(item, f"{path}[{i}]", depth + 1)

    return walk(document, "$", 0)


def image_problems(document: Any) -> list[tuple[str, str]]:
    """Every ``image`` member of ``document`` (at any depth) that breaks
    ``image_problem``, as ``(JSON path such as "$.credentialSubject.image",
    message)``; empty when all are fine. OB 2.0 "Image", OB 3.0 "Image"."""
    return [(where, wrong) for where, key, item in _members(document)
            if key == "image" and (wrong := image_problem(item))]


#: Members whose values are IRIs (OB 2.0 / OB 1.1 / OB 3.0 terms) that ``url_problems`` reads.
URL_MEMBERS = frozenset(("id", "url", "image", "badge", "issuer", "evidence", "criteria", "creator",
                         "revocationList", "publicKey", "owner", "targetUrl"))


def url_problems(document: Any, members: Collection[str] = URL_MEMBERS) -> list[tuple[str, str]]:
    """Every http(s) URL in a ``members`` member of ``document`` (at any depth; a string, or
    strings in a list) that ``origins.http_origin`` refuses, as ``(JSON path such as
    "$.badge.issuer.id", message)``; empty when all are fine. Other schemes
    (``urn:uuid:``, ``data:``, ``did:``) are not URLs here."""
    found: list[tuple[str, str]] = []
    for where, key, item in _members(document):
        if key not in members:
            continue
        for i, one in enumerate(item if isinstance(item, list) else [item]):
            try:
                http_origin(one)
            except ValueError as exc:
                found.append((f"{where}[{i}]" if isinstance(item, list) else where, str(exc)))
    return found


def link_problems(document: Any) -> list[tuple[str, str]]:
    """``image_problems`` of ``document``, then ``url_problems`` of its other members (an
    image is judged once, by ``image_problem``, which reads an http(s) image with
    ``http_origin`` too): what verify adds to its ``format`` check."""
    return image_problems(document) + url_problems(document, URL_MEMBERS - {"image"})


def parse_datetime(value: Any) -> datetime:
    """An aware ``datetime`` from a ``dateTimeStamp`` string (``DATETIME_PATTERN``;
    XML Schema 1.1 section 3.4.28, OB 2.0 "DateTime", OB 3.0 "DateTimeZ").

    Raises:
        ValueError: not a string, not of that form (the message says what is
            expected), or not a real date and time (such as month 13).
    """
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date and time string such as '2026-05-01T10:00:00Z'")
    if not _DATETIME.fullmatch(value):
        hint = " (it has no time zone: add 'Z' or an offset such as '+00:00')" \
            if re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+$", value) else ""
        raise ValueError(f"'{value}' is not an ISO 8601 date and time of the form YYYY-MM-DDThh:mm:ss with 'Z' or "
                         f"an offset '+hh:mm' (XML Schema dateTimeStamp){hint}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a real date and time: {exc}") from exc


def datetime_problem(value: Any) -> str | None:
    """What ``parse_datetime`` refuses in ``value``, or None."""
    try:
        parse_datetime(value)
    except ValueError as exc:
        return str(exc)
    return None


def _before_earliest(when: datetime) -> bool:
    try:
        return when < EARLIEST
    except OverflowError:  # year 1 at +14:00: far before
        return True


def date_problem(issued: datetime | None, expires: datetime | None, *, now: datetime,
                 issued_field: str, expires_field: str) -> tuple[str, str] | None:
    """``(field, message)`` when the dates break the rule in the module docstring, else None.

    Args:
        issued: the issue date (``issuedOn`` / ``validFrom``), aware, or None.
        expires: the expiry (``expires`` / ``validUntil``), aware, or None.
        now: the time to compare with.
        issued_field: the issue field's name, for the message.
        expires_field: the expiry field's name.
    """
    if issued is not None and _before_earliest(issued):
        return issued_field, (f"'{issued_field}' ({issued.isoformat()}) is before {EARLIEST:%Y-%m-%dT%H:%M:%SZ}: "
                              "an award cannot be issued before the earliest time stored")
    if issued is not None and expires is not None and expires <= issued:
        return expires_field, (f"'{expires_field}' ({expires.isoformat()}) is not after '{issued_field}' "
                               f"({issued.isoformat()}): an award cannot expire before it is issued")
    if issued is not None and (issued - now).total_seconds() > CLOCK_SKEW_S:
        return issued_field, (f"'{issued_field}' ({issued.isoformat()}) is in the future: an award cannot be "
                              f"issued later than now (allowing {CLOCK_SKEW_S} s of clock skew)")
    return None


def _origin(value: Any, field: str) -> Origin | None:
    """``origins.http_origin`` of a member, its error naming ``field``."""
    try:
        return http_origin(value)
    except ValueError as exc:
        raise ValueError(f"'{field}' {exc}") from exc


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def _allowed(doc: dict[str, Any]) -> tuple[list[tuple[str, int | None]], str] | None:
    """The origins ``doc``'s issuer allows and a phrase naming them, or None when nothing
    names an http(s) issuer or BadgeClass.

    Raises:
        ValueError: the issuer's or BadgeClass's id breaks ``origins.http_origin``, or
            ``allowedOrigins`` has no valid entry (the field named).
    """
    badge = doc.get("badge")
    issuer = badge.get("issuer") if isinstance(badge, dict) else None
    issuer_id, issuer_field = (issuer.get("id"), "badge.issuer.id") if isinstance(issuer, dict) else \
        (issuer, "badge.issuer")
    issuer_origin = _origin(issuer_id, issuer_field)
    badge_id, badge_field = (badge.get("id"), "badge.id") if isinstance(badge, dict) else (badge, "badge")
    badge_origin = _origin(badge_id, badge_field)
    verification = issuer.get("verification") if isinstance(issuer, dict) else None
    entries = [e for e in _as_list(verification.get("allowedOrigins")) if e != ""] \
        if isinstance(verification, dict) else []
    if entries:
        allowed: list[tuple[str, int | None]] = []
        wrong: list[str] = []
        for entry in entries:
            try:
                allowed.append(allowed_origin(entry))
            except ValueError as exc:
                wrong.append(str(exc))
        if not allowed:
            raise ValueError(f"'badge.issuer.verification.allowedOrigins' has no valid entry: {'; '.join(wrong)}")
        names = ", ".join(h if p is None else f"{h}:{p}" for h, p in allowed)
        return allowed, f"the origins its issuer's verification.allowedOrigins lists ({names})"
    if issuer_origin is not None:
        return [as_allowed(issuer_origin)], f"its issuer's origin ({issuer_origin.authority})"
    if badge_origin is not None:
        return [as_allowed(badge_origin)], \
            f"its BadgeClass's origin ({badge_origin.authority}), standing for its issuer's"
    return None


def hosted_origin_problem(doc: dict[str, Any]) -> str | None:
    """What breaks the OB 2.0 hosted-verification origin rule (module docstring), or None.

    Args:
        doc: an OB 2.0 Assertion with ``verification.type`` HostedBadge.

    Returns:
        A message naming the field at fault (``id``, ``badge.issuer.id``,
        ``badge.id``, ``badge.issuer.verification.allowedOrigins``), or None.
    """
    aid = doc.get("id")
    try:
        origin = _origin(aid, "id")
        if origin is None:
            return f"a hosted Assertion's 'id' must be an http(s) URL to fetch it from, not {aid!r}"
        allowed = _allowed(doc)
    except ValueError as exc:
        return str(exc)
    if allowed is None:
        return None
    entries, whose = allowed
    if not any(origin_allowed(origin, entry) for entry in entries):
        return (f"the Assertion 'id' is on {origin.authority}, not on {whose}: OB 2.0 hosted verification "
                "fetches an assertion only from its issuer's origin")
    badge = doc.get("badge")
    issuer = badge.get("issuer") if isinstance(badge, dict) else None
    verification = issuer.get("verification") if isinstance(issuer, dict) else None
    starts = [s for s in _as_list(verification.get("startsWith")) if isinstance(s, str) and s] \
        if isinstance(verification, dict) else []
    if starts and not any(aid.startswith(s) for s in starts):
        return f"the Assertion 'id' does not start with its issuer's verification.startsWith {starts}"
    return None


def verification_type(doc: dict[str, Any]) -> str:
    """``hosted`` or ``signed``: an OB 2.0 Assertion's verification type (default hosted)."""
    v = doc.get("verification")
    t = v.get("type") if isinstance(v, dict) else None
    types = t if isinstance(t, list) else [t]
    return "signed" if any(isinstance(x, str) and x.lower() in ("signedbadge", "signed") for x in types) \
        else "hosted"


#: OB 2.0 Assertion members that are DateTimes (compared as instants by ``hosted_differences``).
_DATE_MEMBERS = ("issuedOn", "expires")
#: OB 1.1 names of the verification types, and their OB 2.0 ones.
_VERIFICATION_ALIASES = {"hosted": "HostedBadge", "signed": "SignedBadge"}


def _canonical(value: Any) -> str:
    """A JSON value as text that two JSON-equal values share: object members sorted by
    name, array elements sorted (JSON-LD arrays are unordered sets unless their term is an
    ``@list``, and no OB 2.0 term is), a whole-valued number written as an integer."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_canonical(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, list):
        return "[" + ",".join(sorted(_canonical(v) for v in value)) + "]"
    if isinstance(value, float) and value.is_integer():
        return json.dumps(int(value))
    return json.dumps(value)


def _same_json(a: Any, b: Any) -> bool:
    """JSON-LD equality of two JSON values (``_canonical``): objects by their members whatever
    their order, arrays whatever their order; a boolean equals only a boolean (Python's
    ``True == 1`` does not hold here). Sorting keeps it O(n log n) for a long array."""
    return _canonical(a) == _canonical(b)


def _hashed_identity(recipient: Any) -> Any:
    """``recipient`` with a hashed ``identity`` in lower case: ``sha256$`` and a hex digest
    (OB 2.0 IdentityObject) name the same hash in either case."""
    if isinstance(recipient, dict) and recipient.get("hashed") is True and isinstance(recipient.get("identity"), str):
        return {**recipient, "identity": recipient["identity"].lower()}
    return recipient


def _one_or_list(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


def _instant(value: Any) -> Any:
    try:
        return parse_datetime(value)
    except (ValueError, OverflowError, TypeError):
        return value


def _same_member(name: str, given: Any, hosted: Any, images: Collection[str]) -> bool:
    if name == "@context":  # the one member whose order counts: contexts apply in turn (JSON-LD 1.1 §4.1)
        return [_canonical(c) for c in _one_or_list(given)] == [_canonical(c) for c in _one_or_list(hosted)]
    if name == "type":
        return _same_json(_one_or_list(given), _one_or_list(hosted))
    if name in _DATE_MEMBERS:
        g, h = _instant(given), _instant(hosted)
        return g == h if isinstance(g, datetime) and isinstance(h, datetime) else _same_json(given, hosted)
    if name == "image" and isinstance(given, str) and given in images:
        return True
    if name == "recipient":
        given, hosted = _hashed_identity(given), _hashed_identity(hosted)
    if name == "verification" and isinstance(given, dict) and isinstance(hosted, dict):
        given, hosted = ({**v, "type": [_VERIFICATION_ALIASES.get(t, t) if isinstance(t, str) else t
                                        for t in _one_or_list(v["type"])]} if "type" in v else v
                         for v in (given, hosted))
    return _same_json(given, hosted)


def hosted_differences(given: dict[str, Any], hosted: dict[str, Any], *,
                       images: Collection[str] = ()) -> list[str]:
    """The top-level members in which a presented OB 2.0 Assertion differs from its
    hosted copy (module docstring), sorted; empty when it says what the hosted one says.

    Args:
        given: the presented Assertion (given by value, or read out of a baked image).
        hosted: the Assertion as its issuer hosts it at its ``id``.
        images: ``image`` values that stand for the hosted ``image`` (such as the
            same award's baked image in the other format).
    """
    return [name for name in sorted(set(given) | set(hosted))
            if name not in given or name not in hosted or not _same_member(name, given[name], hosted[name], images)]


__all__ = ["CLOCK_SKEW_S", "DATETIME_PATTERN", "IMAGE_TYPES", "date_problem", "datetime_problem",
           "hosted_differences", "hosted_origin_problem", "image_problem", "image_problems", "link_problems",
           "parse_datetime", "url_problems", "verification_type"]
