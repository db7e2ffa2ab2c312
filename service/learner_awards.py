"""The one place where the learner-facing routes (claim links, claim codes, sign-in,
"me") call award operations, and where an award to an email sends its notice.

Award, accept, decline and read go to ``domain.awards``, which records each
change in the graph's change feed and, on an accept, awards the completion
badge of every pathway the badge now completes; ``respond`` is the one accept
and decline path of every route (it makes a completion issuer's signing key),
and this process's recommender then applies the feed (``tell_recommender``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Request

from colearn.domain import awards as issuing
from colearn.domain.awards import Award, AwardRequest, AssertionRecord, Recipient
from colearn.config import Settings
from colearn.graph import access
from colearn.identity import identity_hash_matches
from colearn.graph.store import GraphStore
from colearn.mail import Mailer, Message
from colearn.openbadges.documents import Publisher
from colearn.service.openbadges_deps import ensure_badge_key, tell_recommender

log = logging.getLogger(__name__)


def award(store: GraphStore, organisation_id: str, request: AwardRequest, *, pepper: bytes, base_url: str) -> Award:
    """Award one badge (``domain.awards.award``; same errors)."""
    return issuing.award(store, organisation_id, request, pepper=pepper, base_url=base_url)


def get(store: GraphStore, assertion_id: str) -> AssertionRecord:
    """One assertion (``domain.awards.get_assertion``). Raises ``NotFound``."""
    return issuing.get_assertion(store, assertion_id)


def respond(request: Request, pub: Publisher, assertion_id: str, accept: bool, *,
            learner_id: str | None) -> AssertionRecord:
    """Accept or decline an assertion: the one path for every route that does it
    (``POST /assertions/{id}/accept|decline``, the claim link, a claim code).

    ``domain.awards.set_learner_response`` makes the change; an accept that meets
    the last step of a pathway awards its completion badge, and the completion's
    issuer gets its signing key here (only operations that issue make keys), so
    the completion is published as an Open Badge; then this process's recommender
    applies the change.

    Args:
        learner_id: the learner acting; None for an administrator.

    Raises:
        NotFound: no such assertion. Forbidden: another learner's. Conflict: revoked.
    """
    record = issuing.set_learner_response(pub.store, assertion_id, accept, base_url=pub.urls.base, learner_id=learner_id,
                                          on_completion=lambda done: ensure_badge_key(pub, done.badge_id))
    tell_recommender(request)
    return record


def is_expired(expires_on: int | None, now: int | None = None) -> bool:
    """Whether an award expiring at ``expires_on`` (epoch s) has expired (``domain.awards.is_expired``)."""
    return issuing.is_expired(expires_on, now)


def learner_for_email(email: str, pepper: bytes) -> str:
    """The learner an email address names (``domain.awards.learner_id_for``): the same
    address always lands on the same learner, and the id reveals nothing of it."""
    return issuing.learner_id_for(Recipient("email", email), pepper)


def identity_is_theirs(identity: str, learner_id: str, pepper: bytes, base_url: str) -> bool:
    """Whether a learner signed in as ``learner_id`` has shown that ``identity`` is
    theirs: an email address is theirs when it names them (``learner_for_email``:
    they signed in through a link sent to it), a URL when it is their own learner
    page here (the recipient of awards made to them by id)."""
    plain = identity.strip()
    if "@" in plain and not plain.startswith(("http://", "https://")):
        return learner_for_email(plain.removeprefix("mailto:"), pepper) == learner_id
    return issuing.learner_of_page(plain, base_url) == learner_id


def awaiting(store: GraphStore, learner_id: str) -> list[dict]:
    """A learner's assertions outside the portfolio (awaiting, declined, revoked, expired),
    each ``{assertion_id, badge_id, name, status, issued_on, expires_on}``. Raises
    ``NotFound`` for an unknown learner (``domain.awards.portfolio``)."""
    return issuing.portfolio(store, learner_id).others


# --------------------------------------------------------------------------
# Notices of awards to an email address
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Notice:
    """An award to notify: the assertion and the address it was made to."""

    award: Award
    email: str


def notices_for(report: issuing.AwardReport) -> list[Notice]:
    """The new awards of a (bulk) award made to an email address, each with that
    address (``AwardReport.requests`` names each award's request). Retries
    (``created`` False) and URL recipients get no notice."""
    return [Notice(a, req.recipient.normalised()) for a, req in zip(report.awards, report.requests)
            if a.created and req.recipient.type == "email"]


def claim_message(base_url: str, token: str, email: str, badge_name: str, issuer_name: str,
                  expires: int, *, award_expires: int | None = None) -> Message:
    """The award notice: what was awarded, by whom, until when the badge is valid
    (``award_expires``, epoch s; None: it does not expire; said as expired when it is,
    ``is_expired``), and the claim link (``/claim#token=``, valid until ``expires``; the
    token is in the fragment so that it never reaches a server log or a Referer)."""
    link = f"{base_url.rstrip('/')}/claim#token={token}"
    until = _date(expires)
    valid = "" if award_expires is None else (
        f" It expired on {_date(award_expires)}, so it is on record but no longer counts as held."
        if is_expired(award_expires) else f" It is valid until {_date(award_expires)}.")
    text = (f"Hello,\n\n{issuer_name} has awarded you the badge \"{badge_name}\".{valid}\n\n"
            f"See it and add it to your portfolio (this link works once, until {until}):\n{link}\n\n"
            "If you were not expecting this, you can ignore this message or decline the badge from the link.\n")
    html = (f"<p>Hello,</p><p>{_esc(issuer_name)} has awarded you the badge <strong>{_esc(badge_name)}</strong>."
            f"{_esc(valid)}</p>"
            f'<p><a href="{_esc(link)}">See it and add it to your portfolio</a> (this link works once, until '
            f"{until}).</p><p>If you were not expecting this, you can ignore this message or decline the badge.</p>")
    return Message(to=email, subject=f"You have been awarded \"{badge_name}\"", text=text, html=html)


def _date(epoch_s: int) -> str:
    return datetime.fromtimestamp(int(epoch_s), UTC).strftime("%d %B %Y")


def _esc(text: str) -> str:
    from html import escape
    return escape(text, quote=True)


@dataclass(frozen=True)
class NoticesSent:
    """What ``send_notices`` did: ``sent`` messages handed to the mail server, and
    ``links_expire`` (Unix seconds, UTC), when the claim links they carry stop working."""

    sent: int
    links_expire: int

    @property
    def links_expire_on(self) -> datetime:
        """``links_expire`` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.links_expire, UTC)


