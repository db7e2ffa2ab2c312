"""Each learner's badges as the recommender holds them: the projection's history plus live updates.

``add_award`` and ``remove_award`` fold an award into every signal's
statistics and into the learner's history without a rebuild; ``profile``
reads the history back, ``live_profile`` reads the current portfolio from the
graph when the recommender was built from a store (or from the
``portfolio_cache`` its feed follower keeps current).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

from colearn.errors import NotFound
from colearn.graph import queries
from colearn.graph.store import GraphStore
from colearn.recommender.index import IdIndex
from colearn.recommender.completions import KeptPathways
from colearn.recommender.portfolio_cache import LivePortfolio, PortfolioCache
from colearn.recommender.awards import epoch_seconds
from colearn.recommender.projections import Projection
from colearn.recommender.signals import Interests, Profile, Signal


class LearnerHistory:
    """The per-learner half of ``recommend.Recommender`` (a mixin). Reads the attributes ``fit`` sets.

    Attributes:
        learners_: learner ids <-> rows (the projection's, plus learners added since).
        version_: counts the updates (``add_award``, ``remove_award``) since ``fit``.
    """

    signals_: dict[str, Signal]
    projection_: Projection
    learners_: IdIndex
    store_: GraphStore | None
    now_: int | None
    version_: int
    _extra: dict[int, list[tuple[int, int]]]
    _removed: dict[int, set[int]]
    _lock: Any
    #: Set by the feed follower that keeps this recommender current (``recommender.follower``),
    #: which drops its entries as the feed says; without one every ask reads the graph.
    portfolios_: PortfolioCache | None = None
    #: Set by the same follower: the pathways with completion badges, kept until a catalogue
    #: entry (``completions.KeptPathways``); without one every ask reads them.
    pathways_: KeptPathways | None = None

    def _history(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        if row < self.projection_.n_learners:
            held, on = self.projection_.history(row)
        else:
            held, on = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        gone = self._removed.get(row)
        if gone:
            keep = ~np.isin(held, list(gone))
            held, on = held[keep], on[keep]
        extra = self._extra.get(row)
        if extra:
            held = np.concatenate([held, np.array([b for b, _ in extra], dtype=np.int64)])
            on = np.concatenate([on, np.array([t for _, t in extra], dtype=np.int64)])
            order = np.argsort(on, kind="stable")
            held, on = held[order], on[order]
        return held, on

    def profile(self, learner_id: str) -> Profile:
        """The learner's badges as the recommender holds them (projection plus ``add_award``).

        Raises:
            NotFound: the learner holds no badge here and was never added.
        """
        with self._lock:
            row = self.learners_.get(learner_id)
            if row is None:
                raise NotFound(f"learner '{learner_id}' not found")
            held, on = self._history(row)
        return Profile(held=held, held_on=on)

    def profile_of_badges(self, badge_ids: Sequence[str]) -> Profile:
        """A profile holding ``badge_ids`` (in that order), e.g. for an anonymous visitor.

        Raises:
            NotFound: a badge is not in the projection.
        """
        held = list(dict.fromkeys(self.projection_.badges.rows(badge_ids).tolist()))
        return Profile.of(held)

    def live_profile(self, learner_id: str, interests: Interests | None = None) -> Profile:
        """The learner's current portfolio (from the graph when built from a store, else as held here).

        Raises:
            NotFound: unknown learner.
        """
        return self.live_profile_and_awaiting(learner_id, interests)[0]

    def live_profile_and_awaiting(self, learner_id: str,
                                  interests: Interests | None = None) -> tuple[Profile, frozenset[int]]:
        """``live_profile`` and, from the same read, the columns of the badges awarded to the
        learner that await their answer (``queries.LEARNER_AWAITING_BADGES``; none without a
        store): "what next" does not offer them.

        Raises:
            NotFound: unknown learner.
        """
        profile, awaiting, _ = self.live_state(learner_id, interests)
        return profile, awaiting

    def live_state(self, learner_id: str,
                   interests: Interests | None = None) -> tuple[Profile, frozenset[int], set[str]]:
        """``live_profile_and_awaiting`` and, from the same read, the ids of every badge the
        learner holds (``live_portfolio``'s).

        Raises:
            NotFound: unknown learner.
        """
        if self.store_ is None:
            base, awaiting = self.profile(learner_id), frozenset[int]()
            ids = {self.projection_.badges.id(int(b)) for b in base.held}
        else:
            live = self._live(learner_id)
            base, awaiting, ids = live.profile(), live.awaiting, live.badge_ids(self.projection_.badges)
        return _with_interests(base, interests), awaiting, ids

    def live_portfolio(self, learner_id: str, interests: Interests | None = None) -> tuple[Profile, set[str]]:
        """``live_profile`` and the ids of every badge the learner holds now, by the same
        rule and from the same read, including badges created after this recommender was
        built (which the profile, indexed by the model's columns, leaves out until the
        feed's rebuild). Pathway progress counts these ids, so a new badge counts at once.

        Raises:
            NotFound: unknown learner.
        """
        profile, _, ids = self.live_state(learner_id, interests)
        return profile, ids

    def _live(self, learner_id: str) -> LivePortfolio:
        """The learner's portfolio read from the graph, or from ``portfolios_`` when its
        follower gave this recommender one and it holds the learner (``portfolio_cache``)."""
        assert self.store_ is not None
        now = self.now_ if self.now_ is not None else epoch_seconds(None)
        cache = self.portfolios_
        if cache is not None:
            kept = cache.get(learner_id, now)
            if kept is not None:
                return kept
            epoch = cache.epoch()
        rows = self._live_rows(learner_id, now)
        awaiting = self.store_.read(queries.LEARNER_AWAITING_BADGES, {"learner_id": learner_id, "now": now})
        ends = [int(r["expires_on"]) for r in [*rows, *awaiting] if r.get("expires_on") is not None]
        live = LivePortfolio.of(self._profile_of_rows(rows), (str(r["badge_id"]) for r in rows),
                                self.projection_.badges, min(ends) if ends else None,
                                awaiting=(str(r["badge_id"]) for r in awaiting))
        if cache is not None:
            cache.put(learner_id, live, epoch)
        return live

    def _live_rows(self, learner_id: str, now: int) -> list[dict[str, Any]]:
        """The learner's portfolio rows (``badge_id``, ``issued_on``, ``expires_on``) as
        recommendations count them at ``now``."""
        assert self.store_ is not None
        # unverified imports count toward nothing (queries.LEARNER_VERIFIED_PORTFOLIO)
        rows = self.store_.read(queries.LEARNER_VERIFIED_PORTFOLIO, {"learner_id": learner_id, "now": now})
        if not rows and not self.store_.read(queries.GET_LEARNER, {"learner_id": learner_id}):
            raise NotFound(f"learner '{learner_id}' not found")
        return rows

    def _profile_of_rows(self, rows: list[dict[str, Any]]) -> Profile:
        held: dict[int, int] = {}
        for r in rows:
            col = self.projection_.badges.get(r["badge_id"])
            if col is not None and col not in held:
                held[col] = int(r["issued_on"] or 0)
        return Profile.of(list(held), list(held.values()))

    def hold(self, learner_id: str, badge_id: str, issued_on: datetime | int) -> bool:
        """Hold ``badge_id`` for the learner as first awarded at ``issued_on`` (the graph's
        earliest award of it that counts, ``feed.HELD_PAIRS``): ``add_award`` when it is not
        held here; when it is held under another time (the earlier of two awards expired or
        was revoked while the later one stands, e.g. a renewal), ``remove_award`` then
        ``add_award`` at ``issued_on``, so the learner's history orders it as a fresh build
        does. Returns True when anything changed.

        Raises:
            NotFound: the badge is not in the projection.
            InvalidInput: ``issued_on`` is naive or not a time.
        """
        on = epoch_seconds(issued_on)
        col = self.projection_.badges.row(badge_id)
        with self._lock:
            row = self.learners_.get(learner_id)
            if row is not None:
                held, held_on = self._history(row)
                at = held_on[held == col]
                if len(at):
                    if int(at[0]) == on:
                        return False  # held at this time already: nothing to read again
                    self.remove_award(learner_id, badge_id)
            return self.add_award(learner_id, badge_id, on)

    def add_award(self, learner_id: str, badge_id: str, issued_on: datetime | int) -> bool:
        """Take a new portfolio award into account without a rebuild.

        Updates the learner's history and every signal's statistics (holders,
        co-occurrence counts). A repeat award of a badge the learner already
        holds changes nothing.

        Args:
            learner_id: the learner (new learners are added).
            badge_id: the badge; it must be in the projection.
            issued_on: a timezone-aware time or epoch seconds.

        Returns:
            True when the learner did not hold the badge before.

        Raises:
            NotFound: the badge is not in the projection (it was created after
                the recommender was built: rebuild with ``from_store``).
            InvalidInput: ``issued_on`` is naive or not a time.
        """
        col = self.projection_.badges.get(badge_id)
        if col is None:
            raise NotFound(f"badge '{badge_id}' is not in the recommender's projection; "
                           "rebuild the recommender to include new badges")
        on = epoch_seconds(issued_on)
        with self._lock:
            row = self.learners_.add(learner_id)
            held, held_on = self._history(row)
            if np.any(held == col):
                return False
            for s in self.signals_.values():
                s.add_award(held, col, on=on, held_on=held_on, learner=learner_id)
            # a badge removed before stays hidden in the projection's history (``_removed``):
            # it is held again from this award, at this time, once
            self._extra.setdefault(row, []).append((col, on))
            self.version_ += 1
        return True

    def remove_award(self, learner_id: str, badge_id: str, *_: object) -> bool:
        """Take an award out (revoked, expired, declined) without a rebuild.

        Every signal subtracts what the award had added (co-occurrence,
        transitions around it, walks, holders). Call it when the learner no
        longer holds the badge at all (their last award of it left the portfolio).

        Args:
            learner_id: the learner.
            badge_id: the badge.

        Returns:
            True when the learner held the badge here (and no longer does).

        Raises:
            NotFound: the badge is not in the projection.
        """
        col = self.projection_.badges.get(badge_id)
        if col is None:
            raise NotFound(f"badge '{badge_id}' is not in the recommender's projection")
        with self._lock:
            row = self.learners_.get(learner_id)
            if row is None:
                return False
            held, held_on = self._history(row)
            if not np.any(held == col):
                return False
            for s in self.signals_.values():
                s.remove_award(held, col, held_on=held_on, learner=learner_id)
            self._removed.setdefault(row, set()).add(col)
            self._extra[row] = [(b, t) for b, t in self._extra.get(row, []) if b != col]
            self.version_ += 1
        return True


def _with_interests(profile: Profile, interests: Interests | None) -> Profile:
    """``profile`` with the learner's stated ``interests`` (unchanged when None)."""
    if interests is None:
        return profile
    return Profile(held=profile.held, held_on=profile.held_on, interests=interests)
