"""Claim links (in award notices) and claim codes (for offline events).

- ``POST /claims/view``, ``/claims/accept``, ``/claims/decline`` take the token
  of a claim link (``/claim#token=...`` in the award notice) in the body, so it
  never lands in a URL log. Viewing does not use the link up; accepting or
  declining does (single use, expiring), and only when the answer is made: a
  refused one leaves the link unused. Once the award is answered by any route
  (the portfolio's accept too), its unused links end, and signing out ends the
  learner's unused links: a link signs in, so it must not outlive either. An award its organisation revoked or
  withdrew answers 410 on all three. Following the link proves the email
  address, so accepting signs in the learner that address names and answers a
  ``Session``; an award made to a learner id other than the address's own is
  accepted only by that learner signed in.
- Organisations create claim codes for an opportunity (``POST
  /organisations/{org}/claim-codes``; the code and its QR image are shown
  once) and a badge that opportunity awards, never a pathway's completion
  badge; they list and revoke them. A signed-in learner redeems one with ``POST
  /claim-codes/redeem`` and gets the badge, accepted, with the evidence
  "claimed with code at <opportunity> on <date>"; a learner who already holds
  the badge live gets that award back instead (200, ``created`` false). Codes
  carry 60 random bits and tries are rate-limited per learner and per address.
- ``POST /assertions/{id}/notice``: the issuer sends an award's notice again (a new
  claim link) to the address it was made to, within the notice caps: for a notice
  they held, one that went astray, or a link that expired.
"""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from colearn import times
from colearn.domain import claim_codes, policy
from colearn.domain.policy import Action, Resource
from colearn.errors import Conflict, Gone, InvalidInput
from colearn.graph import access
from colearn.graph.issuing import AssertionRecord, AwardReport, Recipient
from colearn.graph.store import GraphStore
from colearn.openbadges.documents import Publisher, criteria_beyond_description, criteria_text
from colearn.service import learner_awards
from colearn.service.auth import Principal, Role, principal_for_token
from colearn.service.catalogue import request_fields
from colearn.service.deps import PrincipalDep, StoreDep, client_address
from colearn.service.learner_deps import LearnerDep, LinkToken, Session, get_mailer, limit, start_session
from colearn.service.openbadges_deps import KeysDep, PublisherDep
from colearn.service.problems import problem_responses

log = logging.getLogger(__name__)
router = APIRouter(tags=["claims"])
Id = Annotated[str, Path(min_length=1, max_length=200)]
_ERRORS = problem_responses(401, 403, 404, 409, 410, 422, 429)


def notify_awards(request: Request, store: GraphStore, report: AwardReport, organisation_id: str) -> dict[str, str]:
    """Send an award notice with a claim link for each new award to an email address
    (``learner_awards.notify``), within the caps on notices per recipient address and per
    organisation (``bulk_limits.NoticeCaps``): a notice over a cap is held (not sent; the award
    stands and waits for its learner). Returns ``{assertion id: why its notice was held}``."""
    notices = learner_awards.notices_for(report)
    if not notices:
        return {}
    caps = request.app.state.notice_caps
    held: dict[str, str] = {}
    sending = []
    for notice in notices:
        why = caps.hold(organisation_id, notice.email)
        if why is None:
            sending.append(notice)
        else:
            held[notice.award.id] = why
    if held:
        log.warning("%d award notice(s) of organisation %s held by the notice caps", len(held), organisation_id)
    learner_awards.notify(store, get_mailer(request), request.app.state.settings, sending, pepper=_pepper(request))
    return held


def _pepper(request: Request) -> bytes:
    from colearn.service.openbadges_deps import get_keys
    return get_keys(request, request.app.state.settings).recipient_pepper()


# --------------------------------------------------------------------------
# Claim links
# --------------------------------------------------------------------------

class ClaimToken(BaseModel):
    """The token of a claim link (the part after ``#token=``)."""

    model_config = ConfigDict(extra="forbid")

    token: LinkToken


