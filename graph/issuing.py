"""Assertions as stored: the records, the identities and the reads of the award lifecycle.

The lifecycle itself (award, bulk award, accept, decline, revoke, import,
pathway completion) is ``colearn.domain.awards``: every change to a portfolio
goes through it, so that each records its change for the recommenders. This
module keeps what the layers below the domain need too (Open Badges
documents and verification read assertions and hash recipients): the data
shapes, the identity rules and the reads.

An assertion's life (``graph.schema.AssertionStatus``)::

    award -> issued --accept--> accepted --decline--> declined
                    --decline-> declined --accept---> accepted
    (issued | accepted | declined) --revoke--> revoked       (final)

Only ``accepted`` and not expired counts toward the portfolio (and so the
recommender's input); every assertion stays on record whatever its status.

Recipients (Open Badges 2.0, section "IdentityObject"): the plaintext email
or URL an organisation gives is never stored. Each assertion keeps
``recipient_type``, a fresh random ``recipient_salt`` and ``recipient_hash`` =
``sha256$`` + hex SHA-256 of ``identity + salt`` (emails lower-cased first), which
is what the hosted documents publish. A learner named only by a recipient is
``rc-`` + HMAC-SHA256 of the identity under the service's recipient pepper (a
secret kept outside the graph), so one person awarded twice is one learner
and the learner id reveals nothing.

Idempotency: an award with an idempotency key gets the assertion id
``as-`` + SHA-256 of (organisation, key), and the award statement ``MERGE``s
on that id, so a retried request - sequential or concurrent, on either
engine - never creates a second assertion (``Award.created`` is False).
Nor does an award to a learner who already holds the badge live (issued or
accepted, not expired): its answer is that award, ``created`` False with a
``detail``; an expired, revoked or declined award does not block a renewal.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from colearn import times
from colearn.errors import ColearnError, InvalidInput, NotFound
from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.text import counted


#: ``source`` of assertions this module creates.
SOURCE = "colearn"
#: ``source`` of a pathway's completion award (``domain.completions``).
COMPLETION_SOURCE = "pathway-completion"
#: ``source`` of the assertions this service hosts (an award, a pathway's completion).
PUBLISHED_SOURCES = (SOURCE, COMPLETION_SOURCE)


def completion_assertion_id(pathway_id: str, learner_id: str) -> str:
    """The one assertion id a pathway's completion by a learner can have (``pc-`` and 32 hex
    digits): ``domain.completions`` awards it under this id, once ever, and the recommender
    finds it by this id after it was withdrawn (which leaves it no link to the learner)."""
    return "pc-" + hashlib.sha256(f"{pathway_id}\x00{learner_id}".encode()).hexdigest()[:32]


#: Recipient kinds an organisation may name (OB 2.0 IdentityObject ``type``).
RECIPIENT_TYPES = ("email", "url")


#: Longest idempotency key accepted.
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class Recipient:
    """Who a badge is awarded to, as the organisation knows them (never stored).

    Attributes:
        type: ``email`` or ``url`` (OB 2.0 IdentityObject ``type``).
        identity: the plaintext email address or URL.
    """

    type: str
    identity: str

    def normalised(self) -> str:
        """The identity as hashed: emails trimmed and lower-cased, URLs trimmed."""
        text = self.identity.strip()
        return text.lower() if self.type == "email" else text


def identity_hash(identity: str, salt: str) -> str:
    """OB 2.0 IdentityHash: ``sha256$`` + hex SHA-256 of ``identity + salt``."""
    return "sha256$" + hashlib.sha256((identity + salt).encode("utf-8")).hexdigest()


def hashed_recipient(recipient: Recipient) -> dict[str, str]:
    """An assertion's stored recipient (OB 2.0 IdentityObject, hashed): ``{recipient_type,
    recipient_salt, recipient_hash}`` with a fresh random salt; the identity itself is not kept."""
    salt = secrets.token_hex(8)
    return {"recipient_type": recipient.type, "recipient_salt": salt,
            "recipient_hash": identity_hash(recipient.normalised(), salt)}


def learner_page(base_url: str, learner_id: str) -> Recipient:
    """The ``url`` recipient that names a learner by id: their page here,
    ``{base_url}/learners/{learner_id}`` (what ``learner_of_page`` reads back)."""
    return Recipient("url", f"{base_url.rstrip('/')}/learners/{learner_id}")


def learner_id_for(recipient: Recipient, pepper: bytes) -> str:
    """The learner id of a recipient named by email or URL: ``rc-`` + 32 hex of
    HMAC-SHA256(pepper, ``<type>:<normalised identity>``)."""
    message = f"{recipient.type}:{recipient.normalised()}".encode("utf-8")
    return "rc-" + hmac.new(pepper, message, hashlib.sha256).hexdigest()[:32]


def learner_of_page(identity: str, base_url: str) -> str | None:
    """The learner a URL names when it is a learner's page here, ``{base_url}/learners/{id}``
    (what an award by learner id is made to; a trailing ``/`` and spaces around are
    ignored): that ``id``, else None. Whether the learner exists is the caller's to ask."""
    prefix = f"{base_url.rstrip('/')}/learners/"
    plain = identity.strip().rstrip("/")
    rest = plain[len(prefix):] if plain.startswith(prefix) else ""
    return rest if rest and not any(c in rest for c in "/?#") else None


