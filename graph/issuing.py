"""Issuing as graph operations: award, bulk award, accept, decline, revoke, portfolio.

Every operation that changes the graph is ONE Cypher statement (FALKORDB.md:
FalkorDB has no multi-statement transactions), so it lands whole or not at
all on both engines; reads that check the request (does the badge exist, who
defines it) come first and never leave anything half-done.

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
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from colearn import times
from colearn.errors import ColearnError, Conflict, Forbidden, InvalidInput, NotFound
from colearn.graph import queries
from colearn.graph.schema import AssertionStatus, Label
from colearn.graph.store import GraphStore
from colearn.text import decode_strict

#: ``source`` of assertions this module creates.
SOURCE = "colearn"
#: Rows per award statement (FALKORDB.md: 5,000-row ``UNWIND`` batches measured fastest).
BATCH_SIZE = 5_000
#: Recipient kinds an organisation may name (OB 2.0 IdentityObject ``type``).
RECIPIENT_TYPES = ("email", "url")
#: Longest idempotency key accepted.
MAX_KEY_LENGTH = 200

_ALLOWED_FROM: dict[AssertionStatus, tuple[AssertionStatus, ...]] = {
    AssertionStatus.ACCEPTED: (AssertionStatus.ISSUED, AssertionStatus.DECLINED),
    AssertionStatus.DECLINED: (AssertionStatus.ISSUED, AssertionStatus.ACCEPTED),
    AssertionStatus.REVOKED: (AssertionStatus.ISSUED, AssertionStatus.ACCEPTED, AssertionStatus.DECLINED),
}


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


def learner_id_for(recipient: Recipient, pepper: bytes) -> str:
    """The learner id of a recipient named by email or URL: ``rc-`` + 32 hex of
    HMAC-SHA256(pepper, ``<type>:<normalised identity>``)."""
    message = f"{recipient.type}:{recipient.normalised()}".encode("utf-8")
    return "rc-" + hmac.new(pepper, message, hashlib.sha256).hexdigest()[:32]


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
        learner_id: the learner it belongs to; default ``learner_id_for(recipient)``.
            A given learner must exist.
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
        badge_id: its badge.
        learner_id: its learner.
        status: ``issued`` for a new award (or whatever a retried one has become).
        created: False when the idempotency key named an existing assertion.
        issued_on: epoch seconds.
        expires_on: epoch seconds, or None.
        status_index: its bit in the organisation's OB 3.0 status lists.
    """

    id: str
    badge_id: str
    learner_id: str
    status: str
    created: bool
    issued_on: int
    expires_on: int | None
    status_index: int


@dataclass
class AwardReport:
    """What a (bulk) award did.

    Attributes:
        awards: one per accepted request, in request order.
        refused: ``[(record, reason)]``: the request's line number (CSV) or
            index, and why it was refused; nothing was written for it.
    """

    awards: list[Award] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    #: The error behind each refusal, in the order of ``refused``.
    errors: list[ColearnError] = field(default_factory=list, repr=False)

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
        """How many assertions this call created (retries excluded)."""
        return sum(1 for a in self.awards if a.created)