class ClaimView(BaseModel):
    """What a claim link awards."""

    assertion_id: str
    badge_id: str
    badge_name: str
    description: str | None = None
    criteria: str = Field(description="the badge's criteria, else its description (documents.criteria_text, "
                                      "as its OB BadgeClass says them)")
    own_criteria: str | None = Field(None, description="the badge's own criteria when they say something its "
                                     "description does not (documents.criteria_beyond_description): the "
                                     "claim page shows a criteria line only then; null otherwise")
    issuer_name: str
    image_url: str
    issued_on: datetime | None
    expires_on: datetime | None
    status: str
    link_expires_on: datetime
    share_url: str
    signs_in: bool = Field(description="accepting signs in the learner the link was sent to")


class ClaimAccepted(BaseModel):
    """An accepted claim: the assertion's status, and a session when the link signed the learner in."""

    assertion_id: str
    status: str
    learner_id: str
    session: Session | None = None


def _time(epoch_s: Any) -> datetime | None:
    return None if epoch_s is None else datetime.fromtimestamp(int(epoch_s), UTC)


@router.post("/claims/view", response_model=ClaimView, responses=_ERRORS)
def view_claim(pub: PublisherDep, body: ClaimToken) -> ClaimView:
    """The badge a claim link awards, without using the link up.
    Who: anyone holding the link (the token is the credential)."""
    token = access.peek_token(pub.store, access.CLAIM, body.token, what="claim link")
    record = _still_awarded(learner_awards.get(pub.store, token["assertion_id"]))
    badge = pub.badge_info(record.badge_id or "")
    org = pub.organisation(record.issuer_id) if record.issuer_id else {}
    return ClaimView(
        assertion_id=record.id, badge_id=record.badge_id or "", badge_name=str(badge["props"].get("name") or ""),
        description=badge["props"].get("description"), criteria=criteria_text(badge["props"], record.badge_id or ""),
        own_criteria=criteria_beyond_description(badge["props"]),
        issuer_name=str(org.get("name") or record.issuer_id or ""),
        image_url=f"{pub.urls.base}/badges/{record.badge_id}/image", issued_on=_time(record.props.get("issued_on")),
        expires_on=_time(record.props.get("expires_on")), status=record.status,
        link_expires_on=_time(token["expires_on"]), share_url=f"{pub.urls.base}/share/{record.id}",
        signs_in=token["learner_id"] == record.learner_id)


def _still_awarded(record: AssertionRecord) -> AssertionRecord:
    """``record``, unless its organisation revoked or withdrew it.

    Raises:
        Gone: (410) it was revoked or withdrawn: the link can no longer show or answer it.
    """
    if record.withdrawn or record.status == "revoked":
        reason = None if record.withdrawn else record.props.get("revocation_reason")
        raise Gone("this award was withdrawn by its organisation" + (f" ({reason})" if reason else "")
                   + ": there is nothing left to view, accept or decline")
    return record


def _claim(request: Request, principal_learner: str | None, pub: Publisher, secret: str,
           accept: bool) -> ClaimAccepted:
    store = pub.store
    peek = access.peek_token(store, access.CLAIM, secret, what="claim link")
    record = _still_awarded(learner_awards.get(store, peek["assertion_id"]))
    signs_in = peek["learner_id"] == record.learner_id
    if not signs_in:  # the link alone does not sign in to the learner account it was awarded to
        caller = policy.acting_for(learner_id=principal_learner) if principal_learner else None
        policy.require(caller, Action.CLAIM_LEARNER_AWARD, policy.of_assertion(record, Action.CLAIM_LEARNER_AWARD))
    token = access.use_token(store, access.CLAIM, secret, what="claim link")
    learner = str(record.learner_id)
    try:
        done = learner_awards.respond(request, pub, token["assertion_id"], accept, learner_id=learner)
    except Exception:
        access.release_token(store, access.CLAIM, secret)  # spent only by an answer that was made
        raise
    session = start_session(request, store, learner) if signs_in and principal_learner != learner else None
    return ClaimAccepted(assertion_id=done.id, status=done.status, learner_id=learner, session=session)


