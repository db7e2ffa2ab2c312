"""What the OB 2.0 and 3.0 parsers share: the parse context, validation with the
field named, the stable ids (``ob-org-<h>``, ``ob-badge-<h>``,
``ob-assertion-<h>``, learners by IdentityHash), dates, images, criteria,
alignments and placeholders for objects known only by URL."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from colearn import times
from colearn.errors import InvalidInput
from colearn.identity import IdentityHashError, compute_identity_hash, normalise_identity_hash
from colearn.ingest.openbadges.models import OB2Alignment, OB3Alignment
from colearn.ingest.openbadges.results import OB2_SPEC, OB3_SPEC, SOURCE, OBBadge, OBLearner, OBOrganisation
from colearn.openbadges.rules import date_problem, image_problem

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class _Ctx:
    """What one parse needs: the file, the spec version and the spine."""

    file: Path
    version: str
    cells: frozenset[str]
    framework: str

    def spec(self, anchor: str) -> str:
        base = OB2_SPEC if self.version == "2.0" else OB3_SPEC
        return f"{base}#{anchor}"

    def refuse(self, message: str, where: str | None = None, record: int | None = None) -> InvalidInput:
        return InvalidInput(message, file=str(self.file), record=record, field=where or None)


def _dotted(where: str, loc: tuple[Any, ...] = ()) -> str:
    return ".".join([p for p in [where, *(str(x) for x in loc)] if p])


def _json_kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def _validated(model: type[M], data: Any, ctx: _Ctx, *, cls: str, anchor: str, where: str = "") -> M:
    """Validate one object of class ``cls``; JSON ``null`` counts as absent (as in JSON-LD)."""
    if not isinstance(data, dict):
        raise ctx.refuse(f"{cls} must be a JSON object, not {_json_kind(data)} ({ctx.spec(anchor)})", where)
    data = {k: v for k, v in data.items() if v is not None}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        missing = [_dotted(where, e["loc"]) for e in errors if e["type"] == "missing"]
        if missing:
            names = ", ".join(f"'{m}'" for m in missing)
            s = "s" if len(missing) > 1 else ""
            raise ctx.refuse(f"incomplete {cls}: missing required field{s} {names} ({ctx.spec(anchor)})",
                             missing[0]) from exc
        first = errors[0]
        fld = _dotted(where, first["loc"])
        msg = first["msg"].removeprefix("Value error, ")
        raise ctx.refuse(f"{cls}: '{fld}': {msg} ({ctx.spec(anchor)})", fld) from exc


def _types(value: Any, ctx: _Ctx, *, cls: str, anchor: str, where: str) -> list[str]:
    if isinstance(value, str) and value:
        return [value]
    if isinstance(value, list) and value and all(isinstance(t, str) and t for t in value):
        return list(value)
    raise ctx.refuse(f"{cls}: 'type' must be a string or a list of strings ({ctx.spec(anchor)})",
                     _dotted(where, ("type",)))


def _need_type(value: Any, wanted: set[str], ctx: _Ctx, *, cls: str, anchor: str, where: str) -> list[str]:
    types = _types(value, ctx, cls=cls, anchor=anchor, where=where)
    if not wanted & set(types):
        want = " or ".join(sorted(wanted))
        raise ctx.refuse(f"{cls}: 'type' {types} must include {want} ({ctx.spec(anchor)})",
                         _dotted(where, ("type",)))
    return types


def _hash_id(kind: str, iri: str) -> str:
    return f"ob-{kind}-{hashlib.sha256(iri.encode('utf-8')).hexdigest()[:20]}"


def organisation_id(iri: str) -> str:
    """The ``Organisation`` id for a Profile IRI: ``ob-org-<20 hex of sha256(iri)>``."""
    return _hash_id("org", iri)


def badge_id(iri: str) -> str:
    """The ``Badge`` id for a BadgeClass / Achievement IRI: ``ob-badge-<20 hex>``."""
    return _hash_id("badge", iri)


def assertion_id(iri: str) -> str:
    """The ``Assertion`` id for an Assertion / credential IRI: ``ob-assertion-<20 hex>``."""
    return _hash_id("assertion", iri)


def hash_identity(plaintext: str, salt: str | None) -> str:
    """The OB IdentityHash an issuer would publish: ``sha256$`` + hex sha256(plaintext + salt)
    (``colearn.identity.compute_identity_hash``; a null salt is no salt)."""
    return compute_identity_hash(plaintext, salt)


def learner_id(identity_hash: str, salt: str | None) -> str:
    """The ``Learner`` id: ``ob-`` + hex sha256 of ``"<IdentityHash>$<salt>"``."""
    return "ob-" + hashlib.sha256(f"{identity_hash}${salt or ''}".encode("utf-8")).hexdigest()


def _learner(identity: str, hashed: bool, salt: str | None, recipient_type: str,
             ctx: _Ctx, *, where: str, anchor: str) -> OBLearner:
    if hashed:
        try:  # the IdentityHash rule verify and import use too (colearn.identity)
            identity_hash = normalise_identity_hash(identity)
        except IdentityHashError as exc:
            raise ctx.refuse(f"{exc} ({ctx.spec(anchor)})", where) from exc
    else:
        identity_hash = hash_identity(identity, salt)
    props: dict[str, Any] = {"source": SOURCE, "identity_hash": identity_hash, "recipient_type": recipient_type}
    if salt:
        props["salt"] = salt
    return OBLearner(learner_id(identity_hash, salt), props)


def _check_dates(ctx: _Ctx, issued: datetime | None, expires: datetime | None, issued_field: str,
                 expires_field: str, cls: str) -> None:
    """The shared date rule (``rules.date_problem``): refuse, naming the field."""
    wrong = date_problem(issued, expires, now=datetime.now(UTC), issued_field=issued_field,
                         expires_field=expires_field)
    if wrong is not None:
        raise ctx.refuse(f"{cls}: {wrong[1]}", wrong[0])


def _http(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None


def _image_url(value: Any, ctx: _Ctx, *, where: str, anchor: str) -> str | None:
    """An image given as an IRI / data URI or as an Image object; only http(s) URLs are kept.
    A data URI that is not ``image/png`` or ``image/svg+xml`` is refused (``rules.image_problem``)."""
    if value is None:
        return None
    wrong = image_problem(value)
    if wrong:
        raise ctx.refuse(f"'{where}': {wrong} ({ctx.spec(anchor)})", where)
    if isinstance(value, str):
        return _http(value)
    if isinstance(value, dict):
        if not isinstance(value.get("id"), str) or not value["id"]:
            raise ctx.refuse(f"incomplete Image: missing required field '{where}.id' ({ctx.spec(anchor)})",
                             f"{where}.id")
        return _http(value["id"])
    raise ctx.refuse(f"'{where}' must be an IRI or an Image object ({ctx.spec(anchor)})", where)


def _criteria(value: Any, ctx: _Ctx, *, where: str, anchor: str) -> dict[str, Any]:
    if isinstance(value, str) and value:
        return {"criteria_url": value}
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        if isinstance(value.get("id"), str) and value["id"]:
            out["criteria_url"] = value["id"]
        if isinstance(value.get("narrative"), str) and value["narrative"]:
            out["criteria_narrative"] = value["narrative"]
        if out:
            return out
        raise ctx.refuse(f"Criteria needs an 'id' or a 'narrative' ({ctx.spec(anchor)})", where)
    raise ctx.refuse(f"'{where}' must be an IRI or a Criteria object ({ctx.spec(anchor)})", where)


def _alignments(value: Any, ctx: _Ctx, *, where: str) -> tuple[tuple[str, ...], dict[str, Any]]:
    """Split alignments into spine cells and the others' names and URLs."""
    if value is None:
        return (), {}
    items = value if isinstance(value, list) else [value]
    model, anchor = (OB2Alignment, "Alignment") if ctx.version == "2.0" else (OB3Alignment, "alignment")
    cells: list[str] = []
    names: list[str] = []
    urls: list[str] = []
    for i, item in enumerate(items):
        al = _validated(model, item, ctx, cls="Alignment", anchor=anchor, where=f"{where}.{i}")
        if isinstance(al, OB3Alignment):
            _need_type(al.type, {"Alignment"}, ctx, cls="Alignment", anchor=anchor, where=f"{where}.{i}")
        code = al.targetCode
        if code in ctx.cells and al.targetFramework in (None, ctx.framework):
            if code not in cells:
                cells.append(code)
        else:
            names.append(al.targetName)
            urls.append(al.targetUrl)
    props = {"alignment_names": names, "alignment_urls": urls} if names else {}
    return tuple(cells), props


