"""Offline evaluation: metrics against hand-computed values, the split, the replay, real data."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from colearn.errors import InvalidInput
from colearn.recommender import evaluation as ev
from colearn.recommender.awards import Award
from colearn.recommender.recommend import Recommender

BADGES_XML = Path(__file__).resolve().parents[2] / "data" / "stackexchange" / "martialarts" / "Badges.xml"

# ---------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------

#        item:  0    1    2    3    4    5
SCORES = [0.9, 0.1, 0.8, 0.7, 0.3, 0.2]  # order: 0, 2, 3, 4, 5, 1


def test_ndcg_of_a_hit_at_rank_3() -> None:
    assert ev.ranks_of(SCORES, 3).tolist() == [3]
    assert ev.ndcg_at_k(SCORES, 3, k=10) == pytest.approx(1 / math.log2(4))  # = 0.5
    assert ev.ndcg_at_k(SCORES, 0, k=10) == pytest.approx(1.0)
    assert ev.ndcg_at_k(SCORES, 3, k=3) == pytest.approx(0.5)  # rank k is inside the cut-off
    assert ev.ndcg_at_k(SCORES, 3, k=2) == 0.0


def test_hit_rate_and_reciprocal_rank() -> None:
    assert ev.hit_rate_at_k(SCORES, 4, k=4) == 1.0
    assert ev.hit_rate_at_k(SCORES, 4, k=3) == 0.0
    assert ev.reciprocal_rank(SCORES, 3) == pytest.approx(1 / 3)
    assert ev.reciprocal_rank(SCORES, 1) == pytest.approx(1 / 6)


def test_excluded_items_leave_the_ranking() -> None:
    # without items 0 and 2 (the learner's own), item 3 is first
    assert ev.ranks_of(SCORES, 3, exclude=[0, 2]).tolist() == [1]
    assert ev.ndcg_at_k(SCORES, 3, k=10, exclude=[0, 2]) == 1.0
    with pytest.raises(InvalidInput, match="also excluded"):
        ev.ndcg_at_k(SCORES, 3, k=10, exclude=[3])


def test_ties_count_against_the_held_out_item() -> None:
    flat = [0.5] * 6
    assert ev.ranks_of(flat, 0).tolist() == [6]
    assert ev.reciprocal_rank(flat, 0) == pytest.approx(1 / 6)
    assert ev.ranks_of([1.0, 0.5, 0.5, 0.0], 2).tolist() == [3]


def test_several_held_out_items_use_the_ideal_dcg() -> None:
    # relevant items 0 (rank 1) and 3 (rank 3): DCG = 1 + 1/log2(4); IDCG = 1 + 1/log2(3)
    expected = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert ev.ndcg_at_k(SCORES, [0, 3], k=10) == pytest.approx(expected)
    assert ev.reciprocal_rank(SCORES, [3, 0]) == 1.0
    # tied relevant items do not share a rank
    assert sorted(ev.ranks_of([0.5, 0.5, 0.1], [0, 1]).tolist()) == [1, 2]


def test_metric_input_errors() -> None:
    with pytest.raises(InvalidInput, match="NaN"):
        ev.ndcg_at_k([0.1, float("nan")], 0, k=1)
    with pytest.raises(InvalidInput, match="k must be"):
        ev.ndcg_at_k(SCORES, 0, k=0)
    with pytest.raises(InvalidInput, match="out of range"):
        ev.hit_rate_at_k(SCORES, 6, k=1)


def test_bootstrap_interval_is_seeded_and_sensible() -> None:
    rng = np.random.default_rng(0)
    v = (rng.random(400) < 0.5).astype(float)
    a = ev.bootstrap_interval(v, seed=7)
    assert a == ev.bootstrap_interval(v, seed=7)
    assert a != ev.bootstrap_interval(v, seed=8)
    low, high = a
    assert low < v.mean() < high
    # normal approximation: mean +- 1.96 * sd / sqrt(n)
    half = 1.96 * v.std() / math.sqrt(v.size)
    assert low == pytest.approx(v.mean() - half, abs=0.01)
    assert high == pytest.approx(v.mean() + half, abs=0.01)
    assert ev.bootstrap_interval([0.25] * 30) == pytest.approx((0.25, 0.25))
    with pytest.raises(InvalidInput):
        ev.bootstrap_interval([])


# ---------------------------------------------------------------------------
# The split
# ---------------------------------------------------------------------------

SPLIT = [
    Award("ann", "a", 10, 1),
    Award("ann", "b", 20, 2),
    Award("ann", "a", 25, 3),   # a repeat: "a" stays at time 10
    Award("ann", "c", 30, 5),
    Award("ann", "d", 30, 4),   # same time as "c", smaller id: earlier
    Award("ann", "b", 40, 6),   # a repeat after the last new badge
    Award("bob", "a", 5, 7),
    Award("bob", "b", 6, 8),    # two distinct badges only: not a case
    Award("cat", "c", 1, 9),
    Award("cat", "b", 2, 10),
    Award("cat", "a", 28, 11),
]


def test_temporal_leave_last_out_holds_out_the_last_distinct_badge() -> None:
    cases = ev.temporal_leave_last_out(SPLIT)
    assert [(c.learner_id, c.badge_id, c.history) for c in cases] == [
        ("cat", "a", ("c", "b")),            # held out at 28
        ("ann", "c", ("a", "b", "d")),       # held out at 30, id 5 (after "d", id 4)
    ]
    assert cases[1].held_out_on == 30 and cases[1].award_id == 5
    assert cases[1].history_on == (10, 20, 30)
    assert ev.temporal_leave_last_out(SPLIT, min_badges=2)[0].learner_id == "bob"


def test_training_awards_are_strictly_before_the_held_out_award() -> None:
    ann = ev.temporal_leave_last_out(SPLIT)[1]
    ids = sorted(a.award_id for a in ev.training_awards(SPLIT, ann))
    assert ids == [1, 2, 3, 4, 7, 8, 9, 10, 11]  # not 5 (held out) nor 6 (later)


def test_validation_awards_drop_the_test_items() -> None:
    val = ev.validation_awards(SPLIT)
    assert {a.award_id for a in val} == {1, 2, 3, 4, 6, 7, 8, 9, 10}
    again = ev.temporal_leave_last_out(val)
    assert [(c.learner_id, c.badge_id) for c in again] == [("ann", "d")]  # ann's second-to-last


# ---------------------------------------------------------------------------
# Running the models
# ---------------------------------------------------------------------------

CELLS = [{"id": f"s.{lay}", "layer": lay, "domain": "s", "layer_rank": i, "domain_rank": 0, "name": f"S: {lay}"}
         for i, lay in enumerate(["one", "two", "three"])]


def _random_awards(seed: int, n_learners: int = 40, n_badges: int = 8, n: int = 300) -> list[Award]:
    rng = np.random.default_rng(seed)
    learners = rng.integers(0, n_learners, n)
    # badge choice depends on the learner, so co-occurrence carries signal
    badges = (learners % 3 + rng.integers(0, 4, n)) % n_badges
    times = rng.integers(0, 50, n)  # many ties in time
    return [Award(f"l{int(l)}", f"b{int(b)}", int(t), i) for i, (l, b, t) in enumerate(zip(learners, badges, times))]


def _badge_cells(n_badges: int = 8) -> dict[str, list[str]]:
    return {f"b{i}": [CELLS[i % 3]["id"]] for i in range(n_badges)}


def test_temporal_replay_equals_a_fresh_model_per_case() -> None:
    awards = _random_awards(5)
    configs = {"blend": {"item_knn": 1.0, "popularity": 0.3, "spine": 0.2}}
    per = ev.per_learner_metrics(awards, _badge_cells(), CELLS, configs, k=3, neighbours=3)
    cases = ev.temporal_leave_last_out(awards)
    assert len(cases) > 10
    catalogue = [{"id": b, "cells": c} for b, c in _badge_cells().items()]
    for i, case in enumerate(cases):
        model = Recommender.from_rows(ev.training_awards(awards, case), catalogue, CELLS,
                                      weights=configs["blend"], neighbours=3)
        profile = model.profile(case.learner_id)
        scores = np.where(np.isinf(model.scores(profile)), 0.0, model.scores(profile))
        col = model.badges.row(case.badge_id)
        assert per["blend"]["ndcg@3"][i] == pytest.approx(ev.ndcg_at_k(scores, col, 3, exclude=profile.held))
        assert per["blend"]["rr"][i] == pytest.approx(ev.reciprocal_rank(scores, col, exclude=profile.held))


def test_popularity_baseline_by_hand() -> None:
    # holders before t=100: p 3, q 2, r 1. "x" holds p, then r at 100 (held out), so q outranks r.
    awards = [Award(u, "p", 1, i) for i, u in enumerate(["u1", "u2", "u3"])]
    awards += [Award("u1", "q", 2, 10), Award("u2", "q", 2, 11), Award("u3", "r", 3, 12)]
    awards += [Award("x", "p", 4, 20), Award("x", "s", 5, 21), Award("x", "r", 100, 22)]
    per = ev.per_learner_metrics(awards, {}, CELLS, {"pop": ev.POPULARITY_ONLY}, k=10)
    assert per["pop"]["rr"].tolist() == [0.5]  # ranking without p and s: q (2), r (1)
    assert per["pop"]["ndcg@10"][0] == pytest.approx(1 / math.log2(3))


def test_evaluate_reports_both_models_with_intervals() -> None:
    awards = _random_awards(9, n_learners=60, n=500)
    for protocol in ev.PROTOCOLS:
        out = ev.evaluate(awards, _badge_cells(), CELLS, k=5, protocol=protocol, n_resamples=200)
        assert out["protocol"] == protocol and out["n_cases"] == len(ev.temporal_leave_last_out(awards))
        for model in ("recommender", "popularity"):
            assert set(out["models"][model]) == {"hr@5", "ndcg@5", "mrr"}
            for m in out["models"][model].values():
                assert 0.0 <= m["low"] <= m["mean"] <= m["high"] <= 1.0
        diff = out["difference"]["ndcg@5"]["mean"]
        assert diff == pytest.approx(out["models"]["recommender"]["ndcg@5"]["mean"]
                                     - out["models"]["popularity"]["ndcg@5"]["mean"])
    with pytest.raises(InvalidInput, match="protocol"):
        ev.evaluate(awards, _badge_cells(), CELLS, protocol="random")


def test_tune_weights_ranks_the_grid_on_validation() -> None:
    awards = _random_awards(2, n_learners=60, n=500)
    grid = [{"popularity": 1.0}, {"item_knn": 1.0, "popularity": 0.3}, {"spine": 1.0}]
    res = ev.tune_weights(awards, _badge_cells(), CELLS, grid, neighbours=8)
    assert sorted(map(str, (w for w, _ in res))) == sorted(map(str, grid))
    assert [v for _, v in res] == sorted((v for _, v in res), reverse=True)
    val_cases = ev.temporal_leave_last_out(ev.validation_awards(awards))
    per = ev.per_learner_metrics(ev.validation_awards(awards), _badge_cells(), CELLS,
                                 {"p": {"popularity": 1.0}}, neighbours=8)
    assert len(per["p"]["rr"]) == len(val_cases)
    pop_value = next(v for w, v in res if w == {"popularity": 1.0})
    assert pop_value == pytest.approx(per["p"]["ndcg@10"].mean())


# ---------------------------------------------------------------------------
# Real data: Martial Arts Stack Exchange
# ---------------------------------------------------------------------------

_BY_CLASS = {"3": "s.one", "2": "s.two", "1": "s.three"}  # bronze, silver, gold


def _martialarts() -> tuple[list[Award], dict[str, list[str]]]:
    awards, cells = [], {}
    for row in ET.parse(BADGES_XML).getroot().iter("row"):
        a = row.attrib
        when = datetime.fromisoformat(a["Date"]).replace(tzinfo=timezone.utc)
        awards.append(Award(f"se-martialarts-{a['UserId']}", a["Name"], int(when.timestamp()), int(a["Id"])))
        cells.setdefault(a["Name"], [_BY_CLASS[a["Class"]]])
    return awards, cells


def test_recommender_beats_popularity_on_martialarts() -> None:
    awards, badge_cells = _martialarts()
    assert len(awards) == 15_942 and len(badge_cells) == 81
    out = ev.evaluate(awards, badge_cells, CELLS, k=10, n_resamples=500)
    assert out["n_cases"] == 1_168  # users with at least 3 distinct badges
    rec, pop = out["models"]["recommender"], out["models"]["popularity"]
    assert rec["ndcg@10"]["mean"] > pop["ndcg@10"]["mean"] + 0.05
    assert out["difference"]["ndcg@10"]["low"] > 0.0  # the paired 95% interval excludes 0
    assert out["difference"]["mrr"]["low"] > 0.0


def test_the_suite_headline_counts_with_the_right_noun() -> None:
    from colearn.recommender.report import wins_and_losses

    assert wins_and_losses({"wins": 9, "losses": 1}) == "9 wins, 1 loss"
    assert wins_and_losses({"wins": 1, "losses": 0}) == "1 win, 0 losses"
    assert wins_and_losses({"wins": 0, "losses": 2}) == "0 wins, 2 losses"
