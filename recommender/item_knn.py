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

``C`` is stored, and beside it each badge's neighbour list: its
``k + LIST_MARGIN`` most similar badges with their counts, sorted (a
precomputed structure, so that a request costs ``O(n_held · k)``, not
``O(n_held · n_badges)``). A request drops the learner's own badges from the
lists of the badges they hold and keeps the ``k`` best left (and ties): the
same neighbourhoods as ranking each held badge's whole row, as long as at
most ``LIST_MARGIN`` of the learner's badges sit in one list and the k-th
value is not tied with the list's end; otherwise that row is ranked whole.
An award updates a few counts and marks the rows it touched for a rebuild of
their lists on next use: no rebuild of the model.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from colearn.errors import InvalidInput
from colearn.recommender.counts import CountMatrix
from colearn.recommender.projections import Projection
from colearn.recommender.signals import Profile, learners, scale_to_unit


def co_occurrence(projection: Projection) -> sparse.coo_array:
    """``Xᵀ X`` of ``learner_badges`` (float64 COO ``[n_badges, n_badges]``: learners holding both),
    computed once per projection (``Projection.derived``)."""
    def build() -> sparse.coo_array:
        x = projection.learner_badges.astype(np.float64)
        return sparse.coo_array((x.T @ x).tocoo())

    return projection.derived("co_occurrence", build)


#: Neighbours kept in each badge's list beyond ``k`` (room for the learner's own badges): a
#: learner holding at most this many never falls back to ranking whole count rows. At L the
#: 99.9th percentile learner holds 329 badges (with 96, the earlier margin, 6 of the 40 learners
#: holding 40+ badges among 1,000 random ones took that fallback, 19 ms each); the lists then
#: hold 5,000 x 400 entries.
LIST_MARGIN = 320

#: A list takes every badge tied with its last one, up to this many times its length.
_MAX_TIES = 4

