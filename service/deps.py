"""Dependencies shared by the routers, as ``Annotated`` aliases.

``PrincipalDep`` authenticates the caller from ``Authorization: Bearer <key or
token>`` or ``X-API-Key: <key>``. Who may do what is ``domain/policy.py``'s:
``permit(action)`` is a dependency that asks it whether the caller's role may
take an action at all, ``LearnerReaderDep`` whether it may read the learner in
the path; routes whose resource must be read first call ``policy.require``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State

from colearn.config import Settings
from colearn.domain import policy
from colearn.domain.policy import Action, Resource
from colearn.errors import Unauthorised
from colearn.graph.profiles import partner_access
from colearn.graph.store import GraphStore
from colearn.recommender.recommend import Recommender
from colearn.service.auth import Principal, PrincipalCache, Role, principal_for_key, principal_for_token
from colearn.service.limits import TokenBuckets


# The dependencies below that do no I/O are ``async def``: FastAPI runs a plain
# ``def`` dependency in its thread pool, and those hops were a seventh of the
# API's CPU on "what next" (py-spy, bench S).


async def get_store(request: Request) -> GraphStore:
    """The store opened in the app's lifespan."""
    return request.app.state.store


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


async def get_recommender(request: Request) -> Recommender:
    """The recommender built from the graph at start."""
    return request.app.state.recommender


StoreDep = Annotated[GraphStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
RecommenderDep = Annotated[Recommender, Depends(get_recommender)]


def _credential(request: Request) -> tuple[str, str] | None:
    """``(credential, header it came in)``: ``Authorization: Bearer`` first, else ``X-API-Key``."""
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorised("the Authorization header must be 'Bearer <API key or learner token>'")
        return value.strip(), "Authorization"
    key = request.headers.get("x-api-key")
    return (key.strip(), "X-API-Key") if key and key.strip() else None


def request_origin(request: Request, settings: Settings) -> str | None:
    """The web origin a request comes from: its ``Origin`` header; else, for a browser's
    same-origin request (``Sec-Fetch-Site: same-origin``: browsers send no ``Origin`` on a
    same-origin ``GET``, e.g. the widget on ``/demo``), the service's own origin, from
    ``Settings.base_url`` (never from the ``Host`` header); else None."""
    origin = request.headers.get("origin")
    if origin is None and request.headers.get("sec-fetch-site") == "same-origin":
        own = urlsplit(settings.base_url)
        return f"{own.scheme}://{own.netloc}"
    return origin


def _refused(presented: str, header: str) -> Unauthorised:
    """Why a credential that names no caller is refused, naming the credential: the
    ``X-API-Key`` header carries API keys, so what fails there is an API key; a
    ``Bearer`` credential is an API key when it starts ``col_``, else a learner token."""
    if header == "X-API-Key" and not presented.startswith("col_"):
        return Unauthorised("the X-API-Key header holds no valid API key: an API key is col_<id>_<secret> "
                            "(colearn keys create)")
    if presented.startswith("col_"):
        return Unauthorised(f"unknown or revoked API key (in the {header} header)")
    return Unauthorised("invalid or expired learner token (in the Authorization header)")


#: The two ways to present credentials, declared so that the OpenAPI document lists
#: them as security schemes (and Swagger UI's "Authorize" sends them). Neither
#: raises: ``_credential`` reads the headers and ``get_principal`` decides.
API_KEY_SCHEME = APIKeyHeader(name="X-API-Key", scheme_name="apiKey", auto_error=False,
                              description="An API key: col_<id>_<secret> (colearn keys create)")
BEARER_SCHEME = HTTPBearer(scheme_name="bearer", auto_error=False,
                           description="An API key or a learner token (colearn keys learner-token)")


async def get_principal(request: Request,
                        _key: Annotated[str | None, Security(API_KEY_SCHEME)] = None,
                        _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER_SCHEME)] = None,
                        ) -> Principal:
    """Authenticate the caller.

    An API key's principal is kept for ``Settings.key_cache_seconds`` (the
    app's ``PrincipalCache``), so a key revoked elsewhere stops working
    within that time (a deleted organisation's keys sooner: the feed clears the cache); only a key not in the cache is read from the graph
    (in the thread pool).

    Raises:
        Unauthorised: no credentials (unless anonymous access is configured),
            or credentials that are unknown, revoked, expired or forged; the
            message names the credential (``_refused``: the API key of
            ``X-API-Key``, else an API key or learner token by its form).
        Forbidden: a partner key used from an origin it is not bound to, or
            without one (``policy.require_origin``, ``request_origin``).
        RateLimited: the caller has used up its allowance, or (instead of
            Unauthorised) its address has failed authentication more than
            ``Settings.auth_failures_per_minute`` allows (``service/limits.py``).
    """
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    # the app's store and settings from its state, not as sub-dependencies: each
    # dependency FastAPI solves costs CPU on every request (py-spy, what next at L)
    state = request.app.state
    settings: Settings = state.settings
    address = client_address(request)
    try:
        principal = await _authenticate(request, state.store, settings)
    except Unauthorised:
        failures: TokenBuckets | None = getattr(state, "auth_failures", None)
        # a request without credentials made no failed attempt (anonymous callers meet the API's
        # limit); past the address's allowance of failures: 429, not 401
        if failures is not None and ("authorization" in request.headers or "x-api-key" in request.headers):
            failures.take(address)
        raise
    spend_allowance(state, principal, address)
    policy.require_origin(principal, request_origin(request, settings))
    request.state.principal = principal
    return principal


