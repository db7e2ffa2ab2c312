"""Per-case metrics of the suite's benchmark (``recommender.benchmark.case_metrics``) on a small
catalogue, where a learner holds most badges: what is listed is only what could be recommended."""

from __future__ import annotations

import numpy as np

from colearn.recommender.benchmark import case_metrics, coverage_interval
from colearn.recommender.replay import Group


def test_a_learner_who_holds_all_but_one_badge_is_listed_that_one_only() -> None:
    """Held badges used to fill the top 10 when fewer than 10 were left, so coverage@10 of a
    one-learner site read 10/37 where one badge could be recommended (1/37)."""
    n = 37
    held = np.arange(1, n, dtype=np.int64)  # all but badge 0
    group = Group(key=(0, 0), learner_id="l", target=0, held=held, features=np.zeros((n, 1), np.float32),
                  popularity=np.ones(n, dtype=np.int64))
    scores = np.linspace(1.0, 0.0, n)[::-1]  # the held badges score highest
    got = case_metrics(scores, group, np.eye(n), n_learners_then=5)
    assert list(got["_top"]) == [0]
    assert got["ndcg@10"] == 1.0 and got["diversity@10"] == 0.0
    assert coverage_interval([got["_top"]], n)["mean"] == 1 / n


def test_a_learner_with_more_than_ten_badges_left_gets_ten_none_held() -> None:
    n = 30
    held = np.array([3, 7, 11], dtype=np.int64)
    group = Group(key=(0, 0), learner_id="l", target=5, held=held, features=np.zeros((n, 1), np.float32),
                  popularity=np.ones(n, dtype=np.int64))
    scores = np.arange(n, dtype=np.float64)[::-1].copy()  # badge 0 best
    top = case_metrics(scores, group, np.eye(n), n_learners_then=5)["_top"]
    assert len(top) == 10 and not set(top) & set(held.tolist())
    assert list(top) == [0, 1, 2, 4, 5, 6, 8, 9, 10, 12]
