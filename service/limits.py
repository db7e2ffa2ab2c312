"""Per-caller rate limits and CORS for partner origins.

Rate limits: a token bucket per caller (an organisation or admin key, a learner,
the client address of an anonymous request, or a partner key from one client address,
with a larger bucket per partner key over all its addresses: ``deps.spend_allowance``):
``burst`` requests at once, refilled at ``per_minute / 60`` a second. Over it, the
answer is 429 with ``Retry-After``.
Failed authentication (a wrong, revoked or expired key or token) is counted per
client address too (``deps.get_principal``): past its allowance, each further failure
from that address gets 429 instead of 401; valid credentials from it are still served.
The buckets live in a ``BucketTable`` in shared memory, made before
``colearn serve --workers N`` forks, so its workers spend one allowance per
caller between them. Each replica (machine) still counts alone, so behind a
load balancer the real allowance is the per-replica one times the replicas (a
shared store such as Redis would make it exact; not needed at a city's scale).

CORS: a browser's preflight carries no API key, so the preflight is allowed for
the origins that any active partner key lists (read from the graph, cached for
``ORIGINS_TTL_S``); the request itself then carries its key, and
``deps.get_principal`` refuses (403) a partner key used from an origin that key
does not list, or without an ``Origin``. Other origins get no ``Access-Control-Allow-Origin``.

The public Open Badges documents (``GET`` / ``HEAD`` under ``PUBLIC_PREFIXES``:
issuer profiles and keys, revocation and status lists, badges, assertions,
credentials and their images) are read by browser-based verifiers and wallets
on any origin, so those answer ``Access-Control-Allow-Origin: *`` (never with
credentials: they take none) and their preflights for ``GET`` / ``HEAD`` are
allowed from any origin.
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import multiprocessing
import tempfile
import threading
import time

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from colearn.errors import RateLimited
from colearn.graph import queries

#: How long the allowed origins are cached (a new partner key works within this).
ORIGINS_TTL_S = 10.0
#: Paths of the public, unauthenticated, read-only Open Badges documents (``routers/ob.py``):
#: readable from any origin.
PUBLIC_PREFIXES = ("/ob/",)
#: The methods those documents answer, and the preflight that asks for them.
PUBLIC_METHODS = ("GET", "HEAD", "OPTIONS")


#: Rows of a ``BucketTable``: callers (of every bucket kind) at once before rows are shared.
SLOTS = 1 << 16
#: Rows looked at from a caller's home row (open addressing).
PROBES = 8


#: Tokens a take may lack and still spend one: a whole refill period later, ``now - last`` in
#: floating point can fall a few ulps short (start + 3600 - start == 3599.9999999999995).
_EPSILON = 1e-9


class BucketTable:
    """The token buckets of every caller, in memory that processes forked after it was made share.

    ``SLOTS`` rows of (caller key, tokens, last refill time): the key is the first 8 bytes
    of the BLAKE2b hash of ``kind`` and the caller (0: an empty row), the times
    ``time.monotonic()`` (one clock for every process of a machine). A caller's row is one
    of the ``PROBES`` rows from ``key % SLOTS``: its own, else the first empty one, else
    the first whose bucket has refilled (an idle caller's, the same as a fresh bucket),
    else the first of them, shared (two callers then spend one allowance: stricter, never
    looser). A take holds a thread lock and a POSIX record lock on an unnamed file
    (``fcntl.lockf``, released by the kernel when its process dies, so a worker killed
    during a take blocks nobody) for a few microseconds. 1.5 MiB.
    """

    def __init__(self) -> None:
        self._keys = multiprocessing.RawArray("Q", SLOTS)
        self._tokens = multiprocessing.RawArray("d", SLOTS)
        self._last = multiprocessing.RawArray("d", SLOTS)
        self._file = tempfile.TemporaryFile()
        self._threads = threading.Lock()

    def take(self, kind: str, caller: str, rate: float, burst: int, now: float) -> float:
        """Spend one token of ``caller``'s bucket of ``kind`` (``rate`` tokens a second, at most
        ``burst``); returns 0.0, or the seconds until one token is back when the bucket is empty
        (nothing spent)."""
        key = int.from_bytes(hashlib.blake2b(f"{kind}\0{caller}".encode(), digest_size=8).digest(), "little") or 1
        home = key % SLOTS
        with self._threads:
            fcntl.lockf(self._file, fcntl.LOCK_EX)
            try:
                row = self._row(key, home, rate, burst, now)
                tokens = min(float(burst), self._tokens[row] + (now - self._last[row]) * rate)
                self._last[row] = now
                if tokens < 1.0 - _EPSILON:
                    self._tokens[row] = tokens
                    return (1.0 - tokens) / rate
                self._tokens[row] = tokens - 1.0
                return 0.0
            finally:
                fcntl.lockf(self._file, fcntl.LOCK_UN)

    def _row(self, key: int, home: int, rate: float, burst: int, now: float) -> int:
        """The row of ``key`` (see the class docstring), claimed for it and filled when new."""
        free = None
        for i in range(PROBES):
            row = (home + i) % SLOTS
            if self._keys[row] == key:
                return row
            idle = self._keys[row] == 0 or self._tokens[row] + (now - self._last[row]) * rate >= burst
            if free is None and idle:
                free = row
        if free is None:
            return home
        self._keys[free], self._tokens[free], self._last[free] = key, float(burst), now
        return free


class TokenBuckets:
    """Token buckets by caller, of one kind (``kind``: the API's limit, or a learner-facing one).

    Args:
        per_minute: sustained requests a minute per caller; 0 switches limits off.
        burst: the most requests at once.
        table: where the buckets are kept; a new ``BucketTable`` (this process's alone) when
            None. Give every ``TokenBuckets`` of a server the one table made before its
            workers fork.
        kind: tells this limit's buckets from other limits' in the table.
        noun: what is counted, as a 429 names it (``too many requests: ...``).
    """

    def __init__(self, per_minute: float, burst: int, table: BucketTable | None = None, kind: str = "api",
                 noun: str = "requests") -> None:
        self.per_minute = per_minute
        self.burst = max(1, burst)
        self._rate = per_minute / 60.0
        self.table = table if table is not None else BucketTable()
        self.kind = kind
        self.noun = noun

    def take(self, caller: str, now: float | None = None) -> None:
        """Spend one token of ``caller``'s bucket.

        Raises:
            RateLimited: the bucket is empty; ``retry_after`` says when one token is back.
        """
        if self.per_minute <= 0:
            return
        now = time.monotonic() if now is None else now
        wait_s = self.table.take(self.kind, caller, self._rate, self.burst, now)
        if wait_s > 0:
            wait = max(1, math.ceil(wait_s))
            raise RateLimited(f"too many {self.noun}: at most {self.per_minute:g} a minute "
                              f"(bursts of {self.burst}); try again in {wait} s", retry_after=wait)


class PartnerCORS(CORSMiddleware):
    """CORS allowing the origins of active partner keys, and any origin to read the
    public Open Badges documents (see the module docstring)."""

    def __init__(self, app: ASGIApp, **kwargs) -> None:
        # POST: the partner routes that take a body (``POST /visitors/next``,
        # ``POST /learners/{id}/pathways/interest``), so JSON's Content-Type too
        super().__init__(app, allow_origins=(), allow_methods=("GET", "HEAD", "POST", "OPTIONS"),
                         allow_headers=("Authorization", "X-API-Key", "Content-Type"), expose_headers=("Retry-After",),
                         max_age=600, **kwargs)
        self._origins: frozenset[str] = frozenset()
        self._loaded = -math.inf
        self._lock = threading.Lock()
        self._state = None
        # Accept (application/ld+json, application/vc+jwt) is the header a verifier sends
        self._public = CORSMiddleware(app, allow_origins=("*",), allow_methods=PUBLIC_METHODS,
                                      allow_headers=("Accept", "Accept-Language"), max_age=600)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._state is None and "app" in scope:
            self._state = scope["app"].state
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(PUBLIC_PREFIXES) \
                and scope.get("method") in PUBLIC_METHODS:
            await self._public(scope, receive, send)
            return
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
        """Whether ``origin`` is listed on a partner key (``partner_origins``, read again as it says)."""
        return origin in self.partner_origins()
