"""Reader for Open Badges 2.0 and 3.0 JSON documents -> graph writes.

Specs: Open Badges 2.0 (OB2_SPEC, sections ``#Assertion``, ``#BadgeClass``,
``#Profile``, ``#IdentityObject``, ``#VerificationObject``, ``#Alignment``) and
Open Badges 3.0 (OB3_SPEC, classes ``AchievementCredential``,
``AchievementSubject``, ``Achievement``, ``Profile``, ``Alignment``,
``IdentityObject``). Every refusal names the section it relies on.

One file holds one JSON object. ``parse_openbadges_document`` reads and
validates one file without touching the store; ``ingest_openbadges`` parses a
batch, checks it against the graph and writes it.

What becomes what:

- OB 2.0 ``Issuer``/``Profile`` and OB 3.0 ``Profile`` (also the ``issuer`` of a
  BadgeClass or credential, and an Achievement's ``creator``) ->
  ``Organisation`` ``ob-org-<h>``.
- OB 2.0 ``BadgeClass`` and OB 3.0 ``Achievement`` (a credential's
  ``credentialSubject.achievement``) -> ``Badge`` ``ob-badge-<h>``, with
  ``(:Organisation)-[:DEFINES]->`` from its issuer (OB 3.0: the Achievement's
  ``creator``, else the credential's issuer). An ``alignment`` whose
  ``targetCode`` is a cell of the city's spine (e.g. ``skills.demonstration``)
  and whose ``targetFramework`` is absent or the spine's framework name
  becomes ``-[:ALIGNS_TO]->`` that ``SpineCell``; every other alignment is kept
  as the parallel list properties ``alignment_names`` / ``alignment_urls``.
- OB 2.0 ``Assertion`` and OB 3.0 ``OpenBadgeCredential`` /
  ``AchievementCredential`` -> ``Assertion`` ``ob-assertion-<h>`` (status
  ``accepted``, ``issued_on`` / ``expires_on`` epoch seconds from ``issuedOn`` /
  ``expires`` or ``validFrom`` / ``validUntil``; OB 3.0 documents written for
  VCDM 1.1 use ``issuanceDate`` / ``expirationDate`` and are read the same way),
  ``-[:OF]->`` its Badge, ``-[:TO]->`` a ``Learner``, ``<-[:ISSUED]-`` its issuer.
  In OB 2.0 an Assertion has no issuer of its own: it is the issuer of its
  BadgeClass, linked as soon as that is known (also by a later ingest).

``<h>`` is the first 20 hex digits of the SHA-256 of the object's ``id`` IRI,
which is kept as ``source_url``: ids are safe in URLs and stable, so a batch
ingested twice changes nothing.

Learners are identified by the recipient, never by a plaintext email:

- the identity kept is an OB IdentityHash ``sha256$<hex>``: as published when
  the recipient is ``hashed``, otherwise computed here from the plaintext and
  the salt exactly as an issuer would (``sha256(identity + salt)``), so the
  same person awarded once hashed and once in plaintext with the same salt is
  one learner. An OB 3.0 subject ``id`` (usually a DID, sometimes a
  ``mailto:``) is hashed the same way (no salt); when it is absent the first
  ``identifier`` IdentityObject is used;
- the Learner id is ``ob-<sha256 of "<IdentityHash>$<salt>">``; the Learner
  keeps ``identity_hash``, ``salt`` and ``recipient_type``, never the plaintext.

An issuer's contact ``email`` and ``telephone`` are validated (OB 2.0 requires
``email`` of an issuer Profile) but not stored: the graph does not need them.

Objects known only by URL. An OB 2.0 Assertion may name its BadgeClass, and a
BadgeClass its issuer, by IRI only. When that object is neither in the same
batch nor already in the graph, a placeholder is written: a ``Badge`` or
``Organisation`` with ``stub: true``, ``source_url`` and the name "Badge at
<url>" / "Issuer at <url>" (the service does not fetch URLs while ingesting).
Placeholders never overwrite an existing node, and ingesting the real object
later replaces the placeholder's properties (``stub: false``) and gives the
waiting assertions their issuer. ``OpenBadgesReport.stubs`` lists them.

Recognised but not ingested (``OpenBadgesReport.skipped``, with the reason):
``CryptographicKey``, ``RevocationList``, ``Endorsement`` (OB 2.0),
``EndorsementCredential`` (OB 3.0) and a revoked OB 2.0 Assertion
(``revoked: true``). Endorsements embedded in other objects are ignored.

Refused (``InvalidInput``, the message names the file and what is wrong):
a file that is not UTF-8 JSON (with the line and column of the JSON error), a
fragment without ``type`` or ``@context``, an object missing a field its spec
requires (the field is named; a credential's ``name`` is optional, as in the
current OB 3.0 data model and JSON Schema), a bad value (e.g. a timestamp
without a time zone, a hashed identity that breaks the IdentityHash rule of
``colearn.identity``, an image data URI that is not PNG or SVG), dates that
break ``openbadges.rules.date_problem`` (expiry at or before issue; issued in
the future), a hosted Assertion whose ``id`` is on another host than its
issuer (``openbadges.rules.hosted_origin_problem``), an unknown ``type``, and
an assertion id that the batch or the graph already uses for a different
badge or recipient. Verify and import apply the same rules
(``openbadges.rules``, ``colearn.identity``); embedded objects need no
``@context`` of their own (they share the document's).

Atomicity: every file of a batch is parsed and checked before anything is
written; in strict mode (the default) one refused file refuses the batch and
nothing is written. Writes are idempotent ``MERGE`` statements, one ``UNWIND``
per kind and batch; if the store fails part-way, running the same batch again
completes it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, ValidationError

from colearn import times
from colearn.errors import InvalidInput
from colearn.graph import feed, queries
from colearn.graph.schema import AssertionStatus, Label, Rel
from colearn.graph.store import GraphStore
from colearn.ingest.common import IngestReport, write_batches
from colearn.identity import IdentityHashError, compute_identity_hash, normalise_identity_hash
from colearn.ingest.spine import SpineFile, ingest_spine, read_spine
from colearn.openbadges.rules import date_problem, hosted_origin_problem, image_problem, verification_type

#: ``source`` property of everything this reader writes.
SOURCE = "openbadges"

OB2_SPEC = "https://www.imsglobal.org/sites/default/files/Badges/OBv2p0Final/index.html"
OB3_SPEC = "https://www.imsglobal.org/spec/ob/v3p0/"
OB2_CONTEXT = "https://w3id.org/openbadges/v2"
#: Other published URLs of the OB 2.0 context.
OB2_CONTEXT_ALIASES = ("https://openbadgespec.org/v2/context.json",)
OB3_CONTEXT_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/"

#: Types that are recognised and reported as not ingested, with the reason.
SKIPPED_TYPES: dict[str, str] = {
    "CryptographicKey": (
        f"a signing key ({OB2_SPEC}#CryptographicKey) is verification material, not a badge "
        "or an award; keys are kept outside the graph"),
    "RevocationList": (
        f"a revocation list ({OB2_SPEC}#RevocationList) is not applied by ingest; revoking "
        "an award is a separate operation on the graph"),
    "Endorsement": (
        f"an endorsement ({OB2_SPEC}#Endorsement) is a claim about another object; the graph "
        "does not hold endorsements"),
    "EndorsementCredential": (
        f"an endorsement credential ({OB3_SPEC}#endorsementcredential) is a claim about "
        "another object; the graph does not hold endorsements"),
}

_CRED_TYPES = {"OpenBadgeCredential", "AchievementCredential"}

M = TypeVar("M", bound=BaseModel)


# --------------------------------------------------------------------------
# Parsed shapes
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class OBOrganisation:
    """An ``Organisation`` to write.

    Attributes:
        id: ``ob-org-<h>``.
        source_url: the Profile's ``id`` IRI.
        props: node properties.
        stub: True for a placeholder (known by URL only).
    """

    id: str
    source_url: str
    props: dict[str, Any]
    stub: bool = False


@dataclass(frozen=True)
class OBBadge:
    """A ``Badge`` to write.

    Attributes:
        id: ``ob-badge-<h>``.
        source_url: the BadgeClass / Achievement ``id`` IRI.
        props: node properties.
        issuer_id: the ``Organisation`` that DEFINES it, if known.
        cells: spine cell ids it ALIGNS_TO.
        stub: True for a placeholder (known by URL only).
    """

    id: str
    source_url: str
    props: dict[str, Any]
    issuer_id: str | None = None
    cells: tuple[str, ...] = ()
    stub: bool = False


@dataclass(frozen=True)
class OBLearner:
    """A ``Learner``: ``ob-<sha256>`` and its hashed identity properties."""

    id: str
    props: dict[str, Any]


@dataclass(frozen=True)
class OBAssertion:
    """An ``Assertion`` to write.

    Attributes:
        id: ``ob-assertion-<h>``.
        source_url: the Assertion / credential ``id`` IRI.
        badge_id: the Badge it is OF.
        issuer_id: the Organisation that ISSUED it, if known (OB 2.0: the
            BadgeClass's issuer).
        learner: the recipient.
        props: node properties.
    """

    id: str
    source_url: str
    badge_id: str
    issuer_id: str | None
    learner: OBLearner
    props: dict[str, Any]


@dataclass
class OBDocument:
    """One parsed, valid Open Badges file.

    Attributes:
        path: the file.
        version: ``"2.0"`` or ``"3.0"``.
        kind: the type read (``Assertion``, ``BadgeClass``, ``Issuer``,
            ``Profile``, ``OpenBadgeCredential``, ``AchievementCredential``,
            ``Achievement``, or a skipped type).
        source_id: the document's ``id``, if it has one.
        organisations: Organisations it carries (full or placeholders).
        badges: Badges it carries (full or placeholders).
        assertions: Assertions it carries.
        skipped: why it is not ingested, for a recognised type that is not;
            None for a document to ingest.
    """

    path: Path
    version: str
    kind: str
    source_id: str | None = None
    organisations: list[OBOrganisation] = field(default_factory=list)
    badges: list[OBBadge] = field(default_factory=list)
    assertions: list[OBAssertion] = field(default_factory=list)
    skipped: str | None = None


@dataclass
class OpenBadgesReport(IngestReport):
    """``IngestReport`` plus what was recognised but not ingested, and the placeholders.

    Attributes:
        skipped: ``[(file, reason)]`` for recognised types that are not ingested.
        stubs: ``[(label, source_url)]`` for placeholders created by this ingest.
    """

    skipped: list[tuple[str, str]] = field(default_factory=list)
    stubs: list[tuple[str, str]] = field(default_factory=list)


class BatchRefused(InvalidInput):
    """A strict batch with refused files: nothing was written.

    Attributes:
        refused: ``[(file, reason)]`` for every refused file.
    """

    def __init__(self, refused: list[tuple[str, str]], total: int) -> None:
        self.refused = list(refused)
        lines = "\n".join(f"  - {f}: {r}" for f, r in self.refused)
        super().__init__(f"{len(self.refused)} of {total} Open Badges file(s) refused; "
                         f"nothing was written:\n{lines}")


# --------------------------------------------------------------------------
# Validation models (fields as named in the specs; nested objects are
# validated one class at a time so that errors cite the right section)
# --------------------------------------------------------------------------


def _aware_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 timestamp string")
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"'{value}' is not an ISO 8601 timestamp") from exc
    if when.tzinfo is None:
        raise ValueError(f"'{value}' has no time zone (add 'Z' or an offset such as '+00:00')")
    times.in_range(when)
    return when


DateTimeZ = Annotated[datetime, BeforeValidator(_aware_datetime)]
Text = Annotated[str, Field(min_length=1)]


class _OB(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class OB2Profile(_OB):
    """OB 2.0 Profile used as an issuer (``#Profile``: id, type, name, url, email)."""

    id: Text
    type: Any
    name: Text
    url: Text
    email: Text
    description: str | None = None
    image: Any = None


class OB2BadgeClass(_OB):
    """OB 2.0 BadgeClass (``#BadgeClass``)."""

    id: Text
    type: Any
    name: Text
    description: Text
    image: Any
    criteria: Any
    issuer: Any
    alignment: Any = None
    tags: list[str] | None = None


class OB2Alignment(_OB):
    """OB 2.0 AlignmentObject (``#Alignment``)."""

    targetName: Text
    targetUrl: Text
    targetDescription: str | None = None
    targetFramework: str | None = None
    targetCode: str | None = None


class OB2IdentityObject(_OB):
    """OB 2.0 IdentityObject (``#IdentityObject``)."""

    identity: Text
    type: Text
    hashed: StrictBool
    salt: str | None = None


class OB2Verification(_OB):
    """OB 2.0 VerificationObject (``#VerificationObject``)."""

    type: Any


class OB2Assertion(_OB):
    """OB 2.0 Assertion (``#Assertion``)."""

    id: Text
    type: Any
    recipient: Any
    badge: Any
    verification: Any
    issuedOn: DateTimeZ
    expires: DateTimeZ | None = None
    evidence: Any = None
    narrative: str | None = None


class OB3Credential(_OB):
    """OB 3.0 AchievementCredential / OpenBadgeCredential (a VerifiableCredential)."""

    id: Text
    type: Any
    name: str | None = None  # optional in the current OB 3.0 data model and JSON Schema
    issuer: Any
    credentialSubject: Any
    validFrom: DateTimeZ | None = None
    issuanceDate: DateTimeZ | None = None
    validUntil: DateTimeZ | None = None
    expirationDate: DateTimeZ | None = None
    description: str | None = None
    evidence: Any = None


class OB3Subject(_OB):
    """OB 3.0 AchievementSubject (``id`` or ``identifier`` is required)."""

    type: Any
    achievement: Any
    id: Text | None = None
    identifier: Any = None


class OB3Achievement(_OB):
    """OB 3.0 Achievement."""

    id: Text
    type: Any
    name: Text
    description: Text
    criteria: Any
    alignment: Any = None
    creator: Any = None
    image: Any = None
    tag: list[str] | None = None
    achievementType: str | None = None


class OB3Profile(_OB):
    """OB 3.0 Profile (id and type required)."""

    id: Text
    type: Any
    name: str | None = None
    url: str | None = None
    description: str | None = None
    image: Any = None


class OB3Alignment(_OB):
    """OB 3.0 Alignment."""

    type: Any
    targetName: Text
    targetUrl: Text
    targetCode: str | None = None
    targetFramework: str | None = None
    targetDescription: str | None = None
    targetType: str | None = None


class OB3IdentityObject(_OB):
    """OB 3.0 IdentityObject."""

    type: Text
    hashed: StrictBool
    identityHash: Text
    identityType: Text
    salt: str | None = None


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# OB 2.0
# --------------------------------------------------------------------------


def _ob2_issuer(data: Any, ctx: _Ctx, *, where: str) -> OBOrganisation:
    p = _validated(OB2Profile, data, ctx, cls="Issuer Profile", anchor="Profile", where=where)
    _need_type(p.type, {"Issuer", "Profile"}, ctx, cls="Issuer Profile", anchor="Profile", where=where)
    props = _clean({
        "name": p.name, "url": p.url, "description": p.description,
        "image": _image_url(p.image, ctx, where=_dotted(where, ("image",)), anchor="Profile"),
        "source": SOURCE, "source_url": p.id, "ob_version": "2.0", "stub": False,
    })
    return OBOrganisation(organisation_id(p.id), p.id, props)


def _ob2_badgeclass(data: Any, ctx: _Ctx, *, where: str) -> tuple[OBBadge, list[OBOrganisation]]:
    b = _validated(OB2BadgeClass, data, ctx, cls="BadgeClass", anchor="BadgeClass", where=where)
    _need_type(b.type, {"BadgeClass"}, ctx, cls="BadgeClass", anchor="BadgeClass", where=where)
    if isinstance(b.issuer, str) and b.issuer:
        org = _org_stub(b.issuer, "2.0")
    elif isinstance(b.issuer, dict):
        org = _ob2_issuer(b.issuer, ctx, where=_dotted(where, ("issuer",)))
    else:
        raise ctx.refuse(f"BadgeClass: 'issuer' must be an IRI or an issuer Profile ({ctx.spec('BadgeClass')})",
                         _dotted(where, ("issuer",)))
    cells, align_props = _alignments(b.alignment, ctx, where=_dotted(where, ("alignment",)))
    props = _clean({
        "name": b.name, "description": b.description,
        "image": _image_url(b.image, ctx, where=_dotted(where, ("image",)), anchor="BadgeClass"),
        **_criteria(b.criteria, ctx, where=_dotted(where, ("criteria",)), anchor="Criteria"),
        "tags": [t for t in (b.tags or []) if t],
        **align_props,
        "source": SOURCE, "source_url": b.id, "ob_version": "2.0", "stub": False,
    })
    return OBBadge(badge_id(b.id), b.id, props, issuer_id=org.id, cells=cells), [org]


def _ob2_assertion(data: dict[str, Any], ctx: _Ctx) -> OBDocument:
    a = _validated(OB2Assertion, data, ctx, cls="Assertion", anchor="Assertion")
    _need_type(a.type, {"Assertion"}, ctx, cls="Assertion", anchor="Assertion", where="")
    r = _validated(OB2IdentityObject, a.recipient, ctx, cls="IdentityObject", anchor="IdentityObject",
                   where="recipient")
    learner = _learner(r.identity, r.hashed, r.salt, r.type, ctx, where="recipient.identity",
                       anchor="IdentityObject")
    v = _validated(OB2Verification, a.verification, ctx, cls="VerificationObject", anchor="VerificationObject",
                   where="verification")
    vtypes = _types(v.type, ctx, cls="VerificationObject", anchor="VerificationObject", where="verification")
    _check_dates(ctx, a.issuedOn, a.expires, "issuedOn", "expires", "Assertion")
    if verification_type(data) == "hosted" and (origin := hosted_origin_problem(data)) is not None:
        raise ctx.refuse(f"Assertion: {origin} ({ctx.spec('HostedBadge')})", "id")
    orgs: list[OBOrganisation] = []
    if isinstance(a.badge, str) and a.badge:
        badge = _badge_stub(a.badge, "2.0")
    elif isinstance(a.badge, dict):
        badge, orgs = _ob2_badgeclass(a.badge, ctx, where="badge")
    else:
        raise ctx.refuse(f"Assertion: 'badge' must be an IRI or a BadgeClass ({ctx.spec('Assertion')})", "badge")
    props = _clean({
        "status": str(AssertionStatus.ACCEPTED), "issued_on": _epoch(a.issuedOn), "expires_on": _epoch(a.expires),
        "verification": vtypes[0], "evidence_urls": _evidence_urls(a.evidence), "narrative": a.narrative,
        "source": SOURCE, "source_url": a.id, "ob_version": "2.0",
    })
    assertion = OBAssertion(assertion_id(a.id), a.id, badge.id, badge.issuer_id, learner, props)
    return OBDocument(ctx.file, "2.0", "Assertion", a.id, organisations=orgs, badges=[badge],
                      assertions=[assertion])


# --------------------------------------------------------------------------
# OB 3.0
# --------------------------------------------------------------------------


def _ob3_profile(data: Any, ctx: _Ctx, *, where: str) -> OBOrganisation:
    if isinstance(data, str) and data:
        return _org_stub(data, "3.0")
    p = _validated(OB3Profile, data, ctx, cls="Profile", anchor="profile", where=where)
    _need_type(p.type, {"Profile"}, ctx, cls="Profile", anchor="profile", where=where)
    props = _clean({
        "name": p.name, "url": p.url, "description": p.description,
        "image": _image_url(p.image, ctx, where=_dotted(where, ("image",)), anchor="profile"),
        "source": SOURCE, "source_url": p.id, "ob_version": "3.0", "stub": False,
    })
    return OBOrganisation(organisation_id(p.id), p.id, props)


def _ob3_achievement(data: Any, ctx: _Ctx, *, where: str,
                     issuer: OBOrganisation | None) -> tuple[OBBadge, list[OBOrganisation]]:
    a = _validated(OB3Achievement, data, ctx, cls="Achievement", anchor="achievement", where=where)
    _need_type(a.type, {"Achievement"}, ctx, cls="Achievement", anchor="achievement", where=where)
    orgs: list[OBOrganisation] = []
    definer = issuer
    if a.creator is not None:
        definer = _ob3_profile(a.creator, ctx, where=_dotted(where, ("creator",)))
        orgs.append(definer)
    cells, align_props = _alignments(a.alignment, ctx, where=_dotted(where, ("alignment",)))
    props = _clean({
        "name": a.name, "description": a.description,
        "image": _image_url(a.image, ctx, where=_dotted(where, ("image",)), anchor="achievement"),
        **_criteria(a.criteria, ctx, where=_dotted(where, ("criteria",)), anchor="criteria"),
        "tags": [t for t in (a.tag or []) if t], "achievement_type": a.achievementType,
        **align_props,
        "source": SOURCE, "source_url": a.id, "ob_version": "3.0", "stub": False,
    })
    return OBBadge(badge_id(a.id), a.id, props, issuer_id=definer.id if definer else None, cells=cells), orgs


def _ob3_learner(s: OB3Subject, ctx: _Ctx) -> OBLearner:
    where = "credentialSubject"
    if s.id:
        return _learner(s.id, False, None, "id", ctx, where=f"{where}.id", anchor="achievementsubject")
    idents = s.identifier if isinstance(s.identifier, list) else [s.identifier] if s.identifier else []
    if not idents:
        raise ctx.refuse("incomplete AchievementSubject: it needs an 'id' or at least one 'identifier' "
                         f"({ctx.spec('achievementsubject')})", f"{where}.id")
    i = _validated(OB3IdentityObject, idents[0], ctx, cls="IdentityObject", anchor="identityobject",
                   where=f"{where}.identifier.0")
    return _learner(i.identityHash, i.hashed, i.salt, i.identityType, ctx,
                    where=f"{where}.identifier.0.identityHash", anchor="identityobject")


def _ob3_credential(data: dict[str, Any], ctx: _Ctx, types: list[str]) -> OBDocument:
    anchor = "achievementcredential"
    c = _validated(OB3Credential, data, ctx, cls="AchievementCredential", anchor=anchor)
    if "VerifiableCredential" not in types:
        raise ctx.refuse(f"AchievementCredential: 'type' {types} must include VerifiableCredential "
                         f"({ctx.spec(anchor)})", "type")
    issued = c.validFrom or c.issuanceDate
    if issued is None:
        raise ctx.refuse("incomplete AchievementCredential: missing required field 'validFrom' (or "
                         f"'issuanceDate' in credentials written for VCDM 1.1) ({ctx.spec(anchor)})", "validFrom")
    expires = c.validUntil or c.expirationDate
    _check_dates(ctx, issued, expires, "validFrom" if c.validFrom else "issuanceDate",
                 "validUntil" if c.validUntil else "expirationDate", "AchievementCredential")
    issuer = _ob3_profile(c.issuer, ctx, where="issuer")
    if isinstance(c.credentialSubject, list):
        raise ctx.refuse("AchievementCredential: 'credentialSubject' must be one AchievementSubject object, "
                         f"not a list ({ctx.spec(anchor)})", "credentialSubject")
    s = _validated(OB3Subject, c.credentialSubject, ctx, cls="AchievementSubject", anchor="achievementsubject",
                   where="credentialSubject")
    _need_type(s.type, {"AchievementSubject"}, ctx, cls="AchievementSubject", anchor="achievementsubject",
               where="credentialSubject")
    learner = _ob3_learner(s, ctx)
    badge, orgs = _ob3_achievement(s.achievement, ctx, where="credentialSubject.achievement", issuer=issuer)
    props = _clean({
        "status": str(AssertionStatus.ACCEPTED), "issued_on": _epoch(issued), "expires_on": _epoch(expires),
        "name": c.name, "evidence_urls": _evidence_urls(c.evidence),
        "source": SOURCE, "source_url": c.id, "ob_version": "3.0",
    })
    assertion = OBAssertion(assertion_id(c.id), c.id, badge.id, issuer.id, learner, props)
    kind = "OpenBadgeCredential" if "OpenBadgeCredential" in types else "AchievementCredential"
    return OBDocument(ctx.file, "3.0", kind, c.id, organisations=[issuer, *orgs], badges=[badge],
                      assertions=[assertion])


# --------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------


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


def _load_json(p: Path) -> Any:
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
    doc = _load_json(p) if document is None else document
    if not isinstance(doc, dict):
        raise InvalidInput(f"an Open Badges document is one JSON object, not {_json_kind(doc)}", file=str(p))
    missing = [k for k in ("@context", "id", "type") if doc.get(k) is None]
    if "type" in missing:
        names = ", ".join(f"'{m}'" for m in missing)
        s = "s" if len(missing) > 1 else ""
        why = ("this is a fragment of a larger object" if doc.get("revoked") is not True else
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


# --------------------------------------------------------------------------
# Ingest
# --------------------------------------------------------------------------


def _check_assertion_ids(store: GraphStore, docs: list[OBDocument]) -> tuple[list[OBDocument], list[tuple[str, str]]]:
    """Refuse documents whose assertion id is used elsewhere for another badge or recipient."""
    kept: list[OBDocument] = []
    refused: list[tuple[str, str]] = []
    seen: dict[str, tuple[str, str, str]] = {}
    for d in docs:
        clash = next(((a, seen[a.id]) for a in d.assertions
                      if a.id in seen and seen[a.id][:2] != (a.badge_id, a.learner.id)), None)
        if clash:
            a, (_, _, other) = clash
            refused.append((str(d.path), f"assertion id '{a.source_url}' is also used by {other} for a different "
                                         "badge or recipient; an id names one award"))
            continue
        for a in d.assertions:
            seen.setdefault(a.id, (a.badge_id, a.learner.id, str(d.path)))
        kept.append(d)
    if not seen:
        return kept, refused
    existing = {r["id"]: (r["badge_id"], r["learner_id"])
                for r in store.read(queries.ASSERTION_ENDPOINTS, {"ids": sorted(seen)})}
    final: list[OBDocument] = []
    for d in kept:
        clash_a = next((a for a in d.assertions
                        if a.id in existing and existing[a.id] != (a.badge_id, a.learner.id)), None)
        if clash_a:
            refused.append((str(d.path), f"assertion id '{clash_a.source_url}' is already in the graph for a "
                                         "different badge or recipient; an id names one award"))
            continue
        final.append(d)
    return final, refused


def ingest_openbadges(store: GraphStore, paths: list[Path] | list[str], *, strict: bool = True,
                      spine: Path | str | None = None) -> OpenBadgesReport:
    """Ingest a batch of Open Badges 2.0 / 3.0 files: all of them or, in strict mode, none.

    Every file is parsed and validated (``parse_openbadges_document``), then
    assertion ids are checked against the batch and the graph, before
    anything is written. Writes (idempotent ``UNWIND`` statements): the spine,
    Organisations, Badges (with ``DEFINES`` and ``ALIGNS_TO``), placeholders
    for objects known by URL only, then Learners and Assertions.

    Args:
        store: the graph.
        paths: the files.
        strict: True (default): one refused file refuses the whole batch and
            nothing is written. False: the good files are ingested and the
            refused ones listed in ``report.refused`` (what the CLI does).
        spine: the spine file (alignments may name its cells); default the
            bundled one.

    Returns:
        Rows written per label, ``refused`` ``[(file, reason)]`` (non-strict),
        ``skipped`` ``[(file, reason)]`` for recognised types not ingested and
        ``stubs`` ``[(label, source_url)]`` for new placeholders.

    Raises:
        BatchRefused: (an ``InvalidInput``) in strict mode, when any file is
            refused; ``.refused`` lists each file with its reason.
        InvalidInput: the spine file is bad.
        StoreUnavailable: the store cannot be reached.
    """
    spine_file = read_spine(spine)
    files = [Path(p) for p in paths]
    source = str(files[0]) if len(files) == 1 else \
        f"{len(files)} files in {os.path.commonpath([str(f.resolve().parent) for f in files])}" if files else "no files"
    report = OpenBadgesReport(source=source)
    docs: list[OBDocument] = []
    refused: list[tuple[str, str]] = []
    for f in files:
        try:
            docs.append(parse_openbadges_document(f, spine=spine_file))
        except InvalidInput as exc:
            named = not exc.field or exc.field in exc.detail
            refused.append((str(f), exc.detail if named else f"field '{exc.field}': {exc.detail}"))
    for d in docs:
        if d.skipped:
            report.skipped.append((str(d.path), f"{d.kind}: not ingested: {d.skipped}"))
    to_write, clashes = _check_assertion_ids(store, [d for d in docs if not d.skipped])
    refused += clashes
    if refused and strict:
        raise BatchRefused(refused, len(files))
    report.refused.extend(refused)
    if to_write:
        _write(store, to_write, report, spine)
    return report


def write_documents(store: GraphStore, docs: list[OBDocument], *, source: str,
                    spine: Path | str | None = None) -> OpenBadgesReport:
    """Write parsed documents (from ``parse_openbadges_document``) as ``ingest_openbadges``
    does, without its batch checks: for a caller that checked them itself (an
    import into one learner's portfolio). The spine is not written: alignments
    link to the cells the graph already has, so a city's own edits to its
    cells are kept."""
    report = OpenBadgesReport(source=source)
    _write(store, docs, report, spine, with_spine=False)
    return report


def _write(store: GraphStore, docs: list[OBDocument], report: OpenBadgesReport,
           spine: Path | str | None, *, with_spine: bool = True) -> None:
    orgs: dict[str, OBOrganisation] = {}
    org_stubs: dict[str, OBOrganisation] = {}
    badges: dict[str, OBBadge] = {}
    badge_stubs: dict[str, OBBadge] = {}
    assertions: dict[str, OBAssertion] = {}
    for d in docs:
        for o in d.organisations:
            if o.stub:
                org_stubs.setdefault(o.id, o)
            else:
                orgs[o.id] = OBOrganisation(o.id, o.source_url, {**orgs[o.id].props, **o.props}) \
                    if o.id in orgs else o
        for b in d.badges:
            if b.stub:
                badge_stubs.setdefault(b.id, b)
            else:
                badges[b.id] = b
        for a in d.assertions:
            assertions.setdefault(a.id, a)
    org_stubs = {k: v for k, v in org_stubs.items() if k not in orgs}
    badge_stubs = {k: v for k, v in badge_stubs.items() if k not in badges}
    new_org_stubs = {r["id"] for r in store.read(queries.missing_ids(Label.ORGANISATION), {"ids": sorted(org_stubs)})}
    new_badge_stubs = {r["id"] for r in store.read(queries.missing_ids(Label.BADGE), {"ids": sorted(badge_stubs)})}
    report.stubs.extend((str(Label.ORGANISATION), org_stubs[i].source_url) for i in sorted(new_org_stubs))
    report.stubs.extend((str(Label.BADGE), badge_stubs[i].source_url) for i in sorted(new_badge_stubs))

    if with_spine:
        ingest_spine(store, spine)
    report.add(Label.ORGANISATION, write_batches(store, queries.merge_nodes(Label.ORGANISATION),
                                                 [{"id": o.id, "props": o.props} for o in orgs.values()],
                                                 label=str(Label.ORGANISATION), record=feed.CATALOGUE))
    report.add(Label.ORGANISATION, write_batches(store, queries.merge_stub_nodes(Label.ORGANISATION),
                                                 [{"id": o.id, "props": o.props} for o in org_stubs.values()],
                                                 label=str(Label.ORGANISATION), record=feed.CATALOGUE))
    report.add(Label.BADGE, write_batches(store, queries.merge_nodes(Label.BADGE),
                                          [{"id": b.id, "props": b.props} for b in badges.values()],
                                          label=str(Label.BADGE), record=feed.CATALOGUE))
    report.add(Label.BADGE, write_batches(store, queries.merge_stub_nodes(Label.BADGE),
                                          [{"id": b.id, "props": b.props} for b in badge_stubs.values()],
                                          label=str(Label.BADGE), record=feed.CATALOGUE))
    write_batches(store, queries.set_links(Label.BADGE, Rel.DEFINES, Label.ORGANISATION, outgoing=False),
                  [{"id": b.id, "targets": [{"id": b.issuer_id, "props": {}}]}
                   for b in badges.values() if b.issuer_id], label=str(Label.BADGE), record=feed.CATALOGUE)
    write_batches(store, queries.set_links(Label.BADGE, Rel.ALIGNS_TO, Label.SPINE_CELL),
                  [{"id": b.id, "targets": [{"id": c, "props": {}} for c in b.cells]} for b in badges.values()],
                  label=str(Label.BADGE), record=feed.CATALOGUE)
    report.add(Label.ASSERTION, write_batches(store, queries.MERGE_ASSERTIONS_OPTIONAL_ISSUER, [{
        "id": a.id, "organisation_id": a.issuer_id, "badge_id": a.badge_id, "learner_id": a.learner.id,
        "learner_props": a.learner.props, "props": a.props} for a in assertions.values()],
        label="Open Badges awards", record=feed.AWARDS))
    report.add(Label.LEARNER, len({a.learner.id for a in assertions.values()}))
    touched = sorted(set(badges) | set(badge_stubs) | {a.badge_id for a in assertions.values()})
    if touched:
        store.write(queries.LINK_ASSERTIONS_TO_BADGE_ISSUER, {"badge_ids": touched})