#: Rows whose lists are built at once (a dense block of this many rows).
_CHUNK = 512


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
        """Count co-occurrences and build every badge's neighbour list.

        Args:
            projection: its ``learner_badges`` (CSR float32 ``[n_learners, n_badges]``, binary).

        Returns:
            ``self``.

        Raises:
            InvalidInput: ``neighbours`` < 1.
        """
        if int(self.neighbours) < 1:
            raise InvalidInput(f"neighbours must be >= 1, got {self.neighbours}")
        co = co_occurrence(projection)
        self.counts_ = CountMatrix.from_coo(co.shape, co.row, co.col, np.rint(co.data))
        self.holders_ = np.rint(co.tocsr().diagonal()).astype(np.int64)
        self.names_ = projection.badge_names
        n = len(self.holders_)
        self._lists: list[tuple[np.ndarray, np.ndarray, bool] | None] = [None] * n
        for lo in range(0, n, _CHUNK):
            rows = np.arange(lo, min(n, lo + _CHUNK))
            for r, lst in zip(rows.tolist(), self._build_lists(rows)):
                self._lists[r] = lst
        self._memo: tuple[bytes, int, tuple[np.ndarray, ...]] | None = None
        return self

    @property
    def co_counts_(self) -> sparse.csr_array:
        """CSR int64 ``[n_badges, n_badges]``: ``Xᵀ X`` with every update folded in."""
        return self.counts_.csr()

    # ------------------------------------------------------------------ neighbour lists

    def _similarities(self, rows: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Cosine of ``rows`` to every badge from their count rows (float64 ``[len(rows), n_badges]``)."""
        pop = self.holders_.astype(np.float64)
        denom = np.sqrt(pop[rows])[:, None] * np.sqrt(pop)[None, :]
        return np.divide(counts, denom, out=np.zeros(counts.shape), where=denom > 0)

    def _build_lists(self, rows: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, bool]]:
        """``(columns sorted by similarity, their counts, complete)`` for each of ``rows``:
        the ``k + LIST_MARGIN`` most similar other badges and the badges tied with the last
        of them; ``complete`` is True when that is every badge the row co-occurs with,
        ``None`` when every badge left out is strictly less similar than the last, and
        False when a tie had to be cut."""
        counts = self.counts_.rows(rows).astype(np.float64)
        sims = self._similarities(rows, counts)
        sims[np.arange(len(rows)), rows] = 0.0
        keep = int(self.neighbours) + LIST_MARGIN
        out = []
        for i in range(len(rows)):
            pos = np.flatnonzero(sims[i] > 0)
            complete = len(pos) <= keep
            if not complete:
                cut = np.partition(sims[i, pos], len(pos) - keep)[len(pos) - keep]
                tied = pos[sims[i, pos] >= cut]  # ties with the last kept come along
                pos = tied if len(tied) <= _MAX_TIES * keep else pos[np.argpartition(-sims[i, pos], keep - 1)[:keep]]
                complete = None if len(tied) <= _MAX_TIES * keep else False
            pos = pos[np.argsort(-sims[i, pos], kind="stable")]
            out.append((pos.astype(np.int64), counts[i, pos], complete))
        return out

    def _list(self, row: int) -> tuple[np.ndarray, np.ndarray, bool]:
        lst = self._lists[row]
        if lst is None:  # its counts changed since it was built
            lst = self._lists[row] = self._build_lists(np.array([row]))[0]
        return lst

    def _exact_rows(self, rows: np.ndarray, held: np.ndarray) -> tuple[np.ndarray, ...]:
        """The neighbourhoods of some held badges from their whole count rows (when their lists
        are not enough): ``(position in rows, column, similarity, count)``."""
        counts = self.counts_.rows(rows).astype(np.float64)
        sims = self._similarities(rows, counts)
        sims[:, held] = 0.0
        k = int(self.neighbours)
        if k < sims.shape[1]:
            kth = np.partition(sims, -k, axis=1)[:, -k]
            sims[sims < kth[:, None]] = 0.0
        src, cols = np.nonzero(sims > 0)
        return src, cols, sims[src, cols], counts[src, cols]

    def neighbourhoods(self, held: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The neighbours of each held badge within its top ``k`` (held badges excluded).

        Args:
            held: int64 ``[n_held]`` badge columns.

        Returns:
            ``(source, column, similarity, count)``, flat arrays of equal length:
            ``held[source]`` has neighbour ``column`` at that cosine similarity,
            ``count`` learners holding both. Computed once per learner and kept
            until the next learner or the next update (the explanation of each
            result reads the same arrays).
        """
        held = np.asarray(held, dtype=np.int64).reshape(-1)
        key = held.tobytes()
        if self._memo is not None and self._memo[0] == key and self._memo[1] == self.counts_.version:
            return self._memo[2]  # type: ignore[return-value]
        k = int(self.neighbours)
        lists = [self._list(int(h)) for h in held]
        width = max((len(lst[0]) for lst in lists), default=0)
        n_held = len(held)
        cols = np.full((n_held, max(width, 1)), -1, dtype=np.int64)
        counts = np.zeros(cols.shape)
        for i, (c, n, _) in enumerate(lists):
            cols[i, :len(c)] = c
            counts[i, :len(c)] = n
        pop = self.holders_.astype(np.float64)
        denom = np.sqrt(pop[held])[:, None] * np.sqrt(pop[np.maximum(cols, 0)])
        sims = np.divide(counts, denom, out=np.zeros(counts.shape), where=(denom > 0) & (cols >= 0))
        # the list's end: badges not in it are at most this similar (a held badge included)
        last = np.where(cols >= 0, sims, np.inf).min(axis=1) if width else np.zeros(n_held)
        sims[np.isin(cols, held)] = 0.0
        valid = sims > 0
        if k < sims.shape[1]:
            kth = -np.partition(-sims, k - 1, axis=1)[:, k - 1]
        else:
            kth = np.zeros(n_held)
        complete = np.array([lst[2] is True for lst in lists], dtype=bool)
        strict = np.array([lst[2] is None for lst in lists], dtype=bool)
        # a list is enough when it held every co-occurring badge, or k of them survive and the
        # k-th is above the list's last value (or equal to it, when the list ends with its ties)
        enough = complete | ((kth > 0) & ((kth > last) | (strict & (kth >= last))))
        keep = valid & (sims >= kth[:, None]) & enough[:, None]
        src, pos = np.nonzero(keep)
        parts = [(src, cols[src, pos], sims[src, pos], counts[src, pos])]
        short = np.flatnonzero(~enough)
        if len(short):
            at, c, s, n = self._exact_rows(held[short], held)
            parts.append((short[at], c, s, n))
        out = tuple(np.concatenate([p[j] for p in parts]) for j in range(4))
        self._memo = (key, self.counts_.version, out)
        return out  # type: ignore[return-value]

    # ------------------------------------------------------------------ updates

    def add_award(self, held_before: np.ndarray, badge: int, **_: object) -> None:
        """A learner holding ``held_before`` (int64 ``[n_held]``) gained ``badge``.

        Adds 1 to ``C[badge, h]`` and ``C[h, badge]`` for each held ``h`` and to
        ``C[badge, badge]``; the sparse sum is folded in before the next score,
        and the lists of ``badge`` and every ``h`` are rebuilt on next use.
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
        for r in [badge, *h.tolist()]:
            self._lists[int(r)] = None
        self._memo = None

    # ------------------------------------------------------------------ scoring

    def score(self, profile: Profile) -> np.ndarray:
        """Sum of similarities to the held badges within their neighbourhoods, scaled to ``[0, 1]``.

        Returns:
            float64 ``[n_badges]``; all zeros for a learner holding nothing.
        """
        n = len(self.holders_)
        if profile.is_empty:
            return np.zeros(n, dtype=np.float64)
        _, cols, sims, _ = self.neighbourhoods(profile.held)
        return scale_to_unit(np.bincount(cols, weights=sims, minlength=n))

    def explain(self, profile: Profile, badge: int) -> str | None:
        """``"37 learners who hold Teacher also hold Nice Answer"``, naming the held badge that contributed most."""
        if profile.is_empty:
            return None
        src, cols, sims, counts = self.neighbourhoods(profile.held)
        at = np.flatnonzero(cols == badge)
        if not len(at):
            return None
        best = at[int(np.argmax(sims[at]))]
        n = int(counts[best])
        held_name = self.names_[int(profile.held[int(src[best])])]
        return f"{learners(n, start=True)} who hold {held_name} also hold {self.names_[badge]}"
