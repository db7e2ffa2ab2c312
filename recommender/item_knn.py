"""Item-based k-nearest-neighbour co-occurrence: "learners who hold X also hold Y".

Sources:
    - B. Sarwar, G. Karypis, J. Konstan, J. Riedl, "Item-based collaborative
      filtering recommendation algorithms", WWW 2001, section 3.1.1: cosine
      similarity between the item columns of the user-item matrix.
    - M. Deshpande, G. Karypis, "Item-based top-N recommendation algorithms",
      ACM TOIS 22(1), 2004, section 4: keep the ``k`` most similar items of
      each item the user holds and score a candidate by the sum of its
      similarities to the user's items within those neighbourhoods.

With binary ``learner_badges`` = X (``[n_learners, n_badges]``) the co-occurrence
counts are ``C = Xᵀ X`` (``C[i, j]``: learners holding both i and j; the
diagonal holds each badge's holders) and the cosine similarity is
``sim(i, j) = C[i, j] / sqrt(C[i, i] · C[j, j])``.

Only ``C`` is stored; similarities of the learner's own badges are computed
per request (``n_held × n_badges`` numbers), so a new award is an update of a
few counts, not a rebuild.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from colearn.errors import InvalidInput
from colearn.recommender.counts import CountMatrix
from colearn.recommender.projections import Projection
from colearn.recommender.signals import Profile, scale_to_unit


class ItemKNN:
    """Cosine item-kNN on badge co-occurrence (Sarwar et al. 2001; Deshpande & Karypis 2004).

    Args:
        neighbours: ``k``: how many most-similar badges of each held badge
            count (badges tied with the k-th are kept too, so the result does
            not depend on column order).

    Attributes:
        counts_: ``CountMatrix`` int64 ``[n_badges, n_badges]``: ``Xᵀ X``
            (``co_counts_`` gives it as CSR).
        holders_: int64 ``[n_badges]``: the diagonal of ``co_counts_``.
        names_: badge display names by column.

    Raises:
        InvalidInput: ``neighbours`` < 1.
    """

    name = "item_knn"

    def __init__(self, neighbours: int = 20) -> None:
        self.neighbours = neighbours

    def fit(self, projection: Projection) -> "ItemKNN":
        """Count co-occurrences.

        Args:
            projection: its ``learner_badges`` (CSR float32 ``[n_learners, n_badges]``, binary).

        Returns:
            ``self``.

        Raises:
            InvalidInput: ``neighbours`` < 1.
        """
        if int(self.neighbours) < 1:
            raise InvalidInput(f"neighbours must be >= 1, got {self.neighbours}")
        x = projection.learner_badges.astype(np.float64)
        co = (x.T @ x).tocoo()
        self.counts_ = CountMatrix.from_coo(co.shape, co.row, co.col, np.rint(co.data))
        self.holders_ = np.rint(co.tocsr().diagonal()).astype(np.int64)
        self.names_ = projection.badge_names
        return self

    @property
    def co_counts_(self) -> sparse.csr_array:
        """CSR int64 ``[n_badges, n_badges]``: ``Xᵀ X`` with every update folded in."""
        return self.counts_.csr()

    # ------------------------------------------------------------------ updates

    def add_award(self, held_before: np.ndarray, badge: int, **_: object) -> None:
        """A learner holding ``held_before`` (int64 ``[n_held]``) gained ``badge``.

        Adds 1 to ``C[badge, h]`` and ``C[h, badge]`` for each held ``h`` and to
        ``C[badge, badge]``; the sparse sum is folded in before the next score.
        """
        self._change(held_before, badge, +1)

    def remove_award(self, held: np.ndarray, badge: int, **_: object) -> None:
        """A learner holding ``held`` (``badge`` among them) lost ``badge``: the counts ``add_award`` added go."""
        h = np.asarray(held, dtype=np.int64).reshape(-1)
        self._change(h[h != badge], badge, -1)

    def _change(self, others: np.ndarray, badge: int, sign: int) -> None:
        h = np.asarray(others, dtype=np.int64).reshape(-1)
        b = np.full(len(h), badge, dtype=np.int64)
        self.counts_.add(np.concatenate([b, h, [badge]]), np.concatenate([h, b, [badge]]), sign)
        self.holders_[badge] += sign

    # ------------------------------------------------------------------ scoring

    def _neighbour_sims(self, held: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Similarities of each held badge to every badge, kept within its k neighbours.

        Returns:
            ``(sims, counts)``: float64 and int64 ``[n_held, n_badges]``; ``sims``
            is 0 outside each held badge's neighbourhood and on held badges.
        """
        counts = self.counts_.rows(held)
        pop = self.holders_.astype(np.float64)
        denom = np.sqrt(pop[held])[:, None] * np.sqrt(pop)[None, :]
        sims = np.divide(counts, denom, out=np.zeros(counts.shape), where=denom > 0)
        sims[:, held] = 0.0
        k = int(self.neighbours)
        if k < sims.shape[1]:
            kth = np.partition(sims, -k, axis=1)[:, -k]
            sims[sims < kth[:, None]] = 0.0
        return sims, counts

    def score(self, profile: Profile) -> np.ndarray:
        """Sum of similarities to the held badges within their neighbourhoods, scaled to ``[0, 1]``.

        Returns:
            float64 ``[n_badges]``; all zeros for a learner holding nothing.
        """
        n = len(self.holders_)
        if profile.is_empty:
            return np.zeros(n, dtype=np.float64)
        sims, _ = self._neighbour_sims(profile.held)
        return scale_to_unit(sims.sum(axis=0))

    def explain(self, profile: Profile, badge: int) -> str | None:
        """``"37 learners who hold Teacher also hold Nice Answer"``, naming the held badge that contributed most."""
        if profile.is_empty:
            return None
        sims, counts = self._neighbour_sims(profile.held)
        col = sims[:, badge]
        if not np.any(col > 0):
            return None
        best = int(np.argmax(col))
        n = int(counts[best, badge])
        held_name = self.names_[int(profile.held[best])]
        who = "1 learner who holds" if n == 1 else f"{n:,} learners who hold"
        also = "also holds" if n == 1 else "also hold"
        return f"{who} {held_name} {also} {self.names_[badge]}"
