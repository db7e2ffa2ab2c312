"""Context signals: theme and destination fit, earning stage, tenure and trending.

- ``ThemeFit`` and ``DestinationFit`` (ARCHITECTURE.md, "Recommender"): how
  much of a badge lies in the themes (destinations) the learner chose, or,
  when they chose none, in the themes (destinations) of the badges they hold:
  ``fit(j) = Σ_t pref(t) · M[j, t] / |M[j]|`` with ``pref`` the stated
  themes (weight 1 each) plus the share of held badges in each theme.
- ``EarningStage``: how often each badge was earned as a learner's
  ``(n+1)``-th distinct badge, for a learner holding ``n``; ``TenureStage``:
  how often it was earned at the learner's tenure (time since their first
  badge, in buckets). Context-conditioned popularity, the "contextual
  pre-filtering" of G. Adomavicius and A. Tuzhilin, "Context-aware
  recommender systems", Recommender Systems Handbook, 2011, section 7.3.
- ``Trending``: learners who first earned the badge in the ``window_days``
  before the learner's own latest badge (time-aware popularity; Campos,
  Díez, Cantador, "Time-aware recommender systems: a comprehensive survey",
  UMUAI 24, 2014, section 5).

Times are taken as of ``Profile.as_of`` (the learner's own latest badge),
never the moment of asking (see ``Profile.as_of``).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort

import numpy as np
from colearn.recommender.projections import Projection
from colearn.recommender.signals import Profile, learners, position_of, scale_to_unit, shown

DAY = 86_400

#: Tenure buckets (days since a learner's first badge), left edges.
TENURE_EDGES_DAYS = (0, 1, 7, 30, 90, 180, 330, 400, 730, 1095)

#: Awards added or removed since Trending's index was built, before it is rebuilt.
_MAX_PENDING = 10_000

#: Stage buckets: learners holding 0, 1, ..., ``len - 1`` or more badges.
MAX_STAGE = 12


class _Fit:
    """Shared part of ``ThemeFit`` and ``DestinationFit``: a badge x axis matrix and a preference."""

    name = ""
    _axis = ""

    def fit(self, projection: Projection) -> "_Fit":
        """Read the badge x theme (or destination) matrix.

        Returns:
            ``self``.
        """
        m = getattr(projection, f"badge_{self._axis}").astype(np.float64)
        size = np.asarray(m.sum(axis=1)).reshape(-1)
        self.share_ = m.toarray() * np.divide(1.0, size, out=np.zeros(len(size)), where=size > 0)[:, None]
        self.matrix_ = m.toarray()
        self.index_ = getattr(projection, self._axis)
        self.axis_names_ = self._names(projection)
        return self

    def _names(self, projection: Projection) -> tuple[str, ...]:
        """Display names of the axis columns (``Projection.theme_names`` or ``destination_names``),
        never their ids; the ids for a projection pickled before it had names."""
        return tuple(getattr(projection, f"{self._axis[:-1]}_names", None) or getattr(projection, self._axis) or ())

    def _stated(self, profile: Profile) -> tuple[str, ...]:
        return ()

    def _pref(self, profile: Profile) -> tuple[np.ndarray, bool]:
        """Preference over the axis (float64 ``[n_axis]``) and whether it was stated."""
        pref = np.zeros(len(self.index_))
        stated = [self.index_.get(t) for t in self._stated(profile)]
        stated = [t for t in stated if t is not None]
        if stated:
            pref[stated] = 1.0
            return pref, True
        if not profile.is_empty:
            held = self.matrix_[profile.held].sum(axis=0)
            pref = held / len(profile.held)
        return pref, False

    def score(self, profile: Profile) -> np.ndarray:
        """``Σ_t pref(t) · M[j, t] / |M[j]|`` scaled to ``[0, 1]``: float64 ``[n_badges]``."""
        pref, _ = self._pref(profile)
        return scale_to_unit(self.share_ @ pref)

    def _phrase(self, axis_name: str, stated: bool, n: int, total: int) -> str:
        raise NotImplementedError

    def explain(self, profile: Profile, badge: int) -> str | None:
        """``"In the digital theme you chose"``, ``"Leads to employment, like 3 of your 4 badges"``:
        the matching theme (destination) that weighs most."""
        pref, stated = self._pref(profile)
        matching = [t for t in np.flatnonzero(self.matrix_[badge]) if pref[t] > 0]
        if not matching:
            return None
        best = max(matching, key=lambda t: pref[t])
        n = int(round(pref[best] * len(profile.held)))
        return self._phrase(self.axis_names_[int(best)], stated, n, len(profile.held))

    def add_award(self, held_before: np.ndarray, badge: int, **_: object) -> None:
        """Nothing to update: the signal reads the learner's own badges and the catalogue."""

    def remove_award(self, held: np.ndarray, badge: int, **_: object) -> None:
        """Nothing to update (see ``add_award``)."""


