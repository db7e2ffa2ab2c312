"""The shared TTL cache (``colearn/caching.py``) on a clock the test moves."""

from __future__ import annotations

from colearn.caching import ExpiringCache
from colearn.recommender.portfolio_cache import LivePortfolio, PortfolioCache
from colearn.recommender.index import IdIndex
from colearn.recommender.signals import Profile


class Clock:
    """Seconds that pass only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_ttl() -> None:
    clock = Clock()
    cache: ExpiringCache[str, int] = ExpiringCache(10, 100, timer=clock)
    cache.put("a", 1)
    clock.now += 9.999
    assert cache.get("a") == 1
    clock.now += 0.001  # ttl_s after the put: gone
    assert cache.get("a") is None
    assert len(cache) == 0


def test_off_at_zero_ttl_and_cleared_on_demand() -> None:
    off: ExpiringCache[str, int] = ExpiringCache(0, 100)
    off.put("a", 1)
    assert off.get("a") is None and off.get_many(["a", "b"]) == {"a": None, "b": None} and len(off) == 0
    on: ExpiringCache[str, int] = ExpiringCache(60, 100)
    on.put("a", 1)
    on.put("b", 2)
    assert on.get_many(["a", "b", "c"]) == {"a": 1, "b": 2, "c": None}
    on.clear()
    assert on.get_many(["a", "b"]) == {"a": None, "b": None}


def test_the_least_recently_used_go_past_maxsize() -> None:
    cache: ExpiringCache[int, int] = ExpiringCache(60, 3)
    for i in range(3):
        cache.put(i, i)
    assert cache.get(0) == 0  # 0 used again: 1 is now the oldest
    cache.put(3, 3)
    assert [cache.get(i) for i in range(4)] == [0, None, 2, 3]



def test_discard_forgets_only_the_keys_named() -> None:
    cache: ExpiringCache[str, int] = ExpiringCache(60, 10)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.discard(["a", "never-put"])
    assert cache.get_many(["a", "b"]) == {"a": None, "b": 2}


BADGES = IdIndex(["b0", "b1", "b2", "b3"], kind="badge")


def _portfolio(valid_until: int | None = None) -> LivePortfolio:
    return LivePortfolio.of(Profile.of([3, 1], [10, 20]), ["b3", "b1", "b1", "newer"], BADGES, valid_until)


def test_a_kept_portfolio_gives_back_its_profile_and_every_badge_id() -> None:
    kept = _portfolio()
    profile = kept.profile()
    assert profile.held.tolist() == [3, 1] and profile.held_on.tolist() == [10, 20]
    assert kept.badge_ids(BADGES) == {"b3", "b1", "newer"} and kept.extra_ids == ("newer",)
    assert not kept.held.flags.writeable  # shared by every request that asks again


def test_portfolio_cache_keeps_no_read_that_an_invalidation_overtook() -> None:
    cache = PortfolioCache()
    epoch = cache.epoch()  # a request takes it, then reads the graph...
    cache.forget(["someone else"])  # ...while the feed drops an entry (its write may be after the read)
    assert not cache.put("l1", _portfolio(), epoch)
    assert cache.get("l1", 0) is None
    kept = _portfolio()
    assert cache.put("l1", kept, cache.epoch())
    assert cache.get("l1", 0) is kept and (cache.hits, cache.misses) == (1, 1)
    cache.forget(["l1"])
    assert cache.get("l1", 0) is None
    assert cache.put("l2", _portfolio(), cache.epoch())
    cache.clear()
    assert cache.get("l2", 0) is None and len(cache) == 0


def test_portfolio_cache_answers_until_the_first_award_expires_and_the_backstop_ttl() -> None:
    clock = Clock()
    cache = PortfolioCache(ttl_s=300, timer=clock)
    cache.put("l1", _portfolio(valid_until=5_000), cache.epoch())
    assert cache.get("l1", 4_999) is not None
    assert cache.get("l1", 5_000) is None  # an award in it expired: read the graph again
    cache.put("l2", _portfolio(), cache.epoch())
    clock.now += 299.9
    assert cache.get("l2", 10**9) is not None  # no award in it expires
    clock.now += 0.1
    assert cache.get("l2", 10**9) is None