@dataclass(frozen=True)
class AssertionRecord:
    """An assertion as stored, with the ids around it.

    Attributes:
        id: the assertion id.
        props: every stored property (``status``, ``issued_on``, ``recipient_hash``, ...).
        badge_id: the badge it is OF.
        learner_id: the learner it is TO.
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


def epoch(when: datetime | int | None, *, name: str = "time") -> int | None:
    """Epoch seconds of a timezone-aware ``datetime`` or of epoch seconds, in the
    bounds of ``colearn.times`` (1970 to 2999 UTC).

    Raises:
        InvalidInput: a naive ``datetime``, or a time out of range (``name`` is the field reported).
    """
    return times.epoch_s(when, field=name)


def _check_request(req: AwardRequest, now: int) -> tuple[int, int | None]:
    if req.recipient.type not in RECIPIENT_TYPES:
        raise InvalidInput(f"recipient type must be one of {', '.join(RECIPIENT_TYPES)}", field="recipient.type")
    identity = req.recipient.normalised()
    if not identity:
        raise InvalidInput("recipient identity is empty", field="recipient.identity")
    if req.recipient.type == "email" and ("@" not in identity or " " in identity):
        raise InvalidInput(f"'{identity}' is not an email address", field="recipient.identity")
    if req.recipient.type == "url" and not identity.startswith(("http://", "https://")):
        raise InvalidInput(f"'{identity}' is not an http(s) URL", field="recipient.identity")
    if req.evidence_url is not None and not req.evidence_url.startswith(("http://", "https://")):
        raise InvalidInput(f"'{req.evidence_url}' is not an http(s) URL", field="evidence_url")
    if req.idempotency_key is not None and not 0 < len(req.idempotency_key) <= MAX_KEY_LENGTH:
        raise InvalidInput(f"an idempotency key has 1 to {MAX_KEY_LENGTH} characters", field="idempotency_key")
    issued = epoch(req.issued_on, name="issued_on")
    issued = now if issued is None else issued
    expires = epoch(req.expires_on, name="expires_on")
    if expires is not None and expires <= issued:
        raise InvalidInput("expires_on must be after issued_on", field="expires_on")
    return issued, expires


def _row(organisation_id: str, req: AwardRequest, issued: int, expires: int | None,
         pepper: bytes) -> dict[str, Any]:
    salt = secrets.token_hex(8)
    props: dict[str, Any] = {
        "status": str(AssertionStatus.ISSUED), "issued_on": issued, "source": SOURCE,
        "recipient_type": req.recipient.type, "recipient_salt": salt,
        "recipient_hash": identity_hash(req.recipient.normalised(), salt),
    }
    optional = {"expires_on": expires, "evidence_url": req.evidence_url,
                "evidence_narrative": req.evidence_narrative, "idempotency_key": req.idempotency_key}
    props.update({k: v for k, v in optional.items() if v is not None})
    learner = req.learner_id or learner_id_for(req.recipient, pepper)
    return {"id": assertion_id_for(organisation_id, req.idempotency_key), "badge_id": req.badge_id,
            "learner_id": learner, "learner_props": {"source": SOURCE}, "props": props}


def award_many(store: GraphStore, organisation_id: str, requests: Sequence[AwardRequest], *,
               pepper: bytes, records: Sequence[int] | None = None, now: datetime | int | None = None,
               batch_size: int = BATCH_SIZE, dry_run: bool = False) -> AwardReport:
    """Award badges of one organisation: one statement per batch of ``batch_size``.

    With ``dry_run`` nothing is written: the report says what a real call
    would do (each award ``created`` True when it would be new, False when its
    idempotency key already names it; ``status_index`` -1) and what it would
    refuse, by the same checks.

    Every request is checked before anything is written: a bad value, a badge
    that does not exist, a learner id that does not exist, a badge another
    organisation defines, or a second request in the call with the same
    idempotency key is refused (listed in ``refused`` with its record) and the
    others are written. An idempotency key that already names an assertion of
    another badge or learner is refused too (nothing changes). Retries are
    safe: see the module docstring.

    Args:
        store: the graph.
        organisation_id: the awarding organisation; it must exist and have an
            ``email`` (OB 2.0 Profile requires one of an issuer).
        requests: the awards.
        pepper: the recipient pepper (``learner_id_for``).
        records: the record number of each request for ``refused`` (default
            its 0-based index; CSV passes line numbers).
        now: the time for requests without ``issued_on``; default now.
        batch_size: rows per statement.
        dry_run: preview only; write nothing.

    Returns:
        The awards made or found again (or that would be), and the refused requests.

    Raises:
        NotFound: the organisation does not exist.
        InvalidInput: the organisation has no email.
        StoreUnavailable: the store cannot be reached (batches written before
            the failure stay; retrying with the same keys completes the rest).
    """
    recs = list(records) if records is not None else list(range(len(requests)))
    org = store.read(queries.GET_ORGANISATION, {"id": organisation_id})
    if not org:
        raise NotFound(f"organisation '{organisation_id}' does not exist")
    if not org[0]["props"].get("email"):
        raise InvalidInput(f"organisation '{organisation_id}' has no email: an Open Badges issuer Profile "
                           "needs one (OB 2.0, Profile)", field="email")
    now_s = epoch(now, name="now") if now is not None else int(time.time())
    report = AwardReport()
    badge_ids = sorted({r.badge_id for r in requests})
    definers = {r["id"]: r["organisation_id"] for r in store.read(queries.ISSUING_BADGES, {"badge_ids": badge_ids})}
    named = sorted({r.learner_id for r in requests if r.learner_id})
    missing_learners = {r["id"] for r in store.read(queries.missing_ids(Label.LEARNER), {"ids": named})} if named else set()
    rows: list[dict[str, Any]] = []
    row_records: list[int] = []
    keys_seen: dict[str, int] = {}
    for rec, req in zip(recs, requests):
        try:
            issued, expires = _check_request(req, now_s)
            if req.badge_id not in definers:
                raise NotFound(f"badge '{req.badge_id}' does not exist")
            if definers[req.badge_id] != organisation_id:
                raise Forbidden(f"badge '{req.badge_id}' is defined by another organisation; only "
                                "its own organisation may award it")
            if req.learner_id in missing_learners:
                raise NotFound(f"learner '{req.learner_id}' does not exist")
            if req.idempotency_key is not None:
                if req.idempotency_key in keys_seen:
                    raise Conflict(f"idempotency key '{req.idempotency_key}' is also used by record "
                                   f"{keys_seen[req.idempotency_key]}")
                keys_seen[req.idempotency_key] = rec
        except (InvalidInput, NotFound, Forbidden, Conflict) as exc:
            report.refuse(rec, exc)
            continue
        rows.append(_row(organisation_id, req, issued, expires, pepper))
        row_records.append(rec)
    if dry_run:
        return _preview(store, report, rows, row_records)
    results: dict[str, dict[str, Any]] = {}
    for start in range(0, len(rows), batch_size):
        batch = rows[start:start + batch_size]
        for r in store.write(queries.AWARD_ASSERTIONS, {"organisation_id": organisation_id,
                                                        "request_id": uuid.uuid4().hex, "rows": batch}):
            results[r["id"]] = r
    for rec, row in zip(row_records, rows):
        got = results.get(row["id"])
        if got is None:  # the badge lost its DEFINES between the check and the write
            report.refuse(rec, Forbidden(f"badge '{row['badge_id']}' is not defined by '{organisation_id}'"))
        elif (got["badge_id"], got["learner_id"]) != (row["badge_id"], row["learner_id"]):
            report.refuse(rec, Conflict(f"idempotency key '{row['props'].get('idempotency_key')}' already "
                                        f"names assertion {got['id']} of another badge or learner"))
        else:
            report.awards.append(Award(id=got["id"], badge_id=got["badge_id"], learner_id=got["learner_id"],
                                       status=got["status"], created=bool(got["created"]),
                                       issued_on=int(got["issued_on"]), expires_on=got["expires_on"],
                                       status_index=int(got["status_index"])))
    report.sort()
    return report


def _preview(store: GraphStore, report: AwardReport, rows: list[dict[str, Any]],
             row_records: list[int]) -> AwardReport:
    """The dry run of ``award_many``: what its write would create, find again or refuse."""
    existing = {r["id"]: r for r in store.read(queries.ASSERTION_ENDPOINTS, {"ids": sorted({r["id"] for r in rows})})}
    for rec, row in zip(row_records, rows):
        got = existing.get(row["id"])
        if got is not None and (got["badge_id"], got["learner_id"]) != (row["badge_id"], row["learner_id"]):
            report.refuse(rec, Conflict(f"idempotency key '{row['props'].get('idempotency_key')}' already "
                                        f"names assertion {got['id']} of another badge or learner"))
            continue
        p = row["props"]
        report.awards.append(Award(id=row["id"], badge_id=row["badge_id"], learner_id=row["learner_id"],
                                   status=str(AssertionStatus.ISSUED), created=got is None,
                                   issued_on=int(p["issued_on"]), expires_on=p.get("expires_on"), status_index=-1))
    report.sort()
    return report


def award(store: GraphStore, organisation_id: str, request: AwardRequest, *, pepper: bytes,
          now: datetime | int | None = None) -> Award:
    """Award one badge (``award_many`` with one request), raising instead of reporting.

    Raises:
        InvalidInput: a bad value, or the organisation has no email.
        NotFound: the organisation, badge or named learner does not exist.
        Forbidden: another organisation defines the badge.
        Conflict: the idempotency key names an assertion of another badge or learner.
    """
    report = award_many(store, organisation_id, [request], pepper=pepper, now=now)
    if report.errors:
        raise report.errors[0]
    return report.awards[0]


def get_assertion(store: GraphStore, assertion_id: str) -> AssertionRecord:
    """One assertion and the ids around it.

    Raises:
        NotFound: no such assertion.
    """
    rows = store.read(queries.GET_ASSERTION, {"id": assertion_id})
    if not rows:
        raise NotFound(f"assertion '{assertion_id}' does not exist")
    r = rows[0]
    return AssertionRecord(id=r["id"], props=dict(r["props"] or {}), badge_id=r["badge_id"],
                           learner_id=r["learner_id"], issuer_id=r["issuer_id"],
                           badge_organisation_id=r["badge_organisation_id"])


def _transition(store: GraphStore, record: AssertionRecord, to: AssertionStatus, now: int,
                reason: str | None) -> AssertionRecord:
    allowed = [str(s) for s in _ALLOWED_FROM[to]]
    rows = store.write(queries.SET_ASSERTION_STATUS, {"id": record.id, "from": allowed, "to": str(to),
                                                      "now": now, "reason": reason})
    if not rows:
        raise NotFound(f"assertion '{record.id}' does not exist")
    before = rows[0]["before"]
    if not rows[0]["changed"] and before != str(to):
        raise Conflict(f"assertion '{record.id}' is {before}; it cannot become {to}")
    return get_assertion(store, record.id)


def set_learner_response(store: GraphStore, assertion_id: str, accept: bool, *,
                         learner_id: str | None = None, now: datetime | int | None = None) -> AssertionRecord:
    """The learner accepts (``accept=True``) or declines an assertion.

    Accepting again, or declining again, changes nothing. A learner may change
    their mind (accepted <-> declined); a revoked assertion stays revoked.

    Args:
        store: the graph.
        assertion_id: the assertion.
        accept: True to accept, False to decline.
        learner_id: the learner acting; None for an administrator.
        now: the time stamped (``accepted_on`` / ``declined_on``); default now.

    Returns:
        The assertion after the change.

    Raises:
        NotFound: no such assertion.
        Forbidden: it was awarded to another learner.
        Conflict: it is revoked.
    """
    record = get_assertion(store, assertion_id)
    if learner_id is not None and record.learner_id != learner_id:
        raise Forbidden("only the learner it was awarded to may accept or decline an assertion")
    to = AssertionStatus.ACCEPTED if accept else AssertionStatus.DECLINED
    return _transition(store, record, to, epoch(now, name="now") or int(time.time()), None)


def revoke(store: GraphStore, assertion_id: str, reason: str, *, organisation_id: str | None = None,
           now: datetime | int | None = None) -> AssertionRecord:
    """Revoke an assertion with a reason; it stays on record, out of the portfolio.

    Revoking a revoked assertion changes nothing (the first reason is kept).

    Args:
        store: the graph.
        assertion_id: the assertion.
        reason: why (published in the OB 2.0 RevocationList and hosted assertion).
        organisation_id: the organisation acting; None for an administrator.
        now: the time stamped as ``revoked_on``; default now.

    Raises:
        InvalidInput: an empty reason.
        NotFound: no such assertion.
        Forbidden: ``organisation_id`` does not define the assertion's badge.
    """
    if not reason or not reason.strip():
        raise InvalidInput("a revocation needs a reason", field="reason")
    record = get_assertion(store, assertion_id)
    if organisation_id is not None and record.badge_organisation_id != organisation_id:
        raise Forbidden("only the organisation that defines the badge may revoke its assertions")
    return _transition(store, record, AssertionStatus.REVOKED, epoch(now, name="now") or int(time.time()),
                       reason.strip())


def revoked_assertions(store: GraphStore, organisation_id: str) -> list[dict[str, Any]]:
    """The revoked assertions an organisation issued: ``[{id, status_index, reason, revoked_on}]``."""
    return store.read(queries.REVOKED_ASSERTIONS, {"organisation_id": organisation_id})


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
    now_s = epoch(now, name="now") if now is not None else int(time.time())
    params = {"learner_id": learner_id, "now": now_s}
    cells = {r["cell_id"]: list(r["awards"]) for r in store.read(queries.PORTFOLIO_BY_CELL, params)}
    return Portfolio(learner_id, cells, store.read(queries.LEARNER_OTHER_ASSERTIONS, params))


# --------------------------------------------------------------------------
# Bulk award from CSV
# --------------------------------------------------------------------------

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


def parse_award_csv(text: str, *, source: str = "CSV") -> tuple[list[AwardRequest], list[int], list[tuple[int, str]]]:
    """Parse a bulk award CSV (columns ``CSV_COLUMNS``; a header row first).

    Args:
        text: the CSV text.
        source: the file name, for errors.

    Returns:
        ``(requests, line numbers, refused)``: each good row as an
        ``AwardRequest`` with its 1-based line number (the header is line 1),
        and ``[(line, reason)]`` for rows refused while reading.

    Raises:
        InvalidInput: the header lacks ``badge_id`` or has an unknown column.
    """
    reader = csv.DictReader(text.lstrip("\ufeff").splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if "badge_id" not in header or unknown:
        raise InvalidInput(f"the header must name badge_id and only these columns: {', '.join(CSV_COLUMNS)}"
                           + (f" (unknown: {', '.join(unknown)})" if unknown else ""), file=source, record=1)
    requests: list[AwardRequest] = []
    lines: list[int] = []
    refused: list[tuple[int, str]] = []
    for raw in reader:
        line = reader.line_num
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        try:
            kinds = [t for t in RECIPIENT_TYPES if row.get(t)]
            if len(kinds) != 1:
                raise InvalidInput("give exactly one of email or url", field="email")
            if not row.get("badge_id"):
                raise InvalidInput("badge_id is empty", field="badge_id")
            req = AwardRequest(
                badge_id=row["badge_id"], recipient=Recipient(kinds[0], row[kinds[0]]),
                learner_id=row.get("learner_id") or None, evidence_url=row.get("evidence_url") or None,
                evidence_narrative=row.get("narrative") or None,
                issued_on=parse_time(row.get("issued_on", ""), "issued_on"),
                expires_on=parse_time(row.get("expires_on", ""), "expires_on"),
                idempotency_key=row.get("key") or None)
        except InvalidInput as exc:
            refused.append((line, f"{exc.field}: {exc.detail}" if exc.field else exc.detail))
            continue
        requests.append(req)
        lines.append(line)
    return requests, lines, refused


def award_csv(store: GraphStore, organisation_id: str, path: Path | str, *, pepper: bytes,
              text: str | None = None, now: datetime | int | None = None,
              batch_size: int = BATCH_SIZE, dry_run: bool = False) -> AwardReport:
    """Bulk award from a CSV: one statement per batch; refused rows reported by line number.

    A row without a ``key`` gets ``<file name>:<line>`` as its idempotency key,
    so sending the same file twice awards nothing twice.

    Args:
        store: the graph.
        organisation_id: the awarding organisation.
        path: the CSV file (read unless ``text`` is given; its name makes the keys).
        pepper: the recipient pepper.
        text: the CSV text, when it did not come from a file (e.g. an upload).
        now: the time for rows without ``issued_on``.
        batch_size: rows per statement.
        dry_run: preview what would be created and refused; write nothing.

    Raises:
        InvalidInput: the file cannot be read or is not UTF-8 (``record`` is
            the line of the first byte that is not: nothing is decoded
            lossily, ``colearn.text.decode_strict``), the header is wrong, or
            the organisation has no email.
        NotFound: the organisation does not exist.
    """
    name = Path(path).name
    if text is None:
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read: {exc}", file=str(path)) from exc
        text = decode_strict(raw, source=str(path))
    requests, lines, refused = parse_award_csv(text, source=str(path))
    keyed = [r if r.idempotency_key else replace(r, idempotency_key=f"{name}:{line}")
             for r, line in zip(requests, lines)]
    report = award_many(store, organisation_id, keyed, pepper=pepper, records=lines, now=now,
                        batch_size=batch_size, dry_run=dry_run)
    for line, reason in refused:
        report.refuse(line, InvalidInput(reason))
    report.sort()
    return report


def spine_order(cell_ids: Iterable[str | None], cells: Sequence[dict[str, Any]]) -> list[str | None]:
    """``cell_ids`` in spine order (domain, then layer, as ``SPINE_CELLS`` lists
    them), unknown ids after, ``None`` (unaligned) last."""
    rank = {c["id"]: i for i, c in enumerate(cells)}
    return sorted(cell_ids, key=lambda c: (c is None, rank.get(c, len(rank)) if c else 0, c or ""))
