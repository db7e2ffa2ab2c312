"""``create_app(settings)``: the FastAPI application.

The store is opened (and the recommender built from it) in the lifespan, and
closed at shutdown. A ``FeedFollower`` keeps the recommender current with the
graph's change feed (``graph/feed.py``): changes made through any process, or
the CLI, reach this one within ``Settings.feed_poll_seconds``; a rebuilt
recommender replaces ``app.state.recommender``. New badge and opportunity
text is embedded by an ``EmbeddingQueue``, off the request path. Blocking store calls run in plain ``def`` endpoints, which
FastAPI runs in its thread pool.

Every badge's opportunities are read at start (``CachedStore.preload``), so no
learner's first "what next" waits for them; while the feed is followed they
are kept until it names a catalogue change (``catalogue_cache_ttl``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI

from colearn import __version__
from colearn.config import Settings, get_settings
from colearn.caching import ExpiringCache
from colearn.graph.cached import CachedStore
from colearn.graph.feed import feed_head
from colearn.graph.plans import warm_plans
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore, open_store
from colearn.recommender.embedding_queue import EmbeddingQueue
from colearn.recommender.follower import FeedFollower
from colearn.recommender.rebuild import recommender_in_child
from colearn.recommender.recommend import Recommender, ranker_path
from colearn.service import docs, examples, problems
from colearn.service.auth import PrincipalCache, token_secret
from colearn.service.bulk_limits import NoticeCaps, OneAtATime
from colearn.service.guard import RequestGuard
from colearn.service.headers import RelativeRedirects
from colearn.service.methods import HeadAsGet
from colearn.service.limits import BucketTable, PartnerCORS, TokenBuckets
from colearn.service.query_params import single_valued_query
from colearn.service.routers import assertions, ob, verify
from colearn.service.routers import catalogue, health, insights, learners, pathways, widget
from colearn.service.routers import learner_pathways, organisation_view
from colearn.service.routers import badge_images, badge_pages, claims, me, signin
from colearn.mail import mailer_for
from colearn.domain.completions import name_unnamed_completions
from colearn.graph.access import forget_expired_tokens

log = logging.getLogger("uvicorn.error")

#: While the change feed is followed (``feed_poll_seconds`` > 0) a badge's opportunities are
#: kept at least this long (s): the feed names every catalogue change, and the follower
#: forgets them then (``recommender.follower``); this bounds a change that bypassed the feed.
FOLLOWED_CATALOGUE_SECONDS = 300.0


def catalogue_cache_ttl(settings: Settings) -> float:
    """How long each badge's opportunities are kept (s): ``catalogue_cache_seconds``, raised to
    ``FOLLOWED_CATALOGUE_SECONDS`` while the change feed is followed; 0 (off) stays 0."""
    ttl = settings.catalogue_cache_seconds
    if ttl <= 0 or settings.feed_poll_seconds <= 0:
        return ttl
    return max(ttl, FOLLOWED_CATALOGUE_SECONDS)


def preload_opportunities(store: CachedStore, recommender: Recommender) -> None:
    """Read the opportunities of every badge ``recommender`` knows into ``store``'s cache,
    logging how many and how long it took.

    Raises:
        StoreUnavailable: the store cannot be reached.
    """
    started = time.perf_counter()
    kept = store.preload(list(recommender.projection_.badges.ids))
    log.info("opportunities of %d badges read in %.1f s (%d kept)", len(recommender.projection_.badges),
             time.perf_counter() - started, kept)


def warm_up(recommender: Recommender) -> threading.Thread | None:
    """Load the recommender's text model in a daemon thread, so that the first
    free-text query does not wait for it (MiniLM takes seconds to load); returns
    the thread, or ``None`` when the recommender has no text signal."""
    text = getattr(recommender, "signals_", {}).get("text")
    if text is None or not hasattr(text, "warm_up"):
        return None
    thread = threading.Thread(target=text.warm_up, name="colearn-text-warm-up", daemon=True)
    thread.start()
    return thread


def _with_examples(app: FastAPI) -> None:
    """Add ``service.examples`` to the (normalised, cached) OpenAPI document."""
    normalised = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            return examples.add_examples(normalised())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None, store: GraphStore | None = None,
               recommender: Recommender | None = None, feed_position: int = 0,
               opportunities: ExpiringCache[str, list[dict[str, Any]]] | None = None,
               buckets: BucketTable | None = None) -> FastAPI:
    """Build the API.

    Args:
        settings: configuration; default ``get_settings()``.
        store: an already open store (tests); default: ``open_store(settings)``
            in the lifespan, closed at shutdown.
        recommender: a recommender already built from this store's graph (by
            the parent of forked workers, ``service.forked``); it is given the
            worker's own store for live reads. Default: built in the lifespan.
        feed_position: with ``recommender``, the change feed's head read just
            before it was built: the worker applies every change after it.
        opportunities: with ``recommender``, every badge's opportunities already read
            (``CachedStore.preload`` in the parent of forked workers, which share it);
            default: read in the lifespan.
        buckets: the rate limits' table (``limits.BucketTable``), made by the parent of
            forked workers so that they share it; default: a table of this app's own.

    Returns:
        The FastAPI app; OpenAPI at ``/openapi.json``, docs at ``/docs`` and
        ``/redoc`` (assets served by the app: ``service/docs.py``).
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = store is None
        opened = open_store(settings, timeout=settings.store_timeout_seconds) if owned else store
        if owned:
            warm_plans(opened)  # Neo4j plans the statements while the recommender builds
        app.state.store = CachedStore(opened, catalogue_cache_ttl(settings), opportunities)
        app.state.settings = settings
        secret = settings.token_secret.get_secret_value() if settings.token_secret else None
        app.state.token_secret = token_secret(settings.data_dir, secret)
        # the feed's head is read before the build: every change after it is applied on top
        head = feed_head(app.state.store) if recommender is None else feed_position

        def build() -> Recommender:
            return Recommender.from_store(app.state.store, ranker_file=ranker_path(settings.data_dir))

        def build_in_child() -> Recommender:
            return recommender_in_child(settings, app.state.store, ranker_file=ranker_path(settings.data_dir))

        if recommender is None:
            app.state.recommender = build()
        else:
            recommender.store_ = app.state.store
            app.state.recommender = recommender
        if opportunities is None:
            preload_opportunities(app.state.store, app.state.recommender)
        warm_up(app.state.recommender)
        app.state.embeddings = EmbeddingQueue(app.state.store)
        app.state.key_cache = PrincipalCache(settings.key_cache_seconds)

        def on_catalogue(label: str, ids: list[str]) -> None:
            if label == Label.ORGANISATION:  # deleted (its keys revoked with it) or changed, by any process:
                app.state.key_cache.clear()  # its keys are read again, not honoured for the cache's TTL

        app.state.follower = FeedFollower(
            app.state.store, build, build_quiet=build_in_child if owned else None,
            recommender=app.state.recommender, position=head,
            on_swap=lambda rec: setattr(app.state, "recommender", rec),
            poll_s=settings.feed_poll_seconds or 0.2, on_catalogue=on_catalogue,
            on_keys=lambda ids: app.state.key_cache.clear())  # keys revoked (colearn keys revoke)
        if settings.feed_poll_seconds > 0:
            app.state.follower.start()
        app.state.buckets = buckets if buckets is not None else BucketTable()
        app.state.limiter = TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst, app.state.buckets)
        app.state.partner_keys = TokenBuckets(  # a partner key's ceiling, over its visitors' own allowances
            settings.partner_key_rate_limit_per_minute if settings.rate_limit_per_minute else 0,
            settings.partner_key_rate_limit_burst, app.state.buckets, kind="partner-key",
            noun="requests with this partner key, all its visitors together")
        app.state.auth_failures = TokenBuckets(settings.auth_failures_per_minute, settings.auth_failures_per_minute,
                                               app.state.buckets, kind="auth-failures",
                                               noun="failed authentications from this address")
        app.state.notice_caps = NoticeCaps(settings.award_notices_per_address_hour,
                                           settings.award_notices_per_organisation_day, app.state.buckets)
        app.state.bulk_awards = OneAtATime()  # one bulk award per organisation in flight (this process)
        app.state.mailer = mailer_for(settings)
        forget_expired_tokens(app.state.store)  # claim/sign-in links and refresh tokens a week past expiry
        name_unnamed_completions(app.state.store, settings.base_url)  # completions stored before 2026-12-06
        log.warning("learners' messages (award notices, sign-in links) go to %s", app.state.mailer.where)
        try:
            yield
        finally:
            if settings.feed_poll_seconds > 0:
                app.state.follower.stop()
            app.state.embeddings.stop()
            if owned:
                app.state.store.close()

    app = FastAPI(
        title="colearn",
        version=__version__,
        summary="Cities of Learning: Open Badges on a learning spine, and what to learn next.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(single_valued_query)],  # ?group=a&group=b is a 422, not group=b
    )
    docs.install(app)
    problems.install(app)
    _with_examples(app)
    app.add_middleware(HeadAsGet)  # innermost: HEAD meets every check its GET meets
    app.add_middleware(RequestGuard)
    app.add_middleware(RelativeRedirects)  # no Location built from the Host header
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
    app.include_router(signin.router)
    app.include_router(claims.router)
    app.include_router(me.router)
    app.include_router(badge_images.router)
    app.include_router(badge_pages.router)
    app.include_router(organisation_view.router)
    return app
