"""An award request made into the row the award statement writes, and an award answer
read back from a statement's row, or previewed for a dry run (``domain.awards.award_many``
uses them all): a repeated (learner, badge) pair of one call answers its first row, and
an award not made because the learner holds the badge live says so (``held_detail``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from colearn.errors import Conflict, InvalidInput, NotFound
from colearn.graph import queries
from colearn.graph.issuing import (MAX_KEY_LENGTH, RECIPIENT_TYPES, SOURCE, Award, AwardRequest,
                                   assertion_id_for, epoch, hashed_recipient, learner_id_for, learner_of_page)
from colearn.graph.schema import AssertionStatus
from colearn.graph.store import GraphStore
from colearn.openbadges.rules import date_problem
from colearn.records.fields import email_problem

__all__ = ["award_of", "award_row", "check_issuer", "check_request", "checked_page", "checked_recipient",
           "held_detail", "key_clash", "live_pairs", "page_learner", "repeats", "withdrawn_award"]


def check_issuer(store: GraphStore, organisation_id: str) -> None:
    """That ``organisation_id`` may issue: it exists and has an ``email``, which Open Badges
    2.0 requires of an issuer Profile (section "Profile", "a note on required properties").
    The API refuses an organisation without one (``records.catalogue.IssuerRecord``); one
    loaded from catalogue files, or stored before that rule, may still lack it.

    Raises:
        NotFound: the organisation does not exist.
        Conflict: it has no email (409 naming ``organisation.email``, not a field of the
            award request): the message says to give it one with ``PATCH /organisations/{id}``.
    """
    org = store.read(queries.GET_ORGANISATION, {"id": organisation_id})
    if not org:
        raise NotFound(f"organisation '{organisation_id}' does not exist")
    if not org[0]["props"].get("email"):
        raise Conflict(f"organisation '{organisation_id}' has no email, which an Open Badges 2.0 issuer Profile "
                       f"requires: give it one (PATCH /organisations/{organisation_id} with "
                       '{"email": "..."}) and award again', field="organisation.email")


def check_request(req: AwardRequest, now: int) -> tuple[int, int | None]:
    """The issue and expiry times (epoch s) of an award request, checked: a known recipient
    type, exactly one email address (``records.fields.email_problem``) or an http(s) URL, an
    http(s) evidence URL, a key of 1 to ``MAX_KEY_LENGTH`` characters, and the dates verifiers require (``openbadges.rules.date_problem``);
    ``issued_on`` defaults to ``now``.

    Raises:
        InvalidInput: naming the field at fault.
    """
    if req.recipient.type not in RECIPIENT_TYPES:
        raise InvalidInput(f"recipient type must be one of {', '.join(RECIPIENT_TYPES)}", field="recipient.type")
    identity = req.recipient.normalised()
    if not identity:
        raise InvalidInput("recipient identity is empty", field="recipient.identity")
    wrong_email = email_problem(identity) if req.recipient.type == "email" else None
    if wrong_email is not None:
        raise InvalidInput(wrong_email, field="recipient.identity")
    if req.recipient.type == "url" and not identity.startswith(("http://", "https://")):
        raise InvalidInput(f"'{identity}' is not an http(s) URL", field="recipient.identity")
    if req.evidence_url is not None and not req.evidence_url.startswith(("http://", "https://")):
        raise InvalidInput(f"'{req.evidence_url}' is not an http(s) URL", field="evidence_url")
    if req.idempotency_key is not None and not 0 < len(req.idempotency_key) <= MAX_KEY_LENGTH:
        raise InvalidInput(f"an idempotency key has 1 to {MAX_KEY_LENGTH} characters", field="idempotency_key")
    issued = epoch(req.issued_on, name="issued_on")
    issued = now if issued is None else issued
    expires = epoch(req.expires_on, name="expires_on")
    # the date rule verifiers apply to what is published (an expiry after the issue,
    # an issue date no later than now and its clock skew): an award breaking it would
    # be published only to fail its own /verify
    wrong = date_problem(datetime.fromtimestamp(issued, UTC),
                         None if expires is None else datetime.fromtimestamp(expires, UTC),
                         now=datetime.fromtimestamp(now, UTC), issued_field="issued_on", expires_field="expires_on")
    if wrong is not None:
        raise InvalidInput(wrong[1], field=wrong[0])
    return issued, expires


def page_learner(req: AwardRequest, base_url: str | None) -> str | None:
    """The learner a request without ``learner_id`` names by its URL recipient, when that
    URL is a learner's page under ``base_url`` (``learner_of_page``); else None."""
    if base_url is None or req.learner_id or req.recipient.type != "url":
        return None
    return learner_of_page(req.recipient.normalised(), base_url)


