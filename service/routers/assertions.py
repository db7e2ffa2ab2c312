"""Issuing routes: award, accept, decline, revoke, a learner's portfolio and imports.

Who may do what (``domain/policy.py`` decides; each route asks it):

- award (single, list or CSV): admin, or an organisation key acting for the
  organisation in the path; the badge must be one that organisation DEFINES
  (403 otherwise);
- revoke: admin, or the organisation that issued the assertion (the badge's
  organisation when no issuer is recorded: ``policy.of_assertion``);
- withdraw: admin, the organisation that issued it, or the one that defines its badge;
- accept / decline: the learner it was awarded to (learner token), or admin;
- read an assertion: admin, the organisation that issued it or defines its
  badge, or its learner;
- portfolio and imports: the learner themself, or admin.

Every change is a ``domain.awards`` operation (graph statements that also
record the change for every process's recommender: see that module);
retried awards with the same ``Idempotency-Key`` never make a second assertion.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from colearn import times
from colearn.domain import awards
from colearn.domain.awards import Award, AwardRequest, Recipient
from colearn.domain import policy
from colearn.domain.policy import Action, Resource
from colearn.errors import BatchRefused, Forbidden, InvalidInput, NotFound
from colearn.graph import queries
from colearn.graph.issuing import learner_page
from colearn.openbadges.documents import Publisher
from colearn.openbadges.verify import Verifier
from colearn.service import learner_awards
from colearn.service.assertion_schemas import (AssertionLinks, AssertionPublic, AssertionsPublic, AwardBody,
                                               AwardCreate,
                                               ImportIn, ImportPublic, PortfolioAward, PortfolioCell,
                                               PortfolioPublic, Refused, RevokeIn, VerificationPublic)
from colearn.service.auth import Principal, Role
from colearn.service.catalogue import request_fields
from colearn.errors import UnsupportedMediaType
from colearn.service.bodies import media_type, read_body
from colearn.service.deps import PrincipalDep, StoreDep
from colearn.service.guard import CSV_READINGS, MAX_CSV_BYTES, check_csv_lines
from colearn.service.openbadges_deps import KeysDep, PublisherDep, tell_recommender
from colearn.service.problems import field_error_entry, problem_responses
from colearn.service.routers.claims import notify_awards
from colearn.text import decode_strict

router = APIRouter(tags=["assertions"])

Id = Annotated[str, Path(min_length=1, max_length=200)]
_ERRORS = problem_responses(401, 403, 404, 409, 422, 429)
#: The largest CSV body accepted: the request guard's CSV limit (10 MiB).
CSV_MAX_BYTES = MAX_CSV_BYTES
#: Media types read as CSV text (``""``: none given): the request guard's ``CSV_READINGS``, which
#: also reads ``application/json`` as the CSV text in one JSON string.
CSV_MEDIA_TYPES = tuple(kind for kind, reading in CSV_READINGS.items() if reading == "text")
#: The awards a bulk dry run lists in ``data`` (the first ones; ``not_shown`` counts the rest):
#: a 100,000-row file's every award once made a 77 MB answer.
DRY_RUN_SHOWN = 1_000


def _time(epoch_s: int | None) -> datetime | None:
    return times.from_epoch(epoch_s)


def _links(pub: Publisher, assertion_id: str) -> AssertionLinks:
    u = pub.urls
    return AssertionLinks(ob2=u.assertion(assertion_id), ob3=u.credential(assertion_id),
                          ob3_jwt=u.credential_jwt(assertion_id), baked_png=u.baked(assertion_id, "png"),
                          baked_svg=u.baked(assertion_id, "svg"))


def _award_public(pub: Publisher, a: Award, held: dict[str, str] | None = None) -> AssertionPublic:
    """An award as answered; one a dry run would create exists nowhere, so it has no ``status``,
    only the ``would_status`` it would have (``would_create`` true). ``held``: why awards' notices
    were held (``notify_awards``), by assertion id."""
    new = a.would_create is True
    return AssertionPublic(id=a.id, badge_id=a.badge_id, learner_id=a.learner_id,
                           status=None if new else a.status, would_status=a.status if new else None,
                           issued_on=_time(a.issued_on), expires_on=_time(a.expires_on),
                           expired=awards.is_expired(a.expires_on), revocation_reason=a.revocation_reason,
                           created=a.created if a.would_create is None else None, would_create=a.would_create,
                           detail=a.detail, links=_links(pub, a.id), notice_held=(held or {}).get(a.id))


def _record_public(pub: Publisher, r: awards.AssertionRecord) -> AssertionPublic:
    ours = r.issued_here  # what ``Publisher.assertion_record`` hosts
    return AssertionPublic(id=r.id, badge_id=r.badge_id, learner_id=r.learner_id, status=r.status,
                           issued_on=_time(r.props.get("issued_on")), expires_on=_time(r.props.get("expires_on")),
                           expired=awards.is_expired(r.props.get("expires_on")),
                           revocation_reason=r.props.get("revocation_reason"),
                           links=_links(pub, r.id) if ours else None)


def _acting_organisation(principal: Principal, org_id: str) -> None:
    policy.require(principal, Action.AWARD, Resource(f"organisation '{org_id}'", owners=(org_id,)))


def _request(item: AwardCreate, badge_id: str, key: str | None, pub: Publisher) -> AwardRequest:
    recipient = Recipient(item.recipient.type, item.recipient.identity) if item.recipient else \
        learner_page(pub.urls.base, item.learner_id)
    return AwardRequest(badge_id=badge_id, recipient=recipient, learner_id=item.learner_id,
                        evidence_url=item.evidence_url, evidence_narrative=item.narrative,
                        issued_on=item.issued_on, expires_on=item.expires_on, idempotency_key=key)


def _refused_with_shapes(pub: Publisher, org_id: str, reqs: list[AwardRequest], records: list[int],
                         problems: list[dict[str, Any]], pepper: bytes) -> BatchRefused:
    """The refusal of a list with badly shaped items: an ``errors`` entry per shape problem
    (``body.2.issued_on``) and per well-shaped item the checks refuse (``body.1``, read as
    a dry run: nothing is written), in item order."""
    entries = [(int(e["loc"][0]), field_error_entry({**e, "loc": ("body", *e["loc"])})) for e in problems]
    try:
        checked = awards.award_many(pub.store, org_id, reqs, pepper=pepper, records=records,
                                    base_url=pub.urls.base, dry_run=True).refused if reqs else []
    except (NotFound, InvalidInput):  # the organisation itself: the items' shapes are still worth saying
        checked = []
    entries += [(rec, {"field": f"body.{rec}", "message": reason}) for rec, reason in checked]
    entries.sort(key=lambda e: e[0])
    n = len({i for i, _ in entries})
    return BatchRefused(f"{n} record{'s' * (n != 1)} refused, so nothing was awarded (a bulk award lands whole "
                        "or not at all): correct them and send it all again",
                        [(e["field"], e["message"]) for _, e in entries])


def _bulk_answer(pub: Publisher, report: awards.AwardReport, *, dry_run: bool,
                 held: dict[str, str] | None = None) -> Response:
    """A list's or a CSV's answer (``AssertionsPublic``), serialised here (on the caller's thread, off the
    event loop): 201 when it created any award, else 200. A dry run's ``data`` is its first
    ``DRY_RUN_SHOWN`` awards (``not_shown`` counts the rest); its ``refused`` is complete."""
    shown = report.awards[:DRY_RUN_SHOWN] if dry_run else report.awards
    held = held or {}
    answer = AssertionsPublic(data=[_award_public(pub, a, held) for a in shown], count=len(report.awards),
                              created=report.created, refused=[Refused(record=r, detail=d) for r, d in report.refused],
                              dry_run=dry_run, would_create=report.would_create if dry_run else None,
                              notices_held=len(held), not_shown=len(report.awards) - len(shown))
    return Response(answer.model_dump_json(), status_code=201 if report.created else 200,
                    media_type="application/json")


@router.post(
    "/organisations/{org_id}/badges/{badge_id}/assertions",
    response_model=AssertionPublic | AssertionsPublic, status_code=201,
    responses={**_ERRORS, 200: {"model": AssertionPublic | AssertionsPublic,
                                "description": "nothing new: the idempotency keys named existing assertions, "
                                               "or the learners already held the badge live"}},
)
def award(
    request: Request, principal: PrincipalDep, pub: PublisherDep, keys: KeysDep, response: Response,
    org_id: Id, badge_id: Id,
    body: Annotated[AwardBody, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)] = None,
    dry_run: bool = False,
) -> AssertionPublic | Response:
    """Award a badge to one learner (an object) or to several (a list, one statement
    per 5,000 items; it lands whole or not at all: with any item refused nothing is awarded, 422
    with one ``errors`` entry per refused item, ``body.<index>``).

    An award to an email address sends the learner a notice with a single-use
    claim link (``/claim``); a retry sends nothing. Notices are capped per recipient
    address an hour (``COLEARN_AWARD_NOTICES_PER_ADDRESS_HOUR``) and per organisation a
    day (``COLEARN_AWARD_NOTICES_PER_ORGANISATION_DAY``): over a cap the award is made
    all the same, its notice is not sent, and the award's ``notice_held`` says why (a
    list's ``notices_held`` counts them).

    A list is a bulk award: one at a time per organisation (in a server process); another
    while one is in flight answers 429 with ``Retry-After``.

    A recipient URL that is a learner's page here (``{base URL}/learners/{id}``) without
    ``learner_id`` is that learner (422 on ``recipient.identity`` when there is none).

    ``Idempotency-Key``: the same key never creates a second assertion; a retry
    answers 200 with the assertion the first request made (201 when new).
    For a list, an item's ``idempotency_key`` wins, else ``<header>:<index>``.

    No second copy: a learner (``learner_id``, or the learner a recipient
    names) who already holds the badge live (issued or accepted, not expired)
    gets no new award. A single award then answers 200 with the award they
    hold, ``created`` false and a ``detail`` saying so; in a list that item
    is answered so and the others land (an item repeating an earlier one's
    learner answers that one's award). An expired, revoked or declined award
    does not block a new one. No notice is sent for an award not made.

    ``?dry_run=true`` writes nothing, sends no notice and answers 200 with what
    the call would give, as the CSV dry run does: ``dry_run`` true, each award's
    ``would_create`` (true: it would be new) with ``created`` null, and for a
    list ``created`` 0, ``would_create`` counting the awards it would make, ``data``
    the first 1,000 awards (``DRY_RUN_SHOWN``; ``not_shown`` counts the rest) and
    ``refused`` every refused item. An
    award it would make has ``status`` null and ``would_status`` (``issued``): it
    does not exist; one a key names, or the learner holds, is answered as stored,
    as a real retry answers it.

    Who: admin, or an organisation key for ``org_id``; the badge must be one
    ``org_id`` defines.
    """
    _acting_organisation(principal, org_id)
    pepper = keys.recipient_pepper()
    if not dry_run:
        pub.ensure_key(org_id)  # issuing is what makes an organisation's key; no read ever does
    if isinstance(body, AwardCreate):
        req = _request(body, badge_id, idempotency_key or body.idempotency_key, pub)
        with request_fields("body"):  # the domain's ``expires_on`` is the body's
            made = awards.award(pub.store, org_id, req, pepper=pepper, base_url=pub.urls.base, dry_run=dry_run)
        if dry_run:
            response.status_code = 200
            return _award_public(pub, made).model_copy(update={"dry_run": True})
        tell_recommender(request)
        held = notify_awards(request, pub.store, awards.AwardReport(awards=[made], requests=[req]), org_id)
        response.status_code = 201 if made.created else 200
        return _award_public(pub, made, held)
    with request.app.state.bulk_awards.hold(org_id, f"a bulk award for organisation '{org_id}'"):
        return _award_list(request, pub, org_id, badge_id, body, idempotency_key, dry_run, pepper)


def _award_list(request: Request, pub: Publisher, org_id: str, badge_id: str, body: Sequence[AwardCreate | None],
                idempotency_key: str | None, dry_run: bool, pepper: bytes) -> Response:
    """The list form of ``award`` (one bulk award of ``org_id`` at a time)."""
    shaped = [(i, item) for i, item in enumerate(body) if item is not None]
    reqs = [_request(item, badge_id, item.idempotency_key or (f"{idempotency_key}:{i}" if idempotency_key else None),
                     pub) for i, item in shaped]
    if problems := getattr(body, "problems", None):
        raise _refused_with_shapes(pub, org_id, reqs, [i for i, _ in shaped], problems, pepper)
    report = awards.award_many(pub.store, org_id, reqs, pepper=pepper, base_url=pub.urls.base, dry_run=dry_run)
    if dry_run:
        return _bulk_answer(pub, report, dry_run=True)
    if (refused := awards.refused_whole(report, "body.")) is not None:
        raise refused
    tell_recommender(request)
    return _bulk_answer(pub, report, dry_run=False, held=notify_awards(request, pub.store, report, org_id))


@router.post(
    "/organisations/{org_id}/assertions/csv", response_model=AssertionsPublic, status_code=201,
    responses={**_ERRORS, **problem_responses(413, 415),
               200: {"model": AssertionsPublic, "description": "nothing new (a file sent again, or every learner "
                                                               "already held the badge live), or a dry run"}},
    openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}},
)
async def award_csv(principal: PrincipalDep, pub: PublisherDep, keys: KeysDep, request: Request, org_id: Id,
                    name: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
                    dry_run: bool = False) -> Response:
    """Bulk award from a CSV body (``text/csv``; columns ``badge_id``, ``email`` or
    ``url``, ``learner_id``, ``evidence_url``, ``narrative``, ``issued_on``,
    ``expires_on``, ``key``; or the same text as one JSON string). One statement
    per 5,000 rows. The file lands whole or not at all: with any row refused,
    nothing is awarded and the answer is 422 with one ``errors`` entry per
    refused row (``line 4``), so the corrected file sent again awards each row
    once.

    Bytes are decoded by the ``charset`` the Content-Type declares, else as
    UTF-8; a byte that does not decode refuses the upload (422, naming the
    line): nothing is decoded lossily. A charset that is no character encoding
    of the IANA registry (``charset=hex``, ``unicode_escape``) is 415, as an
    unknown one (``colearn.text.text_codec``). The text is read as RFC 4180 CSV
    (``domain.award_csv``): quoted fields keep their line breaks, and lines are
    the file's physical lines (CR, LF or CRLF). ``text/plain``,
    ``application/csv`` or no Content-Type read as ``text/csv``. A form upload
    (``multipart/form-data``) or another media type is 415; a body over 10 MiB
    (or 100,000 lines), in any of these forms, is 413.

    A row without ``key`` is keyed by ``<name>:<line>`` when ``?name=`` is
    given, else by ``<sha256 of the body>:<line>``: the same file sent twice
    awards nothing twice, and two different files never share keys. A row
    for a learner who already holds the badge live (issued or accepted, not
    expired), or who an earlier row awards it to, makes no second award: its
    entry in ``data`` is that award, ``created`` false with a ``detail``, and
    the other rows land (it is not a refusal).
    ``?dry_run=true`` writes nothing and answers 200 with what each row
    would give and what is refused (a real call with any refused writes
    nothing), claiming nothing: ``dry_run`` true, ``created`` 0,
    ``would_create`` counting the awards it would make, and in ``data`` each
    row's ``would_create`` (true: it would be new) with ``created`` null; ``data``
    holds the first 1,000 rows' awards (``not_shown`` counts the rest, ``count`` all of
    them) and ``refused`` every refused row.

    Award notices are capped as for a list (``notice_held``, ``notices_held``). One
    bulk award (CSV or list, dry run or not) per organisation at a time in a server
    process: another while one is in flight answers 429 with ``Retry-After``. The work
    runs on a worker thread, never on the event loop.

    Who: admin, or an organisation key for ``org_id``.
    """
    _acting_organisation(principal, org_id)
    with request.app.state.bulk_awards.hold(org_id, f"a bulk award for organisation '{org_id}'"):
        raw = await read_body(request, CSV_MAX_BYTES)
        kind, charset = media_type(request)
        # all the work, the answer's serialising too, on a worker thread: the event loop keeps serving
        return await run_in_threadpool(_award_csv, request, pub, org_id, raw, kind, charset, name, dry_run,
                                       keys.recipient_pepper())


def _award_csv(request: Request, pub: Publisher, org_id: str, raw: bytes, kind: str, charset: str | None,
               name: str | None, dry_run: bool, pepper: bytes) -> Response:
    """``award_csv``'s work once the body is read: decode, award (or preview), notify, answer."""
    upload = name or f"upload-{hashlib.sha256(raw).hexdigest()[:16]}"
    reading = CSV_READINGS.get(kind)  # the guard held the body to the CSV limits by the same table
    if reading == "json":
        try:
            text = json.loads(decode_strict(raw, charset, source=upload))
        except ValueError as exc:
            raise InvalidInput(f"a JSON body must be the CSV text as one string: {exc}") from exc
        if not isinstance(text, str):
            raise InvalidInput("a JSON body must be the CSV text as one string")
    elif reading == "text":
        text = decode_strict(raw, charset, source=upload)
    elif kind.startswith("multipart/"):
        raise UnsupportedMediaType(f"a form upload ({kind}) is not read as CSV: send the file itself as the "
                                   "body, with Content-Type: text/csv")
    else:
        raise UnsupportedMediaType(f"a CSV upload is text/csv (or the CSV text as one JSON string), not {kind}")
    check_csv_lines(text)  # 413: counted as the CSV reader counts lines, whatever the encoding or form
    if not dry_run:
        pub.ensure_key(org_id)
    report = awards.award_csv(pub.store, org_id, upload, pepper=pepper, text=text, dry_run=dry_run,
                              base_url=pub.urls.base)
    if dry_run:
        return _bulk_answer(pub, report, dry_run=True)
    if (refused := awards.refused_whole(report, "line ")) is not None:
        raise refused
    tell_recommender(request)
    return _bulk_answer(pub, report, dry_run=False, held=notify_awards(request, pub.store, report, org_id))


