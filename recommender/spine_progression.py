"""Spine progression: the next layer in a domain where the learner already holds badges.

Source: the Cities of Learning learning spine ("layers, not levels";
ARCHITECTURE.md, "Terms" and "Recommender"): badges are aligned to cells
(domain x layer) and a learner moves through the layers of a domain
(engagement -> participation -> demonstration -> leadership in the bundled
spine). The layers' order is each cell's ``layer_rank`` from the data, so a
city that adds a fifth layer needs no code change.

For each domain the learner is active in (holds a badge aligned to one of its
cells), the reached layer is the highest ``layer_rank`` held there and the
next layer is the smallest ``layer_rank`` above it that the domain's cells
have. A badge scores by the number of domains in which it is aligned to that
next cell (scaled to ``[0, 1]``); nothing else scores.
"""

from __future__ import annotations

import numpy as np

from colearn.recommender.projections import Projection, SpineCell
from colearn.recommender.signals import Profile, scale_to_unit


class SpineProgression:
    """Recommends badges one layer up in the learner's active domains.

    Attributes:
        badge_cells_: CSR float32 ``[n_badges, n_cells]``, binary.
        aligned_: bool ``[n_badges, n_cells]``: the same, dense (fast row reads).
        cell_info_: one ``SpineCell`` per cell column.
        cell_domain_: int64 ``[n_cells]``: a domain code per cell.
        cell_rank_: int64 ``[n_cells]``: each cell's ``layer_rank``.
        domain_ranks_: per domain code, the sorted distinct layer ranks its cells have.
        cell_at_: ``{(domain code, layer_rank): cell column}``.
    """

    name = "spine"

    def fit(self, projection: Projection) -> "SpineProgression":
        """Read the spine's grid and the badges' alignments.

        Args:
            projection: its ``badge_cells`` (CSR float32 ``[n_badges, n_cells]``) and ``cell_info``.

        Returns:
            ``self``.
        """
        self.badge_cells_ = projection.badge_cells
        self.aligned_ = projection.badge_cells.toarray() > 0
        self.cell_info_: tuple[SpineCell, ...] = projection.cell_info
        domains = sorted({c.domain for c in self.cell_info_})
        code = {d: i for i, d in enumerate(domains)}
        self.cell_domain_ = np.array([code[c.domain] for c in self.cell_info_], dtype=np.int64)
        self.cell_rank_ = np.array([c.layer_rank for c in self.cell_info_], dtype=np.int64)
        self.domain_ranks_ = [np.unique(self.cell_rank_[self.cell_domain_ == i]) for i in range(len(domains))]
        self.cell_at_ = {(int(d), int(r)): col for col, (d, r)
                         in enumerate(zip(self.cell_domain_, self.cell_rank_))}
        return self

    def _steps(self, profile: Profile) -> dict[int, tuple[int, int]]:
        """``{next cell column: (reached cell column, next cell column)}`` for each active domain."""
        if profile.is_empty or self.badge_cells_.shape[1] == 0:
            return {}
        held_cells = np.flatnonzero(self.aligned_[profile.held].any(axis=0))
        steps: dict[int, tuple[int, int]] = {}
        for d in np.unique(self.cell_domain_[held_cells]):
            in_d = held_cells[self.cell_domain_[held_cells] == d]
            reached = int(self.cell_rank_[in_d].max())
            ranks = self.domain_ranks_[int(d)]
            above = ranks[ranks > reached]
            if above.size == 0:
                continue  # the learner is at the top layer of this domain
            nxt = self.cell_at_[(int(d), int(above[0]))]
            steps[nxt] = (self.cell_at_[(int(d), reached)], nxt)
        return steps

    def score(self, profile: Profile) -> np.ndarray:
        """Domains in which each badge is the next layer, scaled to ``[0, 1]``.

        Returns:
            float64 ``[n_badges]``; zeros for a learner holding nothing or
            holding only unaligned badges.
        """
        n_badges, n_cells = self.badge_cells_.shape
        steps = self._steps(profile)
        if not steps:
            return np.zeros(n_badges, dtype=np.float64)
        target = np.zeros(n_cells, dtype=np.float64)
        target[list(steps)] = 1.0
        return scale_to_unit(self.badge_cells_ @ target)

    def explain(self, profile: Profile, badge: int) -> str | None:
        """``"A step up in Skills, from participation to demonstration"`` for each domain the badge moves the learner up in."""
        steps = self._steps(profile)
        ptr = self.badge_cells_.indptr
        aligned = self.badge_cells_.indices[ptr[badge]:ptr[badge + 1]]
        parts = []
        for c in sorted(int(c) for c in aligned if int(c) in steps):
            frm, to = (self.cell_info_[i] for i in steps[c])
            parts.append(f"{to.domain_label}, from {frm.layer} to {to.layer}")
        return ("A step up in " + "; and in ".join(parts)) if parts else None

    def add_award(self, held_before: np.ndarray, badge: int, **_: object) -> None:
        """Nothing to update: the signal reads only the learner's own badges and the spine."""

    def remove_award(self, held: np.ndarray, badge: int, **_: object) -> None:
        """Nothing to update (see ``add_award``)."""