def checked_page(req: AwardRequest, page: str, missing: set[str]) -> AwardRequest:
    """``req`` for the learner ``page`` (``page_learner``) its recipient names.

    Raises:
        InvalidInput: that learner is among ``missing`` (does not exist), on ``recipient.identity``.
    """
    if page in missing:
        raise InvalidInput(f"'{req.recipient.normalised()}' is the page of learner '{page}' here, and there is "
                           f"no learner '{page}': name a learner who exists", field="recipient.identity")
    return replace(req, learner_id=page)


def award_row(organisation_id: str, req: AwardRequest, issued: int, expires: int | None,
              pepper: bytes, *, recorded: int) -> dict[str, Any]:
    """The row of ``queries.AWARD_ASSERTIONS`` for a checked request: ``{id, badge_id,
    learner_id, learner_props, props}``, the recipient hashed with a fresh salt and the
    learner the request names, else the one its recipient names (``learner_id_for``).
    ``props.recorded_on`` is ``recorded`` (epoch s), when this service made the award,
    which ``issued_on`` need not be (an award may be backdated): the ``created`` of its
    OB 3.0 Data Integrity proof."""
    props: dict[str, Any] = {
        "status": str(AssertionStatus.ISSUED), "issued_on": issued, "recorded_on": recorded, "source": SOURCE,
        **hashed_recipient(req.recipient),
    }
    optional = {"expires_on": expires, "evidence_url": req.evidence_url,
                "evidence_narrative": req.evidence_narrative, "idempotency_key": req.idempotency_key}
    props.update({k: v for k, v in optional.items() if v is not None})
    learner = req.learner_id or learner_id_for(req.recipient, pepper)
    return {"id": assertion_id_for(organisation_id, req.idempotency_key), "badge_id": req.badge_id,
            "learner_id": learner, "learner_props": {"source": SOURCE}, "props": props}


def award_of(got: dict[str, Any], *, created: bool, detail: str | None = None) -> Award:
    """An ``Award`` from a row of ``AWARD_ASSERTIONS``, ``ASSERTION_ENDPOINTS`` or
    ``LIVE_AWARDS_OF_PAIRS`` (an award made elsewhere may have no status slot: -1)."""
    index = got.get("status_index")
    return Award(id=got["id"], badge_id=got["badge_id"], learner_id=got["learner_id"], status=got["status"],
                 created=created, issued_on=int(got["issued_on"]), expires_on=got["expires_on"],
                 status_index=-1 if index is None else int(index), detail=detail,
                 revocation_reason=got.get("revocation_reason"))


def withdrawn_award(got: dict[str, Any], key: str | None, *, dry_run: bool = False) -> Award:
    """The answer of a request whose idempotency key ``key`` names an award its organisation
    withdrew (``got``: its row of ``AWARD_ASSERTIONS`` or ``ASSERTION_ENDPOINTS``, with
    ``withdrawn`` true): that award as it stands (revoked, no badge or learner, as
    ``GET /assertions/{id}`` shows it), ``created`` False, and a ``detail`` saying so.
    The key keeps naming it (one key, one assertion, for good), so nothing is awarded."""
    return award_of(got, created=False, detail=(
        f"idempotency key '{key}' names assertion {got['id']}, which its organisation withdrew: nothing "
        f"{'would be' if dry_run else 'was'} awarded (a key names its award for good; to award again, "
        "use a new key)"))


