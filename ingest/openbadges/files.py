"""One Open Badges file -> one validated ``OBDocument`` (JSON read with the error
placed, the spec version from ``@context``, dispatch by ``type``); never
touches the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from colearn.errors import InvalidInput
from colearn.ingest.openbadges.fields import _Ctx, _json_kind, _types
from colearn.ingest.openbadges.ob2 import _ob2_assertion, _ob2_badgeclass, _ob2_issuer
from colearn.ingest.openbadges.ob3 import _ob3_achievement, _ob3_credential, _ob3_profile
from colearn.ingest.openbadges.results import (
    _CRED_TYPES,
    OB2_CONTEXT,
    OB2_CONTEXT_ALIASES,
    OB2_SPEC,
    OB3_CONTEXT_PREFIX,
    SKIPPED_TYPES,
    OBDocument,
)
from colearn.ingest.spine import SpineFile, read_spine
from colearn.openbadges.recognise import is_revoked_stub


def _explain_json_error(exc: json.JSONDecodeError, text: str) -> str:
    at = text[exc.pos] if exc.pos < len(text) else ""
    ended = exc.pos >= len(text.rstrip())
    if exc.msg.startswith("Invalid control character"):
        what = ("a raw control character (a line break or a tab) inside a string; JSON needs it "
                "written as \\n or \\t")
    elif exc.msg.startswith("Expecting property name"):
        what = ("a comma before '}' with no property after it (trailing comma)" if at == "}"
                else "a property name that is not in double quotes")
    elif exc.msg.startswith("Expecting value"):
        what = ("a comma before ']' with no value after it (trailing comma)" if at == "]"
                else "the document ends where a value is expected" if ended
                else "a value that is not JSON (single quotes, a comment, a bare word?)")
    elif exc.msg.startswith("Expecting ',' delimiter") or exc.msg.startswith("Expecting ':' delimiter"):
        what = ("the document ends before every '{' and '[' is closed" if ended
                else "a missing ',' between two values" if "','" in exc.msg else "a missing ':' after a name")
    elif exc.msg.startswith("Unterminated string"):
        what = "a string that is never closed"
    elif exc.msg.startswith("Extra data"):
        what = "text after the end of the JSON value"
    else:
        what = exc.msg
    return f"{what} (json: {exc.msg})"


def load_json(p: Path) -> Any:
    """The JSON in file ``p`` (UTF-8, a BOM allowed).

    Raises:
        InvalidInput: naming the file: it cannot be read, is not UTF-8, or is not
            JSON (``record`` is the line; the message gives line and column).
    """
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read: {exc}", file=str(p)) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"not UTF-8 text (bad byte at offset {exc.start})", file=str(p)) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not valid JSON at line {exc.lineno}, column {exc.colno}: "
                           f"{_explain_json_error(exc, text)}", file=str(p), record=exc.lineno) from exc


def _version(context: Any) -> str | None:
    items = context if isinstance(context, list) else [context]
    for c in items:
        if isinstance(c, str) and (c.rstrip("/") == OB2_CONTEXT or c in OB2_CONTEXT_ALIASES):
            return "2.0"
        if isinstance(c, str) and c.startswith(OB3_CONTEXT_PREFIX):
            return "3.0"
    return None


def parse_openbadges_document(path: Path | str, *, spine: SpineFile | None = None,
                              document: Any = None) -> OBDocument:
    """Read and validate one Open Badges file; never touches the store.

    Args:
        path: a JSON file holding one OB 2.0 or OB 3.0 object.
        spine: the spine whose cells an ``alignment`` may name (``targetCode``);
            default the bundled ``data/spine.yaml``.
        document: the parsed JSON, when it did not come from a file (an
            upload); ``path`` then only names it in errors.

    Returns:
        The document's Organisations, Badges and Assertions (placeholders for
        objects named by URL only), or ``skipped`` set with the reason for a
        recognised type that is not ingested (see the module docstring).

    Raises:
        InvalidInput: the file is not UTF-8 JSON (``record`` is the line; the
            message gives line, column and what is wrong), is not one object,
            has no ``type`` or ``@context`` (a fragment), misses a field its
            class requires or has a bad value (``field`` names it; the message
            cites the spec section), or has a type colearn does not read.
    """
    p = Path(path)
    spine = spine or read_spine()
    cells = frozenset(f"{d.id}.{lay.id}" for d in spine.domains for lay in spine.layers)
    doc = load_json(p) if document is None else document
    if not isinstance(doc, dict):
        raise InvalidInput(f"an Open Badges document is one JSON object, not {_json_kind(doc)}", file=str(p))
    missing = [k for k in ("@context", "id", "type") if doc.get(k) is None]
    if "type" in missing:
        names = ", ".join(f"'{m}'" for m in missing)
        s = "s" if len(missing) > 1 else ""
        why = ("this is a fragment of a larger object" if not is_revoked_stub(doc) else
               "this looks like a hosted Assertion stripped down after revocation (only 'id' and 'revoked'), "
               "which carries no award to ingest")
        raise InvalidInput(
            f"incomplete Open Badges object: missing required field{s} {names}; every OB 2.0 and 3.0 class "
            f"(Assertion, BadgeClass, Profile, credential) requires 'type', and {why}", file=str(p), field="type")
    version = _version(doc.get("@context"))
    if version is None:
        what = "missing required field '@context'" if doc.get("@context") is None else \
            f"unsupported @context {doc['@context']!r}"
        raise InvalidInput(f"{what}: expected the Open Badges 2.0 context '{OB2_CONTEXT}' or an Open Badges "
                           f"3.0 context '{OB3_CONTEXT_PREFIX}...'", file=str(p), field="@context")
    ctx = _Ctx(p, version, cells, spine.framework.name)
    types = _types(doc["type"], ctx, cls="Open Badges object", anchor="", where="")
    source_id = doc.get("id") if isinstance(doc.get("id"), str) else None
    for t in types:
        if t in SKIPPED_TYPES:
            return OBDocument(p, version, t, source_id, skipped=SKIPPED_TYPES[t])
    if version == "2.0":
        if "Assertion" in types:
            if doc.get("revoked") is True:
                return OBDocument(p, version, "Assertion", source_id, skipped=(
                    f"a revoked Assertion ({OB2_SPEC}#Assertion, 'revoked') carries no award to ingest; "
                    "revoking an award already in the graph is a separate operation"))
            return _ob2_assertion(doc, ctx)
        if "BadgeClass" in types:
            badge, orgs = _ob2_badgeclass(doc, ctx, where="")
            return OBDocument(p, version, "BadgeClass", source_id, organisations=orgs, badges=[badge])
        if "Issuer" in types or "Profile" in types:
            org = _ob2_issuer(doc, ctx, where="")
            return OBDocument(p, version, "Issuer" if "Issuer" in types else "Profile", source_id,
                              organisations=[org])
        known = "Assertion, BadgeClass, Issuer/Profile, " + ", ".join(k for k in SKIPPED_TYPES if k != "EndorsementCredential")
    else:
        if _CRED_TYPES & set(types):
            return _ob3_credential(doc, ctx, types)
        if "Achievement" in types:
            badge, orgs = _ob3_achievement(doc, ctx, where="", issuer=None)
            return OBDocument(p, version, "Achievement", source_id, organisations=orgs, badges=[badge])
        if "Profile" in types:
            return OBDocument(p, version, "Profile", source_id, organisations=[_ob3_profile(doc, ctx, where="")])
        known = "OpenBadgeCredential, AchievementCredential, Achievement, Profile, EndorsementCredential"
    raise InvalidInput(f"type {types} is not an Open Badges {version} object that colearn reads ({known})",
                       file=str(p), field="type")