@router.get("/assertions/{assertion_id}", response_model=AssertionPublic, responses=_ERRORS)
def get_assertion(principal: PrincipalDep, pub: PublisherDep, assertion_id: Id) -> AssertionPublic:
    """One assertion and its status. A withdrawn one (``DELETE /assertions/{id}``)
    answers ``status: revoked`` with ``badge_id`` and ``learner_id`` null: withdrawing
    erases its links to its badge and learner, and which badge it was of is not
    kept. Who: admin, the organisation that issued it or defines its badge, or the
    learner it was awarded to."""
    record = awards.get_assertion(pub.store, assertion_id)
    policy.require(principal, Action.READ_ASSERTION, policy.of_assertion(record, Action.READ_ASSERTION))
    return _record_public(pub, record)


def _respond(request: Request, principal: PrincipalDep, pub: Publisher, assertion_id: str,
             accept: bool) -> AssertionPublic:
    policy.require_role(principal, Action.RESPOND_TO_ASSERTION)
    _, learner = policy.scope(principal)  # whose assertion it is: domain.awards asks the policy
    return _record_public(pub, learner_awards.respond(request, pub, assertion_id, accept, learner_id=learner))


@router.post("/assertions/{assertion_id}/accept", response_model=AssertionPublic, responses=_ERRORS)
def accept(request: Request, principal: PrincipalDep, pub: PublisherDep, assertion_id: Id) -> AssertionPublic:
    """The learner accepts the award: it enters their portfolio (and recommendations);
    a pathway whose steps are now all met gets its completion badge awarded once.
    Who: the learner it was awarded to (learner token), or admin."""
    return _respond(request, principal, pub, assertion_id, True)