def assertion_id_for(organisation_id: str, idempotency_key: str | None) -> str:
    """The assertion id of an award: derived from (organisation, key) when a key
    is given, so a retry names the same assertion; else random."""
    if idempotency_key is None:
        return "as-" + uuid.uuid4().hex
    digest = hashlib.sha256(f"{organisation_id}\x1f{idempotency_key}".encode("utf-8")).hexdigest()
    return "as-" + digest[:32]


@dataclass(frozen=True)
class AwardRequest:
    """One award to make.

    Attributes:
        badge_id: the badge (its defining organisation must be the awarding one).
        recipient: who receives it (published only as a salted hash).
        learner_id: the learner it belongs to; default the learner whose page here a
            URL recipient is (``learner_of_page``), else ``learner_id_for(recipient)``.
            A given learner, or one a page names, must exist.
        evidence_url: OB Evidence ``id``: where the work can be seen.
        evidence_narrative: OB Evidence ``narrative``.
        issued_on: timezone-aware; default now.
        expires_on: timezone-aware absolute expiry; default ``issued_on`` plus
            the badge's ``expires_after_days``, or none.
        idempotency_key: the same key (per organisation) never makes a second assertion.
    """

    badge_id: str
    recipient: Recipient
    learner_id: str | None = None
    evidence_url: str | None = None
    evidence_narrative: str | None = None
    issued_on: datetime | None = None
    expires_on: datetime | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Award:
    """An assertion as the award statement left it.

    Attributes:
        id: the assertion id.
        badge_id: its badge (None: a retried key's award that was withdrawn, which
            keeps no badge or learner, as ``AssertionRecord`` reads it).
        learner_id: its learner (None once withdrawn).
        status: ``issued`` for a new award (or whatever a retried one has become);
            in a dry run, the status the award would have or the held one has.
        created: False when the idempotency key named an existing assertion, or
            when the learner already held the badge live (then this is that award);
            always False in a dry run, which creates nothing (see ``would_create``).
        issued_on: epoch seconds.
        expires_on: epoch seconds, or None.
        status_index: its bit in the organisation's OB 3.0 status lists (-1: none,
            or a dry run).
        detail: why no award was made, when the learner already held the badge
            live (issued or accepted, not expired), or when the key names an award
            its organisation withdrew; None otherwise.
        would_create: None outside a dry run; in one, True when the call would
            create this award and False when it would answer an existing one.
        revocation_reason: why it was revoked (a retried key's award), else None.
    """

    id: str
    badge_id: str | None
    learner_id: str | None
    status: str
    created: bool
    issued_on: int
    expires_on: int | None
    status_index: int
    detail: str | None = None
    would_create: bool | None = None
    revocation_reason: str | None = None