def like_yours(n: int, total: int) -> str:
    """How many of the learner's own ``total`` badges share a theme or destination, in
    words for a reason: ``"like the badge you hold"`` (1 of 1), ``"like both your badges"``,
    ``"like all 4 of your badges"``, ``"like one of your 4 badges"``, ``"like 3 of your 4
    badges"``. The learner's own badges, shown only to them: not a count of other
    learners, so no k rule (``signals.how_many``) applies."""
    if n >= total:
        return "like the badge you hold" if total == 1 else (
            "like both your badges" if total == 2 else f"like all {total:,} of your badges")
    return f"like {'one' if n == 1 else f'{n:,}'} of your {total:,} badges"


class ThemeFit(_Fit):
    """Themes the learner chose (or holds badges in) against the badge's themes."""

    name = "theme_fit"
    _axis = "themes"

    def _stated(self, profile: Profile) -> tuple[str, ...]:
        return profile.interests.themes

    def _phrase(self, axis_name: str, stated: bool, n: int, total: int) -> str:
        if stated:
            return f"In the {axis_name} theme you chose"
        return f"In the {axis_name} theme, {like_yours(n, total)}"


class DestinationFit(_Fit):
    """The destination the learner chose (or their badges lead to) against where the badge leads."""

    name = "destination_fit"
    _axis = "destinations"

    def _stated(self, profile: Profile) -> tuple[str, ...]:
        return profile.interests.destinations

    def _phrase(self, axis_name: str, stated: bool, n: int, total: int) -> str:
        if stated:
            return f"Leads to {axis_name}, the destination you chose"
        return f"Leads to {axis_name}, {like_yours(n, total)}"


class _Conditioned:
    """Counts ``C[context, badge]`` of badges earned in a context (stage or tenure bucket)."""

    name = ""

    def _context(self, n_held: int, tenure_s: int | None) -> int:
        raise NotImplementedError

    def _n_contexts(self) -> int:
        raise NotImplementedError

    def fit(self, projection: Projection) -> "_Conditioned":
        """Count, for every first award, the context it happened in.

        Returns:
            ``self``.
        """
        ptr, seq, on = projection.history_indptr, projection.history_badges, projection.history_on
        lens = np.diff(ptr)
        first = np.repeat(ptr[:-1], lens)
        position = np.arange(len(seq)) - first  # badges held before this one
        contexts = self._contexts(position, on - on[first] if len(seq) else on)
        nb = projection.n_badges
        self.counts_ = np.bincount(contexts * nb + seq, minlength=self._n_contexts() * nb).reshape(
            self._n_contexts(), nb).astype(np.int64)
        self.names_ = projection.badge_names
        return self

    def _contexts(self, n_held: np.ndarray, tenure_s: np.ndarray) -> np.ndarray:
        """``_context`` of many awards at once (int64 arrays of equal length)."""
        return np.fromiter((self._context(int(n), int(t)) for n, t in zip(n_held, tenure_s)), dtype=np.int64,
                           count=len(n_held))

    def _profile_context(self, profile: Profile) -> int:
        tenure = None if profile.is_empty else int(profile.held_on.max() - profile.held_on.min())
        return self._context(len(profile.held), tenure)

    def score(self, profile: Profile) -> np.ndarray:
        """``P(badge | the learner's context)`` scaled to ``[0, 1]``: float64 ``[n_badges]``."""
        return scale_to_unit(self.counts_[self._profile_context(profile)].astype(np.float64))

    def _update(self, held_before: np.ndarray, badge: int, on: int | None, held_on: np.ndarray | None,
                sign: int) -> None:
        n = len(np.asarray(held_before).reshape(-1))
        first = int(np.min(held_on)) if held_on is not None and len(held_on) else on
        tenure = None if on is None or first is None else max(0, int(on) - int(first))
        c = self._context(n, tenure if tenure is not None else 0)
        self.counts_[c, badge] = max(0, int(self.counts_[c, badge]) + sign)

    def _recount(self, before: tuple[np.ndarray, np.ndarray], after: tuple[np.ndarray, np.ndarray]) -> None:
        """Replace the counts of one learner's history ``before`` (badges, times, in time order)
        by those of ``after``: every badge's context, as ``fit`` counts it, is recounted."""
        for (h, t), sign in ((before, -1), (after, +1)):
            if len(h):
                t = np.asarray(t, dtype=np.int64)
                np.add.at(self.counts_, (self._contexts(np.arange(len(h)), t - t[0]), np.asarray(h)), sign)
        np.maximum(self.counts_, 0, out=self.counts_)

    def add_award(self, held_before: np.ndarray, badge: int, *, on: int | None = None,
                  held_on: np.ndarray | None = None, **_: object) -> None:
        """One more award of ``badge`` in the learner's context just before it. An award dated
        before some of the badges held (``held_on``, in the order of ``held_before``) moves
        them one stage on: the learner's counts are recounted, as ``fit`` would count them."""
        h = np.asarray(held_before, dtype=np.int64).reshape(-1)
        t = None if held_on is None else np.asarray(held_on, dtype=np.int64).reshape(-1)
        if on is None or t is None or not len(t) or int(on) >= int(t.max()):
            self._update(h, badge, on, held_on, +1)
            return
        p = int(np.searchsorted(t, int(on), side="right"))
        self._recount((h, t), (np.insert(h, p, badge), np.insert(t, p, int(on))))

    def remove_award(self, held: np.ndarray, badge: int, *, held_on: np.ndarray | None = None,
                     **_: object) -> None:
        """One fewer. The badges held after it (``held_on``, in the order of ``held``) move one
        stage back, and all of them to another tenure when it was the first: the learner's
        counts are recounted, as ``fit`` would count them without it."""
        h, p = position_of(held, badge)
        if p is None:
            return
        if held_on is None or p == len(h) - 1:
            on = int(held_on[p]) if held_on is not None and len(held_on) > p else None
            self._update(h[:p], badge, on, None if held_on is None else np.asarray(held_on)[:p] if p else None,
                         -1)
            return
        t = np.asarray(held_on, dtype=np.int64).reshape(-1)
        self._recount((h, t), (np.delete(h, p), np.delete(t, p)))


