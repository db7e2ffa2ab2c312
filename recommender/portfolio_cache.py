"""Each learner's current portfolio as last read from the graph, kept until the change feed says it changed.

"What next" and pathway progress start from the learner's current portfolio
(``queries.LEARNER_VERIFIED_PORTFOLIO``): one statement a request, whose
parsing in the client and execution in the store were a fifth of a request's
CPU at L once the rest was trimmed (py-spy). ``PortfolioCache`` keeps, per
learner, what the recommender makes of those rows (the ``Profile`` and the
ids of the badges held), so a learner asking again costs no read.

Nothing here goes stale unseen, because the entries are dropped by the feed
follower that keeps this process's recommender current
(``recommender.follower``), which owns the cache and gives each recommender
it serves a fresh one (so a rebuild drops every entry):

- an ``awards`` entry drops the entries of the learners it names (an award,
  accept, decline, revoke, import or completion, through any process or the
  CLI), once this process applies it: within a poll, and at once after a
  write through this process (which syncs its follower);
- a catalogue or embeddings entry drops every entry (a badge deleted leaves
  portfolios), and so does every poll while the follower cannot follow (a gap
  or a lag it rebuilds for);
- an award that expires leaves the portfolio with no write at all: each entry
  is valid until the earliest ``expires_on`` among its rows (then it is read
  again);
- a read that an invalidation overtook is not kept: take ``epoch()`` before
  the read and hand it to ``put``, which keeps the entry only when nothing
  was dropped since;
- as a backstop, entries are read again after ``ttl_s`` seconds whatever
  the feed says, and past ``max_learners`` the least recently asked go.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from colearn.caching import ExpiringCache
from colearn.recommender.signals import Profile

#: Learners kept per process (about 1 KB each with ten badges: ~50 MB at most).
MAX_LEARNERS = 50_000
#: The backstop: an entry is read again after this long even if no feed entry named it.
TTL_S = 300.0


@dataclass(frozen=True)
class LivePortfolio:
    """What the recommender made of one learner's portfolio rows.

    Attributes:
        profile: the held badges as projection columns with their times (no interests).
        badge_ids: the ids of every badge held, those outside the projection too.
        valid_until: epoch seconds when the first of these awards expires (``None``: none expires).
    """

    profile: Profile
    badge_ids: frozenset[str]
    valid_until: int | None


class PortfolioCache:
    """Each learner's ``LivePortfolio``, dropped by the change feed (see the module docstring).

    Args:
        max_learners: the most learners kept (the least recently asked go first).
        ttl_s: the backstop: seconds an entry is answered after it was read.
        timer: the clock for ``ttl_s`` (``time.monotonic``; tests pass their own).

    Attributes:
        hits: answers from the cache.
        misses: asks the cache could not answer (never read, dropped, expired).
    """

    def __init__(self, max_learners: int = MAX_LEARNERS, ttl_s: float = TTL_S,
                 timer: Callable[[], float] = time.monotonic) -> None:
        self._entries: ExpiringCache[str, LivePortfolio] = ExpiringCache(ttl_s, max_learners, timer)
        self._lock = threading.Lock()
        self._epoch = 0
        self.hits = 0
        self.misses = 0

    def get(self, learner_id: str, now: int) -> LivePortfolio | None:
        """The learner's portfolio as kept, or None (not kept, dropped, or an award in it expired at ``now``,
        epoch seconds)."""
        got = self._entries.get(learner_id)
        if got is None or (got.valid_until is not None and now >= got.valid_until):
            self.misses += 1
            return None
        self.hits += 1
        return got

    def epoch(self) -> int:
        """A number that changes whenever entries are dropped: take it before reading the graph."""
        return self._epoch

    def put(self, learner_id: str, portfolio: LivePortfolio, epoch: int) -> bool:
        """Keep ``portfolio`` for ``learner_id`` unless entries were dropped since ``epoch()`` returned ``epoch``
        (the read may then be older than the change that dropped them).

        Returns:
            Whether it was kept.
        """
        with self._lock:
            if self._epoch != epoch:
                return False
            self._entries.put(learner_id, portfolio)
            return True

    def forget(self, learner_ids: Iterable[str]) -> None:
        """Drop these learners' entries (a feed entry says their portfolios may have changed)."""
        with self._lock:
            self._epoch += 1
            self._entries.discard(learner_ids)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._epoch += 1
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