def _optional_learner(request: Request) -> str | None:
    """The learner of a valid learner token sent along, if any (claim routes need no credentials)."""
    scheme, _, value = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip() or value.startswith("col_"):
        return None
    principal = principal_for_token(request.app.state.token_secret, value.strip())
    return principal.learner_id if principal is not None and principal.role == Role.LEARNER else None


@router.post("/claims/accept", response_model=ClaimAccepted, responses=_ERRORS)
def accept_claim(request: Request, pub: PublisherDep, body: ClaimToken) -> ClaimAccepted:
    """Accept the award into the learner's portfolio; uses the link up. When the
    award was made to the address's own learner, the answer carries a new session
    (the link proved the address). Who: anyone holding the link."""
    limit(request, "claim-links", client_address(request), 30, 30, "claim attempts from this address")
    return _claim(request, _optional_learner(request), pub, body.token, True)


@router.post("/claims/decline", response_model=ClaimAccepted, responses=_ERRORS)
def decline_claim(request: Request, pub: PublisherDep, body: ClaimToken) -> ClaimAccepted:
    """Decline the award (it stays on record, out of the portfolio); uses the link up.
    Who: anyone holding the link."""
    limit(request, "claim-links", client_address(request), 30, 30, "claim attempts from this address")
    result = _claim(request, _optional_learner(request), pub, body.token, False)
    return result.model_copy(update={"session": None})


class NoticeIn(BaseModel):
    """``POST /assertions/{assertion_id}/notice``: the address the award was made to."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320, description="the email address the award was made to: "
                       "colearn keeps only its salted hash (OB 2.0 IdentityObject), so it is named again here")


class NoticeSent(BaseModel):
    """An award's notice sent again, with a new claim link."""

    assertion_id: str
    sent: bool = Field(description="false when the mail could not be handed to the mail server (logged); "
                                   "the award and the new link stand")
    link_expires_on: datetime = Field(description="when the new claim link stops working (COLEARN_CLAIM_LINK_DAYS)")


@router.post("/assertions/{assertion_id}/notice", response_model=NoticeSent, tags=["assertions"], responses=_ERRORS)
def send_notice(request: Request, principal: PrincipalDep, pub: PublisherDep, assertion_id: Id,
                body: NoticeIn) -> NoticeSent:
    """Send an award's notice again, with a new single-use claim link: for a notice the caps
    held (the award's ``notice_held``), one that went astray, or a link that expired. Earlier
    links keep working until they expire or the award is answered.

    Refused: an award no longer awaiting its learner (409: accepted, declined, revoked or
    withdrawn); an ``email`` that is not the address the award was made to (422 on
    ``body.email``; an award made to a learner id or a URL has none). Counted by the same
    caps as a new award's notice, per address an hour and per organisation a day: over one
    it answers 429 with ``Retry-After`` and sends nothing. Who: admin, or the organisation
    that issued the award."""
    policy.require_role(principal, Action.SEND_NOTICE)
    record = learner_awards.get(pub.store, assertion_id)
    policy.require(principal, Action.SEND_NOTICE, policy.of_assertion(record, Action.SEND_NOTICE))
    if record.withdrawn or record.status != "issued":
        raise Conflict(f"assertion '{assertion_id}' is {'withdrawn' if record.withdrawn else record.status}: a notice "
                       "is sent only for an award awaiting its learner (issued)", field="status")
    recipient = Recipient("email", body.email)
    if not learner_awards.made_to(record, recipient):
        raise InvalidInput(f"'{body.email}' is not the address assertion '{assertion_id}' was made to",
                           field="body.email")
    request.app.state.notice_caps.spend(record.issuer_id or record.badge_organisation_id or "", recipient.normalised())
    settings = request.app.state.settings
    done = learner_awards.notify_again(pub.store, get_mailer(request), settings, record, body.email,
                                       pepper=_pepper(request))
    return NoticeSent(assertion_id=record.id, sent=done.sent == 1, link_expires_on=done.links_expire_on)


