"""Random-walk signals on the learner-badge graph: personalised PageRank and RP3beta.

Sources:
    - Personalised PageRank (random walk with restart): L. Page, S. Brin,
      R. Motwani, T. Winograd, "The PageRank citation ranking", 1999; T.
      Haveliwala, "Topic-sensitive PageRank", WWW 2002 (the restart vector
      concentrated on a personal set). ``x = α r + (1 - α) P x`` solved by power
      iteration, ``P = A D⁻¹`` column-stochastic, ``r`` uniform on the
      learner's badges; mass at nodes without edges goes back to ``r``.
    - RP3beta: B. Paudel, F. Christoffel, C. Newell, A. Bernstein,
      "Updatable, accurate, diverse, and scalable recommendations for
      interactive applications", ACM TiiS 7(1), 2017, section 4: the
      three-step walk learner -> badge -> learner -> badge, its probability
      divided by ``popularity(j)^β`` so that rarer badges are not drowned.

The PageRank graph (ARCHITECTURE.md, "Recommender") has a node per badge,
spine cell, theme, destination and learner, and undirected edges
learner-badge (weight 1), badge-cell, badge-theme, theme-destination
(weight ``attribute_weight``). It is a prebuilt scipy/numpy matrix: never
networkx (3.5 s per query at 1M edges there against tens of ms here). The
learner layer is summed out exactly into ``G = Xᵀ D⁻¹ X`` (see
``PersonalisedPageRank``), which an award updates in ``O(n_held²)`` cells of
a ``CountMatrix``: no rebuild.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from colearn.errors import InvalidInput
from colearn.recommender.counts import CountMatrix
from colearn.recommender.item_knn import co_occurrence
from colearn.recommender.projections import Projection
from colearn.recommender.signals import Profile, learners, learners_phrase, scale_to_unit, shown


def learner_normalised(projection: Projection) -> tuple[CountMatrix, np.ndarray]:
    """``G = Xᵀ D_v⁻¹ X`` (float64 ``[n_badges, n_badges]``, a ``CountMatrix``) and the holders of each badge.

    ``X`` is ``learner_badges``, ``D_v`` the diagonal of badges each learner
    holds: ``G[i, j]`` is the probability mass a walk moves from ``i`` to ``j``
    through the learners who hold both.
    """
    def build() -> tuple[sparse.coo_array, np.ndarray]:
        x = projection.learner_badges.astype(np.float64)
        deg = np.asarray(x.sum(axis=1)).reshape(-1)
        inv = np.divide(1.0, deg, out=np.zeros(len(deg)), where=deg > 0)
        holders = np.asarray(x.sum(axis=0)).reshape(-1).astype(np.int64)
        return sparse.coo_array((x.T @ (x * inv[:, None])).tocoo()), holders

    g, holders = projection.derived("learner_normalised", build)
    n = projection.n_badges
    return CountMatrix.from_coo((n, n), g.row, g.col, g.data, dtype=np.float64), holders.copy()


def update_learner_normalised(g: CountMatrix, holders: np.ndarray, others: np.ndarray, badge: int,
                              sign: int) -> None:
    """A learner holding ``others`` (``n`` badges) gains (``sign`` +1) or loses (-1) ``badge``.

    Their ``1/n`` leaves ``G[H, H]`` and ``1/(n+1)`` enters ``G[H+b, H+b]`` (or
    the reverse): ``O((n+1)²)`` cells, no rebuild.
    """
    h = np.asarray(others, dtype=np.int64).reshape(-1)
    n = len(h)
    if n:
        i, j = np.meshgrid(h, h, indexing="ij")
        g.add(i.ravel(), j.ravel(), -sign / n)
    with_b = np.concatenate([h, [badge]])
    i, j = np.meshgrid(with_b, with_b, indexing="ij")
    g.add(i.ravel(), j.ravel(), sign / (n + 1))
    holders[badge] += sign


#: PageRank's precomputed rows serve until the awards added or removed since ``fit`` exceed this
#: share of the learner-badge pairs it was fitted on (the follower's rebuild comes first in a
#: city: 50,000 changes are 5.3% of L's pairs), then each request walks.
KEEP_ROWS_SHARE = 0.06


class PersonalisedPageRank:
    """Random walk with restart from the learner's badges (Page et al. 1999; Haveliwala 2002).

    The walk runs on every node (learners included), but learner nodes only
    touch badges, so their two steps badge -> learner -> badge are applied at
    once through ``G = Xᵀ D_v⁻¹ X`` (``learner_normalised``), with the one-step
    delay they take; the iteration is otherwise the plain power iteration::

        x(t+1) = α r + (1-α) [A_attr (x(t) / d) + dangling(t) r] + (1-α)² G (x_b(t-1) / d_b)

    where ``A_attr`` holds the badge-cell, badge-theme and theme-destination
    edges, ``d`` every node's degree (a badge's counts its holders) and
    ``x_b`` the badge part. This is the same stationary vector as iterating
    with the learner nodes, without their thousands of entries per step.

    Args:
        alpha: restart probability per step (0.15 in Page et al.; tuned here).
        attribute_weight: weight of badge-cell, badge-theme and
            theme-destination edges relative to a learner-badge edge.
        max_iter: power iterations at most.
        tol: stop when the L1 change of ``x`` falls below this.
        neighbours: keep only each badge's this many largest entries of ``G``
            (its precomputed transition row) in the walk: a step then costs
            ``n_badges x neighbours`` instead of ``nnz(G)`` (9.4M at L, half the
            badge pairs). ``None``: all of ``G`` (exact). Reasons still quote
            the full counts.
        top_k: precompute, at ``fit``, the walk from each single badge and keep
            its ``top_k`` largest badge probabilities; a learner's score is then
            the mean of their held badges' kept rows, with no walk per request.
            Exact up to that cut: a fixed number of steps of the iteration is
            linear in the restart vector ``r`` (the dangling term is zero on
            these graphs: a node without edges is never reached, and a held
            badge has a holder), so the walk from ``r`` = the held badges'
            uniform mix is the mean of the walks from each. An award changes
            every row a little (by about ``1 / holders`` of the badges it
            touches); the kept rows are not recomputed for it (that would be a
            walk from every badge) but kept until the next fit, which the
            serving processes make after ``follower`` 's limits (50,000 changes
            or an hour), as long as the changes stay within ``KEEP_ROWS_SHARE``
            of the pairs fitted on (past it, e.g. in an offline replay that
            fits on nothing and adds every award, each request walks, exact).
            ``changes_since_fit_`` counts the changes the rows have not seen.
            ``None``: walk per request (exact after every award).

    Attributes:
        n_badges_: badge nodes are ``0 .. n_badges_ - 1``.
        attributes_: float64 ``[n_nodes, n_nodes]`` (badges, cells, themes,
            destinations): ``A_attr``, symmetric; dense when small, else CSR.
        g_: ``CountMatrix`` float64 ``[n_badges, n_badges]``: ``G``.
        holders_: int64 ``[n_badges]``: learners holding each badge.
        names_: badge display names.
        changes_since_fit_: awards added or removed since ``fit`` (the kept rows predate them).
        fitted_pairs_: learner-badge pairs of the projection fitted on.

    Raises:
        InvalidInput: ``alpha`` not in ``(0, 1]`` or ``max_iter`` < 1 (at ``fit``).
    """

    name = "ppr"

    def __init__(self, alpha: float = 0.3, attribute_weight: float = 1.0, max_iter: int = 60,
                 tol: float = 1e-7, neighbours: int | None = None, top_k: int | None = None) -> None:
        self.alpha = alpha
        self.attribute_weight = attribute_weight
        self.max_iter = max_iter
        self.tol = tol
        self.neighbours = neighbours
        self.top_k = top_k

    def fit(self, projection: Projection) -> "PersonalisedPageRank":
        """Build ``A_attr`` and ``G`` from the projection.

        The theme-destination edges are read through the badges (a theme
        leads to the destinations its badges lead to).

        Returns:
            ``self``.

        Raises:
            InvalidInput: see the class.
        """
        if not 0.0 < float(self.alpha) <= 1.0 or int(self.max_iter) < 1:
            raise InvalidInput(f"alpha must be in (0, 1] and max_iter >= 1, got {self.alpha}, {self.max_iter}")
        nb, nc, nt = projection.n_badges, projection.n_cells, len(projection.themes)
        nd = len(projection.destinations)
        n = nb + nc + nt + nd
        bt = projection.badge_themes.tocoo()
        bc = projection.badge_cells.tocoo()
        td = (projection.badge_themes.T @ projection.badge_destinations).tocoo()
        rows = np.concatenate([bc.row, bt.row, nb + nc + td.row])
        cols = np.concatenate([nb + bc.col, nb + nc + bt.col, nb + nc + nt + td.col])
        half = sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        half.data[:] = float(self.attribute_weight)  # binary edges, whatever the multiplicity
        attributes = (half + half.T).tocsr()
        self.attributes_ = attributes.toarray() if n * n <= 4_000_000 else attributes
        self.attr_degree_ = np.asarray(attributes.sum(axis=1)).reshape(-1)
        self.n_badges_ = nb
        self.g_, self.holders_ = learner_normalised(projection)
        self.names_ = projection.badge_names
        self.co_ = CountMatrix.from_coo((nb, nb), *_pairs(projection))
        if self.neighbours is not None and int(self.neighbours) < 1:
            raise InvalidInput(f"neighbours must be None or >= 1, got {self.neighbours}")
        if self.top_k is not None and int(self.top_k) < 1:
            raise InvalidInput(f"top_k must be None or >= 1, got {self.top_k}")
        self._rows: list[tuple[np.ndarray, np.ndarray] | None] = [None] * nb
        self._walk_matrix: sparse.csr_array | None = None
        self._ppr_rows: list[tuple[np.ndarray, np.ndarray]] | None = None
        if self.top_k is not None:
            self._ppr_rows = self._precompute(np.arange(nb, dtype=np.int64))
        self.changes_since_fit_ = 0
        self.fitted_pairs_ = int(projection.learner_badges.nnz)
        return self

    def _transitions(self) -> np.ndarray | sparse.csr_array:
        """``G`` as the walk uses it: whole, or each row cut to its ``neighbours`` largest entries
        (rows an award changed are cut again on next use)."""
        if self.neighbours is None or int(self.neighbours) >= self.n_badges_ - 1:
            return self.g_.matrix()
        if self._walk_matrix is None:
            k = int(self.neighbours)
            stale = [r for r, row in enumerate(self._rows) if row is None]
            if stale:
                src, cols, vals = self.g_.gather(np.asarray(stale, dtype=np.int64))
                bounds = np.searchsorted(src, np.arange(len(stale) + 1))
                for i, r in enumerate(stale):
                    c, v = cols[bounds[i]:bounds[i + 1]], vals[bounds[i]:bounds[i + 1]]
                    if len(v) > k:
                        top = np.argpartition(-v, k - 1)[:k]
                        c, v = c[top], v[top]
                    self._rows[r] = (c, v)
            lens = np.array([len(row[0]) for row in self._rows if row is not None], dtype=np.int64)
            indptr = np.concatenate([[0], np.cumsum(lens)])
            cols = np.concatenate([row[0] for row in self._rows if row is not None])
            vals = np.concatenate([row[1] for row in self._rows if row is not None])
            m = sparse.csr_array((vals, cols, indptr), shape=(self.n_badges_, self.n_badges_))
            m.sort_indices()
            self._walk_matrix = m
        return self._walk_matrix

    def _walk(self, held: np.ndarray) -> np.ndarray:
        """The stationary probability of every non-learner node (float64 ``[n_nodes]``)."""
        r = np.zeros(len(self.attr_degree_))
        r[held] = 1.0 / len(held)
        return self._walks(r[:, None])[:, 0]

    def _walks(self, r: np.ndarray) -> np.ndarray:
        """The walk from each column of ``r`` (float64 ``[n_nodes, m]``, restart vectors) at once:
        ``[n_nodes, m]``; stops when every column's L1 change is below ``tol``."""
        nb = self.n_badges_
        g = self._transitions()
        d = self.attr_degree_.copy()
        d[:nb] += self.holders_
        inv = np.divide(1.0, d, out=np.zeros(len(d)), where=d > 0)[:, None]
        dangling_nodes = d == 0
        a = float(self.alpha)
        x, prev_b = r.copy(), np.zeros((nb, r.shape[1]))
        for _ in range(int(self.max_iter)):
            y = x * inv
            new = (1 - a) * (self.attributes_ @ y)
            new[:nb] += (1 - a) ** 2 * (g @ prev_b)
            new += (a + (1 - a) * x[dangling_nodes].sum(axis=0)) * r
            change = np.abs(new - x).sum(axis=0).max()
            prev_b = y[:nb]
            x = new
            if change < float(self.tol):
                break
        return x

    def _precompute(self, badges: np.ndarray, block: int = 256) -> list[tuple[np.ndarray, np.ndarray]]:
        """Walk from each of ``badges`` alone (``block`` at a time) and keep each walk's
        ``top_k`` largest badge probabilities: ``[(int32 columns, float64 values)]`` in ``badges`` order."""
        nb, n, k = self.n_badges_, len(self.attr_degree_), int(self.top_k or 0)
        out = []
        for start in range(0, len(badges), block):
            part = badges[start:start + block]
            r = np.zeros((n, len(part)))
            r[part, np.arange(len(part))] = 1.0
            x = self._walks(r)[:nb]
            for j in range(len(part)):
                col = x[:, j]
                top = np.flatnonzero(col > 0)
                if len(top) > k:
                    top = top[np.argpartition(-col[top], k - 1)[:k]]
                out.append((top.astype(np.int32), col[top]))
        return out

    def _walk_badges(self, held: np.ndarray) -> np.ndarray:
        """The badge part of the walk from ``held`` (float64 ``[n_badges]``): from the kept rows
        (``top_k``, while no award has changed the graph since ``fit``) or by walking."""
        if self._ppr_rows is None:
            return self._walk(held)[: self.n_badges_]
        rows = [self._ppr_rows[int(b)] for b in held.tolist()]
        cols = np.concatenate([c for c, _ in rows])
        vals = np.concatenate([v for _, v in rows])
        return np.bincount(cols, weights=vals, minlength=self.n_badges_) / len(held)

    def score(self, profile: Profile) -> np.ndarray:
        """Stationary probability of each badge node, scaled to ``[0, 1]``: float64 ``[n_badges]``."""
        if profile.is_empty:
            return np.zeros(self.n_badges_, dtype=np.float64)
        x = self._walk_badges(profile.held)
        x[profile.held] = 0.0
        return scale_to_unit(x)

    def _cited(self, profile: Profile, badge: int) -> tuple[int, int] | None:
        """The held badge column most of ``badge``'s holders also hold, and how many (``None``: none)."""
        if profile.is_empty:
            return None
        counts = self.co_.row_values(badge, profile.held)  # symmetric: C[h, badge] for every held h
        if not np.any(counts > 0):
            return None
        k = int(np.argmax(counts))
        return int(profile.held[k]), int(counts[k])

    def cites(self, profile: Profile, badge: int) -> tuple[str, int] | None:
        """The fact ``explain`` states, ``("co-holders", held badge column)``, so that the
        reasons of one answer never state it twice (``explaining``)."""
        cited = self._cited(profile, badge)
        return None if cited is None else ("co-holders", cited[0])

    def explain(self, profile: Profile, badge: int) -> str | None:
        """``"Learners with badges like yours hold it: 212 who hold Teacher hold it too"``."""
        cited = self._cited(profile, badge)
        if cited is None:
            return None
        h, n = cited
        return f"Learners with badges like yours hold it: {_co_holders(n, self.names_[h])}"

    def _change(self, others: np.ndarray, badge: int, sign: int) -> None:
        update_learner_normalised(self.g_, self.holders_, others, badge, sign)
        h = np.asarray(others, dtype=np.int64).reshape(-1)
        if hasattr(self, "_rows"):  # PersonalisedPageRank (RP3beta shares this method)
            for r in [badge, *h.tolist()]:
                self._rows[int(r)] = None
            self._walk_matrix = None
            # the kept rows stay while the changes are few beside what they were computed from: one
            # award moves every walk by about 1/holders of the badges it touches; the next fit (the
            # follower's rebuild) renews them. Past that share (an offline replay, which fits on no
            # awards and adds them all, at once) each request walks, exact
            self.changes_since_fit_ += 1
            if self.changes_since_fit_ > KEEP_ROWS_SHARE * self.fitted_pairs_:
                self._ppr_rows = None
        b = np.full(len(h), badge)
        self.co_.add(np.concatenate([b, h, [badge]]), np.concatenate([h, b, [badge]]), sign)

    def add_award(self, held_before: np.ndarray, badge: int, **_: object) -> None:
        """The learner's new badge edge, folded into ``G`` and the holders."""
        self._change(held_before, badge, +1)

    def remove_award(self, held: np.ndarray, badge: int, **_: object) -> None:
        """The reverse of ``add_award``."""
        h = np.asarray(held, dtype=np.int64).reshape(-1)
        self._change(h[h != badge], badge, -1)