@dataclass
class AwardReport:
    """What a (bulk) award did.

    Attributes:
        awards: one per accepted request, in request order.
        requests: the request behind each of ``awards`` (the same order), e.g.
            the address to notify of it.
        refused: ``[(record, reason)]``: the request's line number (CSV) or
            index, and why it was refused; nothing was written for it.
        dry_run: True when nothing was written: ``awards`` say what a real call
            would do (each one's ``would_create``) and ``created`` is 0.
    """

    awards: list[Award] = field(default_factory=list)
    requests: list[AwardRequest] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    #: The error behind each refusal, in the order of ``refused``.
    errors: list[ColearnError] = field(default_factory=list, repr=False)
    dry_run: bool = False

    def refuse(self, record: int, error: ColearnError) -> None:
        """Record a refused request and why."""
        self.refused.append((record, error.message))
        self.errors.append(error)

    def sort(self) -> None:
        """Order the refusals by record."""
        pairs = sorted(zip(self.refused, self.errors), key=lambda p: p[0][0])
        self.refused = [p[0] for p in pairs]
        self.errors = [p[1] for p in pairs]

    @property
    def created(self) -> int:
        """How many assertions this call created (retries excluded; 0 in a dry run)."""
        return sum(1 for a in self.awards if a.created)

    @property
    def would_create(self) -> int:
        """How many assertions a dry run's call would create (0 outside a dry run)."""
        return sum(1 for a in self.awards if a.would_create)


@dataclass(frozen=True)
class AssertionRecord:
    """An assertion as stored, with the ids around it.

    Attributes:
        id: the assertion id.
        props: every stored property (``status``, ``issued_on``, ``recipient_hash``, ...).
        badge_id: the badge it is OF (None once withdrawn: ``withdrawn``).
        learner_id: the learner it is TO (None once withdrawn).
        issuer_id: the organisation that ISSUED it (None for an imported one
            whose issuer is unknown).
        badge_organisation_id: the organisation that DEFINES the badge.
    """

    id: str
    props: dict[str, Any]
    badge_id: str | None
    learner_id: str | None
    issuer_id: str | None
    badge_organisation_id: str | None

    @property
    def status(self) -> str:
        """The lifecycle status."""
        return str(self.props.get("status"))

    @property
    def withdrawn(self) -> bool:
        """Withdrawn for good (``domain.awards.withdraw``): revoked, and its badge,
        learner, recipient and evidence gone (``badge_id`` and ``learner_id`` are None)."""
        return bool(self.props.get("erased"))

    @property
    def issued_here(self) -> bool:
        """Issued by this service (an award or a pathway's completion: ``PUBLISHED_SOURCES``)
        in an organisation's name; an ingested or imported one is not."""
        return self.props.get("source") in PUBLISHED_SOURCES and self.issuer_id is not None


def epoch(when: datetime | int | None, *, name: str = "time") -> int | None:
    """Epoch seconds of a timezone-aware ``datetime`` or of epoch seconds, in the
    bounds of ``colearn.times`` (1970 to 2999 UTC).

    Raises:
        InvalidInput: a naive ``datetime``, or a time out of range (``name`` is the field reported).
    """
    return times.epoch_s(when, field=name)


def epoch_or_now(when: datetime | int | None, *, name: str = "now") -> int:
    """``epoch(when)``, or the current time when ``when`` is None (only None: 0,
    1970-01-01, is a time in range like any other). Raises as ``epoch``."""
    at = epoch(when, name=name)
    return int(time.time()) if at is None else at


def no_such_assertion(assertion_id: str) -> NotFound:
    """The error for an assertion id that names nothing: also what the public answers
    for an award its learner declined, so the two cannot be told apart."""
    return NotFound(f"assertion '{assertion_id}' does not exist")


def is_expired(expires_on: int | None, now: int | None = None) -> bool:
    """Whether an award expiring at ``expires_on`` (epoch s; None: never) has expired at
    ``now`` (epoch s, default now): from its expiry time on. The one rule of every answer
    that flags expiry (``GET /assertions/{id}``, the portfolio, ``GET /me/awards``, the
    share page, the award notice), and the one the graph's portfolio applies in Cypher
    (live while ``expires_on > $now``, ``queries._fragments``)."""
    return expires_on is not None and int(expires_on) <= (int(time.time()) if now is None else int(now))


