"""A sparse count matrix that takes small updates without a rebuild.

The signals keep co-occurrence and transition counts as ``scipy.sparse`` CSR
matrices. An award changes a handful of cells; rebuilding the matrix from the
graph for that would be wasteful, and writing into a CSR's structure one cell
at a time is slow. So updates are queued as COO triples. A read of some
rows folds the queue into a small CSR of changes beside the big one (its
cost is the changes' size) and reads both; the changes are merged into the
big CSR (one sparse addition, ``O(nnz)``) only when they pass
``MERGE_SHARE`` of its nonzeros, when the whole matrix is read, or when the
queue passes ``FOLD_ENTRIES`` entries (a matrix no request reads would
otherwise queue without bound). Measured at L (5,000 badges): the first
item-kNN read after an award had cost 67 ms, 50 of them the whole-matrix
addition. The shape is fixed when the matrix is made.

A small matrix (at most ``DENSE_CELLS`` cells: badge x badge counts of a
catalogue of up to 2,000 badges) is kept dense instead and updated in place
(``numpy.add.at``), which is far faster for the many small updates of a replay.
"""

from __future__ import annotations

import threading

import numpy as np
from scipy import sparse


#: Matrices with at most this many cells are kept dense.
DENSE_CELLS = 4_000_000

#: A sparse matrix folds its queued updates in once they hold more than this many entries, even
#: unread: a learner holding ``n`` badges queues about ``2 (n+1)²`` entries per award in the
#: learner-normalised ``G`` (``walks.update_learner_normalised``), and some matrices are seldom
#: read (PageRank's ``G`` while its precomputed rows serve; the counts only reasons quote). At L
#: the last 1% of the awards applied one by one queued about 1 MB per award without this bound
#: (RSS 1.5 -> 6.2 GB after 5,000 awards), 2.4 MB for learners holding 100+ badges.
#: 2,000,000 entries are 48 MB per matrix (int64 row, int64 column, 8-byte value); one fold costs
#: one sparse addition over the matrix's nonzeros.
FOLD_ENTRIES = 2_000_000

#: The changes kept beside the CSR are merged into it once they hold more nonzeros than this
#: share of its own (at least ``MERGE_MIN``): a row read then costs at most about 1/16 more,
#: and a merge's ``O(nnz)`` addition is paid once per that many changed cells.
MERGE_SHARE = 1 / 16
MERGE_MIN = 50_000

#: ``weighted_row_sum`` and ``gather`` read the rows' entries with numpy up to this many, then with scipy.
ROW_SUM_GATHER = 20_000