class EarningStage(_Conditioned):
    """How often each badge is a learner's ``(n+1)``-th, for a learner holding ``n`` (Adomavicius & Tuzhilin 2011)."""

    name = "stage"

    def _n_contexts(self) -> int:
        return MAX_STAGE

    def _context(self, n_held: int, tenure_s: int | None) -> int:
        return min(int(n_held), MAX_STAGE - 1)

    def _contexts(self, n_held: np.ndarray, tenure_s: np.ndarray) -> np.ndarray:
        return np.minimum(np.asarray(n_held, dtype=np.int64), MAX_STAGE - 1)

    def explain(self, profile: Profile, badge: int) -> str | None:
        """``"Often the next badge at your stage: 37 learners earned it as their 4th"``."""
        c = self._profile_context(profile)
        n = int(self.counts_[c, badge])
        if n <= 0:
            return None
        nth = c + 1
        suffix = "th" if 10 <= nth % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(nth % 10, "th")
        more = " or later" if c == MAX_STAGE - 1 else ""
        if not shown(n):  # a handful is not "often"
            return f"It would be your {nth}{suffix} badge{more}; {learners(n)} earned it as their {nth}{suffix}{more}"
        return f"Often the next badge at your stage: {learners(n)} earned it as their {nth}{suffix}{more}"


class TenureStage(_Conditioned):
    """How often each badge is earned at the learner's tenure (time since their first badge)."""

    name = "tenure"

    def _n_contexts(self) -> int:
        return len(TENURE_EDGES_DAYS) + 1

    def _context(self, n_held: int, tenure_s: int | None) -> int:
        if n_held == 0 or tenure_s is None:
            return 0
        return int(np.searchsorted(np.asarray(TENURE_EDGES_DAYS) * DAY, tenure_s, side="right"))

    def _contexts(self, n_held: np.ndarray, tenure_s: np.ndarray) -> np.ndarray:
        buckets = np.searchsorted(np.asarray(TENURE_EDGES_DAYS) * DAY, tenure_s, side="right").astype(np.int64)
        return np.where(np.asarray(n_held) == 0, 0, buckets)

    def explain(self, profile: Profile, badge: int) -> str | None:
        """``"Your latest badge came 90 to 180 days after your first; 41 learners earned this one at
        that point"``: the learner's context is the time from their first badge to their latest (not to
        now), and the count is of awards of this badge made that long after their learner's first."""
        c = self._profile_context(profile)
        n = int(self.counts_[c, badge])
        if n <= 0 or c == 0:
            return None
        lo = TENURE_EDGES_DAYS[c - 1]
        hi = TENURE_EDGES_DAYS[c] if c < len(TENURE_EDGES_DAYS) else None
        span = ("within a day of" if lo == 0 and hi == 1 else f"more than {lo} days after" if hi is None
                else f"{lo} to {hi} days after")
        return f"Your latest badge came {span} your first; {learners(n)} earned this one at that point"


