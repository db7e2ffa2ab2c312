"""The one time-to-live cache colearn's layers share: values kept for a number of seconds.

It is ``cachetools.TTLCache`` (an entry expires ``ttl_s`` seconds after it was
put, by ``timer``; past ``maxsize`` entries the least recently used go first)
with what every user here needs around it: a lock, since the service reads and
writes its caches from FastAPI's thread pool and a ``TTLCache`` changes itself on
reads; and a ``ttl_s`` of 0 turning the cache off (each setting
``COLEARN_*_CACHE_SECONDS`` says so).

Used by: API keys' principals (``service.auth.PrincipalCache``,
``COLEARN_KEY_CACHE_SECONDS``), each badge's opportunities
(``graph.cached.CachedStore``, ``COLEARN_CATALOGUE_CACHE_SECONDS``), the
insights' rows and tables (``insights.aggregates.Insights``,
``COLEARN_INSIGHTS_CACHE_SECONDS``) and each learner's portfolio
(``recommender.portfolio_cache.PortfolioCache``, dropped by the change feed).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

from cachetools import TTLCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ExpiringCache(Generic[K, V]):
    """Values kept for ``ttl_s`` seconds; thread-safe; off when ``ttl_s <= 0``.

    Args:
        ttl_s: seconds an entry is answered after it was put (0 or less: nothing is kept).
        maxsize: the most entries kept (then the least recently used go).
        timer: the clock, in seconds (``time.monotonic``; tests pass their own).
    """

    def __init__(self, ttl_s: float, maxsize: int, timer: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.maxsize = maxsize
        self._entries: TTLCache[K, V] | None = TTLCache(maxsize, ttl_s, timer=timer) if ttl_s > 0 else None
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value kept for ``key``, or None (never put, expired, or the cache is off)."""
        if self._entries is None:
            return None
        with self._lock:
            return self._entries.get(key)

    def get_many(self, keys: Iterable[K]) -> dict[K, V | None]:
        """``{key: get(key)}`` for every key, under one lock (a request's badges at once)."""
        if self._entries is None:
            return dict.fromkeys(keys)
        out: dict[K, V | None] = {}
        with self._lock:
            entries = self._entries
            for k in keys:
                try:
                    out[k] = entries[k]  # one expiry check (``get`` makes two)
                except KeyError:
                    out[k] = None
        return out

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` for ``key`` for ``ttl_s`` seconds from now (nothing when off)."""
        if self._entries is None:
            return
        with self._lock:
            self._entries[key] = value

    def discard(self, keys: Iterable[K]) -> None:
        """Forget the entries of ``keys`` (those not kept are passed over)."""
        if self._entries is None:
            return
        with self._lock:
            for k in keys:
                self._entries.pop(k, None)

    def clear(self) -> None:
        """Forget every entry (a write made them stale)."""
        if self._entries is not None:
            with self._lock:
                self._entries.clear()

    def __len__(self) -> int:
        if self._entries is None:
            return 0
        with self._lock:
            self._entries.expire()
            return len(self._entries)
