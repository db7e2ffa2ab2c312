"""Earned-order signals: which badges learners earn next, and later, after the ones they hold.

Sources:
    - First-order Markov chains for next-item recommendation: S. Rendle,
      C. Freudenthaler, L. Schmidt-Thieme, "Factorizing personalized Markov
      chains for next-basket recommendation", WWW 2010, section 3 (the
      transition matrix estimated by counting ``i -> j`` in user sequences).
    - Sequence-aware recommendation with several past items and a decaying
      weight: M. Quadrana, P. Cremonesi, D. Jannach, "Sequence-aware
      recommender systems", ACM Computing Surveys 51(4), 2018, section 4.2
      (Markov models over the last items; "sequential rules" that count
      ``i`` followed later by ``j``).

With each learner's distinct badges in first-earned order ``b_1, b_2, ...``:

- ``Transitions``: ``N[i, j]`` = learners whose next badge after ``i`` was
  ``j``; ``P(j | i) = N[i, j] / Σ_j N[i, j]``. A learner holding
  ``h_1 .. h_n`` scores ``Σ_k decay^(n-k) · P(j | h_k)``: the last badge counts
  fully, earlier ones less (``decay = 0``: the first-order Markov chain).
- ``EarnedLater``: ``L[i, j]`` = learners who earned ``j`` at any point after
  ``i``; a learner scores ``Σ_k L[h_k, j] / holders(h_k)``.
"""

from __future__ import annotations

import numpy as np

from colearn.errors import InvalidInput
from colearn.recommender.counts import CountMatrix
from colearn.recommender.projections import Projection
from colearn.recommender.signals import Profile, how_many, learners, position_of, scale_to_unit, shown


def _who_earned(n: int) -> str:
    return f"{learners(n, start=True)} who earned"