def send_notices(store: GraphStore, mailer: Mailer, base_url: str, notices: Sequence[Notice], *,
                 claim_link_days: int, pepper: bytes) -> NoticesSent:
    """Send each new award's notice with a single-use claim link (its hash stored, valid
    ``claim_link_days``). The link stands for the learner the address names
    (``learner_for_email``): following it proves the address. A message that cannot be
    sent is logged, not raised: the award stands, and the learner can still sign in by
    email to see it. Returns the messages sent and when their links expire."""
    ttl = claim_link_days * 86400
    until = int(datetime.now(UTC).timestamp()) + ttl
    if not notices:
        return NoticesSent(0, until)
    # three statements for the whole batch, not four a notice (a 500-row CSV took 26 s on Neo4j)
    tokens = access.issue_tokens(store, access.CLAIM, [(learner_for_email(n.email, pepper), n.award.id)
                                                      for n in notices], ttl)
    names = _names(store, sorted({n.award.badge_id for n in notices}))
    sent = 0
    for notice, token in zip(notices, tokens):
        badge_name, issuer_name = names.get(notice.award.badge_id, (notice.award.badge_id, "An organisation"))
        message = claim_message(base_url, token, notice.email, badge_name, issuer_name, until,
                                award_expires=notice.award.expires_on)
        try:
            mailer.send(message)
            sent += 1
        except Exception as exc:  # noqa: BLE001 - any transport failure; the award stands
            log.warning("award notice for %s not sent via %s: %s", notice.award.id, mailer.where, exc)
    return NoticesSent(sent, until)


def made_to(record: AssertionRecord, recipient: Recipient) -> bool:
    """Whether ``record`` was awarded to ``recipient``: its stored recipient (OB 2.0
    IdentityObject, hashed: ``issuing.hashed_recipient``) has the same type, and ``recipient``
    hashes to it with its salt (``colearn.identity.identity_hash_matches``, the rule verify,
    import and ingest share). False for an award without one."""
    stored = record.props.get("recipient_hash")
    if record.props.get("recipient_type") != recipient.type or not isinstance(stored, str):
        return False
    return identity_hash_matches(stored, recipient.normalised(), record.props.get("recipient_salt"))


def notify_again(store: GraphStore, mailer: Mailer, settings: Settings, record: AssertionRecord, email: str, *,
                 pepper: bytes) -> NoticesSent:
    """``notify`` for an award already made (``POST /assertions/{id}/notice``): a new claim link
    to ``email``, which the caller has checked with ``made_to``. Returns ``sent`` 0 or 1 and
    when the link expires."""
    expires = record.props.get("expires_on")
    award = Award(id=record.id, badge_id=record.badge_id, learner_id=record.learner_id, status=record.status,
                  created=False, issued_on=int(record.props.get("issued_on") or 0),
                  expires_on=None if expires is None else int(expires), status_index=-1)
    return notify(store, mailer, settings, [Notice(award, Recipient("email", email).normalised())], pepper=pepper)


def notify(store: GraphStore, mailer: Mailer, settings: Settings, notices: Sequence[Notice], *,
           pepper: bytes) -> NoticesSent:
    """``send_notices`` of ``notices`` (``notices_for``) with ``settings``' base URL and claim-link
    lifetime: what every way of awarding calls, the API and ``colearn issue`` alike."""
    return send_notices(store, mailer, settings.base_url, notices, claim_link_days=settings.claim_link_days,
                        pepper=pepper)


def _names(store: GraphStore, badge_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """``{badge id: (badge name, issuer name)}``: the issuer is the organisation that defines the
    badge, the one every award of it is made by (``queries.AWARD_ASSERTIONS``)."""
    from colearn.graph import queries
    badges = store.read(queries.ISSUING_BADGES, {"badge_ids": list(badge_ids)})
    out: dict[str, tuple[str, str]] = {}
    issuers: dict[str, str] = {}
    for b in badges:
        org_id = b.get("organisation_id")
        if org_id and org_id not in issuers:
            org = store.read(queries.GET_ORGANISATION, {"id": org_id})
            issuers[org_id] = str(org[0]["props"].get("name") or org_id) if org else "An organisation"
        out[b["id"]] = (str(b["props"].get("name") or b["id"]), issuers.get(org_id or "", "An organisation"))
    return out
