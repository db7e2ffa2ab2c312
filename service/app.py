"""``create_app(settings)``: the FastAPI application.

The store is opened (and the recommender built from it) in the lifespan, and
closed at shutdown. Blocking store calls run in plain ``def`` endpoints, which
FastAPI runs in its thread pool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from colearn import __version__
from colearn.config import Settings, get_settings
from colearn.graph.cached import CachedStore
from colearn.graph.store import GraphStore, open_store
from colearn.recommender.recommend import Recommender, ranker_path
from colearn.service import problems
from colearn.service.auth import PrincipalCache, token_secret
from colearn.service.guard import RequestGuard
from colearn.service.limits import PartnerCORS, TokenBuckets
from colearn.service.routers import assertions, ob, verify
from colearn.service.routers import catalogue, health, insights, learners, pathways, widget
from colearn.service.routers import learner_pathways


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> FastAPI:
    """Build the API.

    Args:
        settings: configuration; default ``get_settings()``.
        store: an already open store (tests); default: ``open_store(settings)``
            in the lifespan, closed at shutdown.

    Returns:
        The FastAPI app; OpenAPI at ``/openapi.json``, docs at ``/docs``.
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = store is None
        app.state.store = CachedStore(open_store(settings) if owned else store, settings.catalogue_cache_seconds)
        app.state.settings = settings
        secret = settings.token_secret.get_secret_value() if settings.token_secret else None
        app.state.token_secret = token_secret(settings.data_dir, secret)
        app.state.recommender = Recommender.from_store(app.state.store, ranker_file=ranker_path(settings.data_dir))
        app.state.limiter = TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst)
        app.state.key_cache = PrincipalCache(settings.key_cache_seconds)
        try:
            yield
        finally:
            if owned:
                app.state.store.close()

    app = FastAPI(
        title="colearn",
        version=__version__,
        summary="Cities of Learning: Open Badges on a learning spine, and what to learn next.",
        lifespan=lifespan,
    )
    problems.install(app)
    app.add_middleware(RequestGuard)
    app.add_middleware(PartnerCORS)  # outermost: refusals by the guard carry CORS headers too
    app.include_router(health.router)
    app.include_router(learners.router)
    app.include_router(assertions.router)
    app.include_router(ob.router)
    app.include_router(verify.router)
    for router in catalogue.ROUTERS:
        app.include_router(router)
    app.include_router(pathways.router)
    app.include_router(widget.router)
    app.include_router(insights.router)
    app.include_router(learner_pathways.router)
    return app