def get_assertion(store: GraphStore, assertion_id: str) -> AssertionRecord:
    """One assertion and the ids around it.

    Raises:
        NotFound: no such assertion.
    """
    rows = store.read(queries.GET_ASSERTION, {"id": assertion_id})
    if not rows:
        raise no_such_assertion(assertion_id)
    r = rows[0]
    return AssertionRecord(id=r["id"], props=dict(r["props"] or {}), badge_id=r["badge_id"],
                           learner_id=r["learner_id"], issuer_id=r["issuer_id"],
                           badge_organisation_id=r["badge_organisation_id"])


#: What fixes a badge's issuer: its awards' BadgeClass names the issuer (OB 2.0
#: ``BadgeClass.issuer``), and a pathway's completion badge must be its own organisation's.
_ISSUER_FIXED_BY = ("live assertions", "pathway completions")


def in_use(store: GraphStore, label: Label, node_id: str) -> dict[str, str] | None:
    """What keeps a catalogue node from being deleted (``queries.CATALOGUE_BLOCKERS``).

    Returns:
        None for an unknown node; else ``{blocker name: phrase}`` for each kind of
        blocker it has, in ``CATALOGUE_BLOCKERS`` order, each phrase counted with
        the right number and naming a few (``1 pathway step: into-tech``,
        ``7 live assertions: a1, a2, a3, a4, a5 and 2 more``); empty when nothing
        blocks it.
    """
    rows = store.read(queries.catalogue_usage(label), {"id": node_id})
    if not rows:
        return None
    out = {}
    for blocker, n, named in zip(queries.CATALOGUE_BLOCKERS[Label(label)], rows[0]["uses"], rows[0]["named"]):
        if n:
            out[blocker.name] = counted(n, blocker.one, blocker.name, named)
    return out


def issuer_change_problem(store: GraphStore, badge_id: str, issuer: str | None) -> str | None:
    """Why ``badge_id``'s issuer may not become ``issuer``, or None (it is not changing,
    or the badge is new or used by nothing that names its issuer).

    A badge with live awards (issued or accepted) keeps its issuer: each hosted
    award points at the BadgeClass, whose ``issuer`` says who made the award, so a
    new issuer would claim the old one's awards. A pathway's completion badge keeps
    it too (the pathway's organisation must define it). Shared by the authoring API
    and the catalogue reader.
    """
    rows = store.read(queries.catalogue_get(Label.BADGE), {"id": badge_id})
    if not rows or rows[0]["record"].get("issuer") in (None, issuer):
        return None
    uses = in_use(store, Label.BADGE, badge_id) or {}
    held = [uses[k] for k in _ISSUER_FIXED_BY if k in uses]
    if not held:
        return None
    return (f"badge '{badge_id}' is issued by '{rows[0]['record']['issuer']}' and has {'; '.join(held)}: its "
            "issuer cannot change (its awards' BadgeClass names the issuer); define a new badge instead")