def _pairs(projection: Projection) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, cols, counts)`` of ``Xᵀ X``: learners holding both badges."""
    co = co_occurrence(projection)
    return co.row, co.col, np.rint(co.data)


class RP3beta:
    """Three-step random walk learner -> badge -> learner -> badge, popularity-penalised (Paudel et al. 2017).

    ``W[i, j] = (1 / deg(i)) Σ_v X[v, i] X[v, j] / deg(v)`` (``deg(v)``: badges
    learner ``v`` holds; ``deg(i)``: holders of ``i``); the learner's score of
    ``j`` is ``Σ_{i held} W[i, j] / deg(j)^β``. Only ``G = Xᵀ D_v⁻¹ X`` is
    stored: when a learner holding ``n`` badges ``H`` gains ``b``, their
    ``1/n`` leaves ``G[H, H]`` and ``1/(n+1)`` enters ``G[H+b, H+b]``.

    Args:
        beta: the popularity penalty exponent (0: plain P3).

    Attributes:
        g_: ``CountMatrix`` float64 ``[n_badges, n_badges]``: ``G``.
        holders_: int64 ``[n_badges]``.
        co_: ``CountMatrix`` int64: ``Xᵀ X`` (the counts its reasons quote).
    """

    name = "rp3beta"

    def __init__(self, beta: float = 0.5) -> None:
        self.beta = beta

    def fit(self, projection: Projection) -> "RP3beta":
        """Build ``G`` and the co-occurrence counts.

        Returns:
            ``self``.
        """
        n = projection.n_badges
        self.g_, self.holders_ = learner_normalised(projection)
        self.co_ = CountMatrix.from_coo((n, n), *_pairs(projection))
        self.names_ = projection.badge_names
        return self

    def score(self, profile: Profile) -> np.ndarray:
        """``Σ_i W[i, j] / deg(j)^β`` scaled to ``[0, 1]``: float64 ``[n_badges]``."""
        if profile.is_empty:
            return np.zeros(len(self.holders_), dtype=np.float64)
        held = profile.held
        s = self.g_.weighted_row_sum(held, 1.0 / np.maximum(self.holders_[held], 1))
        s /= np.maximum(self.holders_, 1) ** float(self.beta)
        s[held] = 0.0
        return scale_to_unit(s)

    def _cited(self, profile: Profile, badge: int) -> int | None:
        """The held badge column whose holders lead most to ``badge`` (``None``: none)."""
        if profile.is_empty:
            return None
        held = profile.held
        # G is symmetric: the badge's own row gives G[h, badge] for every held h
        col = self.g_.row_values(badge, held) / np.maximum(self.holders_[held], 1)
        return int(held[int(np.argmax(col))]) if np.any(col > 0) else None

    def cites(self, profile: Profile, badge: int) -> tuple[str, int] | None:
        """The fact ``explain`` states, ``("co-holders", held badge column)``: the one
        ``PersonalisedPageRank.cites`` names when both cite the same held badge."""
        h = self._cited(profile, badge)
        return None if h is None else ("co-holders", h)

    def explain(self, profile: Profile, badge: int) -> str | None:
        """``"Learners like you: 12 learners who hold Critic hold it too, though only 40 learners hold it in all"``
        (``"though few learners hold it in all"`` for a count under k: ``signals.shown``)."""
        h = self._cited(profile, badge)
        if h is None:
            return None
        n, m = int(self.co_.value(h, badge)), int(self.holders_[badge])
        # a count under k is not said ("fewer than 5 ... though fewer than 5" read badly): "few"
        in_all = f"only {learners_phrase(m)}" if shown(m) else "few learners hold"
        return f"Learners like you: {_co_holders(n, self.names_[h])}, though {in_all} it in all"

    _change = PersonalisedPageRank._change
    add_award = PersonalisedPageRank.add_award
    remove_award = PersonalisedPageRank.remove_award


def _co_holders(n: int, held: str) -> str:
    """``"12 learners who hold Critic hold it too"`` (``"fewer than 5 learners who ..."``: ``learners``)."""
    return f"{learners(n)} who hold {held} hold it too"