def client_address(request: Request) -> str:
    """The client's address for per-address limits: the one uvicorn gives the request (from
    ``X-Forwarded-For`` only when the connection comes from an address in uvicorn's
    ``FORWARDED_ALLOW_IPS``: README, "Behind a proxy"); ``-`` when there is none."""
    return request.client.host if request.client else "-"


def spend_allowance(state: State, principal: Principal, address: str) -> None:
    """Spend one request of ``principal``'s allowance (the app's ``limiter``, ``limits.TokenBuckets``):
    an organisation or admin key's (secret) per key, a learner's per learner, an anonymous
    caller's per address. A partner key is public (in its pages' HTML; anyone may replay it
    with any ``Origin``), so its requests are counted per (key, client address), each visitor
    with an allowance of their own, and then against the key's ceiling (the app's
    ``partner_keys``: ``Settings.partner_key_rate_limit_per_minute``), which only requests the
    visitor's allowance let through reach.

    Raises:
        RateLimited: the caller's allowance, or the partner key's ceiling, is used up.
    """
    if principal.role is Role.PARTNER and principal.key_id:
        state.limiter.take(f"key:{principal.key_id}@{address}")
        state.partner_keys.take(f"key:{principal.key_id}")
        return
    state.limiter.take(f"key:{principal.key_id}" if principal.key_id else
                       f"learner:{principal.learner_id}" if principal.learner_id else f"addr:{address}")


async def _authenticate(request: Request, store: GraphStore, settings: Settings) -> Principal:
    """The caller named by the request's credential (``get_principal``, which counts failures).

    Raises:
        Unauthorised: no credential (unless anonymous access is configured), or one
            that names no caller (``_refused``).
    """
    credential = _credential(request)
    if credential is None:
        if settings.anonymous_role is None:
            raise Unauthorised("credentials required: an API key or a learner token")
        return Principal(role=Role(settings.anonymous_role))
    if (presented := credential[0]).startswith("col_"):
        keys: PrincipalCache | None = getattr(request.app.state, "key_cache", None)
        found = keys.get(presented) if keys is not None else None
        if found is None:
            found = await run_in_threadpool(principal_for_key, store, presented)
            if found is not None and keys is not None:
                keys.put(presented, found)
    else:  # a learner token (in X-API-Key too, as before), or nothing valid
        found = principal_for_token(request.app.state.token_secret, presented)
    if found is None:
        raise _refused(presented, credential[1])
    return found


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def permit(action: Action) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through only callers whose role may take ``action``
    (``policy.require_role``: the resource's owner, if any, is the route's to check).

    Raises:
        Forbidden: the caller's role may not.
    """

    async def check(principal: PrincipalDep) -> Principal:
        policy.require_role(principal, action)
        return principal

    return check


async def require_learner_reader(learner_id: str, principal: PrincipalDep, store: StoreDep,
                                 settings: SettingsDep) -> Principal:
    """The caller may read the recommendations and pathways of the learner in the path
    (``Action.READ_LEARNER``: admin, the learner themself, or a partner when the learner lets
    partner sites: ``graph.profiles.partner_access``, read from the graph for each partner
    request, in the thread pool, so a learner's "no" holds at once on every process).

    Raises:
        Forbidden: any other caller, or a partner the learner does not let read them.
    """
    allows = True
    if principal.role == Role.PARTNER:
        allows = await run_in_threadpool(partner_access, store, learner_id, settings.partner_access_default)
    policy.require(principal, Action.READ_LEARNER, Resource(f"learner '{learner_id}'", learner=learner_id,
                                                            partners_allowed=allows))
    return principal


LearnerReaderDep = Annotated[Principal, Depends(require_learner_reader)]
#: Any caller who may read the catalogue, published pathways and a visitor's recommendations.
ReaderDep = Annotated[Principal, Depends(permit(Action.READ_CATALOGUE))]