def _clean(props: dict[str, Any]) -> dict[str, Any]:
    """Drop absent values and empty lists (neither engine stores null properties)."""
    return {k: v for k, v in props.items() if v is not None and v != []}


def _epoch(when: datetime | None) -> int | None:
    return None if when is None else int(when.timestamp())


def _expiry_epoch(when: datetime | None) -> int | None:
    """An expiry as stored: after ``times.LATEST`` it is ``LATEST`` (``times.stored_expiry``)."""
    return None if when is None else int(times.stored_expiry(when).timestamp())


def _evidence_urls(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value] if value is not None else []
    out = []
    for item in items:
        ref = item if isinstance(item, str) else item.get("id") if isinstance(item, dict) else None
        if isinstance(ref, str) and ref:
            out.append(ref)
    return out


def _org_stub(iri: str, version: str) -> OBOrganisation:
    return OBOrganisation(organisation_id(iri), iri, {
        "name": f"Issuer at {iri}", "source": SOURCE, "source_url": iri, "ob_version": version, "stub": True},
        stub=True)


def _badge_stub(iri: str, version: str) -> OBBadge:
    return OBBadge(badge_id(iri), iri, {
        "name": f"Badge at {iri}", "source": SOURCE, "source_url": iri, "ob_version": version, "stub": True},
        stub=True)


