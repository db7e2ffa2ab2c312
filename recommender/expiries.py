"""Awards that expire while a process serves: finding them, for the feed follower to drop.

An assertion leaves its learner's portfolio when its ``expires_on`` passes, and
no write says so, so the change feed (``graph/feed.py``) has no entry for it.
Requests read portfolios with the time of asking and see it at once; the
signals (holders, co-occurrences, transitions) kept in memory did not, until
the next rebuild (up to an hour). ``ExpiryWatch`` reads, at most every
``every_s``, the (learner, badge) pairs of accepted assertions whose
``expires_on`` fell since its last read (``feed.EXPIRED_BETWEEN``, on the index
on ``Assertion.expires_on``); the follower reconciles them as it does an
awards entry (``feed.HELD_PAIRS``: a learner still holding the badge through
another award keeps it), so an expiry reaches the signals within ``every_s``
plus one read.
"""

from __future__ import annotations

import time

from colearn.graph import feed
from colearn.graph.store import GraphStore

#: How often expiries are read (seconds).
EVERY_S = 10.0

#: The first read also looks this far back (seconds) before the watch started: a
#: recommender built a little before its follower started (the service builds it,
#: then starts the follower) still has the expiries of that gap applied. Reconciling
#: an expiry the build already left out changes nothing.
LOOKBACK_S = 600


class ExpiryWatch:
    """The awards that expired since the last read, read at most every ``every_s``.

    Args:
        store: the graph.
        every_s: the shortest time between two reads (seconds).
        since: epoch seconds the first read starts after; default ``LOOKBACK_S``
            before now.
    """

    def __init__(self, store: GraphStore, every_s: float = EVERY_S, since: int | None = None) -> None:
        self.store = store
        self.every_s = every_s
        self.since = int(time.time()) - LOOKBACK_S if since is None else int(since)
        self._last = float("-inf")

    def due(self, now: int | None = None) -> tuple[list[tuple[str, str]], int] | None:
        """``(pairs, now)``: the ``(learner_id, badge_id)`` pairs of accepted assertions whose
        ``expires_on`` lies in ``(since, now]``; ``None`` without a read when the last read was
        less than ``every_s`` ago (monotonic clock) or ``now`` is not after ``since``. ``since``
        stays until ``advance(now)``, called once the pairs are applied, so that a failure
        between the two reads the interval again.

        Args:
            now: epoch seconds; default the time now.

        Raises:
            StoreUnavailable: the store cannot be reached.
        """
        t = time.monotonic()
        now = int(time.time()) if now is None else int(now)
        if t - self._last < self.every_s or now <= self.since:
            return None
        self._last = t
        rows = self.store.read(feed.EXPIRED_BETWEEN, {"since": self.since, "now": now})
        return [(r["learner_id"], r["badge_id"]) for r in rows], now

    def advance(self, upto: int) -> None:
        """The expiries up to ``upto`` (epoch seconds) are applied: the next read starts after it."""
        self.since = max(self.since, int(upto))

    def rewind(self, to: int) -> None:
        """Read again the expiries after ``to`` (epoch seconds), if the watch has passed it: a
        recommender built from reads that began at ``to`` may hold awards that expired since."""
        self.since = min(self.since, int(to))


__all__ = ["EVERY_S", "LOOKBACK_S", "ExpiryWatch"]