class Trending:
    """First awards of each badge in the ``window_days`` before the learner's latest badge (Campos et al. 2014).

    Args:
        window_days: the window's length.

    Attributes:
        times_: per badge, the sorted epoch seconds of its first awards to each learner.
    """

    name = "trending"

    def __init__(self, window_days: int = 30) -> None:
        self.window_days = window_days

    def fit(self, projection: Projection) -> "Trending":
        """Collect the first-award times of each badge.

        Returns:
            ``self``.
        """
        order = np.argsort(projection.history_on, kind="stable")
        self.times_: list[list[int]] = [[] for _ in range(projection.n_badges)]
        for b, t in zip(projection.history_badges[order].tolist(), projection.history_on[order].tolist()):
            self.times_[b].append(int(t))
        self.names_ = projection.badge_names
        self._index()
        return self

    def _index(self) -> None:
        """Every first award in time order, as two aligned int64 arrays (times, badges): a window
        is then one contiguous slice, found by two scalar ``searchsorted`` calls, and its count
        for every badge one ``bincount`` of that slice (at L, 30 days hold a few percent of the
        944k first awards)."""
        lens = np.fromiter((len(t) for t in self.times_), dtype=np.int64, count=len(self.times_))
        flat = np.fromiter((x for t in self.times_ for x in t), dtype=np.int64, count=int(lens.sum()))
        badge = np.repeat(np.arange(len(self.times_), dtype=np.int64), lens)
        order = np.argsort(flat, kind="stable")
        self._at, self._badge = flat[order], badge[order]
        # awards added (+1) and removed (-1) since: (badge, time, sign) rows, kept as arrays so that a
        # window's count reads them with one mask (a list of tuples made an array per call: a third of
        # a replay's time)
        self._pending = np.empty((64, 3), dtype=np.int64)
        self._n_pending = 0

    def _pend(self, badge: int, t: int, sign: int) -> None:
        """Record an award added (``sign`` 1) or removed (-1) since the index; rebuild the index
        after ``_MAX_PENDING`` of them."""
        if self._n_pending == len(self._pending):
            self._pending = np.concatenate([self._pending, np.empty_like(self._pending)])
        self._pending[self._n_pending] = (badge, t, sign)
        self._n_pending += 1
        if self._n_pending > _MAX_PENDING:
            self._index()

    def _counts(self, profile: Profile) -> np.ndarray:
        at = profile.as_of
        n = len(self.times_)
        if at is None:
            return np.zeros(n)
        lo = at - int(self.window_days) * DAY
        i, j = int(np.searchsorted(self._at, lo, side="left")), int(np.searchsorted(self._at, at, side="right"))
        out = np.bincount(self._badge[i:j], minlength=n).astype(np.float64)
        if self._n_pending:
            b, t, sign = self._pending[:self._n_pending].T
            inside = (t >= lo) & (t <= at)
            out += np.bincount(b[inside], weights=sign[inside], minlength=n)
        return out

    def score(self, profile: Profile) -> np.ndarray:
        """Recent first awards scaled to ``[0, 1]``: float64 ``[n_badges]``."""
        return scale_to_unit(self._counts(profile))

    def explain(self, profile: Profile, badge: int) -> str | None:
        """``"Trending: 12 learners earned it in the 30 days up to your latest badge"``."""
        at = profile.as_of
        if at is None:
            return None
        times = self.times_[badge]  # sorted; add_award and remove_award keep it current
        n = bisect_right(times, at) - bisect_left(times, at - int(self.window_days) * DAY)
        if n <= 0:
            return None
        window = "day" if self.window_days == 1 else f"{self.window_days} days"
        return f"Trending: {learners(n)} earned it in the {window} up to your latest badge"

    def add_award(self, held_before: np.ndarray, badge: int, *, on: int | None = None, **_: object) -> None:
        """Record the award's time."""
        if on is not None:
            insort(self.times_[badge], int(on))
            self._pend(int(badge), int(on), 1)

    def remove_award(self, held: np.ndarray, badge: int, *, held_on: np.ndarray | None = None,
                     **_: object) -> None:
        """Forget the award's time."""
        _, p = position_of(held, badge)
        if held_on is None or p is None:
            return
        t = int(np.asarray(held_on)[p])
        times = self.times_[badge]
        i = bisect_left(times, t)
        if i < len(times) and times[i] == t:
            times.pop(i)
            self._pend(int(badge), t, -1)
