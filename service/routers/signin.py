"""Learner sign-in without passwords: a link by email, then a short-lived token and a refresh token.

``POST /signin/email`` always answers 202 with the same words, whether or not
the address is known (no one learns who has an account); the message holds a
single-use link to ``/signin#token=...`` valid ``COLEARN_SIGNIN_LINK_MINUTES``.
The page posts the token to ``POST /signin/token`` and gets a ``Session``: a
learner token (``COLEARN_LEARNER_TOKEN_MINUTES``) and a refresh token
(single use, ``COLEARN_REFRESH_TOKEN_DAYS``) that ``POST /signin/refresh``
swaps for a new pair; a used one presented again ends all the learner's refresh
tokens (a copied chain, RFC 9700 4.14.2). The learner is the one the address names
(``learner_awards.learner_for_email``), created at first sign-in. Links are
rate-limited per email address (``COLEARN_SIGNIN_EMAILS_PER_HOUR``) and per client
address (``COLEARN_SIGNIN_EMAILS_PER_CLIENT_HOUR``); exchanges and refreshes each have
their own allowance per client address (``EXCHANGES_PER_CLIENT``, ``REFRESHES_PER_CLIENT``).
"""

from __future__ import annotations

import hashlib
import logging
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from colearn.errors import InvalidInput
from colearn.graph import access
from colearn.mail import Message
from colearn.records.fields import Email
from colearn.service import learner_awards
from colearn.service.deps import StoreDep, client_address
from colearn.service.learner_deps import LearnerDep, LinkToken, MailerDep, Session, limit, start_session
from colearn.service.openbadges_deps import KeysDep
from colearn.service.problems import problem_responses

log = logging.getLogger(__name__)
router = APIRouter(prefix="/signin", tags=["sign-in"])
_ERRORS = problem_responses(401, 403, 409, 422, 429)

#: Per client address, each route its own allowance (a minute's rate, a burst), sized for a
#: classroom behind one address: every pupil exchanges a link at once, and refreshes every
#: ``COLEARN_LEARNER_TOKEN_MINUTES``. The tokens carry 256 random bits: the limits guard the
#: service's load, not against guessing.
EXCHANGES_PER_CLIENT = (20.0, 60)
REFRESHES_PER_CLIENT = (30.0, 60)

#: What ``POST /signin/email`` always answers.
SENT = "if this address can sign in, a sign-in link is on its way; it works once"


class SignInEmail(BaseModel):
    """``POST /signin/email``."""

    model_config = ConfigDict(extra="forbid")

    email: Email = Field(description="one email address (``colearn.records.fields.email_problem``)")


class SignInToken(BaseModel):
    """The token of a sign-in link (after ``#token=``)."""

    model_config = ConfigDict(extra="forbid")

    token: LinkToken


class RefreshIn(BaseModel):
    """``POST /signin/refresh``."""

    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=16, max_length=200)


class Accepted(BaseModel):
    """``POST /signin/email``'s answer (the same for every address)."""

    detail: str


def signin_message(base_url: str, token: str, email: str, minutes: int) -> Message:
    """The sign-in message: a link to ``/signin#token=`` (a fragment: never sent to a server)."""
    link = f"{base_url.rstrip('/')}/signin#token={token}"
    text = (f"Hello,\n\nSign in to colearn with this link (it works once, for {minutes} minutes):\n{link}\n\n"
            "If you did not ask to sign in, ignore this message.\n")
    html = (f'<p>Hello,</p><p><a href="{link}">Sign in to colearn</a> (the link works once, for {minutes} '
            "minutes).</p><p>If you did not ask to sign in, ignore this message.</p>")
    return Message(to=email, subject="Your colearn sign-in link", text=text, html=html)


@router.post("/email", response_model=Accepted, status_code=202, responses=_ERRORS)
def send_link(request: Request, store: StoreDep, keys: KeysDep, mailer: MailerDep, body: SignInEmail) -> Accepted:
    """Email a single-use sign-in link. The answer is the same for any address.
    Who: anyone (rate-limited per address and per client)."""
    settings = request.app.state.settings
    address = body.email.lower()
    per_client = settings.signin_emails_per_client_hour
    limit(request, "signin-email-client", client_address(request), per_client / 60, max(1, per_client // 5),
          "sign-in requests from this client")
    per_hour = settings.signin_emails_per_hour
    limit(request, "signin-email", hashlib.sha256(address.encode()).hexdigest(), per_hour / 60, per_hour,
          "sign-in links for this address")
    learner = learner_awards.learner_for_email(address, keys.recipient_pepper())
    minutes = settings.signin_link_minutes
    token = access.issue_token(store, access.SIGNIN, learner, minutes * 60)
    try:
        mailer.send(signin_message(settings.base_url, token, address, minutes))
    except Exception as exc:  # noqa: BLE001 - any transport failure; the answer stays the same for every address
        log.warning("sign-in link not sent via %s: %s", mailer.where, exc)
    return Accepted(detail=SENT)


@router.post("/token", response_model=Session, responses=_ERRORS)
def exchange(request: Request, store: StoreDep, body: SignInToken) -> Session:
    """Swap a sign-in link's token (single use) for a session; the learner is created at
    first sign-in. Who: anyone holding the link."""
    limit(request, "signin-token-client", client_address(request), *EXCHANGES_PER_CLIENT,
          "sign-in link exchanges from this client")
    row = access.use_token(store, access.SIGNIN, body.token, what="sign-in link")
    access.ensure_learner(store, row["learner_id"])
    return start_session(request, store, row["learner_id"])


@router.post("/refresh", response_model=Session, responses=_ERRORS)
def refresh(request: Request, store: StoreDep, body: RefreshIn) -> Session:
    """Swap a refresh token (single use) for a new session. A refresh token used before
    and presented again answers 409 and ends every refresh token of its learner
    (``access.use_refresh_token``, RFC 9700 4.14.2): the learner signs in again.
    Who: anyone holding one."""
    limit(request, "signin-refresh-client", client_address(request), *REFRESHES_PER_CLIENT,
          "refreshes from this client")
    row = access.use_refresh_token(store, body.refresh_token)
    if not access.learner_exists(store, row["learner_id"]):
        raise InvalidInput("this learner no longer exists", field="refresh_token")
    return start_session(request, store, row["learner_id"])


@router.post("/out", status_code=204, response_class=Response, responses=_ERRORS)
def sign_out(principal: LearnerDep, store: StoreDep) -> Response:
    """End the learner's refresh tokens, unused sign-in links and unused claim links (a
    claim link signs in too; the current learner token lapses by itself within minutes).
    Who: the learner (token)."""
    access.end_tokens(store, str(principal.learner_id), [access.REFRESH, access.SIGNIN, access.CLAIM])
    return Response(status_code=204)