def key_clash(row: dict[str, Any], got: dict[str, Any]) -> Conflict | None:
    """The refusal of ``row`` (of ``AWARD_ASSERTIONS``) when its id names another award
    (``got``: that award's row) of another badge or learner; None when it names the
    same pair, or an award that was withdrawn (which keeps neither: ``withdrawn_award``)."""
    if got.get("withdrawn") or (got["badge_id"], got["learner_id"]) == (row["badge_id"], row["learner_id"]):
        return None
    return Conflict(f"idempotency key '{row['props'].get('idempotency_key')}' already names assertion "
                    f"{got['id']} of another badge or learner")


def checked_recipient(req: AwardRequest, pepper: bytes, base_url: str | None) -> None:
    """That the recipient of a request naming ``learner_id`` identifies that learner: the
    learner its address names (``learner_id_for``), or the learner's page here,
    ``{base_url}/learners/{id}`` (``learner_of_page``; with ``base_url`` None, a caller
    that knows no service URL, a page of that learner under any base). An award by
    ``learner_id`` alone is made to that page, so it always passes.

    Raises:
        InvalidInput: it names someone else, on ``recipient.identity``.
    """
    if req.learner_id is None or learner_id_for(req.recipient, pepper) == req.learner_id:
        return
    identity = req.recipient.normalised()
    base = base_url if base_url is not None else identity.strip().rstrip("/").rpartition("/learners/")[0]
    if req.recipient.type == "url" and base and learner_of_page(identity, base) == req.learner_id:
        return
    raise InvalidInput(f"{req.recipient.type} '{req.recipient.normalised()}' does not identify learner "
                       f"'{req.learner_id}': give that learner's own address, or only one of learner_id "
                       "and recipient", field="recipient.identity")


def repeats(kept: list[tuple[int, dict[str, Any], AwardRequest]],
             existing: dict[str, dict[str, Any]]) -> dict[int, int]:
    """The rows of ``kept`` that repeat the (learner, badge) pair of an earlier row that
    would create an award, each mapped to that row's index: no second copy is made, and
    a repeat answers what its first row gets. (A row whose id names an existing award,
    ``existing``, is its own answer. The award statement cannot tell the repeats apart
    alike on both engines: ``queries.AWARD_ASSERTIONS``.)"""
    firsts: dict[tuple[str, str], int] = {}
    out: dict[int, int] = {}
    for i, (_, row, _) in enumerate(kept):
        if row["id"] in existing:
            continue
        pair = (row["learner_id"], row["badge_id"])
        out.update({i: firsts[pair]} if pair in firsts else {})
        firsts.setdefault(pair, i)
    return out


def live_pairs(store: GraphStore, kept: list[tuple[int, dict[str, Any], AwardRequest]],
                existing: dict[str, dict[str, Any]], now: int, batch_size: int) -> dict[tuple[str, str], dict[str, Any]]:
    """The live award (the smallest id) of each (learner, badge) pair of the rows of
    ``kept`` that would create one, read in one statement per ``batch_size`` pairs."""
    pairs = sorted({(row["learner_id"], row["badge_id"]) for _, row, _ in kept if row["id"] not in existing})
    live: dict[tuple[str, str], dict[str, Any]] = {}
    for start in range(0, len(pairs), batch_size):
        for r in store.read(queries.LIVE_AWARDS_OF_PAIRS, {"now": now, "pairs": [
                {"learner_id": lid, "badge_id": bid} for lid, bid in pairs[start:start + batch_size]]}):
            live.setdefault((r["learner_id"], r["badge_id"]), r)
    return live


def held_detail(got: dict[str, Any], *, dry_run: bool = False) -> str:
    """What the answer of an award not made says: the learner holds the badge live
    (``got``: the held award's row); in a dry run, that none would be made."""
    waiting = " (awaiting the learner's answer)" if got["status"] == str(AssertionStatus.ISSUED) else ""
    return (f"learner '{got['learner_id']}' already holds badge '{got['badge_id']}' live (assertion "
            f"{got['id']}, {got['status']}{waiting}): no second copy {'would be' if dry_run else 'was'} awarded")
