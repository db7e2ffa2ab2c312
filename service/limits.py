"""Per-caller rate limits and CORS for partner origins.

Rate limits: an in-process token bucket per caller (an API key, a learner, or
the client address of an anonymous request): ``burst`` requests at once, refilled
at ``per_minute / 60`` a second. Over it, the answer is 429 with ``Retry-After``.
Each replica counts alone, so behind a load balancer the real allowance is the
per-replica one times the replicas (a shared store such as Redis would make it
exact; not needed at a city's scale).

CORS: a browser's preflight carries no API key, so the preflight is allowed for
the origins that any active partner key lists (read from the graph, cached for
``ORIGINS_TTL_S``); the request itself then carries its key, and
``deps.get_principal`` refuses (403) a partner key used from an origin that key
does not list. Other origins get no ``Access-Control-Allow-Origin``.
"""

from __future__ import annotations

import math
import threading
import time

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from colearn.errors import RateLimited
from colearn.graph import queries

#: How long the allowed origins are cached (a new partner key works within this).
ORIGINS_TTL_S = 10.0


class TokenBuckets:
    """Token buckets by caller.

    Args:
        per_minute: sustained requests a minute per caller; 0 switches limits off.
        burst: the most requests at once.
    """

    def __init__(self, per_minute: int, burst: int) -> None:
        self.per_minute = per_minute
        self.burst = max(1, burst)
        self._rate = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, caller: str, now: float | None = None) -> None:
        """Spend one token of ``caller``'s bucket.

        Raises:
            RateLimited: the bucket is empty; ``retry_after`` says when one token is back.
        """
        if self.per_minute <= 0:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(caller, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self._rate)
            if tokens < 1.0:
                self._buckets[caller] = (tokens, now)
                wait = max(1, math.ceil((1.0 - tokens) / self._rate))
                raise RateLimited(f"too many requests: at most {self.per_minute} a minute "
                                  f"(bursts of {self.burst}); try again in {wait} s", retry_after=wait)
            self._buckets[caller] = (tokens - 1.0, now)


class PartnerCORS(CORSMiddleware):
    """CORS allowing the origins of active partner keys (see the module docstring)."""

    def __init__(self, app: ASGIApp, **kwargs) -> None:
        super().__init__(app, allow_origins=(), allow_methods=("GET", "HEAD", "OPTIONS"),
                         allow_headers=("Authorization", "X-API-Key"), expose_headers=("Retry-After",),
                         max_age=600, **kwargs)
        self._origins: frozenset[str] = frozenset()
        self._loaded = -math.inf
        self._lock = threading.Lock()
        self._state = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._state is None and "app" in scope:
            self._state = scope["app"].state
        await super().__call__(scope, receive, send)

    def partner_origins(self) -> frozenset[str]:
        """The origins any active partner key lists (cached ``ORIGINS_TTL_S``)."""
        now = time.monotonic()
        with self._lock:
            if now - self._loaded > ORIGINS_TTL_S and self._state is not None:
                store = getattr(self._state, "store", None)
                if store is not None:
                    self._origins = frozenset(r["origin"] for r in store.read(queries.PARTNER_ORIGINS))
                    self._loaded = now
            return self._origins

    def forget(self) -> None:
        """Read the origins again at the next request (after a key is created or revoked)."""
        with self._lock:
            self._loaded = -math.inf

    def is_allowed_origin(self, origin: str) -> bool:
        return origin in self.partner_origins()
