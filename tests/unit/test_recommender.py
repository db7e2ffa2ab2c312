"""The recommender on small hand-made data: projections, signals, the blend, reasons, updates.

Expected values are worked out by hand in the comments (or, for cosine
similarity, with scikit-learn as an independent implementation).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from sklearn.metrics.pairwise import cosine_similarity

from colearn.errors import InvalidInput, NotFound
from colearn.recommender import signals
from colearn.recommender.index import IdIndex
from colearn.recommender.item_knn import ItemKNN
from colearn.recommender.projections import Projection
from colearn.recommender.recommend import DEFAULT_WEIGHTS, Recommender
from colearn.recommender.signals import Profile
from colearn.recommender.spine_progression import SpineProgression
from tests.recommender_builders import BADGES, CELLS
from tests.recommender_builders import awards as make_awards


@pytest.fixture
def rec() -> Recommender:
    return Recommender.from_rows(make_awards(), BADGES, CELLS, learners=["nobody"])


# ---------------------------------------------------------------------------
# IdIndex and Projection
# ---------------------------------------------------------------------------


def test_id_index_round_trip_and_errors() -> None:
    idx = IdIndex(["b", "a"], kind="badge")
    assert idx.row("b") == 0 and idx.id(1) == "a"
    assert idx.rows(["a", "b"]).tolist() == [1, 0]
    assert idx.add("c") == 2 and idx.add("a") == 1 and len(idx) == 3
    with pytest.raises(NotFound, match="badge 'zz'"):
        idx.row("zz")
    with pytest.raises(NotFound):
        idx.id(3)
    with pytest.raises(InvalidInput, match="appears twice"):
        IdIndex(["x", "x"])
    with pytest.raises(InvalidInput):
        IdIndex([""])


def test_projection_is_binary_and_keeps_earning_order() -> None:
    p = Projection.from_rows(make_awards(), BADGES, CELLS)
    assert p.learner_badges.shape == (6, 7)
    assert p.learner_badges.dtype == np.float32
    assert set(np.unique(p.learner_badges.data)) == {1.0}
    u1 = p.learners.row("u1")
    assert p.learner_badges[[u1]].toarray().sum() == 3  # "first" awarded twice counts once
    held, on = p.history(u1)
    assert [p.badges.id(c) for c in held] == ["first", "club", "show"]
    assert on.tolist() == [1_000, 1_010, 1_020]  # the first award of "first", not the repeat
    assert p.badge_cells.shape == (7, 8)
    assert p.badge_cell_ids()["quiz"] == ("knowledge.participation",)
    assert p.badge_cell_ids()["free"] == ()


def test_projection_orders_ties_by_award_id() -> None:
    awards = [("u", "b", 100, 7), ("u", "a", 100, 3), ("u", "c", 50, 9)]
    p = Projection.from_rows(awards, [{"id": x} for x in "abc"], [])
    held, _ = p.history(p.learners.row("u"))
    assert [p.badges.id(c) for c in held] == ["c", "a", "b"]


def test_projection_rejects_unknown_badge_and_cell() -> None:
    with pytest.raises(InvalidInput, match="badge 'nope'.*not in the catalogue"):
        Projection.from_rows([("u", "nope", 1, 1)], BADGES, CELLS)
    with pytest.raises(InvalidInput, match="unknown spine cell 'skills.flying'"):
        Projection.from_rows([], [{"id": "x", "cells": ["skills.flying"]}], CELLS)
    with pytest.raises(InvalidInput, match="awarded_on must be integer epoch seconds"):
        Projection.from_rows([("u", "first", "2020-01-01", 1)], BADGES, CELLS)


def test_projection_checks_shapes_with_clear_messages() -> None:
    p = Projection.from_rows(make_awards(), BADGES, CELLS)
    flipped = sparse.csr_array(p.learner_badges.T)
    with pytest.raises(InvalidInput, match=r"learner_badges has shape \(7, 6\).*\(6, 7\).*n_learners, n_badges"):
        Projection(p.learners, p.badges, p.cells, flipped, p.history_indptr, p.history_badges,
                   p.history_on, p.badge_cells, p.badge_names, p.cell_info)
    with pytest.raises(InvalidInput, match="float32"):
        Projection(p.learners, p.badges, p.cells, p.learner_badges.astype(np.float64), p.history_indptr,
                   p.history_badges, p.history_on, p.badge_cells, p.badge_names, p.cell_info)


# ---------------------------------------------------------------------------
# Signals
# ---------------------------------------------------------------------------


def test_item_knn_scores_are_cosine_similarity_of_badge_columns() -> None:
    rng = np.random.default_rng(3)
    x = (rng.random((60, 9)) < 0.3).astype(np.float32)
    awards = [(f"l{r}", f"b{c}", 1, r * 100 + c) for r, c in zip(*np.nonzero(x))]
    p = Projection.from_rows(awards, [{"id": f"b{c}"} for c in range(9)], [])
    knn = ItemKNN(neighbours=9).fit(p)
    cols = p.badges.rows([f"b{c}" for c in range(9)])  # projection column of each bX
    dense = np.zeros_like(x)
    dense[:, cols] = x  # columns in projection order (learner rows may be in any order)
    cos = cosine_similarity(dense.T)  # sklearn, independent of ItemKNN
    h = int(p.badges.row("b4"))
    expected = cos[h].copy()
    expected[h] = 0.0
    got = knn.score(Profile.of([h]))
    assert np.allclose(got, expected / expected.max())
    # neighbours=1 keeps only the most similar badge of b4
    one = ItemKNN(neighbours=1).fit(p).score(Profile.of([h]))
    assert np.count_nonzero(one) == 1 and int(np.argmax(one)) == int(np.argmax(expected))


def test_spine_progression_uses_layer_rank_from_data_not_four_layers() -> None:
    # one domain, five layers with gaps in their ranks: a=0, b=5, c=7, d=20, e=21
    ranks = {"a": 0, "b": 5, "c": 7, "d": 20, "e": 21}
    cells = [{"id": f"x.{k}", "layer": k, "domain": "x", "layer_rank": r, "domain_rank": 0,
              "name": f"Craft: {k}"} for k, r in ranks.items()]
    badges = [{"id": f"badge-{k}", "cells": [f"x.{k}"]} for k in ranks]
    p = Projection.from_rows([], badges, cells)
    sig = SpineProgression().fit(p)
    held = Profile.of([p.badges.row("badge-a"), p.badges.row("badge-c")])
    scores = sig.score(held)
    assert [p.badges.id(c) for c in np.flatnonzero(scores)] == ["badge-d"]
    assert sig.explain(held, p.badges.row("badge-d")) == "A step up in Craft, from c to d"
    assert sig.explain(held, p.badges.row("badge-e")) is None
    top = Profile.of([p.badges.row("badge-e")])
    assert not sig.score(top).any()  # at the top layer: nothing further


# ---------------------------------------------------------------------------
# The recommender
# ---------------------------------------------------------------------------


def test_reasons_name_the_right_counts(rec: Recommender, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signals, "MIN_LEARNERS_SHOWN", 2)  # the small data's counts in words (5 in the product)
    out = rec.recommend("t")
    assert [r.badge_id for r in out][:2] == ["club", "show"]
    club = out[0]
    # knn contributes 1.0 x 1.0, popularity 0.3 x 4/5, spine 0.05 x 1: that order
    assert club.reasons == [
        "3 learners who hold First also hold Club",
        "Popular: 4 learners hold it",
        "A step up in Skills, from engagement to participation",
    ]
    assert club.score == pytest.approx(DEFAULT_WEIGHTS["item_knn"] + DEFAULT_WEIGHTS["popularity"] * 4 / 5
                                       + DEFAULT_WEIGHTS["spine"])
    show = out[1]
    assert show.reasons[0] == "2 learners who hold First also hold Show"
    assert not any("step up" in r for r in show.reasons)  # two layers up: spine gave it nothing
    singles = {r.badge_id: r.reasons for r in out}
    assert singles["quiz"][0] == "Fewer than 2 learners who hold First also hold Quiz"


def test_reasons_only_from_signals_that_contributed() -> None:
    only_knn = Recommender.from_rows(make_awards(), BADGES, CELLS, weights={"item_knn": 1.0})
    for r in only_knn.recommend("t"):
        assert len(r.reasons) == 1 and "who hold" in r.reasons[0]


def test_spine_progression_suggests_the_next_layer() -> None:
    spine_only = Recommender.from_rows(make_awards(), BADGES, CELLS, weights={"spine": 1.0})
    out = spine_only.recommend("u5")  # holds club: skills.participation
    assert [r.badge_id for r in out] == ["show"]
    assert out[0].reasons == ["A step up in Skills, from participation to demonstration"]
    # u3 holds first, club (skills) and read (knowledge.engagement): one step in each domain
    out = spine_only.recommend("u3")
    assert {r.badge_id for r in out} == {"show", "quiz"}
    assert {r.reasons[0] for r in out} == {"A step up in Skills, from participation to demonstration",
                                           "A step up in Knowledge, from engagement to participation"}


def test_never_recommends_a_held_badge() -> None:
    rng = np.random.default_rng(11)
    badges = [{"id": f"b{i:02d}", "cells": [CELLS[i % len(CELLS)]["id"]]} for i in range(20)]
    awards = [(f"l{r}", f"b{int(c):02d}", int(t), n) for n, (r, c, t) in enumerate(
        zip(rng.integers(0, 50, 600), rng.integers(0, 20, 600), rng.integers(0, 10_000, 600)))]
    model = Recommender.from_rows(awards, badges, CELLS)
    recommended = 0
    for learner in model.projection_.learners:
        held = {model.badges.id(c) for c in model.profile(learner).held}
        out = model.recommend(learner, limit=20)
        recommended += len(out)
        assert not held & {r.badge_id for r in out}
        assert len(out) == len({r.badge_id for r in out})
        assert [r.score for r in out] == sorted((r.score for r in out), reverse=True)
        assert all(r.reasons for r in out)
    assert recommended > 0


def test_learner_without_badges_gets_popularity_and_is_told_so(rec: Recommender) -> None:
    out = rec.recommend("nobody", limit=4)
    assert [r.badge_id for r in out] == ["first", "club", "show", "quiz"]  # 5, 4, 2, then 1 (quiz < read)
    assert out[0].reasons == ["Popular: 5 learners hold it (you hold no badges yet, so popularity decides)"]
    assert all("no badges yet" in r.reasons[0] for r in out)


def test_unknown_learner_and_bad_limit(rec: Recommender) -> None:
    with pytest.raises(NotFound, match="learner 'ghost'"):
        rec.recommend("ghost")
    with pytest.raises(InvalidInput, match="limit"):
        rec.recommend("t", limit=0)


def test_bad_weights_are_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown signal 'pagerank'"):
        Recommender.from_rows(make_awards(), BADGES, CELLS, weights={"pagerank": 1.0})
    with pytest.raises(InvalidInput, match=">= 0"):
        Recommender.from_rows(make_awards(), BADGES, CELLS, weights={"item_knn": -1.0})


def test_add_award_matches_a_rebuild() -> None:
    awards = make_awards()
    late = [("u5", "first", 9_000), ("u4", "club", 9_010), ("new", "show", 9_020), ("new", "first", 9_030)]
    full = awards + [(l, b, t, 10_000 + i) for i, (l, b, t) in enumerate(late)]
    rebuilt = Recommender.from_rows(full, BADGES, CELLS)
    updated = Recommender.from_rows(awards, BADGES, CELLS)
    assert [updated.add_award(l, b, t) for l, b, t in late] == [True, True, True, True]
    assert updated.add_award("u1", "club", 9_999) is False  # a repeat changes nothing

    assert np.array_equal(updated.signals_["popularity"].holders_, rebuilt.signals_["popularity"].holders_)
    for learner in ["u1", "u4", "u5", "new", "t"]:
        a, b = updated.recommend(learner), rebuilt.recommend(learner)
        assert [(r.badge_id, r.reasons) for r in a] == [(r.badge_id, r.reasons) for r in b]
        assert [r.score for r in a] == pytest.approx([r.score for r in b])
    assert "first" not in {r.badge_id for r in updated.recommend("u5")}
    with pytest.raises(NotFound, match="rebuild"):
        updated.add_award("u1", "brand-new-badge", 9_999)


def test_a_badge_removed_then_awarded_again_is_held_once_from_the_new_award() -> None:
    """Revoked, then awarded again later (or an earlier award expired while a later one stands:
    ``hold``): the learner's history holds the badge once, dated by the new award, as a rebuild
    from the same awards does. Before, re-adding a badge of the built projection brought back its
    old entry beside the new one (the badge twice in the history)."""
    awards = make_awards()
    learner, badge, first_on = next((a[0], a[1], a[2]) for a in awards
                                    if sum(b[0] == a[0] for b in awards) >= 2)
    later = max(a[2] for a in awards) + 100
    rebuilt = Recommender.from_rows([a for a in awards if (a[0], a[1]) != (learner, badge)]
                                    + [(learner, badge, later, 99_999)], BADGES, CELLS)
    removed = Recommender.from_rows(awards, BADGES, CELLS)
    assert removed.remove_award(learner, badge) and removed.add_award(learner, badge, later)
    moved = Recommender.from_rows(awards, BADGES, CELLS)
    assert moved.hold(learner, badge, later) and not moved.hold(learner, badge, later)
    want = rebuilt.profile(learner)
    for model in (removed, moved):
        got = model.profile(learner)
        assert got.held.tolist() == want.held.tolist() and got.held_on.tolist() == want.held_on.tolist()
        assert int(got.held_on[got.held == model.badges.row(badge)][0]) == later != first_on
        assert [(r.badge_id, r.reasons) for r in model.recommend(learner)] == \
            [(r.badge_id, r.reasons) for r in rebuilt.recommend(learner)]


def test_recommend_for_badges_matches_the_learner(rec: Recommender) -> None:
    by_badges = rec.recommend_for_badges(["first"])
    by_learner = rec.recommend("t")
    assert [(r.badge_id, r.reasons) for r in by_badges] == [(r.badge_id, r.reasons) for r in by_learner]


def test_lifted_raises_a_column_toward_the_best_and_moves_no_other() -> None:
    """``recommend.lifted``: ``s + p·(best - s)``, best over the columns not skipped; ties keep their order."""
    from colearn.recommender.recommend import lifted

    answer = [(0, 1.0, "a"), (1, 0.75, "b"), (2, 0.5, "c"), (3, 0.25, "d")]
    assert lifted(answer, {3: 0.5}) == [(0, 1.0, "a"), (1, 0.75, "b"), (3, 0.625, "d"), (2, 0.5, "c")]
    assert lifted(answer, {3: 0.5}, frozenset({0})) == [(0, 1.0, "a"), (1, 0.75, "b"), (2, 0.5, "c"), (3, 0.5, "d")]
    assert lifted(answer, {3: 0.0}) == answer and lifted(answer, {}) == answer
    with pytest.raises(InvalidInput, match="in \\[0, 1\\]"):
        lifted(answer, {3: 1.5})
