"""``CountMatrix``: every read agrees with a dense reference while updates queue, sit beside the CSR and merge."""

from __future__ import annotations

import numpy as np
import pytest

from colearn.recommender import counts


@pytest.mark.parametrize("merge_min", [5, 10_000])
def test_every_read_equals_a_dense_reference_through_queued_kept_and_merged_changes(monkeypatch, merge_min) -> None:
    # merge_min 5: the changes are merged into the CSR almost every read; 10,000: they stay beside it
    monkeypatch.setattr(counts, "MERGE_MIN", merge_min)
    rng = np.random.default_rng(3)
    shape = (40, 30)
    rows, cols = rng.integers(0, shape[0], 300), rng.integers(0, shape[1], 300)
    m = counts.CountMatrix.from_coo(shape, rows, cols, dense=False)
    ref = np.zeros(shape, dtype=np.int64)
    np.add.at(ref, (rows, cols), 1)
    for step in range(60):
        r, c = rng.integers(0, shape[0], 8), rng.integers(0, shape[1], 8)
        # additions and removals (a removal may take a cell back to zero)
        v = np.where(rng.random(8) < 0.3, -1, 1) * (ref[r, c] > 0) + (ref[r, c] == 0)
        m.add(r, c, v)
        np.add.at(ref, (r, c), v)
        idx = rng.integers(0, shape[0], 5)
        np.testing.assert_array_equal(m.rows(idx), ref[idx])
        src, gc, gv = m.gather(idx)
        got = np.zeros((len(idx), shape[1]), dtype=np.int64)
        np.add.at(got, (src, gc), gv)
        np.testing.assert_array_equal(got, ref[idx])
        assert np.all(gv != 0) and np.all(np.diff(src) >= 0)  # no stored zeros, rows in order
        w = rng.random(len(idx))
        np.testing.assert_allclose(m.weighted_row_sum(idx, w), w @ ref[idx])
        row, probe = int(idx[0]), rng.integers(0, shape[1], 6)
        np.testing.assert_array_equal(m.row_values(row, probe), ref[row, probe])
        assert m.value(row, int(probe[0])) == ref[row, probe[0]]
        if step % 20 == 19:
            np.testing.assert_array_equal(m.csr().toarray(), ref)
            assert m.csr().nnz == np.count_nonzero(ref)


def test_a_row_read_after_an_update_leaves_the_big_matrix_alone_until_the_changes_pass_their_share(monkeypatch) -> None:
    monkeypatch.setattr(counts, "MERGE_MIN", 10)
    shape = (200, 200)
    rng = np.random.default_rng(0)
    m = counts.CountMatrix.from_coo(shape, rng.integers(0, 200, 5_000), rng.integers(0, 200, 5_000), dense=False)
    base = m._m
    m.add(np.array([1, 2]), np.array([3, 4]))
    m.rows(np.array([1]))
    assert m._m is base and m._delta is not None and m._delta.nnz == 2  # kept beside it
    share = int(counts.MERGE_SHARE * base.nnz) + 1
    m.add(rng.integers(0, 200, 3 * share), rng.integers(0, 200, 3 * share))
    m.rows(np.array([1]))
    assert m._m is not base and m._delta is None  # past the share: merged