@router.post("/assertions/{assertion_id}/decline", response_model=AssertionPublic, responses=_ERRORS)
def decline(request: Request, principal: PrincipalDep, pub: PublisherDep, assertion_id: Id) -> AssertionPublic:
    """The learner declines the award: it stays on record, out of their portfolio.
    Who: the learner it was awarded to (learner token), or admin."""
    return _respond(request, principal, pub, assertion_id, False)


@router.post("/assertions/{assertion_id}/revoke", response_model=AssertionPublic, responses=_ERRORS)
def revoke(request: Request, principal: PrincipalDep, pub: PublisherDep, assertion_id: Id,
           body: RevokeIn) -> AssertionPublic:
    """Revoke with a reason: the hosted OB 2.0 assertion answers 410, the
    RevocationList and the OB 3.0 status list say so, and it leaves the
    portfolio; pathway completions it leaves unmet are revoked too. Who: admin,
    or the organisation that issued it (the badge's organisation when no issuer
    is recorded)."""
    policy.require_role(principal, Action.REVOKE_ASSERTION)
    org, _ = policy.scope(principal)  # whose badge it is: domain.awards asks the policy
    record = awards.revoke(pub.store, assertion_id, body.reason, organisation_id=org)
    tell_recommender(request)
    return _record_public(pub, record)


