"""The award lifecycle: award, bulk award, accept, decline, revoke, import, pathway completion.

Routers and the CLI call these operations. (The bulk readers, ``colearn
ingest ...``, write their validated batches directly and record them in the
feed the same way.)
Every write is ONE Cypher statement (FALKORDB.md: no multi-statement
transactions), so each lands whole or not at all on both engines; reads that
check the request come first (accept/decline also end the award's unused claim
links in their statement). An operation with side effects makes further statements
after its own, each whole (accept: award completions; revoke: revoke completions left
unmet; withdraw: revoke, then erase); a failure between them leaves the earlier ones
written. Each write that changes a status or an award is run as ``graph.feed.recorded(...)``
with the (learner, badge) pairs it may change, so the change feed entry commits with the
write (``graph/feed.py``) and every serving process applies it
(``recommender/follower.py``); erasing is not recorded.

Side effects of an award entering a portfolio (accept, or a verified import)
are taken here, once: the completion badge of every published pathway it
completes is awarded (``complete_after_award``). An import marked
``verified: false`` is shown in the portfolio but counts toward neither
pathway progress, recommendations nor completions (``_COUNTS`` in ``graph/queries/portfolio.py``).

The records, identities and reads these operations share with the layers
below (assertion life cycle, recipient hashing, idempotent ids) are in
``graph/issuing.py``; pathway completion is ``domain/completions.py`` and the
bulk CSV's reading ``domain/award_csv.py``; all are re-exported here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from colearn.domain import policy
from colearn.domain.policy import Action, Resource
from colearn.errors import BatchRefused, Conflict, Forbidden, InvalidInput, NotFound
from colearn.graph import access, feed, queries
from colearn.graph.issuing import (CSV_COLUMNS, MAX_KEY_LENGTH, RECIPIENT_TYPES, SOURCE,
                                   AssertionRecord, Award, AwardReport, AwardRequest, Portfolio, Recipient,
                                   assertion_id_for, epoch, get_assertion, identity_hash, is_expired, learner_id_for,
                                   learner_of_page, learner_page, parse_time, portfolio, revoked_assertions,
                                   spine_order, epoch_or_now)
from colearn.domain.award_csv import parse_award_csv
from colearn.domain.award_preview import preview
from colearn.domain.award_rows import (award_of, award_row, check_issuer, check_request, checked_page,
                                      checked_recipient, held_detail, key_clash, page_learner, repeats,
                                      withdrawn_award)
from colearn.domain.completions import (COMPLETION_SOURCE, Completion, award_completion, complete_after_award,
                                        completion_assertion_id, unmet_steps)
from colearn.graph.schema import AssertionStatus, Label
from colearn.graph.store import BATCH_SIZE, GraphStore
from colearn.text import CLI_DECLARE, decode_strict

__all__ = ["BATCH_SIZE", "CSV_COLUMNS", "COMPLETION_SOURCE", "MAX_KEY_LENGTH", "RECIPIENT_TYPES", "SOURCE",
           "AssertionRecord", "Award", "AwardReport", "AwardRequest", "Completion", "Portfolio", "Recipient",
           "assertion_id_for", "award", "award_completion", "award_csv", "award_many", "complete_after_award",
           "completion_assertion_id", "epoch", "get_assertion", "identity_hash", "import_award", "is_expired",
           "learner_id_for", "learner_of_page", "learner_page", "parse_award_csv", "parse_time", "portfolio",
           "revoke", "revoked_assertions", "set_learner_response", "spine_order", "unmet_steps"]

_ALLOWED_FROM: dict[AssertionStatus, tuple[AssertionStatus, ...]] = {
    AssertionStatus.ACCEPTED: (AssertionStatus.ISSUED, AssertionStatus.DECLINED),
    AssertionStatus.DECLINED: (AssertionStatus.ISSUED, AssertionStatus.ACCEPTED),
    AssertionStatus.REVOKED: (AssertionStatus.ISSUED, AssertionStatus.ACCEPTED, AssertionStatus.DECLINED),
}


def award_many(store: GraphStore, organisation_id: str, requests: Sequence[AwardRequest], *,
               pepper: bytes, records: Sequence[int] | None = None, now: datetime | int | None = None,
               batch_size: int = BATCH_SIZE, dry_run: bool = False, base_url: str | None = None) -> AwardReport:
    """Award badges of one organisation: one statement per batch of ``batch_size``.

    With ``dry_run`` nothing is written and nothing is claimed: the report
    (``dry_run`` True) says what a real call would do, each award ``created``
    False and ``would_create`` True when it would be new, False when its
    idempotency key already names it or the learner holds the badge live
    (``domain.award_preview``), and what it would refuse, by the same checks.

    A request without ``learner_id`` whose recipient is a learner's page here
    (``{base_url}/learners/{id}``, ``graph.issuing.learner_of_page``) is for
    that learner, not for the one the URL's hash would name.

    Every request is checked before anything is written: a bad value, a badge
    that does not exist, a learner id that does not exist (or a learner page of
    none, refused on ``recipient.identity``), a ``learner_id`` with a recipient
    that does not identify that learner (``award_rows.checked_recipient``, on
    ``recipient.identity``), a badge another
    organisation defines, a second request in the call with the same
    idempotency key, or a key that already names an assertion of another
    badge or learner is refused (listed in ``refused`` with its record). The
    call lands whole or not at all: when any request is refused, nothing is
    written and ``awards`` is empty, so a corrected file sent again awards
    each row once. (A badge that loses its ``DEFINES``, or a key another
    call takes, between the checks and the write is refused after it, with
    the rest written.) Retries are safe: see the module docstring.

    No second copy: a request for a learner (the named one, else the one its
    recipient names) who already holds the badge live (issued or accepted, not
    expired at ``now``) makes no award; its answer is that award, ``created``
    False with a ``detail`` saying so, and the rest of the call lands. The
    write checks this itself (``queries.AWARD_ASSERTIONS``), so two racing
    awards of one pair make one award; a second request of the call for the
    same pair answers what the first gets. An expired, revoked or declined
    award does not block a new one (a renewal); a key that names an existing
    award still answers that award, with its ``revocation_reason``. A key that
    names an award its organisation withdrew (``withdraw``) answers that award
    as it stands (revoked, ``badge_id`` and ``learner_id`` None) with a
    ``detail`` saying so (``award_rows.withdrawn_award``): it is not refused,
    and nothing is awarded for it (the key is not released).

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
        base_url: the service's public base URL (``Settings.base_url``), whose
            learner pages name learners; None: no URL is read as one.

    Returns:
        The awards made or found again (or, in a dry run, that would be; an
        award already held live with its ``detail``), and the refused requests
        (with any refused, no awards unless ``dry_run``).

    Raises:
        NotFound: the organisation does not exist.
        InvalidInput: ``now`` is not a valid time (``graph.issuing.epoch``).
        Conflict: the organisation has no email (``award_rows.check_issuer``).
        StoreUnavailable: the store cannot be reached (batches written before
            the failure stay; retrying with the same keys completes the rest).
    """
    recs = list(records) if records is not None else list(range(len(requests)))
    check_issuer(store, organisation_id)
    now_s = epoch_or_now(now)
    report = AwardReport()
    issuer = policy.acting_for(organisation_id)
    badge_ids = sorted({r.badge_id for r in requests})
    definers = {r["id"]: r["organisation_id"] for r in store.read(queries.ISSUING_BADGES, {"badge_ids": badge_ids})}
    pages = [page_learner(r, base_url) for r in requests]
    named = sorted({r.learner_id for r in requests if r.learner_id} | {p for p in pages if p})
    missing_learners = {r["id"] for r in store.read(queries.missing_ids(Label.LEARNER), {"ids": named})} if named else set()
    rows: list[dict[str, Any]] = []
    row_records: list[int] = []
    row_requests: list[AwardRequest] = []
    keys_seen: dict[str, int] = {}
    for rec, req, page in zip(recs, requests, pages):
        try:
            issued, expires = check_request(req, now_s)
            if page is not None:
                req = checked_page(req, page, missing_learners)
            if req.badge_id not in definers:
                raise NotFound(f"badge '{req.badge_id}' does not exist")
            policy.require(issuer, Action.ISSUE_BADGE,
                           Resource(f"badge '{req.badge_id}'", owners=(definers[req.badge_id],)))
            if req.learner_id in missing_learners:
                raise NotFound(f"learner '{req.learner_id}' does not exist")
            checked_recipient(req, pepper, base_url)
            if req.idempotency_key is not None:
                if req.idempotency_key in keys_seen:
                    raise Conflict(f"idempotency key '{req.idempotency_key}' is also used by record "
                                   f"{keys_seen[req.idempotency_key]}")
                keys_seen[req.idempotency_key] = rec
        except (InvalidInput, NotFound, Forbidden, Conflict) as exc:
            report.refuse(rec, exc)
            continue
        rows.append(award_row(organisation_id, req, issued, expires, pepper, recorded=now_s))
        row_records.append(rec)
        row_requests.append(req)
    # keys that already name another award, found before any row is written (a lone row needs
    # no read: its write refuses such a key and writes nothing, as the check below does for a batch)
    ask = dry_run or len(rows) > 1
    existing = {r["id"]: r for r in store.read(queries.ASSERTION_ENDPOINTS,
                                               {"ids": sorted({r["id"] for r in rows})})} if ask else {}
    kept = []
    for rec, row, req in zip(row_records, rows, row_requests):
        got = existing.get(row["id"])
        if got is not None and (clash := key_clash(row, got)) is not None:
            report.refuse(rec, clash)
        else:
            kept.append((rec, row, req))
    first = repeats(kept, existing)
    if dry_run:
        return preview(store, report, kept, existing, first, now_s, batch_size)
    if report.refused:  # the call lands whole or not at all
        report.sort()
        return report
    # a key naming a withdrawn award answers it (withdrawn_award): nothing to write for it
    gone = {i for i, (_, row, _) in enumerate(kept) if existing.get(row["id"], {}).get("withdrawn")}
    writes = [row for i, (_, row, _) in enumerate(kept) if i not in first and i not in gone]
    results: dict[str, dict[str, Any]] = {}
    for start in range(0, len(writes), batch_size):
        batch = writes[start:start + batch_size]
        for r in store.write(feed.recorded(queries.AWARD_ASSERTIONS), {
                "organisation_id": organisation_id, "request_id": uuid.uuid4().hex, "rows": batch, "now": now_s,
                "feed": feed.award_change(batch)}):
            results[r["row"]] = r
    for i, (rec, row, req) in enumerate(kept):
        got = existing[row["id"]] if i in gone else results.get(kept[first[i]][1]["id"] if i in first else row["id"])
        if got is None:  # the badge lost its DEFINES between the check and the write
            report.refuse(rec, Forbidden(f"badge '{row['badge_id']}' is not defined by '{organisation_id}'"))
        elif got["withdrawn"]:
            report.awards.append(withdrawn_award(got, req.idempotency_key))
            report.requests.append(req)
        elif (clash := key_clash(row, got)) is not None:
            report.refuse(rec, clash)
        else:
            held = bool(got["held"]) or i in first
            report.awards.append(award_of(got, created=bool(got["created"]) and not held,
                                           detail=held_detail(got) if held else None))
            report.requests.append(req)
    report.sort()
    return report


def award(store: GraphStore, organisation_id: str, request: AwardRequest, *, pepper: bytes,
          now: datetime | int | None = None, base_url: str | None = None, dry_run: bool = False) -> Award:
    """Award one badge (``award_many`` with one request), raising instead of reporting;
    with ``dry_run``, write nothing and answer what the award would be (``would_create``).

    Returns:
        The ``Award`` made, or found again (``created`` False, with its ``detail``
        when the learner already held the badge live).

    Raises:
        InvalidInput: a bad value (including a learner page naming no learner, or a
            recipient that does not identify ``learner_id``), or a bad ``now``.
        NotFound: the organisation, badge or named learner does not exist.
        Forbidden: another organisation defines the badge (also when it stopped
            defining it between the checks and the write).
        Conflict: the idempotency key names an assertion of another badge or learner, or
            the organisation has no email (``award_rows.check_issuer``).
    """
    report = award_many(store, organisation_id, [request], pepper=pepper, now=now, base_url=base_url,
                        dry_run=dry_run)
    if report.errors:
        raise report.errors[0]
    return report.awards[0]


def _transition(store: GraphStore, record: AssertionRecord, to: AssertionStatus, now: int,
                reason: str | None, *, answer: bool = False) -> AssertionRecord:
    """Move ``record`` to ``to`` in one statement; with ``answer`` (a learner's accept or
    decline), the same statement ends the assertion's unused claim links
    (``queries.ANSWER_ASSERTION``). Raises NotFound (no such assertion) or Conflict (not
    allowed from its status); returns the assertion after the change."""
    allowed = [str(s) for s in _ALLOWED_FROM[to]]
    pairs = [(record.learner_id, record.badge_id)] if record.learner_id and record.badge_id else []
    statement = queries.ANSWER_ASSERTION if answer else queries.SET_ASSERTION_STATUS
    rows = store.write(feed.recorded(statement), {
        "id": record.id, "from": allowed, "to": str(to), "now": now, "reason": reason, "kind": access.CLAIM,
        "feed": feed.change(feed.AWARDS, pairs=pairs)})
    if not rows:
        raise NotFound(f"assertion '{record.id}' does not exist")
    before = rows[0]["before"]
    if not rows[0]["changed"] and before != str(to):
        raise Conflict(f"assertion '{record.id}' is {before}; it cannot become {to}")
    return get_assertion(store, record.id)


def set_learner_response(store: GraphStore, assertion_id: str, accept: bool, *, base_url: str,
                         learner_id: str | None = None, now: datetime | int | None = None,
                         on_completion: Callable[[Completion], None] | None = None) -> AssertionRecord:
    """The learner accepts (``accept=True``) or declines an assertion.

    Accepting again, or declining again, changes nothing. A learner may change
    their mind (accepted <-> declined); a revoked assertion stays revoked.
    Accepting awards the completion badge of every published pathway the badge now
    completes for the learner (``complete_after_award``). The assertion's unused claim
    links end in the answer's statement (``queries.ANSWER_ASSERTION``), never apart.

    Args:
        store: the graph.
        assertion_id: the assertion.
        accept: True to accept, False to decline.
        base_url: the service's public base URL, which names the learner in a
            completion award (``award_completion``).
        learner_id: the learner acting; None for the operator (``policy.acting_for``).
        now: the time stamped (``accepted_on`` / ``declined_on``); default now.
        on_completion: called with each completion this accept newly awards
            (the service makes the completion issuer's signing key there).

    Returns:
        The assertion after the change.

    Raises:
        NotFound: no such assertion.
        Forbidden: it was awarded to another learner than ``learner_id`` (or was
            withdrawn, and so is no learner's).
        Conflict: it is revoked.
        InvalidInput: ``now`` is not a valid time (``graph.issuing.epoch``).
    """
    record = get_assertion(store, assertion_id)
    policy.require(policy.acting_for(learner_id=learner_id), Action.RESPOND_TO_ASSERTION,
                   policy.of_assertion(record, Action.RESPOND_TO_ASSERTION))
    to = AssertionStatus.ACCEPTED if accept else AssertionStatus.DECLINED
    t = epoch_or_now(now)
    after = _transition(store, record, to, t, None, answer=True)  # its claim links end with it
    if accept and after.learner_id and after.badge_id:
        # the last step of a pathway met: its completion badge is awarded once
        for done in complete_after_award(store, after.learner_id, after.badge_id, base_url=base_url):
            if on_completion is not None:
                on_completion(done)
    return after


def revoke(store: GraphStore, assertion_id: str, reason: str, *, organisation_id: str | None = None,
           now: datetime | int | None = None) -> AssertionRecord:
    """Revoke an assertion with a reason; it stays on record, out of the portfolio.

    Revoking a revoked assertion keeps its first reason and ``revoked_on``; each revoke
    then revokes the learner's pathway completions it leaves unmet, in further statements
    (``revoke_stale_completions``), so revoking again finishes what a failure left.

    Args:
        store: the graph.
        assertion_id: the assertion.
        reason: why (published in the OB 2.0 RevocationList and hosted assertion).
        organisation_id: the organisation acting; None for the operator (``policy.acting_for``).
        now: the time stamped as ``revoked_on``; default (None) now.

    Returns:
        The assertion after the change.

    Raises:
        InvalidInput: an empty reason, or ``now`` is not a valid time.
        NotFound: no such assertion.
        Forbidden: ``organisation_id`` did not issue the assertion (or, when its
            issuer is not recorded, does not define its badge: ``policy.of_assertion``).
    """
    if not reason or not reason.strip():
        raise InvalidInput("a revocation needs a reason", field="reason")
    record = get_assertion(store, assertion_id)
    policy.require(policy.acting_for(organisation_id), Action.REVOKE_ASSERTION,
                   policy.of_assertion(record, Action.REVOKE_ASSERTION))
    when = epoch_or_now(now)
    after = _transition(store, record, AssertionStatus.REVOKED, when, reason.strip())
    if after.learner_id and after.badge_id:  # again too: finishes a revoke that failed here
        revoke_stale_completions(store, after.learner_id, after.badge_id, now=when)
    return after


def withdraw(store: GraphStore, assertion_id: str, reason: str, *, organisation_id: str | None = None,
             now: datetime | int | None = None) -> None:
    """Withdraw an award for good (the policy is ``DELETE /assertions/{id}``'s): it is
    revoked (``revoke``, with its completions), then leaves its learner and its badge,
    and its recipient and evidence are erased (``queries.ERASE_ASSERTION``); the node
    stays, revoked, so that its hosted URL answers 410. Asking again changes nothing, or
    after a failure between these statements finishes them (completions, erasure).

    Raises:
        NotFound: no such assertion.
        Forbidden: ``organisation_id`` neither issued the assertion nor defines its badge.
        InvalidInput: it was not yet revoked and ``reason`` is empty, or ``now`` is
            not a valid time (``revoke``).
    """
    record = get_assertion(store, assertion_id)
    policy.require(policy.acting_for(organisation_id), Action.WITHDRAW_ASSERTION,
                   policy.of_assertion(record, Action.WITHDRAW_ASSERTION))
    if record.withdrawn:
        return
    if record.status != AssertionStatus.REVOKED:
        revoke(store, assertion_id, reason, now=now)
    elif record.learner_id and record.badge_id:  # a revoke that failed before its completions
        revoke_stale_completions(store, record.learner_id, record.badge_id, now=epoch_or_now(now))
    store.write(queries.ERASE_ASSERTION, {"id": assertion_id})

def stale_step_reason(store: GraphStore, badge_id: str) -> str:
    """The public revocation reason of a completion whose step ``badge_id`` the learner
    no longer holds: one clause naming the badge by its name (its id when it has none),
    read after "This badge was revoked: " on the share page."""
    rows = store.read(queries.ISSUING_BADGES, {"badge_ids": [badge_id]})
    name = (rows[0]["props"].get("name") if rows else None) or badge_id
    return f"the learner no longer holds {name}, a step of its pathway"


def revoke_stale_completions(store: GraphStore, learner_id: str, badge_id: str, *, now: int) -> list[str]:
    """The stated policy when a step badge is revoked (``service/authoring.py``): the
    learner's completion awards whose pathway, counting ``badge_id``, is no longer
    met are revoked too, with the reason "the learner no longer holds <badge name>, a
    step of its pathway" (``stale_step_reason``; public: the share page says "This
    badge was revoked: <reason>." and OB 2.0 its ``revocationReason``); a
    completion revoked so may in turn leave another pathway unmet (``revoke``
    follows the chain). An award that another award still satisfies changes nothing.

    Returns:
        The completion assertion ids revoked here (not those further down the chain).
    """
    held = {r["badge_id"] for r in store.read(queries.LEARNER_VERIFIED_PORTFOLIO,
                                               {"learner_id": learner_id, "now": now})}
    revoked = []
    for row in store.read(queries.PATHWAYS_COMPLETED_BY_BADGE, {"badge_id": badge_id}):
        cid = completion_assertion_id(row["id"], learner_id)
        try:
            record = get_assertion(store, cid)
        except NotFound:
            continue
        found = store.read(queries.PATHWAY_GET, {"id": row["id"]})
        if record.status == AssertionStatus.REVOKED or not found:
            continue
        if unmet_steps(found[0]["record"], held):
            revoke(store, cid, stale_step_reason(store, badge_id), now=now)
            revoked.append(cid)
    return revoked


def award_csv(store: GraphStore, organisation_id: str, path: Path | str, *, pepper: bytes,
              text: str | None = None, now: datetime | int | None = None,
              batch_size: int = BATCH_SIZE, dry_run: bool = False,
              encoding: str | None = None, base_url: str | None = None) -> AwardReport:
    """Bulk award from a CSV: one statement per batch; refused rows reported by line number,
    and with any refused, nothing written (``award_many``: it lands whole or not at all).

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
        encoding: the file's encoding (``colearn issue --csv --encoding``), by
            the HTTP route's rule (``colearn.text.decode_strict``); default UTF-8.
        base_url: whose learner pages name learners (``award_many``).

    Raises:
        InvalidInput: the file cannot be read or is not in ``encoding``
            (``record`` is the line of the first byte that is not: nothing is
            decoded lossily, ``colearn.text.decode_strict``), the header is
            wrong (lacks ``badge_id`` or has an unknown column), or ``now`` is not a valid time.
        Conflict: the organisation has no email (``award_rows.check_issuer``).
        UnknownCharset: (an ``InvalidInput``) ``encoding`` is not a charset colearn honours
            (``colearn.text.text_codec``: one with an IANA or WHATWG name); ``field`` is ``--encoding``.
        NotFound: the organisation does not exist.
    """
    name = Path(path).name
    if text is None:
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read: {exc}", file=str(path)) from exc
        text = decode_strict(raw, encoding, source=str(path), declare=CLI_DECLARE)
    requests, lines, refused = parse_award_csv(text, source=str(path))
    keyed = [r if r.idempotency_key else replace(r, idempotency_key=f"{name}:{line}")
             for r, line in zip(requests, lines)]
    # a row refused by the parser refuses the file: the others are only checked, not written
    report = award_many(store, organisation_id, keyed, pepper=pepper, records=lines, now=now,
                        batch_size=batch_size, dry_run=dry_run or bool(refused), base_url=base_url)
    for line, reason in refused:
        report.refuse(line, InvalidInput(reason))
    if refused and not dry_run:  # checked as a dry run, but this call is not one: it answers no awards
        report.awards, report.requests, report.dry_run = [], [], False
    report.sort()
    return report


def refused_whole(report: AwardReport, where: str = "record ") -> BatchRefused | None:
    """The error for a bulk award refused whole (``None`` when nothing was refused): how
    many records, and each one's reason, named ``<where><record>`` (``line 4`` with
    ``where="line "`` for a CSV, ``body.2`` with ``where="body."`` for a JSON list)."""
    if not report.refused:
        return None
    n = len(report.refused)
    return BatchRefused(f"{n} record{'s' * (n != 1)} refused, so nothing was awarded (a bulk award lands whole "
                        "or not at all): correct them and send it all again",
                        [(f"{where}{rec}", reason) for rec, reason in report.refused])


def import_award(store: GraphStore, verifier: Any, learner_id: str, document: dict[str, Any] | str,
                 identity: str, *, base_url: str) -> Any:
    """A learner adds a badge earned elsewhere: ``openbadges.importing.import_badge``
    (which verifies it and writes it, recording the change), then, like an accept,
    the completion badges it earns. An import whose assertion is marked
    ``verified: false`` is kept but counts toward no portfolio, progress or completion.
    ``base_url`` names the learner in a completion award (``award_completion``).

    Returns:
        The ``openbadges.importing.ImportResult``.

    Raises:
        NotFound, InvalidInput, Conflict: see ``import_badge``.
    """
    from colearn.openbadges.importing import import_badge

    result = import_badge(store, verifier, learner_id, document, identity)
    if result.verified:
        complete_after_award(store, learner_id, result.badge_id, base_url=base_url)
    return result
