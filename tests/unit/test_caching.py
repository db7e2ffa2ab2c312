"""The shared TTL cache (``colearn/caching.py``) on a clock the test moves."""

from __future__ import annotations

from colearn.caching import ExpiringCache


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

