"""Projections of the graph that the recommender scores on.

The graph is the truth; the recommender works in-process on matrices built
from it (as Neo4j GDS projects a graph before running an algorithm). Each
matrix is named by its axes (STYLE.md, item 7):

- ``learner_badges``: ``scipy.sparse.csr_array``, float32, shape
  ``[n_learners, n_badges]``, binary: 1 when the learner holds the badge (a
  badge earned twice counts once).
- ``badge_cells``: ``scipy.sparse.csr_array``, float32, shape
  ``[n_badges, n_cells]``, binary: the badge's alignments to spine cells.
- the earning order: for each learner, the distinct badges in the order they
  were first earned, with the time, in the CSR-like triple ``history_indptr``
  / ``history_badges`` / ``history_on``.
- ``badge_themes``: CSR float32 ``[n_badges, n_themes]`` and
  ``badge_destinations``: CSR float32 ``[n_badges, n_destinations]`` (through
  the badge's themes), binary; ``badge_texts``: one "name. description" per
  badge, for text similarity.

Rows and columns are mapped to graph ids by ``IdIndex`` objects: learners in id
order, badges in id order, spine cells in (domain_rank, layer_rank, id) order.
A ``Projection`` is built either from the store (``from_store``) or from plain
rows (``from_rows``, for evaluation and tests) and both give the same result
for the same data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from scipy import sparse

from colearn.errors import InvalidInput
from colearn.graph import queries
from colearn.graph.store import GraphStore
from colearn.recommender.awards import Award, as_award, award_order_key, epoch_seconds
from colearn.recommender.index import IdIndex


def _named(rows: list[dict[str, Any]], nodes: Mapping[str, str], where: str) -> list[dict[str, Any]]:
    """``rows`` once each of their keys in ``nodes`` (``{key: "a Badge"}``) holds a non-empty string id.

    Raises:
        InvalidInput: a row without one (neither store can require an id), naming the graph ``where``.
    """
    for r in rows:
        for key, node in nodes.items():
            if not isinstance(r.get(key), str) or not r[key]:
                raise InvalidInput(f"{node} node has no id ({key}: {r.get(key)!r}); colearn names every node "
                                   "by a non-empty string id: give that node one, or delete it",
                                   file=where, field="id")
    return rows


@dataclass(frozen=True)
class SpineCell:
    """One cell of the learning spine (a ``SPINE_CELLS`` row).

    Attributes:
        id: e.g. ``"skills.demonstration"``.
        layer: the layer id, e.g. ``"demonstration"``.
        domain: the domain id, e.g. ``"skills"``.
        layer_rank: position of the layer in the spine (0 first); the order of
            layers comes from here, never from code.
        domain_rank: position of the domain.
        name: display name, e.g. ``"Skills: Demonstration"``.
    """

    id: str
    layer: str
    domain: str
    layer_rank: int
    domain_rank: int = 0
    name: str = ""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "SpineCell":
        """Build from a ``SPINE_CELLS`` row (or any mapping with the same keys).

        Raises:
            InvalidInput: ``id``, ``layer``, ``domain`` or ``layer_rank`` is missing,
                or a rank is not an integer.
        """
        missing = [k for k in ("id", "layer", "domain", "layer_rank") if row.get(k) is None]
        if missing:
            raise InvalidInput(f"spine cell {row.get('id')!r} lacks {', '.join(missing)}")
        try:
            layer_rank = int(row["layer_rank"])
            domain_rank = int(row.get("domain_rank") or 0)
        except (TypeError, ValueError):
            raise InvalidInput(f"spine cell '{row['id']}': ranks must be integers") from None
        return cls(id=str(row["id"]), layer=str(row["layer"]), domain=str(row["domain"]),
                   layer_rank=layer_rank, domain_rank=domain_rank,
                   name=str(row.get("name") or ""))

    @property
    def domain_label(self) -> str:
        """The domain's display name: the part of ``name`` before ``": "``, else the id."""
        if ": " in self.name:
            return self.name.split(": ", 1)[0]
        return self.domain.replace("_", " ").capitalize()


def _csr(shape: tuple[int, int], rows: np.ndarray, cols: np.ndarray) -> sparse.csr_array:
    """A binary float32 CSR of ``shape`` with ones at the distinct (row, col) pairs given."""
    data = np.ones(len(rows), dtype=np.float32)
    m = sparse.csr_array((data, (rows, cols)), shape=shape, dtype=np.float32)
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