class Transitions:
    """Earned-order transitions with a decaying weight over the learner's history.

    Args:
        decay: weight ratio between one held badge and the next one earned
            after it, in ``[0, 1]``; 0 keeps only the latest badge (first-order
            Markov). Tuned on the validation split (``benchmark.tune``).
        name: the signal's name (``"transitions"``; ``"markov"`` for the
            first-order baseline).

    Attributes:
        next_: ``CountMatrix`` int64 ``[n_badges, n_badges]``: ``N[i, j]``.
        out_: int64 ``[n_badges]``: ``Σ_j N[i, j]``.
        names_: badge display names.

    Raises:
        InvalidInput: ``decay`` outside ``[0, 1]`` (at ``fit``).
    """

    def __init__(self, decay: float = 0.5, name: str = "transitions") -> None:
        self.decay = decay
        self.name = name

    def fit(self, projection: Projection) -> "Transitions":
        """Count ``i -> j`` in every learner's first-earned order.

        Returns:
            ``self``.

        Raises:
            InvalidInput: ``decay`` outside ``[0, 1]``.
        """
        if not 0.0 <= float(self.decay) <= 1.0:
            raise InvalidInput(f"decay must be in [0, 1], got {self.decay}")
        n = projection.n_badges
        ptr, seq = projection.history_indptr, projection.history_badges
        starts = np.ones(len(seq), dtype=bool)
        starts[ptr[:-1][ptr[:-1] < len(seq)]] = False  # first badge of each learner: no predecessor
        nxt = np.flatnonzero(starts)
        self.next_ = CountMatrix.from_coo((n, n), seq[nxt - 1], seq[nxt])
        self.out_ = np.bincount(seq[nxt - 1], minlength=n).astype(np.int64)
        self.names_ = projection.badge_names
        return self

    def _weights(self, n: int) -> np.ndarray:
        return float(self.decay) ** np.arange(n - 1, -1, -1, dtype=np.float64)

    def _parts(self, profile: Profile) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Each held badge's weighted ``P(j | h)`` as flat entries ``(position in held, j, weighted P,
        count N[h, j])``: only the stored transitions of the held badges are read. Kept for the
        learner until the next one or an update (each result's explanation reads the same)."""
        held = profile.held
        key = (held.tobytes(), self.next_.version, self.out_[held].tobytes())
        memo = getattr(self, "_memo", None)
        if memo is not None and memo[0] == key:
            return memo[1]
        w = self._weights(len(held)) / np.maximum(self.out_[held], 1)
        src, cols, counts = self.next_.gather(held)
        vals = counts * w[src]
        keep = vals > 0
        out = (src[keep], cols[keep], vals[keep], counts[keep])
        self._memo = (key, out)
        return out

    def score(self, profile: Profile) -> np.ndarray:
        """``Σ_k decay^(n-k) P(j | h_k)`` scaled to ``[0, 1]``: float64 ``[n_badges]``."""
        if profile.is_empty:
            return np.zeros(len(self.out_), dtype=np.float64)
        held = profile.held
        w = self._weights(len(held)) / np.maximum(self.out_[held], 1)
        return scale_to_unit(self.next_.weighted_row_sum(held, w))

    def _cited(self, profile: Profile, badge: int) -> tuple[int, int] | None:
        """``(held badge column, learners)``: the held badge whose transition to ``badge`` counts most."""
        if profile.is_empty:
            return None
        src, cols, vals, counts = self._parts(profile)
        at = np.flatnonzero(cols == badge)
        if not len(at):
            return None
        best = at[np.lexsort((src[at], -vals[at]))[0]]
        return int(profile.held[int(src[best])]), int(counts[best])

    def cites(self, profile: Profile, badge: int) -> tuple[str, int] | None:
        """The fact ``explain`` states, ``("next after", held badge column)``: the one the
        ``sequence`` signal's single-badge sentence states when it cites the same badge."""
        cited = self._cited(profile, badge)
        return None if cited is None else ("next after", cited[0])

    def explain(self, profile: Profile, badge: int) -> str | None:
        """``"27 learners who earned Teacher went on to earn Nice Answer next"``, for the held badge that counts most."""
        cited = self._cited(profile, badge)
        if cited is None:
            return None
        held, n = cited
        return f"{_who_earned(n)} {self.names_[held]} went on to earn {self.names_[badge]} next"

    def add_award(self, held_before: np.ndarray, badge: int, **_: object) -> None:
        """``N[last held, badge] += 1`` (nothing for a learner's first badge)."""
        h = np.asarray(held_before, dtype=np.int64).reshape(-1)
        if len(h):
            self.next_.add([h[-1]], [badge], 1)
            self.out_[h[-1]] += 1

    def remove_award(self, held: np.ndarray, badge: int, **_: object) -> None:
        """Take ``badge`` out of the learner's sequence: ``prev -> badge -> next`` becomes ``prev -> next``."""
        h, p = position_of(held, badge)
        if p is None:
            return
        prev = int(h[p - 1]) if p > 0 else None
        nxt = int(h[p + 1]) if p + 1 < len(h) else None
        if prev is not None:
            self.next_.add([prev], [badge], -1)
            self.out_[prev] -= 1
        if nxt is not None:
            self.next_.add([badge], [nxt], -1)
            self.out_[badge] -= 1
        if prev is not None and nxt is not None:
            self.next_.add([prev], [nxt], 1)
            self.out_[prev] += 1


class EarnedLater:
    """Sequential rules: learners who earned ``j`` at any point after ``i`` (Quadrana et al. 2018).

    Attributes:
        later_: ``CountMatrix`` int64 ``[n_badges, n_badges]``: ``L[i, j]``.
        holders_: int64 ``[n_badges]``: learners holding each badge.
        names_: badge display names.
    """

    name = "earned_later"

    def fit(self, projection: Projection) -> "EarnedLater":
        """Count ordered pairs ``(i earlier, j later)`` in every learner's first-earned order.

        Returns:
            ``self``.
        """
        n = projection.n_badges
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        ptr, seq = projection.history_indptr, projection.history_badges
        lens = np.diff(ptr)
        for size in np.unique(lens[lens > 1]).tolist():  # learners with as many badges, at once
            block = seq[ptr[:-1][lens == size][:, None] + np.arange(size)]
            i, j = np.triu_indices(size, k=1)
            rows.append(block[:, i].ravel())
            cols.append(block[:, j].ravel())
        self.later_ = CountMatrix.from_coo((n, n), _concat(rows), _concat(cols))
        self.holders_ = np.bincount(projection.history_badges, minlength=n).astype(np.int64)
        self.names_ = projection.badge_names
        return self

    def _parts(self, profile: Profile) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Flat entries ``(position in held, j, L[h, j], position * n_badges + j)`` of the held
        badges' stored rows, sorted by the last (so one entry is found by bisection); kept for the
        learner until the next one or an update (explanations reuse them)."""
        key = (profile.held.tobytes(), self.later_.version, self.holders_[profile.held].tobytes())
        memo = getattr(self, "_memo", None)
        if memo is not None and memo[0] == key:
            return memo[1]
        src, cols, counts = self.later_.gather(profile.held)
        at = src * len(self.holders_) + cols
        if len(at) > 1 and np.any(at[1:] < at[:-1]):
            order = np.argsort(at, kind="stable")
            src, cols, counts, at = src[order], cols[order], counts[order], at[order]
        out = (src, cols, counts, at)
        self._memo = (key, out)
        return out

    def score(self, profile: Profile) -> np.ndarray:
        """``Σ_k L[h_k, j] / holders(h_k)`` scaled to ``[0, 1]``: float64 ``[n_badges]``."""
        if profile.is_empty:
            return np.zeros(len(self.holders_), dtype=np.float64)
        held = profile.held
        return scale_to_unit(self.later_.weighted_row_sum(held, 1.0 / np.maximum(self.holders_[held], 1)))

    def explain(self, profile: Profile, badge: int) -> str | None:
        """``"40 of the 95 learners who earned Student earned Scholar later"``; under
        ``MIN_LEARNERS_SHOWN`` (5) no count is a number (``signals.how_many``): ``"Fewer than 5
        of the 95 learners ..."``, ``"Some of the 5 learners ..."``, ``"Fewer than 5 learners
        who earned Student earned Scholar later"`` when fewer than 5 earned Student."""
        if profile.is_empty:
            return None
        src, cols, counts, keys = self._parts(profile)
        if not len(keys):
            return None
        want = np.arange(len(profile.held), dtype=np.int64) * len(self.holders_) + badge
        pos = np.minimum(np.searchsorted(keys, want), len(keys) - 1)
        pos = pos[keys[pos] == want]  # the stored entries L[h, badge], by position h
        share = counts[pos] / np.maximum(self.holders_[profile.held], 1)[src[pos]]
        at = pos[share > 0]
        share = share[share > 0]
        if not len(at):
            return None
        best = at[np.lexsort((src[at], -share))[0]]
        held = int(profile.held[int(src[best])])
        n, of = int(counts[best]), int(self.holders_[held])
        if not shown(of):  # nor is n, which is no larger
            return f"{learners(n, start=True)} who earned {self.names_[held]} earned {self.names_[badge]} later"
        some = how_many(n, of=of, start=True)
        return f"{some} of the {how_many(of)} learners who earned {self.names_[held]} earned {self.names_[badge]} later"

    def add_award(self, held_before: np.ndarray, badge: int, **_: object) -> None:
        """``L[h, badge] += 1`` for every held ``h``; one more holder."""
        h = np.asarray(held_before, dtype=np.int64).reshape(-1)
        self.later_.add(h, np.full(len(h), badge), 1)
        self.holders_[badge] += 1

    def remove_award(self, held: np.ndarray, badge: int, **_: object) -> None:
        """Drop the pairs ``badge`` takes part in: ``(earlier, badge)`` and ``(badge, later)``."""
        h, p = position_of(held, badge)
        if p is None:
            return
        before, after = h[:p], h[p + 1:]
        self.later_.add(before, np.full(len(before), badge), -1)
        self.later_.add(np.full(len(after), badge), after, -1)
        self.holders_[badge] = max(0, int(self.holders_[badge]) - 1)


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    """``parts`` joined into one int64 array (empty when there are none)."""
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