def stranded_claim_codes(store: GraphStore,
                         opportunities: dict[str, tuple[str, Sequence[str]]]) -> dict[str, tuple[str, str]]:
    """Which opportunities may not change as given: claim codes not revoked that are handed
    out at one would grant a badge it no longer awards, or act for an organisation that no
    longer offers it (a code goes on as made: the redeem checks neither). Shared by the
    catalogue API (409 on ``PATCH``) and the catalogue reader (the file refused). One read
    (``queries.LIVE_CLAIM_CODES_AT``).

    Args:
        store: the graph.
        opportunities: opportunity id -> (its organisation, the badges it awards) as they
            would be written.

    Returns:
        Opportunity id -> (the field at fault: ``badges``, else ``organisation``; why: each
        kind of stranded code, counted and named, and to revoke them first), for those that
        would strand a code; empty when none would.
    """
    by_opp: dict[str, list[dict[str, Any]]] = {}
    for c in store.read(queries.LIVE_CLAIM_CODES_AT, {"ids": list(opportunities)}):
        by_opp.setdefault(c["opportunity_id"], []).append(c)
    out = {}
    for opp, codes in by_opp.items():
        organisation, badges = opportunities[opp]
        moved = [c for c in codes if c["organisation_id"] != organisation]
        dropped: dict[str, list[str]] = {}
        for c in codes:
            if c["badge_id"] not in badges and c not in moved:
                dropped.setdefault(c["badge_id"], []).append(c["id"])
        problems = [f"badge '{b}' is still granted at it by {_codes(ids)}" for b, ids in dropped.items()]
        if moved:
            problems.append(f"'{moved[0]['organisation_id']}' hands it out with {_codes([c['id'] for c in moved])}")
        if problems:
            out[opp] = ("badges" if dropped else "organisation", f"opportunity '{opp}' cannot change so: {'; '.join(problems)}; revoke those codes first "
                        "(POST /organisations/{organisation}/claim-codes/{id}/revoke)")
    return out


def _codes(ids: list[str]) -> str:
    return counted(len(ids), "live claim code", "live claim codes", ids[:queries.NAMED_USES])


def revoked_assertions(store: GraphStore, organisation_id: str) -> list[dict[str, Any]]:
    """The revoked assertions an organisation issued through this service (``PUBLISHED_SOURCES``,
    whose URLs answer 410): ``[{id, status_index, reason, revoked_on}]``. An ingested award
    recorded as revoked is not hosted here (its URL answers 404), so it is not listed."""
    return store.read(queries.REVOKED_ASSERTIONS, {"organisation_id": organisation_id,
                                                   "sources": list(PUBLISHED_SOURCES)})


@dataclass
class Portfolio:
    """A learner's badges by spine cell.

    Attributes:
        learner_id: the learner.
        cells: ``{cell id (or None for unaligned badges): [award]}``; an award
            is ``{assertion_id, badge_id, name, issued_on, expires_on}``.
        others: assertions outside the portfolio (awaiting acceptance, declined,
            revoked or expired), each with its ``status``.
    """

    learner_id: str
    cells: dict[str | None, list[dict[str, Any]]]
    others: list[dict[str, Any]]


def portfolio(store: GraphStore, learner_id: str, *, now: datetime | int | None = None) -> Portfolio:
    """A learner's portfolio (accepted, not revoked, not expired) grouped by spine cell.

    Raises:
        NotFound: no such learner.
    """
    if not store.read(queries.GET_LEARNER, {"learner_id": learner_id}):
        raise NotFound(f"learner '{learner_id}' not found")
    params = {"learner_id": learner_id, "now": epoch_or_now(now)}
    cells = {r["cell_id"]: list(r["awards"]) for r in store.read(queries.PORTFOLIO_BY_CELL, params)}
    return Portfolio(learner_id, cells, store.read(queries.LEARNER_OTHER_ASSERTIONS, params))


#: Columns of a bulk award CSV (header row required; only ``badge_id`` and one
#: of ``email`` / ``url`` are needed).
CSV_COLUMNS = ("badge_id", "email", "url", "learner_id", "evidence_url", "narrative",
               "issued_on", "expires_on", "key")


def parse_time(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 time with a time zone (empty or None: None).

    Raises:
        InvalidInput: not ISO 8601, or no time zone (``name`` is the field reported).
    """
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"'{value}' is not an ISO 8601 time", field=name) from exc
    if when.tzinfo is None:
        raise InvalidInput(f"'{value}' has no time zone (add Z or an offset)", field=name)
    return when


def spine_order(cell_ids: Iterable[str | None], cells: Sequence[dict[str, Any]]) -> list[str | None]:
    """``cell_ids`` in spine order (domain, then layer, as ``SPINE_CELLS`` lists
    them), unknown ids after, ``None`` (unaligned) last."""
    rank = {c["id"]: i for i, c in enumerate(cells)}
    return sorted(cell_ids, key=lambda c: (c is None, rank.get(c, len(rank)) if c else 0, c or ""))

