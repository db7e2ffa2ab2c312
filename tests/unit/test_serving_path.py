"""The fast serving path gives what the slower, direct computations give: item-kNN neighbour
lists against whole rows (scikit-learn's cosine as the reference), candidate feature rows
against the full matrix, the candidate stage against scoring every badge, kept answers
against fresh ones after an update."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics.pairwise import cosine_similarity

from colearn.recommender import benchmark, counts, item_knn
from colearn.recommender.counts import CountMatrix
from colearn.recommender.item_knn import ItemKNN
from colearn.recommender.projections import Projection
from colearn.recommender.ranker import feature_matrix
from colearn.recommender.recommend import Recommender
from colearn.recommender.signals import Profile
from colearn.ingest.synthetic.climb import synthetic_city


@pytest.fixture(scope="module")
def city():
    return synthetic_city(seed=3, n_learners=250)


@pytest.fixture(scope="module")
def ranker(city):
    return benchmark.fit_ranker(benchmark.replay(city.awards, city.catalogue, city.cells).train, max_iter=30)


def _knn_reference(x: np.ndarray, held: np.ndarray, k: int) -> np.ndarray:
    """Item-kNN by its definition on a dense learner x badge matrix (Deshpande & Karypis 2004)."""
    cos = cosine_similarity(x.T.astype(np.float64))
    np.fill_diagonal(cos, 0.0)
    sims = cos[held].copy()
    sims[:, held] = 0.0
    kth = np.partition(sims, -k, axis=1)[:, -k]
    sims[sims < kth[:, None]] = 0.0
    total = sims.sum(axis=0)
    return total / total.max()


@pytest.mark.parametrize("margin", [0, 2, 96])
def test_neighbour_lists_give_whole_row_item_knn(monkeypatch, margin: int) -> None:
    # margin 0 and 2: lists too short for a learner holding many badges, so the whole-row
    # fallback runs; 96: lists cover every badge of this small catalogue
    monkeypatch.setattr(item_knn, "LIST_MARGIN", margin)
    rng = np.random.default_rng(7)
    x = (rng.random((300, 40)) < rng.random(40) * 0.4).astype(np.float32)
    awards = [(f"l{r:03d}", f"b{c:02d}", int(r * 100 + c), int(r * 100 + c)) for r, c in zip(*np.nonzero(x))]
    p = Projection.from_rows(awards, [{"id": f"b{c:02d}"} for c in range(40)], [])
    dense = np.zeros((p.n_learners, 40), dtype=np.float32)
    dense[p.learner_badges.nonzero()] = 1.0
    knn = ItemKNN(neighbours=6).fit(p)
    for held in ([3], [0, 5, 9], list(range(0, 40, 3)), list(range(25))):
        h = np.asarray(held, dtype=np.int64)
        assert knn.score(Profile.of(h)) == pytest.approx(_knn_reference(dense, h, 6), abs=1e-12), held


def test_count_matrix_reads_agree_with_dense_rows() -> None:
    rng = np.random.default_rng(1)
    d = (rng.random((30, 30)) < 0.2) * rng.integers(1, 9, (30, 30))
    rows, cols = np.nonzero(d)
    for dense in (True, False):
        m = CountMatrix.from_coo((30, 30), rows, cols, d[rows, cols], dense=dense)
        m.add([2, 2], [5, 7], 3)
        want = d.copy()
        want[2, 5] += 3
        want[2, 7] += 3
        idx = np.array([2, 0, 17])
        w = np.array([0.5, 2.0, 1.0])
        assert m.weighted_row_sum(idx, w) == pytest.approx(w @ want[idx])
        # past ROW_SUM_GATHER entries the sum goes through scipy: the same values
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(counts, "ROW_SUM_GATHER", 0)
            assert m.weighted_row_sum(idx, w) == pytest.approx(w @ want[idx])
            assert m.weighted_row_sum(np.array([4, 4]), None) == pytest.approx(2 * want[4])
        src, c, v = m.gather(idx)
        block = np.zeros((3, 30))
        block[src, c] = v
        assert np.array_equal(block, want[idx])
        assert np.array_equal(m.row_values(2, np.arange(30)), want[2])
        assert m.value(2, 7) == want[2, 7]


def test_candidate_rows_equal_the_full_feature_matrix(city, ranker) -> None:
    model = Recommender.from_rows(city.awards, city.catalogue, city.cells, ranker=ranker)
    for learner in list(model.learners_)[:20]:
        profile = model.profile(learner)
        scores = model.signal_scores(profile)
        full = feature_matrix(scores, profile)
        cols = np.array(sorted({0, len(full) - 1, *profile.held.tolist(), 7}))
        assert np.array_equal(feature_matrix(scores, profile, cols=cols), full[cols])


def test_candidate_stage_ranks_as_scoring_every_badge(city, ranker) -> None:
    fast = Recommender.from_rows(city.awards, city.catalogue, city.cells, ranker=ranker, candidates=5)
    slow = Recommender.from_rows(city.awards, city.catalogue, city.cells, ranker=ranker, candidates=None)
    learners = [u for u in fast.learners_ if len(fast.profile(u).held) >= 2][:40]
    same = sum([r.badge_id for r in fast.recommend(u, 3)] == [r.badge_id for r in slow.recommend(u, 3)]
               for u in learners)
    # 5 per signal is a small stage for 48 badges: the top 3 still agree for almost everyone
    assert same >= 0.9 * len(learners)
    for u in learners[:5]:
        a = fast.recommend(u, 3)
        b = slow.recommend(u, 3)
        if [r.badge_id for r in a] == [r.badge_id for r in b]:
            assert [r.reasons for r in a] == [r.reasons for r in b]
            assert [r.score for r in a] == pytest.approx([r.score for r in b])


def test_kept_answers_change_with_an_award(city) -> None:
    model = Recommender.from_rows(city.awards, city.catalogue, city.cells)
    learner = next(u for u in model.learners_ if len(model.profile(u).held) >= 2)
    before = model.recommend(learner, 5)
    again = model.recommend(learner, 5)
    assert [(r.badge_id, r.reasons, r.score) for r in again] == [(r.badge_id, r.reasons, r.score) for r in before]
    assert again[0] is not before[0]  # fresh objects: opportunities are attached per call
    top = before[0].badge_id
    assert model.add_award(learner, top, 2_000_000_000)
    after = model.recommend(learner, 5)
    assert top not in {r.badge_id for r in after}
    rebuilt = Recommender.from_rows([*city.awards, (learner, top, 2_000_000_000, "late")], city.catalogue,
                                    city.cells)
    assert [r.badge_id for r in after] == [r.badge_id for r in rebuilt.recommend(learner, 5)]


def test_precomputed_pagerank_rows_serve_after_awards_close_to_a_fresh_build(monkeypatch) -> None:
    # the change feed applies awards with add_award; the walk rows precomputed at fit keep serving
    # (no walk per request) until the follower's rebuild, and stay close to a fresh build's
    from colearn.recommender.awards import as_award, award_order_key
    from colearn.recommender.recommend import PPR_ALPHA, PPR_MAX_ITER
    from colearn.recommender.walks import PersonalisedPageRank

    city = synthetic_city(seed=6, n_learners=600)
    awards = sorted((as_award(r, i) for i, r in enumerate(city.awards)), key=award_order_key)
    cut = len(awards) - len(awards) // 100  # the last 1% of the awards arrive through the feed

    def build(rows):
        ppr = PersonalisedPageRank(alpha=PPR_ALPHA, neighbours=8, max_iter=PPR_MAX_ITER, top_k=24)
        return Recommender.from_rows(rows, city.catalogue, city.cells, weights={"ppr": 1.0}, signals=[ppr])

    live = build(awards[:cut])
    for a in awards[cut:]:
        live.add_award(a.learner_id, a.badge_id, a.awarded_on)
    fresh = build(awards)
    ppr = live.signals_["ppr"]

    def no_walk(*_):
        raise AssertionError("a request walked instead of reading the precomputed rows")

    monkeypatch.setattr(ppr, "_walk", no_walk)
    learners = [u for u in fresh.learners_ if not fresh.profile(u).is_empty][:200]
    diffs, overlaps = [], []
    for u in learners:
        profile = fresh.profile(u)
        diffs.append(np.abs(ppr.score(profile) - fresh.signals_["ppr"].score(profile)).max())
        got = {r.badge_id for r in live.recommend(u, 10)}
        want = {r.badge_id for r in fresh.recommend(u, 10)}
        overlaps.append(len(got & want) / len(want))
    # measured: mean largest score difference 0.022, mean top-10 overlap 0.99 (28 of 2,739 awards)
    assert np.mean(diffs) < 0.05
    assert np.mean(overlaps) >= 0.95
    assert ppr.changes_since_fit_ == len(awards) - cut


def test_a_replay_from_no_awards_walks_pagerank_per_request_as_a_fresh_build() -> None:
    # an offline replay (ranker training, the bench's quality) fits on nothing and adds every award:
    # rows precomputed on an empty graph must not serve it
    from colearn.recommender.awards import as_award, award_order_key
    from colearn.recommender.recommend import PPR_ALPHA, PPR_MAX_ITER
    from colearn.recommender.walks import PersonalisedPageRank

    city = synthetic_city(seed=7, n_learners=120)
    awards = sorted((as_award(r, i) for i, r in enumerate(city.awards)), key=award_order_key)
    params = dict(alpha=PPR_ALPHA, max_iter=PPR_MAX_ITER)  # the whole G: no ties cut differently
    replayed = Recommender.from_rows([], city.catalogue, city.cells, weights={"ppr": 1.0},
                                     signals=[PersonalisedPageRank(**params, top_k=24)])
    for a in awards:
        replayed.add_award(a.learner_id, a.badge_id, a.awarded_on)
    exact = Recommender.from_rows(awards, city.catalogue, city.cells, weights={"ppr": 1.0},
                                  signals=[PersonalisedPageRank(**params)])
    for u in list(exact.learners_)[:30]:
        profile = exact.profile(u)
        assert replayed.signals_["ppr"].score(profile) == pytest.approx(exact.signals_["ppr"].score(profile),
                                                                         abs=1e-9), u