@router.delete("/assertions/{assertion_id}", status_code=204, response_class=Response, responses=_ERRORS)
def withdraw(request: Request, principal: PrincipalDep, pub: PublisherDep, assertion_id: Id,
             reason: Annotated[str, Query(min_length=1, max_length=500)] = "withdrawn by the issuer") -> Response:
    """Withdraw an award for good. The policy: an award that was published is never
    made to vanish (copies of it exist and must keep failing verification), so
    it is revoked (``reason``), then leaves its learner's records and its badge,
    and its recipient and evidence are erased; what stays is the id and the
    revocation: the hosted assertion answers 410 and the RevocationList and
    status list keep it. A badge goes when nothing live refers to it (every
    award revoked, declined or withdrawn: ``DELETE /badges/{id}``). Asking
    again changes nothing. Who: admin, the organisation that issued it, or the
    one that defines its badge."""
    policy.require_role(principal, Action.WITHDRAW_ASSERTION)
    org, _ = policy.scope(principal)
    awards.withdraw(pub.store, assertion_id, reason, organisation_id=org)
    tell_recommender(request)
    return Response(status_code=204)


def _own_learner(principal: Principal, learner_id: str) -> None:
    policy.require(principal, Action.KEEP_PORTFOLIO, Resource(f"learner '{learner_id}'", learner=learner_id))


