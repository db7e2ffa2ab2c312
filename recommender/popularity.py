"""Popularity: how many learners hold each badge; the prior and the cold-start fallback.

The "most popular items" baseline of the top-N recommendation literature
(e.g. Cremonesi, Koren and Turrin, "Performance of recommender algorithms on
top-N recommendation tasks", RecSys 2010): every learner gets the badges the
most learners hold. It is the baseline every other signal must beat, a small
prior in the blend, and the whole answer for a learner with no badges.
"""

from __future__ import annotations

import numpy as np

from colearn.recommender.projections import Projection
from colearn.recommender.signals import Profile, learners_phrase, scale_to_unit


class Popularity:
    """Score = learners holding the badge / learners holding the most-held badge.

    Attributes:
        holders_: int64 ``[n_badges]``: distinct learners holding each badge
            (column sums of the binary ``learner_badges``).
    """

    name = "popularity"

    def fit(self, projection: Projection) -> "Popularity":
        """Count the holders of each badge.

        Args:
            projection: its ``learner_badges`` (CSR float32 ``[n_learners, n_badges]``, binary).

        Returns:
            ``self``.
        """
        counts = np.bincount(projection.learner_badges.indices, minlength=projection.n_badges)
        self.holders_ = counts.astype(np.int64)
        return self

    def score(self, profile: Profile) -> np.ndarray:
        """``holders_ / holders_.max()``: float64 ``[n_badges]`` in ``[0, 1]`` (same for every learner)."""
        return scale_to_unit(self.holders_)

    def explain(self, profile: Profile, badge: int) -> str | None:
        """``"Popular: 1,204 learners hold it"``; says so when the learner holds nothing yet."""
        n = int(self.holders_[badge])
        if n <= 0:
            return None
        if profile.is_empty:
            return f"Popular: {learners_phrase(n)} it (you hold no badges yet, so popularity decides)"
        return f"Popular: {learners_phrase(n)} it"

    def add_award(self, held_before: np.ndarray, badge: int, **_: object) -> None:
        """One more holder of ``badge``."""
        self.holders_[badge] += 1

    def remove_award(self, held: np.ndarray, badge: int, **_: object) -> None:
        """One holder of ``badge`` fewer."""
        self.holders_[badge] = max(0, int(self.holders_[badge]) - 1)
