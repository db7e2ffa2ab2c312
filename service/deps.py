"""Dependencies shared by the routers, as ``Annotated`` aliases.

``PrincipalDep`` authenticates the caller from ``Authorization: Bearer <key or
token>`` or ``X-API-Key: <key>``; ``require_role(...)`` narrows it;
``require_learner_reader`` guards a learner's own data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from colearn.config import Settings
from colearn.errors import Forbidden, Unauthorised
from colearn.graph.store import GraphStore
from colearn.recommender.recommend import Recommender
from colearn.service.auth import Principal, PrincipalCache, Role, principal_for_key, principal_for_token


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


def _credential(request: Request) -> str | None:
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorised("the Authorization header must be 'Bearer <API key or learner token>'")
        return value.strip()
    key = request.headers.get("x-api-key")
    return key.strip() if key else None


#: The two ways to present credentials, declared so that the OpenAPI document lists
#: them as security schemes (and Swagger UI's "Authorize" sends them). Neither
#: raises: ``_credential`` reads the headers and ``get_principal`` decides.
API_KEY_SCHEME = APIKeyHeader(name="X-API-Key", scheme_name="apiKey", auto_error=False,
                              description="An API key: col_<id>_<secret> (colearn keys create)")
BEARER_SCHEME = HTTPBearer(scheme_name="bearer", auto_error=False,
                           description="An API key or a learner token (colearn keys learner-token)")


async def get_principal(request: Request, store: StoreDep, settings: SettingsDep,
                        _key: Annotated[str | None, Security(API_KEY_SCHEME)] = None,
                        _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER_SCHEME)] = None,
                        ) -> Principal:
    """Authenticate the caller.

    An API key's principal is kept for ``Settings.key_cache_seconds`` (the
    app's ``PrincipalCache``), so a key revoked elsewhere stops working
    within that time; only a key not in the cache is read from the graph
    (in the thread pool).

    Raises:
        Unauthorised: no credentials (unless anonymous access is configured),
            or credentials that are unknown, revoked, expired or forged.
        Forbidden: a partner key used from an origin it is not bound to.
        RateLimited: the caller has used up its allowance (``service/limits.py``).
    """
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    presented = _credential(request)
    if presented is None:
        if settings.anonymous_role is None:
            raise Unauthorised("credentials required: an API key or a learner token")
        principal = Principal(role=Role(settings.anonymous_role))
    elif presented.startswith("col_"):
        keys: PrincipalCache | None = getattr(request.app.state, "key_cache", None)
        found = keys.get(presented) if keys is not None else None
        if found is None:
            found = await run_in_threadpool(principal_for_key, store, presented)
            if found is not None and keys is not None:
                keys.put(presented, found)
        if found is None:
            raise Unauthorised("unknown or revoked API key")
        principal = found
    else:
        found = principal_for_token(request.app.state.token_secret, presented)
        if found is None:
            raise Unauthorised("invalid or expired learner token")
        principal = found
    caller = (f"key:{principal.key_id}" if principal.key_id else
              f"learner:{principal.learner_id}" if principal.learner_id else
              f"addr:{request.client.host if request.client else '-'}")
    request.app.state.limiter.take(caller)
    origin = request.headers.get("origin")
    if principal.role == Role.PARTNER and principal.key_id and origin and origin not in principal.origins:
        raise Forbidden(f"this partner key is not allowed from origin {origin}")
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_role(*roles: Role | str) -> Callable[[Principal], Principal]:
    """A dependency that lets through only callers with one of ``roles``.

    Raises:
        Forbidden: the caller's role is not among them.
    """
    allowed = {Role(r) for r in roles}

    async def check(principal: PrincipalDep) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"the {principal.role} role may not do this")
        return principal

    return check


async def require_learner_reader(learner_id: str, principal: PrincipalDep) -> Principal:
    """Admin, partner (read-only) or the learner themself may read a learner's
    recommendations and pathways.

    Raises:
        Forbidden: any other caller.
    """
    if not principal.can_read_learner(learner_id):
        raise Forbidden("only the learner themself may read this")
    return principal


LearnerReaderDep = Annotated[Principal, Depends(require_learner_reader)]
AdminDep = Annotated[Principal, Depends(require_role(Role.ADMIN))]