def _award_row(row: dict[str, Any]) -> PortfolioAward:
    return PortfolioAward(assertion_id=row["assertion_id"], badge_id=row["badge_id"], name=row.get("name"),
                          issued_on=_time(row.get("issued_on")), expires_on=_time(row.get("expires_on")),
                          expired=awards.is_expired(row.get("expires_on")), status=row.get("status"), imported=bool(row.get("imported")),
                          verified=row.get("verified") is not False)


@router.get("/learners/{learner_id}/portfolio", response_model=PortfolioPublic, tags=["learners"],
            responses=_ERRORS)
def portfolio(principal: PrincipalDep, store: StoreDep, learner_id: Id) -> PortfolioPublic:
    """The learner's badges (accepted, not revoked, not expired) grouped by spine
    cell in spine order, and their other assertions. Who: the learner, or admin."""
    _own_learner(principal, learner_id)
    pf = awards.portfolio(store, learner_id)
    cells = {c["id"]: c for c in store.read(queries.SPINE_CELLS)}
    order = awards.spine_order(pf.cells, list(cells.values()))
    out = [PortfolioCell(cell_id=c, name=cells.get(c, {}).get("name"), layer=cells.get(c, {}).get("layer"),
                         domain=cells.get(c, {}).get("domain"), awards=[_award_row(a) for a in pf.cells[c]])
           for c in order]
    count = len({a["assertion_id"] for awards in pf.cells.values() for a in awards})
    return PortfolioPublic(learner_id=learner_id, count=count, cells=out, others=[_award_row(o) for o in pf.others])


