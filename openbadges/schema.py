"""The OB 2.0 JSON Schemas colearn checks its own documents (and presented ones) against.

``schemas/ob2.schema.json`` is written from the required-field tables of the
Open Badges 2.0 specification (sections "Profile", "CryptographicKey",
"BadgeClass", "Assertion", "RevocationList", "IdentityObject",
"VerificationObject", "Alignment", "Criteria", "Evidence"); one ``$defs``
entry per class.
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


@lru_cache
def _validator(cls: str) -> Draft202012Validator:
    if cls not in OB2_CLASSES:
        raise ValueError(f"no OB 2.0 schema for '{cls}' (known: {', '.join(OB2_CLASSES)})")
    schema = ob2_schema()
    return Draft202012Validator({"$schema": schema["$schema"], "$ref": f"#/$defs/{cls}", "$defs": schema["$defs"]})


def ob2_errors(document: Any, cls: str) -> list[str]:
    """Every way ``document`` breaks the OB 2.0 schema of ``cls``, as
    ``"<json path>: <message>"``; empty when it is valid."""
    errors = sorted(_validator(cls).iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{e.json_path}: {e.message}" for e in errors]
