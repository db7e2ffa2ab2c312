"""The OB 2.0 JSON Schemas colearn checks its own documents (and presented ones) against.

``schemas/ob2.schema.json`` is written from the required-field tables of the
Open Badges 2.0 specification (sections "Profile", "CryptographicKey",
"BadgeClass", "Assertion", "RevocationList", "IdentityObject",
"VerificationObject", "Alignment", "Criteria", "Evidence"); one ``$defs``
entry per class. An Assertion's ``id`` is an IRI: a hosted one's (HostedBadge)
the http(s) URL it is fetched from (OB 2.0 "Hosted Verification"), a signed
one's (SignedBadge) any absolute IRI (``AbsoluteIRI``, RFC 3987 section 2.2),
such as the ``urn:uuid`` OB 2.0 "Signed Verification" recommends.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

#: The classes ``ob2_errors`` checks.
OB2_CLASSES = ("Profile", "CryptographicKey", "BadgeClass", "Assertion", "RevokedAssertion", "RevocationList")


@lru_cache
def ob2_schema() -> dict[str, Any]:
    """The schema document (``$defs`` keyed by class)."""
    text = resources.files("colearn.openbadges").joinpath("schemas", "ob2.schema.json").read_text("utf-8")
    return json.loads(text)


def _to_the_end(node: Any) -> Any:
    """``node`` with every ``pattern`` that ends in ``$`` ending in ``\\Z`` instead.

    JSON Schema patterns are ECMA-262 regular expressions, where ``$`` (without the
    multiline flag) matches only at the end of the text; ``jsonschema`` runs them
    with Python's ``re``, where ``$`` also matches before a final newline, so
    ``"sha256$<hex>\\n"`` or a date with a newline after it passed. ``\\Z`` is
    the end of the text in Python.
    """
    if isinstance(node, dict):
        return {k: (v[:-1] + "\\Z" if k == "pattern" and isinstance(v, str) and v.endswith("$")
                    and not v.endswith("\\$") else _to_the_end(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_to_the_end(v) for v in node]
    return node


@lru_cache
def _validator(cls: str) -> Draft202012Validator:
    if cls not in OB2_CLASSES:
        raise ValueError(f"no OB 2.0 schema for '{cls}' (known: {', '.join(OB2_CLASSES)})")
    schema = ob2_schema()
    return Draft202012Validator({"$schema": schema["$schema"], "$ref": f"#/$defs/{cls}",
                                 "$defs": _to_the_end(schema["$defs"])})


def ob2_errors(document: Any, cls: str) -> list[str]:
    """Every way ``document`` breaks the OB 2.0 schema of ``cls``, as
    ``"<json path>: <message>"``; empty when it is valid."""
    errors = sorted(_validator(cls).iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{e.json_path}: {e.message}" for e in errors]