@router.post("/learners/{learner_id}/portfolio/imports", response_model=ImportPublic, status_code=201,
             tags=["learners"], responses={**_ERRORS, 200: {
                 "model": ImportPublic, "description": "already imported: the award as stored "
                                                      "(already_imported true); nothing was written"}})
def import_into_portfolio(request: Request, principal: PrincipalDep, pub: PublisherDep, response: Response,
                          learner_id: Id, body: ImportIn) -> ImportPublic:
    """Add a badge earned elsewhere (OB 2.0 Assertion JSON, OB 3.0 credential JSON
    or VC-JWT). It is verified offline as far as possible and must be for
    ``identity``; it is then in the portfolio, marked ``imported``. ``verified`` is
    false when its origin could not be established (another issuer's badge,
    offline): such an import counts toward no recommendation and never completes
    a pathway. Its issuer and badge never become the city's catalogue. At most 200.
    201 when it is added; 200 (``already_imported``) when it was imported before:
    the award as stored, no second copy. Who: the learner themself, with an ``identity`` that is theirs (the email they
    signed in with, or their learner page here), or admin (for any identity)."""
    _own_learner(principal, learner_id)
    if principal.role == Role.LEARNER and not learner_awards.identity_is_theirs(
            body.identity, learner_id, pub.keys.recipient_pepper(), pub.urls.base):
        raise Forbidden(f"'{body.identity}' is not shown to be yours: import a badge awarded to the email address "
                        "you sign in with (or to your learner page here); a badge awarded to another address "
                        "is imported by signing in with that address")
    result = awards.import_award(pub.store, Verifier(pub), learner_id, body.credential, body.identity,
                                 base_url=pub.urls.base)
    if result.created:
        queue = getattr(request.app.state, "embeddings", None)
        if queue is not None:  # an imported badge is new text: without a vector the city falls back to TF-IDF
            queue.request()
        tell_recommender(request)
    else:
        response.status_code = 200
    return ImportPublic(assertion_id=result.assertion_id, badge_id=result.badge_id, verified=result.verified,
                        already_imported=not result.created,
                        verification=VerificationPublic(**result.report.to_dict()))
