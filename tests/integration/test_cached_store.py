"""CachedStore answers a badge's opportunities from its cache, as the statement would, and forgets on writes that touch them; API keys are cached for a few seconds."""

from __future__ import annotations

from colearn.graph import queries
from colearn.graph.cached import CachedStore
from colearn.graph.schema import Label, Rel
from colearn.graph.store import GraphStore
from colearn.service.auth import Principal, PrincipalCache, Role


def _opportunity(store: GraphStore, opp: str, badge: str) -> None:
    store.write(queries.merge_nodes(Label.OPPORTUNITY), {"rows": [{"id": opp, "props": {"name": opp, "mode": "online"}}]})
    store.write(queries.set_links(Label.OPPORTUNITY, Rel.AWARDS, Label.BADGE),
                {"rows": [{"id": opp, "targets": [{"id": badge, "props": {}}]}]})


def _by_badge(rows: list[dict]) -> dict[str, list[str]]:
    return {r["badge_id"]: sorted(o["id"] for o in r["opportunities"]) for r in rows}


def test_same_answer_as_the_statement_and_forgets_on_writes(store: GraphStore) -> None:
    store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": b, "props": {}} for b in ("b1", "b2", "b3")]})
    _opportunity(store, "o1", "b1")
    cached = CachedStore(store, ttl_s=60)
    ask = {"badge_ids": ["b1", "b2", "b3"], "now": 0}
    first = cached.read(queries.BADGE_OPPORTUNITIES, ask)
    assert _by_badge(first) == _by_badge(store.read(queries.BADGE_OPPORTUNITIES, ask)) == {"b1": ["o1"]}
    assert (cached.hits, cached.misses) == (0, 3)
    assert _by_badge(cached.read(queries.BADGE_OPPORTUNITIES, ask)) == {"b1": ["o1"]}
    assert (cached.hits, cached.misses) == (3, 3)
    _opportunity(store, "o2", "b2")  # written around the cache: not seen until the entry expires
    assert _by_badge(cached.read(queries.BADGE_OPPORTUNITIES, ask)) == {"b1": ["o1"]}
    _opportunity(cached, "o3", "b3")  # written through it: forgotten at once
    assert _by_badge(cached.read(queries.BADGE_OPPORTUNITIES, ask)) == {"b1": ["o1"], "b2": ["o2"], "b3": ["o3"]}
    assert _by_badge(CachedStore(store, ttl_s=0).read(queries.BADGE_OPPORTUNITIES, ask)) == \
        {"b1": ["o1"], "b2": ["o2"], "b3": ["o3"]}
    assert cached.read(queries.GET_LEARNER, {"learner_id": "nobody"}) == []


def test_ended_opportunities_left_out_at_each_answers_now(store: GraphStore) -> None:
    store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": "b1", "props": {}}]})
    _opportunity(store, "o1", "b1")
    _opportunity(store, "o2", "b1")
    store.write(queries.merge_nodes(Label.OPPORTUNITY), {"rows": [{"id": "o2", "props": {"ends_on": 1000}}]})
    cached = CachedStore(store, ttl_s=60)
    for now in (999, 1000, 5000, 999):  # an opportunity ending at `now` has ended
        ask = {"badge_ids": ["b1"], "now": now}
        assert _by_badge(cached.read(queries.BADGE_OPPORTUNITIES, ask)) == \
            _by_badge(store.read(queries.BADGE_OPPORTUNITIES, ask)) == {"b1": ["o1", "o2"] if now < 1000 else ["o1"]}


def test_principal_cache() -> None:
    p = Principal(role=Role.ADMIN, key_id="k")
    cache = PrincipalCache(ttl_s=60)
    assert cache.get("col_k_s") is None
    cache.put("col_k_s", p)
    assert cache.get("col_k_s") == p
    off = PrincipalCache(ttl_s=0)
    off.put("col_k_s", p)
    assert off.get("col_k_s") is None


def test_preload_reads_every_badge_once_and_a_read_overtaken_by_forget_is_not_kept(store: GraphStore) -> None:
    badges = [f"b{i}" for i in range(5)]
    store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": b, "props": {}} for b in badges]})
    _opportunity(store, "o1", "b1")
    _opportunity(store, "o2", "b1")
    _opportunity(store, "o3", "b4")
    cached = CachedStore(store, ttl_s=60)
    assert cached.preload(badges) == 3
    ask = {"badge_ids": badges, "now": 0}
    assert _by_badge(cached.read(queries.BADGE_OPPORTUNITIES, ask)) == {"b1": ["o1", "o2"], "b4": ["o3"]}
    assert (cached.hits, cached.misses) == (5, 0)  # badges without opportunities are kept too
    # a second store over the same graph handed the filled cache (forked workers) reads nothing
    worker = CachedStore(store, ttl_s=1, opportunities=cached.opportunities)
    assert worker.ttl_s == 60
    assert _by_badge(worker.read(queries.BADGE_OPPORTUNITIES, ask)) == {"b1": ["o1", "o2"], "b4": ["o3"]}
    assert worker.misses == 0

    class Racing:  # forget() lands while the read is under way: what the read saw may be stale
        backend, where = store.backend, store.where

        def read(self, query: str, params: dict | None = None) -> list[dict]:
            rows = store.read(query, params)
            racing.forget()
            return rows

    racing = CachedStore(Racing(), ttl_s=60)  # type: ignore[arg-type]
    assert _by_badge(racing.read(queries.BADGE_OPPORTUNITIES, ask)) == {"b1": ["o1", "o2"], "b4": ["o3"]}
    assert len(racing.opportunities) == 0
    assert CachedStore(store, ttl_s=0).preload(badges) == 0


def test_catalogue_cache_ttl_is_raised_while_the_feed_is_followed() -> None:
    from colearn.config import Settings
    from colearn.service.app import FOLLOWED_CATALOGUE_SECONDS, catalogue_cache_ttl

    assert catalogue_cache_ttl(Settings(catalogue_cache_seconds=30, feed_poll_seconds=0.2)) == FOLLOWED_CATALOGUE_SECONDS
    assert catalogue_cache_ttl(Settings(catalogue_cache_seconds=900, feed_poll_seconds=0.2)) == 900
    assert catalogue_cache_ttl(Settings(catalogue_cache_seconds=30, feed_poll_seconds=0)) == 30
    assert catalogue_cache_ttl(Settings(catalogue_cache_seconds=0, feed_poll_seconds=0.2)) == 0