# --------------------------------------------------------------------------
# Claim codes
# --------------------------------------------------------------------------

class ClaimCodeCreate(BaseModel):
    """``POST /organisations/{org_id}/claim-codes``."""

    model_config = ConfigDict(extra="forbid")

    badge_id: str = Field(min_length=1, max_length=200)
    opportunity_id: str = Field(min_length=1, max_length=200)
    session: str | None = Field(default=None, max_length=200, description="e.g. 'Saturday 14:00'")
    valid_from: times.BoundedTime | None = Field(default=None, description="default: now")
    valid_until: times.BoundedTime
    max_claims: int = Field(ge=1, le=access.MAX_CLAIMS_LIMIT)


class ClaimCodePublic(BaseModel):
    """A claim code's record (never the code, except ``code`` right after creation)."""

    id: str
    organisation_id: str
    badge_id: str
    badge_name: str | None
    opportunity_id: str
    opportunity_name: str | None
    session: str | None = None
    valid_from: datetime
    valid_until: datetime
    max_claims: int
    claims: int
    revoked_on: datetime | None = None
    hint: str = Field(description="the code's last four characters")


class ClaimCodeCreated(ClaimCodePublic):
    """A new claim code: ``code``, ``claim_url`` and ``qr_svg`` are shown this once."""

    code: str
    claim_url: str = Field(description="the page a learner opens (the QR image encodes it)")
    qr_svg: str = Field(description="an SVG QR code of claim_url")


class ClaimCodesPublic(BaseModel):
    """An organisation's claim codes, newest first."""

    data: list[ClaimCodePublic]
    count: int


class RedeemIn(BaseModel):
    """``POST /claim-codes/redeem``."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40)


class Redeemed(BaseModel):
    """A redeemed claim code: the new assertion (accepted) and its evidence; or, when
    the learner already held the badge live, that award (``created`` false, 200)."""

    assertion_id: str
    badge_id: str
    status: str
    evidence: str | None = Field(description="the award's evidence (none on an earlier award made without)")
    share_url: str
    created: bool = Field(True, description="false: the learner already held this badge; no second award "
                                            "was made and the code was not used")
    detail: str | None = Field(None, description="why nothing was awarded, when created is false")


def _code_public(code: dict[str, Any]) -> ClaimCodePublic:
    return ClaimCodePublic(**{**code, "valid_from": _time(code["valid_from"]), "valid_until": _time(code["valid_until"]),
                              "revoked_on": _time(code.get("revoked_on"))})


def _acting(principal: Principal, org_id: str) -> None:
    policy.require(principal, Action.MANAGE_CLAIM_CODES, Resource(f"organisation '{org_id}'", owners=(org_id,)))


def qr_svg(text: str) -> str:
    """An SVG QR code (``segno``, error correction M) of ``text``."""
    out = io.BytesIO()
    segno.make_qr(text, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False,
                                        title="Claim code QR image")
    return out.getvalue().decode("utf-8")


@router.post("/organisations/{org_id}/claim-codes", response_model=ClaimCodeCreated, status_code=201,
             responses=_ERRORS)
def create_code(principal: PrincipalDep, pub: PublisherDep, org_id: Id, body: ClaimCodeCreate) -> ClaimCodeCreated:
    """Create a claim code for one of the organisation's opportunities (or a session
    of it), awarding one of its badges that the opportunity awards, valid from/until,
    for at most ``max_claims`` learners, once each. The code and its QR image are in
    this answer only. 422 naming ``body.badge_id``: a badge the opportunity does not
    award (the message lists those it does), or a pathway's completion badge
    (completions are earned by meeting the steps). 422 with an ``errors`` entry for
    each unknown badge or opportunity (``body.badge_id``, ``body.opportunity_id``:
    "unknown Badge 'x'", as the catalogue API names unknown references); 403:
    another organisation's.
    Who: admin, or the organisation's key."""
    _acting(principal, org_id)
    start = body.valid_from or datetime.now(UTC)
    with request_fields("body"):  # the store's ``valid_until`` is the body's
        made = access.create_claim_code(pub.store, org_id, badge_id=body.badge_id,
                                        opportunity_id=body.opportunity_id, valid_from=int(start.timestamp()),
                                        valid_until=int(body.valid_until.timestamp()),
                                        max_claims=body.max_claims, session=body.session)
    url = f"{pub.urls.base}/redeem#code={made.code}"
    return ClaimCodeCreated(**_code_public(made.record).model_dump(), code=made.code, claim_url=url,
                            qr_svg=qr_svg(url))


