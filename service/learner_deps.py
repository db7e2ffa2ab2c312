"""What the learner-facing routers share: the mailer, extra rate limits on guessable
inputs, learner sessions (a short-lived token plus a single-use refresh token), and
the ``LearnerDep`` that lets only a learner act, for themself.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request
from pydantic import AfterValidator, BaseModel, Field

from colearn.domain.policy import Action
from colearn.errors import RateLimited
from colearn.graph import access
from colearn.graph.store import GraphStore
from colearn.mail import Mailer, mailer_for
from colearn.service.auth import Principal, issue_learner_token
from colearn.service.deps import permit
from colearn.service.limits import TokenBuckets

_LOCK = threading.Lock()

#: What the API and the pages (``INCOMPLETE`` in learner.js) say of a link whose token was cut off.
INCOMPLETE_LINK = "This link is incomplete: copy the whole link from the mail."


def _whole_link_token(value: str) -> str:
    """``value`` when it has the form of every claim and sign-in token (``access.TOKEN_LENGTH``
    characters of ``access.TOKEN_CHARS``); else ValueError saying the link is incomplete (a mail
    program cut it off or broke it), which the API answers as 422 naming the field."""
    if len(value) != access.TOKEN_LENGTH:
        had = f"has {len(value)} of its" if len(value) < access.TOKEN_LENGTH else f"has {len(value)} characters, not"
        raise ValueError(f"{INCOMPLETE_LINK} (the token after '#token=' {had} {access.TOKEN_LENGTH} characters)")
    if not access.TOKEN_CHARS.fullmatch(value):
        raise ValueError(f"{INCOMPLETE_LINK} (the token after '#token=' holds characters no token has: "
                         "a token is letters, digits, '-' and '_')")
    return value


#: The token of a claim or sign-in link (after ``#token=``), checked for its form first, so that
#: a cut-off one is refused saying so (422) rather than as an unknown token (401).
LinkToken = Annotated[str, AfterValidator(_whole_link_token), Field(
    description=f"the token after '#token=' in the link: {access.TOKEN_LENGTH} letters, digits, '-' and '_'",
    json_schema_extra={"minLength": access.TOKEN_LENGTH, "maxLength": access.TOKEN_LENGTH,
                       "pattern": f"^[A-Za-z0-9_-]{{{access.TOKEN_LENGTH}}}$"})]


def get_mailer(request: Request) -> Mailer:
    """The app's mailer (``colearn.mail.mailer_for`` its settings), made on first use."""
    with _LOCK:
        mailer = getattr(request.app.state, "mailer", None)
        if mailer is None:
            mailer = request.app.state.mailer = mailer_for(request.app.state.settings)
    return mailer


MailerDep = Annotated[Mailer, Depends(get_mailer)]


def limit(request: Request, bucket: str, caller: str, per_minute: float, burst: int, what: str) -> None:
    """Spend one try of ``caller`` in the named bucket (in ``app.state.buckets``, the table the
    server's workers share; per replica).

    Raises:
        RateLimited: over ``per_minute`` (bursts of ``burst``), saying ``what`` was limited.
    """
    with _LOCK:
        buckets = getattr(request.app.state, "learner_buckets", None)
        if buckets is None:
            buckets = request.app.state.learner_buckets = {}
        if bucket not in buckets:
            buckets[bucket] = TokenBuckets(per_minute, burst, request.app.state.buckets, kind=bucket)
    try:
        buckets[bucket].take(caller)
    except RateLimited as exc:
        raise RateLimited(f"too many {what}: try again in {exc.retry_after} s",
                          retry_after=exc.retry_after) from exc


class Session(BaseModel):
    """A signed-in learner: a learner token for ``Authorization: Bearer`` and a
    refresh token for ``POST /signin/refresh`` (single use; each refresh returns a new one)."""

    learner_id: str
    access_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="seconds the access token works")
    refresh_token: str
    refresh_expires_in: int = Field(description="seconds the refresh token works")


def start_session(request: Request, store: GraphStore, learner_id: str) -> Session:
    """A new session for ``learner_id`` (who must exist)."""
    settings = request.app.state.settings
    ttl = settings.learner_token_minutes * 60
    refresh_ttl = settings.refresh_token_days * 86400
    refresh = access.issue_token(store, access.REFRESH, learner_id, refresh_ttl)
    return Session(learner_id=learner_id, access_token=issue_learner_token(request.app.state.token_secret,
                                                                           learner_id, ttl),
                   expires_in=ttl, refresh_token=refresh, refresh_expires_in=refresh_ttl)


#: Only a learner (token) may use "me" routes: they act for themself alone
#: (``Action.ACT_AS_LEARNER``; an admin or organisation acts through the routes
#: that name the learner, and is refused here with 403).
LearnerDep = Annotated[Principal, Depends(permit(Action.ACT_AS_LEARNER))]
