"""A sequence-aware signal: which badge learners earn next after their last two, with back-off.

Sources:
    - Higher-order Markov models for next-item recommendation and their
      back-off to shorter contexts: M. Quadrana, P. Cremonesi, D. Jannach,
      "Sequence-aware recommender systems", ACM Computing Surveys 51(4),
      2018, section 4.2; interpolated back-off as in language modelling
      (S. Katz, "Estimation of probabilities from sparse data for the
      language model component of a speech recogniser", IEEE TASSP 35(3),
      1987; the Witten-Bell weight: I. Witten, T. Bell, "The zero-frequency
      problem", IEEE Trans. Inf. Theory 37(4), 1991).

With a learner's distinct badges in first-earned order ``... a, b`` (``b``
the latest):

- ``N2[(a, b), c]``: learners whose next badge after ``a`` then ``b`` was
  ``c``; ``n2 = Σ_c N2[(a, b), c]``; ``P2(c | a, b) = N2 / n2``.
- ``N1[b, c]``, ``n1``, ``P1(c | b)``: the same after ``b`` alone.
- ``P0(c) = holders(c) / Σ holders``: the prior.

Score (a probability, the same scale on every site, not rescaled per
learner)::

    P(c) = λ2 · P2 + (1 - λ2) · (λ1 · P1 + (1 - λ1) · P0)
    λ2 = n2 / (n2 + u2),  λ1 = n1 / (n1 + u1)

where ``u`` is the number of distinct next badges seen after the context
(Witten-Bell): a context followed by many different badges trusts its own
counts less. ``features(profile)`` gives the raw counts and probabilities the
ranker reads beside the score.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from colearn.recommender.projections import Projection
from colearn.recommender.signals import Profile, learners, position_of

#: The extra ranker features ``features`` returns, in order.
SEQUENCE_FEATURES: tuple[str, ...] = (
    "p_next2", "n_next2", "p_next1", "n_next1", "holders_share", "log_holders", "n_learners_log",
    "holders_hhi",
)


class ContextCounts:
    """Counts of the badge earned next after each context (a badge, or a pair of badges as one key).

    A sparse table: rows are the contexts seen, built at once from observations
    (CSR, ``int64`` counts), plus the changes made since (``add``), kept per
    context in a small dict. At L (5,000 badges) there are about 414,000 pair
    contexts: a dense row each would take 16 GB, this takes megabytes.

    Args:
        n_badges: the width of a row.
        keys: int64 ``[n_obs]``: the context of each observation.
        cols: int64 ``[n_obs]``: the badge earned next in it.
    """

    def __init__(self, n_badges: int, keys: np.ndarray, cols: np.ndarray) -> None:
        self.n_badges = int(n_badges)
        pair, counts = np.unique(np.asarray(keys, dtype=np.int64) * self.n_badges
                                 + np.asarray(cols, dtype=np.int64), return_counts=True)
        rows = pair // self.n_badges
        self.keys, starts = np.unique(rows, return_index=True)  # rows is sorted: each key's first entry
        self.indptr = np.append(starts, len(rows)).astype(np.int64)
        self.indices = (pair % self.n_badges).astype(np.int64)
        self.data = counts.astype(np.int64)
        self.changed: dict[int, dict[int, int]] = {}

    def _base(self, key: int) -> tuple[np.ndarray, np.ndarray]:
        """The fitted row of ``key``: ``(columns, counts)`` (empty when it was not seen)."""
        i = int(np.searchsorted(self.keys, key))
        if i < len(self.keys) and self.keys[i] == key:
            lo, hi = self.indptr[i], self.indptr[i + 1]
            return self.indices[lo:hi], self.data[lo:hi]
        return self.indices[:0], self.data[:0]

    def row(self, key: int) -> np.ndarray:
        """int64 ``[n_badges]``: the counts after context ``key`` (zeros when never seen)."""
        out = np.zeros(self.n_badges, dtype=np.int64)
        cols, counts = self._base(key)
        out[cols] = counts
        for col, delta in self.changed.get(key, {}).items():
            out[col] += delta
        return out

    def add(self, key: int, col: int, step: int) -> None:
        """``count[key, col] += step``, never below 0."""
        cols, counts = self._base(key)
        at = np.searchsorted(cols, col)
        base = int(counts[at]) if at < len(cols) and cols[at] == col else 0
        mine = self.changed.setdefault(key, {})
        now = base + mine.get(col, 0)
        mine[col] = max(0, now + step) - base


def _hhi(counts: np.ndarray) -> float:
    """``sum(s^2)`` of the shares ``s = counts / counts.sum()``; 0 when every count is 0."""
    total = float(counts.sum())
    return float(((counts / total) ** 2).sum()) if total > 0 else 0.0


class BackoffTransitions:
    """Second-order earned-order transitions backed off to first order and popularity.

    Attributes:
        next1_: ``ContextCounts``: ``N1[b, :]``, keyed by ``b``.
        next2_: ``ContextCounts``: ``N2[(a, b), :]``, keyed by ``a * n_badges + b``.
        holders_: int64 ``[n_badges]``: learners holding each badge.
        n_learners_: learners holding any badge.
        names_: badge display names.
    """

    name = "sequence"

    def fit(self, projection: Projection) -> "BackoffTransitions":
        """Count every learner's consecutive pairs and triples of first-earned badges.

        Returns:
            ``self``.
        """
        n = projection.n_badges
        self.n_badges_ = n
        ptr, seq = projection.history_indptr, projection.history_badges.astype(np.int64)
        lens = np.diff(ptr)
        pos = np.arange(len(seq)) - np.repeat(ptr[:-1], lens)  # each badge's place in its learner's order
        one, two = np.flatnonzero(pos >= 1), np.flatnonzero(pos >= 2)
        self.next1_ = ContextCounts(n, seq[one - 1], seq[one])
        self.next2_ = ContextCounts(n, seq[two - 2] * n + seq[two - 1], seq[two])
        self.holders_ = np.bincount(seq, minlength=n).astype(np.int64)
        self.n_learners_ = int((lens > 0).sum())
        self.names_ = projection.badge_names
        return self

    def _count(self, before: list[int], badge: int, step: int) -> None:
        if not before:
            self.n_learners_ += step
        self.holders_[badge] = max(0, int(self.holders_[badge]) + step)
        if len(before) >= 1:
            self.next1_.add(before[-1], badge, step)
        if len(before) >= 2:
            self.next2_.add(before[-2] * self.n_badges_ + before[-1], badge, step)

    def _rows(self, held: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        zero = np.zeros(self.n_badges_, dtype=np.int64)
        one = self.next1_.row(int(held[-1])) if len(held) >= 1 else zero
        two = self.next2_.row(int(held[-2]) * self.n_badges_ + int(held[-1])) if len(held) >= 2 else zero
        return one, two

    @staticmethod
    def _p(row: np.ndarray) -> tuple[np.ndarray, float]:
        total = float(row.sum())
        if total <= 0:
            return np.zeros(len(row)), 0.0
        return row / total, total / (total + float(np.count_nonzero(row)))

    def score(self, profile: Profile) -> np.ndarray:
        """The back-off probability of each badge coming next: float64 ``[n_badges]`` in ``[0, 1]``."""
        if profile.is_empty:
            return np.zeros(self.n_badges_, dtype=np.float64)
        one, two = self._rows(profile.held)
        p1, l1 = self._p(one)
        p2, l2 = self._p(two)
        total = float(self.holders_.sum())
        p0 = self.holders_ / total if total > 0 else np.zeros(self.n_badges_)
        return np.clip(l2 * p2 + (1 - l2) * (l1 * p1 + (1 - l1) * p0), 0.0, 1.0)

    def features(self, profile: Profile) -> dict[str, np.ndarray]:
        """``SEQUENCE_FEATURES`` for every badge: float64 ``[n_badges]`` each.

        ``p_next2``/``p_next1``: ``P2``/``P1`` (0 without the context);
        ``n_next2``/``n_next1``: ``log1p`` of the raw counts ``N2``/``N1``;
        ``holders_share``: holders / learners; ``log_holders``: ``log1p(holders)``;
        ``n_learners_log``: ``log1p`` of the learners seen (the same for every badge);
        ``holders_hhi``: how concentrated the holdings are, the Herfindahl-Hirschman
        index ``sum_b s_b^2`` of each badge's share ``s_b`` of all holdings (the
        chance that two holdings drawn at random are of the same badge; 1 /
        ``holders_hhi`` is the "effective number" of badges, M. O. Hill,
        Ecology 54, 1973; 0 before any holding; the same for every badge).
        """
        one, two = self._rows(profile.held) if not profile.is_empty else (np.zeros(self.n_badges_),) * 2
        p1, _ = self._p(np.asarray(one))
        p2, _ = self._p(np.asarray(two))
        n = max(self.n_learners_, 1)
        return {"p_next2": p2, "n_next2": np.log1p(two.astype(np.float64)), "p_next1": p1,
                "n_next1": np.log1p(one.astype(np.float64)), "holders_share": self.holders_ / n,
                "log_holders": np.log1p(self.holders_.astype(np.float64)),
                "n_learners_log": np.full(self.n_badges_, np.log1p(float(self.n_learners_))),
                "holders_hhi": np.full(self.n_badges_, _hhi(self.holders_))}

    def cites(self, profile: Profile, badge: int) -> tuple[Any, ...] | None:
        """The fact ``explain`` states: ``("next after two", earlier, last)`` or ``("next after", last)``
        (held badge columns); the second is the fact ``transitions`` states of the same badge."""
        if profile.is_empty:
            return None
        one, two = self._rows(profile.held)
        if two[badge] > 0:
            return ("next after two", int(profile.held[-2]), int(profile.held[-1]))
        return ("next after", int(profile.held[-1])) if one[badge] > 0 else None

    def explain(self, profile: Profile, badge: int) -> str | None:
        """``"12 learners who earned Student and then Editor earned Scholar next"`` (or after the last badge alone)."""
        if profile.is_empty:
            return None
        one, two = self._rows(profile.held)
        names = self.names_
        last = int(profile.held[-1])
        if two[badge] > 0:
            prev = int(profile.held[-2])
            return (f"{learners(int(two[badge]), start=True)} who earned {names[prev]} and then {names[last]} "
                    f"earned {names[badge]} next")
        if one[badge] > 0:
            return f"{learners(int(one[badge]), start=True)} who earned {names[last]} earned {names[badge]} right after it"
        return None

    def add_award(self, held_before: np.ndarray, badge: int, **_: object) -> None:
        """Count ``badge`` after the learner's last one and last two badges; one more holder."""
        self._count([int(b) for b in np.asarray(held_before).reshape(-1)], int(badge), 1)

    def remove_award(self, held: np.ndarray, badge: int, **_: object) -> None:
        """Undo the counts ``badge`` took part in: the learner's sequence is recounted without it."""
        h, p = position_of(held, badge)
        if p is None:
            return
        seq = [int(b) for b in h]
        for i in range(len(seq)):
            self._count(seq[:i], seq[i], -1)
        rest = seq[:p] + seq[p + 1:]
        for i in range(len(rest)):
            self._count(rest[:i], rest[i], 1)