@router.get("/organisations/{org_id}/claim-codes", response_model=ClaimCodesPublic, responses=_ERRORS)
def list_codes(principal: PrincipalDep, store: StoreDep, org_id: Id) -> ClaimCodesPublic:
    """The organisation's claim codes with how many learners claimed each.
    Who: admin, or the organisation's key."""
    _acting(principal, org_id)
    codes = [_code_public(c) for c in access.list_claim_codes(store, org_id)]
    return ClaimCodesPublic(data=codes, count=len(codes))


@router.post("/organisations/{org_id}/claim-codes/{code_id}/revoke", response_model=ClaimCodePublic,
             responses=_ERRORS)
def revoke_code(principal: PrincipalDep, store: StoreDep, org_id: Id, code_id: Id) -> ClaimCodePublic:
    """Withdraw a claim code: later claims are refused (awards already made stay).
    Who: admin, or the organisation's key."""
    _acting(principal, org_id)
    return _code_public(access.revoke_claim_code(store, code_id, organisation_id=org_id))


@router.post("/claim-codes/redeem", response_model=Redeemed, status_code=201, responses=_ERRORS)
def redeem(request: Request, response: Response, principal: LearnerDep, pub: PublisherDep, keys: KeysDep,
           body: RedeemIn) -> Redeemed:
    """A signed-in learner claims the badge of a code they were given: it is awarded
    to them, accepted, with the evidence "claimed with code at <opportunity> on <date>" (201).
    Refused (409, saying why): revoked, not yet valid, expired, at its limit,
    claimed before by this learner, its badge has become a pathway's completion
    badge, or its opportunity no longer awards the badge or is no longer offered
    by the code's organisation (``access.why_refused``). A learner who already holds the badge live (issued or accepted, not
    expired) gets no second award: 200 with that award, ``created`` false and
    ``detail`` saying so, and the code is not used. Tries are limited per learner
    and per address. Who: a learner (token), for themself."""
    settings = request.app.state.settings
    per_minute = settings.claim_code_tries_per_minute
    limit(request, "claim-codes", f"learner:{principal.learner_id}", per_minute, per_minute, "claim code tries")
    limit(request, "claim-codes-addr", client_address(request), per_minute * 3, per_minute * 3,
          "claim code tries from this address")
    learner = str(principal.learner_id)
    code = access.find_claim_code(pub.store, body.code)
    now = int(datetime.now(UTC).timestamp())
    refused = access.claim_refusal(pub.store, code, learner, now=now)
    if refused is not None:
        raise Conflict(refused)
    got = claim_codes.redeem(pub.store, code, learner, pepper=keys.recipient_pepper(), base_url=pub.urls.base,
                             now=now)
    if not got.created:
        record = learner_awards.get(pub.store, got.assertion_id)
        response.status_code = 200
        waiting = " (awaiting your answer in your portfolio)" if record.status == "issued" else ""
        return Redeemed(assertion_id=record.id, badge_id=code["badge_id"], status=record.status,
                        evidence=record.props.get("evidence_narrative"), share_url=f"{pub.urls.base}/share/{record.id}",
                        created=False, detail=f"you already hold badge '{code['badge_name'] or code['badge_id']}'"
                                              f"{waiting}: no second copy was awarded and the code was not used")
    done = learner_awards.respond(request, pub, got.assertion_id, True, learner_id=learner)
    return Redeemed(assertion_id=done.id, badge_id=code["badge_id"], status=done.status, evidence=got.evidence,
                    share_url=f"{pub.urls.base}/share/{done.id}")
