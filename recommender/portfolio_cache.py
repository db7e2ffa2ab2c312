"""Each learner's current portfolio as last read from the graph, kept until the change feed says it changed.

"What next" and pathway progress start from the learner's current portfolio
(``queries.LEARNER_VERIFIED_PORTFOLIO``): one statement a request, whose
parsing in the client and execution in the store were a fifth of a request's
CPU at L once the rest was trimmed (py-spy). ``PortfolioCache`` keeps, per
learner, what the recommender makes of those rows (``LivePortfolio``: the
profile's columns and times, the ids of held badges the projection lacks), so
a learner asking again costs no read.

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
from typing import Any

import numpy as np

from colearn.caching import ExpiringCache
from colearn.recommender.index import IdIndex
from colearn.recommender.signals import Profile

#: Learners kept per process (about 600 bytes each with ten badges, measured: ~30 MB at most).
MAX_LEARNERS = 50_000
#: The backstop: an entry is read again after this long even if no feed entry named it.
TTL_S = 300.0


@dataclass(frozen=True, slots=True)
class LivePortfolio:
    """What the recommender made of one learner's portfolio rows, kept small (about 600
    bytes with ten badges: the ids of badges in the projection are its own strings).

    Attributes:
        held: int64 ``[2, n_held]``, read-only: the badge columns held (distinct, in
            first-earned order) and the epoch seconds each was first earned.
        extra_ids: the ids of badges held that the projection has no column for (newer).
        valid_until: epoch seconds when the first of these awards expires (``None``: none expires).
        awaiting: the columns of badges awarded to the learner that await their answer
            (``queries.LEARNER_AWAITING_BADGES``): not held, and not offered as "next".
    """

    held: np.ndarray
    extra_ids: tuple[str, ...]
    valid_until: int | None
    awaiting: frozenset[int] = frozenset()

    @classmethod
    def of(cls, profile: Profile, badge_ids: Iterable[str], badges: IdIndex,
           valid_until: int | None, awaiting: Iterable[str] = ()) -> "LivePortfolio":
        """From the profile made of the rows, every badge id in them, the projection's ``badges``
        and the ids of the badges awaiting the learner's answer (those the projection lacks
        are left out: they cannot be offered)."""
        held = np.stack([profile.held, profile.held_on]).astype(np.int64, copy=False)
        held.flags.writeable = False  # shared by every request that asks again
        waiting = frozenset(c for c in (badges.get(b) for b in awaiting) if c is not None)
        return cls(held, tuple(sorted({b for b in badge_ids if b not in badges})), valid_until, waiting)

    def profile(self) -> Profile:
        """The ``Profile`` (no interests); its arrays are views of ``held``."""
        return Profile(held=self.held[0], held_on=self.held[1])

    def badge_ids(self, badges: IdIndex) -> set[str]:
        """Every badge held, by id: the columns' ids in ``badges`` and ``extra_ids``."""
        return {badges.id(int(c)) for c in self.held[0]} | set(self.extra_ids)


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


def give_cache(rec: Any) -> None:
    """Give ``rec`` an empty ``PortfolioCache`` (a recommender that reads portfolios from the store)
    and an empty ``completions.KeptPathways`` (its pathways with completion badges)."""
    if rec is not None and hasattr(rec, "portfolios_"):
        from colearn.recommender.completions import KeptPathways

        rec.portfolios_ = PortfolioCache()
        rec.pathways_ = KeptPathways()


def forget_portfolios(rec: Any) -> None:
    """Empty ``rec``'s ``PortfolioCache`` and its kept pathways (``forget_pathways``), if it has them."""
    cache = getattr(rec, "portfolios_", None)
    if cache is not None:
        cache.clear()
    forget_pathways(rec)


def forget_pathways(rec: Any) -> None:
    """Drop ``rec``'s kept pathways with completion badges (``completions.KeptPathways``), if any."""
    kept = getattr(rec, "pathways_", None)
    if kept is not None:
        kept.forget()