class CountMatrix:
    """A CSR matrix of counts (or weights) with queued updates.

    Args:
        shape: ``(n_rows, n_cols)``.
        dtype: ``np.int64`` for counts, ``np.float64`` for weights.

        dense: keep a dense array (default: when the shape has at most
            ``DENSE_CELLS`` cells).

    Attributes:
        shape: ``(n_rows, n_cols)``, fixed.
        version: increases with every update (callers cache derived matrices by it).
    """

    def __init__(self, shape: tuple[int, int], dtype: type = np.int64, dense: bool | None = None) -> None:
        self.dtype = dtype
        self.shape = (int(shape[0]), int(shape[1]))
        self.dense = (self.shape[0] * self.shape[1] <= DENSE_CELLS) if dense is None else dense
        self._d = np.zeros(self.shape, dtype=dtype) if self.dense else None
        self._m = sparse.csr_array(self.shape, dtype=dtype)
        self._delta: sparse.csr_array | None = None
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._pending_entries = 0
        self._lock = threading.Lock()
        self.version = 0
        self._csr_version = -1

    @classmethod
    def from_coo(cls, shape: tuple[int, int], rows: np.ndarray, cols: np.ndarray,
                 values: np.ndarray | None = None, dtype: type = np.int64,
                 dense: bool | None = None) -> "CountMatrix":
        """A matrix holding the sums of ``values`` (default ones) at ``(rows, cols)``."""
        out = cls(shape, dtype, dense)
        vals = np.ones(len(rows), dtype=dtype) if values is None else np.asarray(values, dtype=dtype)
        m = sparse.csr_array((vals, (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))),
                             shape=out.shape, dtype=dtype)
        m.sum_duplicates()
        if out.dense:
            out._d = m.toarray()
        else:
            out._m = m
        return out

    def add(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray | float | int = 1) -> None:
        """``M[rows[i], cols[i]] += values[i]`` (repeated cells add up); queued when sparse.

        The queue is folded in when it passes ``FOLD_ENTRIES`` entries, so it
        never holds more than that (plus the last update) however long no one reads.
        """
        r = np.asarray(rows, dtype=np.int64).reshape(-1)
        c = np.asarray(cols, dtype=np.int64).reshape(-1)
        v = np.broadcast_to(np.asarray(values, dtype=self.dtype), r.shape).copy()
        if r.size:
            with self._lock:
                if self._d is not None:
                    np.add.at(self._d, (r, c), v)
                else:
                    self._pending.append((r, c, v))
                    self._pending_entries += r.size
                    if self._pending_entries > FOLD_ENTRIES:
                        self._fold()
                self.version += 1

    @property
    def queued(self) -> int:
        """How many update entries wait to be folded in (0 when dense): at most ``FOLD_ENTRIES``."""
        return self._pending_entries

    def csr(self) -> sparse.csr_array:
        """The matrix with every queued update folded in (CSR, ``shape``)."""
        with self._lock:
            if self._d is not None:
                if self._csr_version != self.version:
                    self._m = sparse.csr_array(self._d)
                    self._csr_version = self.version
                return self._m
            self._fold()
            return self._m

    def _parts(self) -> tuple[sparse.csr_array, sparse.csr_array | None]:
        """``(the CSR, the changes beside it or None)`` with the queue folded into the changes
        (sparse only): their sum is the matrix. Merges them once they pass ``MERGE_SHARE``."""
        with self._lock:
            if self._pending:
                queued = self._queued_csr()
                self._delta = queued if self._delta is None else (self._delta + queued).tocsr()
            if self._delta is not None and self._delta.nnz > max(MERGE_MIN, MERGE_SHARE * self._m.nnz):
                self._fold()
            return self._m, self._delta

    def _queued_csr(self) -> sparse.csr_array:
        """The queue as a CSR (duplicates summed), emptying it: call with the lock held."""
        r = np.concatenate([p[0] for p in self._pending])
        c = np.concatenate([p[1] for p in self._pending])
        v = np.concatenate([p[2] for p in self._pending])
        self._pending = []
        self._pending_entries = 0
        out = sparse.csr_array((v, (r, c)), shape=self.shape, dtype=self.dtype)
        out.sum_duplicates()
        return out

    def _fold(self) -> None:
        """Add the changes and the queue into the CSR (sparse): call with the lock held."""
        if not self._pending and self._delta is None:
            return
        m = self._m if self._delta is None else self._m + self._delta
        if self._pending:
            m = m + self._queued_csr()
        self._delta = None
        m = m.tocsr()
        m.eliminate_zeros()
        self._m = m

    def _read(self, i: np.ndarray) -> tuple[sparse.csr_array, np.ndarray]:
        """``(a CSR, its rows)`` holding rows ``i`` of the matrix: the CSR itself and ``i`` when
        no changes sit beside it, else rows ``i`` with the changes added (no stored zeros,
        sorted columns) and ``0 .. len(i) - 1``. Sparse only."""
        m, delta = self._parts()
        if delta is None:
            return m, i
        out = (m[i] + delta[i]).tocsr()
        out.eliminate_zeros()
        out.sort_indices()
        return out, np.arange(len(i))

    def matrix(self) -> np.ndarray | sparse.csr_array:
        """The whole matrix: the dense array itself (not a copy; do not write) or the CSR."""
        return self._d if self._d is not None else self.csr()

    def gather(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The stored entries of rows ``idx``: ``(position in idx, column, value)``, flat arrays.

        Costs the rows' nonzeros, not ``len(idx) x n_cols``.
        """
        i = np.asarray(idx, dtype=np.int64).reshape(-1)
        if self._d is not None:
            block = self._d[i]
            src, cols = np.nonzero(block)
            return src, cols, block[src, cols]
        m, r = self._read(i)
        starts, ends = m.indptr[r], m.indptr[r + 1]
        lens = ends - starts
        total = int(lens.sum())
        if total > ROW_SUM_GATHER:  # scipy's compiled row index: about 3 times faster on many entries
            sub = m[r]
            return np.repeat(np.arange(len(i)), lens), sub.indices.astype(np.int64), sub.data
        pos = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(total)
        return np.repeat(np.arange(len(i)), lens), m.indices[pos].astype(np.int64), m.data[pos]

    def row_values(self, row: int, cols: np.ndarray) -> np.ndarray:
        """``M[row, cols]`` (``dtype``; 0 where nothing is stored), from one row's entries."""
        c = np.asarray(cols, dtype=np.int64).reshape(-1)
        if self._d is not None:
            return self._d[int(row), c]
        m, at = self._read(np.array([int(row)]))
        row = int(at[0])
        if not m.has_sorted_indices:
            m.sort_indices()
        lo, hi = m.indptr[int(row)], m.indptr[int(row) + 1]
        have = m.indices[lo:hi]
        k = np.minimum(np.searchsorted(have, c), max(len(have) - 1, 0))
        hit = (len(have) > 0) & (have[k] == c) if len(have) else np.zeros(len(c), dtype=bool)
        out = np.zeros(len(c), dtype=self.dtype)
        out[hit] = m.data[lo + k[hit]]
        return out

    def weighted_row_sum(self, idx: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """``Σ_k weights[k] · M[idx[k], :]``: float64 ``[n_cols]`` (weights default to ones).

        Reads only the stored entries of the rows asked for (no dense
        ``[len(idx), n_cols]`` block): the per-request cost is the rows' nonzeros.
        Past ``ROW_SUM_GATHER`` entries the rows are copied out by scipy's
        compiled row index and multiplied by ``weights`` through their
        transpose (at L about 4 times faster than numpy's gather for a learner
        with 40+ badges; below it scipy's fixed cost per call is the larger).
        """
        i = np.asarray(idx, dtype=np.int64).reshape(-1)
        w = np.ones(len(i)) if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
        if self._d is not None:
            return w @ self._d[i] if len(i) else np.zeros(self.shape[1])
        m, delta = self._parts()
        out = self._row_sum(m, i, w)
        return out if delta is None else out + self._row_sum(delta, i, w)

    def _row_sum(self, m: sparse.csr_array, i: np.ndarray, w: np.ndarray) -> np.ndarray:
        """``weighted_row_sum`` over one CSR ``m``."""
        starts, ends = m.indptr[i], m.indptr[i + 1]
        lens = ends - starts
        total = int(lens.sum())
        if total == 0:
            return np.zeros(self.shape[1])
        if total > ROW_SUM_GATHER:
            return np.asarray(m[i].T @ w, dtype=np.float64).reshape(-1)
        pos = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(total)
        return np.bincount(m.indices[pos], weights=m.data[pos] * np.repeat(w, lens), minlength=self.shape[1])

    def value(self, row: int, col: int) -> float:
        """``M[row, col]`` (0 where nothing is stored)."""
        if self._d is not None:
            return self._d[int(row), int(col)]
        return self.row_values(int(row), np.array([int(col)]))[0]

    def rows(self, idx: np.ndarray) -> np.ndarray:
        """Dense rows ``idx``: ``[len(idx), n_cols]`` of ``dtype``."""
        i = np.asarray(idx, dtype=np.int64)
        if self._d is not None:
            return self._d[i].copy()
        m, r = self._read(i)
        return m[r].toarray()
