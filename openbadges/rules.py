"""Rules about presented Open Badges documents that verify, import and ingest share.

One function per rule, each returning what is wrong (or nothing), so that
``verify.Verifier``, ``importing.import_badge`` and ``ingest.openbadges``
answer the same document the same way:

- ``image_problem``: an image is an http(s) IRI, an Image object with one, or
  a ``data:`` URI (RFC 2397, parameters allowed) of ``image/png`` or
  ``image/svg+xml`` only (OB 2.0 "Image": "PNG or SVG"; OB 3.0 Image);
  anything else (``data:text/html``, ``javascript:``) is refused.
- ``date_problem``: the stated rule for dates. An award whose expiry
  (``expires`` / ``validUntil``) is at or before its issue (``issuedOn`` /
  ``validFrom``) is refused, naming the expiry field; one issued more than
  ``CLOCK_SKEW_S`` (5 minutes) in the future is refused, naming the issue
  field. Dates are ISO 8601 with a time zone (OB 2.0 DateTime, XML Schema
  ``dateTimeStamp``); a date without one is refused by the readers.
- ``hosted_origin_problem``: OB 2.0 hosted verification ("Hosted
  Verification" and ``VerificationObject.allowedOrigins`` /
  ``startsWith``): a hosted Assertion's ``id`` must be an http(s) IRI on a
  host its issuer allows: the hosts in ``verification.allowedOrigins``, else
  the host of the issuer Profile's ``id``. When the issuer is named only
  through a BadgeClass IRI (nothing is fetched here), the BadgeClass's host
  stands for the issuer's. Host names compare case-insensitively.
- ``signed_ob2_problem``: an OB 2.0 ``SignedBadge`` is verified by its JWS
  (OB 2.0 "Signed Verification"); the bare JSON of one carries no proof.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

#: Media types an image data URI may have.
IMAGE_TYPES = ("image/png", "image/svg+xml")
#: How far in the future an issue date may lie (clock skew between systems), seconds.
CLOCK_SKEW_S = 300

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


def date_problem(issued: datetime | None, expires: datetime | None, *, now: datetime,
                 issued_field: str, expires_field: str) -> tuple[str, str] | None:
    """``(field, message)`` when the dates break the rule in the module docstring, else None."""
    if issued is not None and expires is not None and expires <= issued:
        return expires_field, (f"'{expires_field}' ({expires.isoformat()}) is not after '{issued_field}' "
                               f"({issued.isoformat()}): an award cannot expire before it is issued")
    if issued is not None and (issued - now).total_seconds() > CLOCK_SKEW_S:
        return issued_field, (f"'{issued_field}' ({issued.isoformat()}) is in the future: an award cannot be "
                              f"issued later than now (allowing {CLOCK_SKEW_S} s of clock skew)")
    return None


def _host(iri: Any) -> str | None:
    if not isinstance(iri, str):
        return None
    parts = urlsplit(iri.strip())
    return parts.hostname.lower() if parts.scheme in ("http", "https") and parts.hostname else None


def _as_list(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value] if value is not None else []
    return [v for v in items if isinstance(v, str) and v]


def hosted_origin_problem(doc: dict[str, Any]) -> str | None:
    """What breaks the OB 2.0 hosted-verification origin rule (module docstring), or None.

    Args:
        doc: an OB 2.0 Assertion with ``verification.type`` HostedBadge.
    """
    aid = doc.get("id")
    host = _host(aid)
    if host is None:
        return f"a hosted Assertion's 'id' must be an http(s) URL to fetch it from, not {aid!r}"
    badge = doc.get("badge")
    issuer = badge.get("issuer") if isinstance(badge, dict) else None
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer if isinstance(issuer, str) else None
    verification = issuer.get("verification") if isinstance(issuer, dict) else None
    allowed = [h.lower() for h in _as_list((verification or {}).get("allowedOrigins"))] \
        if isinstance(verification, dict) else []
    starts = _as_list((verification or {}).get("startsWith")) if isinstance(verification, dict) else []
    if allowed:
        whose = "the hosts its issuer's verification.allowedOrigins lists"
    elif _host(issuer_id):
        allowed, whose = [_host(issuer_id) or ""], f"its issuer's host ({_host(issuer_id)})"
    elif _host(badge.get("id") if isinstance(badge, dict) else badge):
        b = _host(badge.get("id") if isinstance(badge, dict) else badge) or ""
        allowed, whose = [b], f"its BadgeClass's host ({b}), standing for its issuer's"
    else:
        return None
    if host not in allowed:
        return (f"the Assertion 'id' is on {host}, not on {whose}: OB 2.0 hosted verification fetches an "
                "assertion only from its issuer's origin")
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


__all__ = ["CLOCK_SKEW_S", "IMAGE_TYPES", "date_problem", "hosted_origin_problem", "image_problem",
           "verification_type"]
