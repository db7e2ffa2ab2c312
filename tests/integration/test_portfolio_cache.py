"""The portfolio cache of a followed recommender (recommender/portfolio_cache.py) on a real store:
a learner asked again is answered without a read, and still sees every change to
their portfolio: an award or a revoke written through another connection (as
another process would) once the feed follower applies it, an award that expires
with no write at all, and a catalogue change or a rebuild drops what was kept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from colearn.domain import awards, catalogue
from colearn.graph import feed, queries
from colearn.graph.falkordb_store import FalkorDBStore
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.recommender.follower import FeedFollower
from colearn.recommender.recommend import Recommender
from tests.integration.test_contract import _seed
from tests.live import wait_until

NOW = 1_800_000_000


@pytest.fixture
def followed(store: GraphStore) -> Iterator[FeedFollower]:
    """A recommender at ``NOW`` followed by a started ``FeedFollower`` (polling every 50 ms)."""
    _seed(store)
    head = feed.feed_head(store)
    rec = Recommender.from_store(store, now=NOW)
    follower = FeedFollower(store, lambda: Recommender.from_store(store, now=NOW), recommender=rec,
                            position=head, poll_s=0.05).start()
    try:
        yield follower
    finally:
        follower.stop()


def _other(store: GraphStore, request: pytest.FixtureRequest) -> GraphStore:
    """A second connection to the same graph: writes through it reach the follower only by the feed."""
    if isinstance(store, FalkorDBStore):
        server = request.getfixturevalue("falkordb_server")
        return FalkorDBStore(server.host, server.port, store.graph_name, password=server.password)
    opened: GraphStore = request.getfixturevalue("neo4j_target").open()
    return opened


def _next(follower: FeedFollower, learner: str) -> list[str]:
    return [r.badge_id for r in follower.recommender.recommend(learner, limit=8)]


def _learner_with_next(follower: FeedFollower, store: GraphStore) -> tuple[str, str]:
    for row in store.read("MATCH (l:Learner) RETURN l.id AS id ORDER BY id"):
        got = _next(follower, row["id"])
        if got:
            return row["id"], got[0]
    raise AssertionError("no learner has a recommendation")


def _accept(store: GraphStore, learner: str, badge: str, assertion: str, expires_on: int | None = None) -> None:
    row = {"id": assertion, "organisation_id": "org", "badge_id": badge, "learner_id": learner,
           "learner_props": {}, "props": {"status": "accepted", "issued_on": NOW - 60, "expires_on": expires_on}}
    store.write(feed.recorded(queries.MERGE_ASSERTIONS), {"rows": [row], "feed": feed.award_change([row])})


def test_an_award_and_a_revoke_through_another_connection_reach_a_cached_learner(
        store: GraphStore, followed: FeedFollower, request: pytest.FixtureRequest) -> None:
    learner, badge = _learner_with_next(followed, store)
    cache = followed.recommender.portfolios_
    assert cache is not None and len(cache) >= 1
    hits = cache.hits
    assert badge in _next(followed, learner)
    assert cache.hits == hits + 1  # asked again: answered from the cache, no read
    other = _other(store, request)
    try:
        _accept(other, learner, badge, "cache-a1")
        wait_until(lambda: badge not in _next(followed, learner), "an award written elsewhere")
        profile, ids = followed.recommender.live_portfolio(learner)
        assert badge in ids
        awards.revoke(other, "cache-a1", "a test revocation")
        wait_until(lambda: badge in _next(followed, learner), "a revoke written elsewhere")
        assert badge not in followed.recommender.live_portfolio(learner)[1]
    finally:
        other.close()


def test_an_award_through_this_process_is_seen_at_once_after_sync(store: GraphStore,
                                                                  followed: FeedFollower) -> None:
    learner, badge = _learner_with_next(followed, store)
    _accept(store, learner, badge, "cache-a2")
    followed.sync()  # what a write through the service does (service.openbadges_deps.tell_recommender)
    assert badge not in _next(followed, learner)


def test_an_award_that_expires_leaves_a_cached_portfolio_without_a_write(store: GraphStore,
                                                                         followed: FeedFollower) -> None:
    learner, badge = _learner_with_next(followed, store)
    _accept(store, learner, badge, "cache-a3", expires_on=NOW + 100)
    followed.sync()
    rec = followed.recommender
    assert badge in rec.live_portfolio(learner)[1]
    assert badge in rec.live_portfolio(learner)[1]  # kept
    rec.now_ = NOW + 100  # the recommender's clock reaches the expiry: no feed entry says so
    assert badge not in rec.live_portfolio(learner)[1]
    assert badge in _next(followed, learner)


def test_a_catalogue_change_drops_every_kept_portfolio_and_a_rebuild_starts_empty(store: GraphStore,
                                                                                  followed: FeedFollower) -> None:
    learner, _ = _learner_with_next(followed, store)
    before = followed.recommender
    cache = before.portfolios_
    assert cache is not None and len(cache) >= 1
    assert catalogue.write_node(store, Label.BADGE, {"id": "cache-new", "props": {"name": "New"},
                                                      "l0": ["org"], "l1": ["knowledge.engagement"], "l2": []},
                                create=True)
    wait_until(lambda: followed.recommender is not before, "the rebuild a new badge asks for")
    assert len(cache) == 0  # dropped when the entry was applied
    fresh = followed.recommender.portfolios_
    assert fresh is not None and fresh is not cache
    _next(followed, learner)
    assert len(fresh) == 1 and fresh.misses >= 1