@dataclass(frozen=True, eq=False)
class Projection:
    """The matrices the recommender scores on, and the indexes that name their axes.

    Build with ``from_store`` or ``from_rows``; constructing directly checks
    every shape and dtype.

    Attributes:
        learners: learner ids <-> rows (id order).
        badges: badge ids <-> columns (id order).
        cells: spine cell ids <-> columns of ``badge_cells``.
        learner_badges: CSR float32 ``[n_learners, n_badges]``, binary.
        history_indptr: int64 ``[n_learners + 1]``; learner ``r``'s distinct
            badges in first-earned order are ``history_badges[indptr[r]:indptr[r+1]]``.
        history_badges: int64 ``[n_pairs]``, badge columns.
        history_on: int64 ``[n_pairs]``, epoch seconds of each first award.
        badge_cells: CSR float32 ``[n_badges, n_cells]``, binary.
        badge_names: display names, one per badge column (the id when the
            badge has no name).
        cell_info: one ``SpineCell`` per cell column.
        now: the time (epoch seconds) the portfolio was read at, if known.
        themes: theme ids <-> columns of ``badge_themes`` (id order).
        destinations: destination ids <-> columns of ``badge_destinations``.
        badge_themes: CSR float32 ``[n_badges, n_themes]``, binary (empty by default).
        badge_destinations: CSR float32 ``[n_badges, n_destinations]``, binary.
        badge_texts: ``"name. description"`` per badge column (names by default).
        theme_names: display names, one per theme column (the id when the
            theme has no name), for reasons that name a theme.
        destination_names: display names, one per destination column (the id,
            ``_`` read as a space, when the destination has no name), for reasons
            that name a destination.
        badge_issuers: the name of each badge column's issuer (the organisation that defines
            it), ``None`` for a badge with no issuer or a nameless one; all ``None`` by default.
        badge_vectors: float32 ``[n_badges, dim]``: MiniLM vectors stored on
            the graph for the current texts (``text.embed_catalogue``), or ``None``.

    Raises:
        InvalidInput: a shape, dtype or length does not match the indexes
            (the message names the array and both shapes).
    """

    learners: IdIndex
    badges: IdIndex
    cells: IdIndex
    learner_badges: sparse.csr_array
    history_indptr: np.ndarray
    history_badges: np.ndarray
    history_on: np.ndarray
    badge_cells: sparse.csr_array
    badge_names: tuple[str, ...]
    cell_info: tuple[SpineCell, ...]
    now: int | None = None
    themes: IdIndex | None = None
    destinations: IdIndex | None = None
    badge_themes: sparse.csr_array | None = None
    badge_destinations: sparse.csr_array | None = None
    badge_texts: tuple[str, ...] | None = None
    theme_names: tuple[str, ...] | None = None
    destination_names: tuple[str, ...] | None = None
    badge_vectors: np.ndarray | None = None
    badge_issuers: tuple[str | None, ...] | None = None

    def __post_init__(self) -> None:
        n_l, n_b, n_c = len(self.learners), len(self.badges), len(self.cells)
        # optional catalogue axes: empty when not given (frozen, so set through object)
        for name, kind in (("themes", "theme"), ("destinations", "destination")):
            if getattr(self, name) is None:
                object.__setattr__(self, name, IdIndex(kind=kind))
        for name, axis in (("badge_themes", self.themes), ("badge_destinations", self.destinations)):
            if getattr(self, name) is None:
                object.__setattr__(self, name, sparse.csr_array((n_b, len(axis)), dtype=np.float32))
        if self.badge_texts is None:
            object.__setattr__(self, "badge_texts", tuple(self.badge_names))
        if self.badge_issuers is None:
            object.__setattr__(self, "badge_issuers", (None,) * n_b)
        assert self.themes is not None and self.destinations is not None
        for name, axis, kind in (("theme_names", self.themes, "themes"),
                                 ("destination_names", self.destinations, "destinations")):
            if getattr(self, name) is None:
                object.__setattr__(self, name, tuple(axis))
            if len(getattr(self, name)) != len(axis):
                raise InvalidInput(f"{name} has {len(getattr(self, name))} entries for {len(axis)} {kind}")
        self._check_matrix("badge_themes", self.badge_themes, (n_b, len(self.themes)), "[n_badges, n_themes]")
        self._check_matrix("badge_destinations", self.badge_destinations, (n_b, len(self.destinations)),
                           "[n_badges, n_destinations]")
        if len(self.badge_texts) != n_b:
            raise InvalidInput(f"badge_texts has {len(self.badge_texts)} entries for {n_b} badges")
        if len(self.badge_issuers or ()) != n_b:
            raise InvalidInput(f"badge_issuers has {len(self.badge_issuers or ())} entries for {n_b} badges")
        self._check_matrix("learner_badges", self.learner_badges, (n_l, n_b), "[n_learners, n_badges]")
        self._check_matrix("badge_cells", self.badge_cells, (n_b, n_c), "[n_badges, n_cells]")
        if self.history_indptr.shape != (n_l + 1,):
            raise InvalidInput(f"history_indptr has shape {self.history_indptr.shape}, "
                               f"expected ({n_l + 1},) = [n_learners + 1]")
        n_pairs = int(self.learner_badges.nnz)
        for name in ("history_badges", "history_on"):
            arr = getattr(self, name)
            if arr.shape != (n_pairs,):
                raise InvalidInput(f"{name} has shape {arr.shape}, expected ({n_pairs},): "
                                   "one entry per (learner, badge) pair of learner_badges")
        if self.history_indptr[-1] != n_pairs or np.any(np.diff(self.history_indptr) < 0):
            raise InvalidInput("history_indptr does not partition the history arrays")
        if len(self.badge_names) != n_b:
            raise InvalidInput(f"badge_names has {len(self.badge_names)} entries for {n_b} badges")
        if len(self.cell_info) != n_c:
            raise InvalidInput(f"cell_info has {len(self.cell_info)} entries for {n_c} cells")

    @staticmethod
    def _check_matrix(name: str, m: Any, shape: tuple[int, int], axes: str) -> None:
        if not sparse.issparse(m) or m.format != "csr":
            raise InvalidInput(f"{name} must be a scipy.sparse CSR matrix {axes}, got {type(m).__name__}")
        if m.shape != shape:
            raise InvalidInput(f"{name} has shape {m.shape}, but the indexes give {shape} {axes}")
        if m.dtype != np.float32:
            raise InvalidInput(f"{name} must be float32, got {m.dtype}")
        if m.nnz and not np.all(m.data == 1.0):
            raise InvalidInput(f"{name} must be binary (every stored value 1.0)")

    # ------------------------------------------------------------------ sizes

    @property
    def n_learners(self) -> int:
        """Rows of ``learner_badges``."""
        return len(self.learners)

    @property
    def n_badges(self) -> int:
        """Columns of ``learner_badges``, rows of ``badge_cells``."""
        return len(self.badges)

    @property
    def n_cells(self) -> int:
        """Columns of ``badge_cells``."""
        return len(self.cells)

    # ------------------------------------------------------------------ derived matrices

    def derived(self, key: str, build: Callable[[], Any]) -> Any:
        """``build()``, computed once per projection and key and kept until ``forget_derived``.

        Several signals start from the same products of ``learner_badges``
        (``Xᵀ X``, ``Xᵀ D⁻¹ X``: seconds each at L); they share them through
        this while they are fitted. Treat the result as read-only.
        """
        cache = self.__dict__.setdefault("_derived", {})
        if key not in cache:
            cache[key] = build()
        return cache[key]

    def forget_derived(self) -> None:
        """Drop what ``derived`` kept (the recommender does once every signal is fitted)."""
        self.__dict__.pop("_derived", None)

    # ------------------------------------------------------------------ reads

    def history(self, learner_row: int) -> tuple[np.ndarray, np.ndarray]:
        """One learner's distinct badges in first-earned order.

        Args:
            learner_row: a row of ``learner_badges``.

        Returns:
            ``(badges, on)``: int64 arrays of shape ``[n_held]``: badge columns
            and the epoch seconds each was first earned.
        """
        lo, hi = self.history_indptr[learner_row], self.history_indptr[learner_row + 1]
        return self.history_badges[lo:hi], self.history_on[lo:hi]

    def cells_of(self, badge_col: int) -> np.ndarray:
        """The cell columns badge ``badge_col`` is aligned to (int32 ``[n_aligned]``)."""
        ptr = self.badge_cells.indptr
        return self.badge_cells.indices[ptr[badge_col]:ptr[badge_col + 1]]

    def badge_cell_ids(self) -> dict[str, tuple[str, ...]]:
        """``{badge_id: (cell_id, ...)}`` for every badge (empty tuple when unaligned)."""
        return {b: tuple(self.cells.id(int(c)) for c in self.cells_of(col))
                for col, b in enumerate(self.badges)}

    # ------------------------------------------------------------------ builders

    @classmethod
    def from_rows(
        cls,
        awards: Iterable[Award | Sequence[Any]],
        badges: Iterable[Mapping[str, Any]],
        cells: Iterable[Mapping[str, Any] | SpineCell],
        *,
        learners: Iterable[str] = (),
        now: int | None = None,
        theme_names: Mapping[str, str | None] | None = None,
        destination_names: Mapping[str, str | None] | None = None,
    ) -> "Projection":
        """Build from plain rows.

        Args:
            awards: ``(learner_id, badge_id, awarded_on, award_id)`` rows (or
                ``Award``), in any order; they are ordered by ``awarded_on``
                then ``award_id``. Repeated awards of one badge to one learner
                count once, at the first.
            badges: the catalogue: mappings with ``id`` and optionally ``name``,
                ``description``, ``cells`` (spine cell ids), ``themes`` and
                ``destinations`` (ids) and ``issuer_name``, like ``BADGE_CATALOGUE`` rows. Columns
                are in id order.
            cells: the spine, like ``SPINE_CELLS`` rows (or ``SpineCell``).
            learners: extra learner ids that hold no badges (empty rows).
            now: the time the portfolio was read at (epoch seconds), if any.
            theme_names: ``{theme id: display name}``; a theme missing here
                (or named ``None``) is shown by its id.
            destination_names: ``{destination id: display name}``; a destination
                missing here (or named ``None``) is shown by its id, ``_`` read as a space.

        Returns:
            The projection.

        Raises:
            InvalidInput: a badge or cell id appears twice, a badge is aligned
                to an unknown cell, an award names a badge not in the
                catalogue, or an award row is malformed.
        """
        cell_list = sorted((c if isinstance(c, SpineCell) else SpineCell.from_row(c) for c in cells),
                           key=lambda c: (c.domain_rank, c.layer_rank, c.id))
        cell_index = IdIndex((c.id for c in cell_list), kind="spine cell")

        badge_rows = sorted(badges, key=lambda b: str(b.get("id")))
        badge_index = IdIndex((b.get("id") for b in badge_rows), kind="badge")
        names = tuple(str(b.get("name") or b["id"]) for b in badge_rows)
        bc_rows: list[int] = []
        bc_cols: list[int] = []
        for col, b in enumerate(badge_rows):
            for cell_id in dict.fromkeys(b.get("cells") or ()):
                c = cell_index.get(cell_id)
                if c is None:
                    raise InvalidInput(f"badge '{b['id']}' is aligned to unknown spine cell '{cell_id}'")
                bc_rows.append(col)
                bc_cols.append(c)
        badge_cells = _csr((len(badge_index), len(cell_index)),
                           np.asarray(bc_rows, dtype=np.int64), np.asarray(bc_cols, dtype=np.int64))

        def axis(key: str, kind: str) -> tuple[IdIndex, sparse.csr_array]:
            index = IdIndex(sorted({str(x) for b in badge_rows for x in (b.get(key) or ())}), kind=kind)
            pairs = [(col, index.row(str(x))) for col, b in enumerate(badge_rows)
                     for x in dict.fromkeys(b.get(key) or ())]
            r = np.asarray([p[0] for p in pairs], dtype=np.int64)
            c = np.asarray([p[1] for p in pairs], dtype=np.int64)
            return index, _csr((len(badge_index), len(index)), r, c)

        theme_index, badge_themes = axis("themes", "theme")
        destination_index, badge_destinations = axis("destinations", "destination")
        texts = tuple(". ".join(t for t in (str(b.get("name") or b["id"]), str(b.get("description") or ""))
                                if t) for b in badge_rows)

        rows = [as_award(r, i) for i, r in enumerate(awards)]
        rows.sort(key=award_order_key)
        firsts: dict[str, dict[int, int]] = {}
        for a in rows:
            col = badge_index.get(a.badge_id)
            if col is None:
                raise InvalidInput(f"award '{a.award_id}' names badge '{a.badge_id}', "
                                   "which is not in the catalogue")
            held = firsts.setdefault(a.learner_id, {})
            if col not in held:
                held[col] = a.awarded_on
        learner_index = IdIndex(sorted(set(firsts) | set(learners)), kind="learner")

        indptr = np.zeros(len(learner_index) + 1, dtype=np.int64)
        hist_badges: list[int] = []
        hist_on: list[int] = []
        for r, learner_id in enumerate(learner_index):
            held = firsts.get(learner_id, {})
            hist_badges.extend(held.keys())  # dicts keep first-earned order
            hist_on.extend(held.values())
            indptr[r + 1] = len(hist_badges)
        history_badges = np.asarray(hist_badges, dtype=np.int64)
        learner_rows = np.repeat(np.arange(len(learner_index), dtype=np.int64), np.diff(indptr))
        learner_badges = _csr((len(learner_index), len(badge_index)), learner_rows, history_badges)

        return cls(
            learners=learner_index, badges=badge_index, cells=cell_index,
            learner_badges=learner_badges, history_indptr=indptr,
            history_badges=history_badges, history_on=np.asarray(hist_on, dtype=np.int64),
            badge_cells=badge_cells, badge_names=names, cell_info=tuple(cell_list), now=now,
            themes=theme_index, destinations=destination_index, badge_themes=badge_themes,
            badge_destinations=badge_destinations, badge_texts=texts,
            badge_issuers=tuple(str(b["issuer_name"]) if b.get("issuer_name") else None for b in badge_rows),
            theme_names=tuple(str((theme_names or {}).get(t) or t) for t in theme_index),
            destination_names=tuple(str((destination_names or {}).get(d) or d.replace("_", " "))
                                    for d in destination_index),
        )

    @classmethod
    def from_store(cls, store: GraphStore, now: datetime | int | None = None) -> "Projection":
        """Build from the graph: the spine, the badge catalogue and every portfolio award.

        Reads ``SPINE_CELLS``, ``BADGE_CATALOGUE``, ``THEME_NAMES``, ``DESTINATION_NAMES`` and
        ``PORTFOLIO_AWARDS`` (awards accepted, not revoked and not expired at ``now``).

        Args:
            store: the graph.
            now: the time the portfolio is taken at; default the current UTC time.

        Returns:
            The projection (learners are those with at least one portfolio award).

        Raises:
            InvalidInput: ``now`` is naive; an award has no ``issued_on``; a node the
                build reads has no id (a node another application or a hand-written
                statement made): the message names the graph (``store.where``).
            StoreUnavailable: the store cannot be reached.
        """
        at = epoch_seconds(now)
        where = store.where
        cells = _named(store.read(queries.SPINE_CELLS), {"id": "a SpineCell"}, where)
        catalogue = _named(store.read(queries.BADGE_CATALOGUE), {"id": "a Badge"}, where)
        awards = []
        portfolio = store.read(queries.PORTFOLIO_AWARDS, {"now": at})
        for r in _named(portfolio, {"assertion_id": "an Assertion", "learner_id": "a Learner"}, where):
            if r.get("issued_on") is None:
                raise InvalidInput(f"assertion '{r['assertion_id']}' has no issued_on", file=where)
            awards.append(Award(r["learner_id"], r["badge_id"], int(r["issued_on"]), r["assertion_id"]))
        from colearn.graph.recommender_queries import DESTINATION_NAMES, THEME_NAMES

        names = {r["id"]: r["name"] for r in store.read(THEME_NAMES)}
        destination_names = {r["id"]: r["name"] for r in store.read(DESTINATION_NAMES)}
        projection = cls.from_rows(awards, catalogue, cells, now=at, theme_names=names,
                                   destination_names=destination_names)
        from colearn.graph.schema import Label
        from colearn.recommender.text import MINILM, text_hash

        stored = {r["id"]: r for r in store.read(queries.node_texts(Label.BADGE))}
        rows = [stored.get(b) for b in projection.badges]
        texts = projection.badge_texts or ()
        if rows and all(r is not None and r.get("vector") and r.get("model") == MINILM
                        and r.get("hash") == text_hash(t) for r, t in zip(rows, texts)):
            vectors = np.asarray([r["vector"] for r in rows if r is not None], dtype=np.float32)
            object.__setattr__(projection, "badge_vectors", vectors)
        return projection
