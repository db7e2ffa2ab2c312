"""The learned ranker, the recommender that uses it, and the benchmark, on the synthetic city
(learners climb the spine in themes, so the right next badge is known)."""

from __future__ import annotations

import time
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.base import clone

from colearn.errors import InvalidInput
from colearn.recommender import benchmark
from colearn.recommender.ranker import (
    RANKER_SIGNALS, LearnedRanker, feature_matrix, feature_names, occluded, raw_features,
    within_learner_rank,
)
from colearn.recommender.guard import critical_z, guard_choice
from colearn.recommender.recommend import Recommender
from colearn.recommender.signals import Interests, Profile
from colearn.ingest.synthetic.climb import synthetic_city, true_next


@pytest.fixture(scope="module")
def city():
    return synthetic_city(seed=1, n_learners=300)


@pytest.fixture(scope="module")
def replayed(city):
    return benchmark.replay(city.awards, city.catalogue, city.cells)


@pytest.fixture(scope="module")
def ranker(replayed) -> LearnedRanker:
    return benchmark.fit_ranker(replayed.train, max_iter=40)


def test_within_learner_rank_shares_ties_and_puts_held_last() -> None:
    ranks = within_learner_rank(np.array([0.5, 0.0, 0.5, 0.9, 0.0]), np.array([3]))
    assert ranks.tolist() == [0, 2, 0, 5, 2]


def test_ranks_compare_scores_as_the_ranker_reads_them() -> None:
    """Scores equal in float32 but not in float64 (the last bits of a BLAS sum, which differ between
    CPU kinds) share a rank, in the full matrix and for a few candidates alike."""
    a = 0.3
    b = np.nextafter(a, 1.0)  # a and b differ in float64 only
    scores = np.array([b, 0.1, a, 0.9, 0.2])
    assert within_learner_rank(scores, np.array([3])).tolist() == [0, 3, 0, 5, 2]
    profile = Profile.of([3])
    full = feature_matrix({"popularity": scores}, profile, signals=["popularity"])
    few = feature_matrix({"popularity": scores}, profile, signals=["popularity"], cols=np.array([0, 2, 4]))
    assert full[[0, 2], 1].tolist() == [0.0, 0.0] and np.array_equal(few, full[[0, 2, 4]])


def test_training_rows_have_one_positive_per_event(replayed) -> None:
    x, y = benchmark.training_rows(replayed.train)
    assert x.shape[1] == len(feature_names())
    assert int(y.sum()) == len(replayed.train)
    # a training event's features use only the awards before it: the learner never holds the target
    assert all(g.target not in g.held for g in replayed.train)


def test_ranker_learns_the_climb(city, ranker) -> None:
    model = Recommender.from_rows(city.awards, city.catalogue, city.cells, ranker=ranker)
    hits, total = 0, 0
    for learner in list(model.learners_)[:80]:
        profile = model.profile(learner)
        want = true_next([model.badges.id(int(b)) for b in profile.held])
        if want is None or model.badges.row(want) in profile.held:
            continue
        total += 1
        hits += model.recommend(learner, limit=1)[0].badge_id == want
    assert total > 20 and hits / total > 0.6


def test_every_reason_names_a_signal_that_contributed(city, ranker) -> None:
    model = Recommender.from_rows(city.awards, city.catalogue, city.cells, ranker=ranker)
    learner = next(u for u in model.learners_ if len(model.profile(u).held) >= 3)
    profile = model.profile(learner)
    recs = model.recommend(learner, limit=5)
    assert recs and all(r.reasons for r in recs)
    feats = feature_matrix(model.signal_scores(profile), profile)
    explains = {n: s.explain for n, s in model.signals_.items()}
    for r in recs:
        col = model.badges.row(r.badge_id)
        base = ranker.score(feats[[col]])[0]
        contributed = {n for n in RANKER_SIGNALS
                       if feats[col, RANKER_SIGNALS.index(n)] > 0
                       and base - ranker.score(occluded(feats[[col]], n, len(feats)))[0] > 0}
        sentences = {explains[n](profile, col) for n in contributed}
        assert set(r.reasons) <= sentences, (r.badge_id, r.reasons)


def test_save_load_keeps_features_and_hash(ranker, tmp_path: Path, replayed) -> None:
    path = ranker.save(tmp_path / "ranker.joblib")
    again = LearnedRanker.load(path)
    assert again.training_hash_ == ranker.training_hash_ and again.features_ == feature_names()
    x, _ = benchmark.training_rows(replayed.train[:3])
    assert np.allclose(again.score(x), ranker.score(x))
    assert (tmp_path / "ranker.joblib.json").exists()
    with pytest.raises(InvalidInput, match="other features"):
        LearnedRanker.load(path, features=["item_knn"])
    with pytest.raises(InvalidInput):
        LearnedRanker().fit(x, np.zeros(len(x)))
    # files of earlier formats are refused (3: the guard's level was a z; 4: its guard judged every event)
    saved = joblib.load(path)
    params = {k: v for k, v in saved["params"].items() if k != "guard_min_held"}
    for old in ({**saved, "format": 3, "params": {**params, "guard_z": 1.645}}, {**saved, "format": 4, "params": params}):
        joblib.dump(old, path)
        with pytest.raises(InvalidInput, match="format 5"):
            LearnedRanker.load(path)
    xs, ys = benchmark.training_rows(replayed.train[:5])
    for alpha in (0.0, 1.0):
        with pytest.raises(InvalidInput, match="guard_alpha"):
            LearnedRanker(guard_alpha=alpha).fit(xs, ys, group=[len(ys) // 5] * 5)


def test_cold_start_prefers_the_chosen_theme(city) -> None:
    model = Recommender.from_rows(city.awards, city.catalogue, city.cells)
    out = model.recommend_for_interests(Interests(themes=("theme3",)), limit=5)
    assert all(r.badge_id.startswith("theme3-") for r in out)
    assert all("In the theme3 theme you chose" in r.reasons for r in out)
    # nothing stated: popularity decides, and says so
    assert "no badges yet" in model.recommend_for_interests(Interests(), limit=1)[0].reasons[0]


def test_add_award_changes_the_next_recommendations_without_a_rebuild(city, ranker) -> None:
    """Award the learner their top recommendation: it leaves their list and the list moves on.
    Prints how long the award and the next answer took (speed is reported, not asserted)."""
    model = Recommender.from_rows(city.awards, city.catalogue, city.cells, ranker=ranker)
    learner = next(u for u in model.learners_ if len(model.profile(u).held) == 2)
    before = [r.badge_id for r in model.recommend(learner, limit=5)]
    signals_before = {n: id(s) for n, s in model.signals_.items()}
    start = time.perf_counter()
    assert model.add_award(learner, before[0], city.awards[-1][2] + 86_400)
    after = [r.badge_id for r in model.recommend(learner, limit=5)]
    took = time.perf_counter() - start
    print(f"\naward + next recommendations: {took * 1000:.1f} ms")
    assert before[0] not in after and after != before
    assert {n: id(s) for n, s in model.signals_.items()} == signals_before  # updated in place
    assert model.remove_award(learner, before[0])
    assert [r.badge_id for r in model.recommend(learner, limit=5)] == before


def test_benchmark_on_the_synthetic_city_beats_its_best_baseline() -> None:
    city = synthetic_city(seed=2, n_learners=400)
    result = benchmark.run(city.awards, city.catalogue, city.cells, checkpoints=4, min_train_groups=50,
                           n_resamples=200, ranker_params={"max_iter": 40})
    models = result["models"]
    assert set(models) == {benchmark.FULL, *benchmark.BASELINES}
    assert set(models[benchmark.FULL]) == {*benchmark.PER_CASE, "coverage@10"}
    best = benchmark.best_baseline(result)
    assert models[benchmark.FULL]["ndcg@10"]["mean"] > models[best]["ndcg@10"]["mean"]
    assert models["random"]["ndcg@10"]["mean"] < models["popularity"]["ndcg@10"]["mean"]
    for m in models.values():
        for v in m.values():
            assert v["low"] <= v["mean"] <= v["high"]
    # the lift, paired by case: its mean is the difference of the means; its interval is narrower than
    # the two models' own intervals put together (the cases' shared difficulty cancels), here above 0
    lift = result["lift"]
    ours, theirs = models[benchmark.FULL]["ndcg@10"], models[best]["ndcg@10"]
    assert lift["best"] == best
    assert lift["mean"] == ours["mean"] - theirs["mean"]  # the number every verdict reads
    assert lift["low"] <= lift["mean"] <= lift["high"]
    assert lift["high"] - lift["low"] < (ours["high"] - ours["low"]) + (theirs["high"] - theirs["low"])
    assert lift["verdict"] == benchmark.verdict(lift["mean"], result["n_cases"]) == "win" and result["n_cases"] >= 30


def test_a_verdict_needs_enough_cases() -> None:
    assert benchmark.verdict(0.2, benchmark.MIN_CASES_TO_JUDGE) == "win"
    assert benchmark.verdict(-0.001, benchmark.MIN_CASES_TO_JUDGE) == "loss"
    assert benchmark.verdict(-0.1, 500) == "loss"
    assert benchmark.verdict(0.2, benchmark.MIN_CASES_TO_JUDGE - 1) == "too few cases"
    assert benchmark.verdict(-0.2, 1) == "too few cases"
    # equal means, up to the last bits of two sums: a tie, neither won nor lost
    assert benchmark.verdict(0.0, 40) == "tie" and benchmark.verdict(-1.1e-16, 40) == "tie"


def test_the_guard_serves_a_signal_only_when_it_wins_by_more_than_the_noise() -> None:
    rng = np.random.default_rng(0)
    ours = rng.uniform(0.3, 0.9, 400)
    # a signal ahead on every event: served at any level
    clear = {"ranker": ours, "ppr": ours + 0.05}
    assert guard_choice(clear, 0.5) == "ppr" and guard_choice(clear, 0.05) == "ppr"
    # ahead by 0.01 on average with noise ten times that: served only at a loose level
    noisy = {"ranker": ours, "ppr": ours + 0.01 + rng.normal(0.0, 0.3, 400)}
    assert noisy["ppr"].mean() > ours.mean()
    assert guard_choice(noisy, 0.5) == "ppr" and guard_choice(noisy, 0.05) == "ranker"
    # never a signal behind the model; among those clearly ahead, the best mean
    both = {"ranker": ours, "rp3beta": ours - 0.02, "ppr": ours + 0.05, "popularity": ours + 0.08}
    assert guard_choice(both, 0.05) == "popularity"


def test_the_guard_corrects_its_level_for_every_signal_it_weighs() -> None:
    assert critical_z(0.05, 1) == pytest.approx(1.645, abs=1e-3)
    assert critical_z(0.05, 7) == pytest.approx(2.450, abs=1e-3)
    rng = np.random.default_rng(1)
    ours = rng.uniform(0.3, 0.9, 200)
    noise = rng.normal(0.0, 0.2, 200)
    noise = (noise - noise.mean()) / noise.std(ddof=1)  # mean 0, standard deviation 1
    ahead = ours + 0.1 * noise + 0.1 * 2.0 / np.sqrt(200)  # ahead by exactly 2 standard errors
    # z = 2: beyond 1.645 when it is the only signal weighed, within 2.45 among seven
    assert guard_choice({"ranker": ours, "ppr": ahead}, 0.05) == "ppr"
    behind = {f"s{i}": ours - 0.1 for i in range(6)}
    assert guard_choice({"ranker": ours, "ppr": ahead, **behind}, 0.05) == "ranker"
    for alpha in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError):
            critical_z(alpha, 3)


def test_the_popularity_penalty_moves_less_held_badges_up_and_keeps_the_features(city, ranker) -> None:
    model = Recommender.from_rows(city.awards, city.catalogue, city.cells, ranker=ranker)
    # the same trees, served without a penalty and with a strong one
    plain, penalised = clone(ranker).set_params(popularity_penalty=0.0), clone(ranker).set_params(popularity_penalty=0.5)
    for a in ("models_", "serve_", "guard_", "features_"):
        setattr(plain, a, getattr(ranker, a))
        setattr(penalised, a, getattr(ranker, a))
    holders = feature_names().index("log_holders")
    learners = [u for u in model.learners_ if len(model.profile(u).held) >= 2][:60]
    mean_top, shown = {0.0: [], 0.5: []}, {0.0: set(), 0.5: set()}
    for learner in learners:
        profile = model.profile(learner)
        feats = feature_matrix(model.signal_scores(profile), profile, raw=raw_features(model.signals_, profile))
        for beta, r in ((0.0, plain), (0.5, penalised)):
            s = r.score(feats)
            s[profile.held] = -np.inf
            top = np.argsort(-s, kind="stable")[:10]
            mean_top[beta].append(feats[top, holders].mean())
            shown[beta].update(top.tolist())
        # the penalty is the trees' output less beta * log(1 + holders), before the logistic
        logit = lambda p: np.log(p) - np.log1p(-p)  # noqa: E731
        free = np.setdiff1d(np.arange(len(feats)), profile.held)
        gap = logit(plain.score(feats[free])) - logit(penalised.score(feats[free]))
        assert np.allclose(gap, 0.5 * feats[free, holders], atol=1e-4)
    assert np.mean(mean_top[0.5]) < np.mean(mean_top[0.0])
    assert len(shown[0.5]) >= len(shown[0.0])


def test_own_events_weighed_up_change_the_fit_and_bad_weights_are_refused(replayed) -> None:
    other = benchmark.replay(*(lambda c: (c.awards, c.catalogue, c.cells))(synthetic_city(seed=3, n_learners=150)))
    own = replayed.train[:150]
    x, _ = benchmark.training_rows(own[:20])
    plain = benchmark.fit_ranker(own, prior=other.train, guard=False, max_iter=20)
    weighed = benchmark.fit_ranker(own, prior=other.train, guard=False, own_weight=5.0, max_iter=20)
    assert plain.training_hash_ == weighed.training_hash_  # the same rows ...
    assert not np.allclose(plain.score(x), weighed.score(x))  # ... weighed otherwise
    xs, ys = benchmark.training_rows(own[:5])
    with pytest.raises(InvalidInput, match="weight"):
        LearnedRanker().fit(xs, ys, group=[len(ys) // 5] * 5, weight=-np.ones(len(ys)))


def test_the_bag_averages_its_boosters_each_with_its_own_seed_and_pooled_sample(replayed) -> None:
    other = benchmark.replay(*(lambda c: (c.awards, c.catalogue, c.cells))(synthetic_city(seed=3, n_learners=150)))
    own, samples = replayed.train[:150], [other.train[i::3] for i in range(3)]
    x, _ = benchmark.training_rows(replayed.train[150:160])
    bag = benchmark.fit_ranker(own, prior=samples[0], member_priors=samples[1:], guard=False, max_iter=20)
    same = benchmark.fit_ranker(own, prior=samples[0], guard=False, max_iter=20)
    assert len(bag.models_) == len(same.models_) == 3
    raw = [m.booster_.predict(x) for m in bag.models_]
    # the served score is the logistic of the boosters' mean output less the popularity penalty
    assert np.allclose(bag.raw(x), np.mean(raw, axis=0))
    assert np.allclose(bag.score(x), 1.0 / (1.0 + np.exp(-bag.penalised(np.mean(raw, axis=0), x))))
    # the first booster saw the same rows and seed either way; the others their own sample ...
    assert np.allclose(raw[0], same.models_[0].booster_.predict(x))
    assert not np.allclose(raw[1], same.models_[1].booster_.predict(x))
    # ... and without one, the same rows under another seed
    assert not np.allclose(same.models_[0].booster_.predict(x), same.models_[1].booster_.predict(x))
    one = benchmark.fit_ranker(own, prior=samples[0], guard=False, max_iter=20, n_models=1)
    assert len(one.models_) == 1 and np.allclose(one.raw(x), raw[0])
    with pytest.raises(InvalidInput, match="n_models"):
        benchmark.fit_ranker(own, prior=samples[0], member_priors=samples[1:], guard=False, n_models=2)
    with pytest.raises(InvalidInput, match="n_models"):
        benchmark.fit_ranker(own, guard=False, n_models=0)


def test_a_saved_bag_scores_the_same_once_loaded(replayed, tmp_path: Path) -> None:
    bag = benchmark.fit_ranker(replayed.train[:150], guard=False, max_iter=20)
    again = LearnedRanker.load(bag.save(tmp_path / "bag.joblib"))
    x, _ = benchmark.training_rows(replayed.train[150:160])
    assert len(again.models_) == 3 and np.array_equal(again.score(x), bag.score(x))


def test_the_serving_cascade_scores_the_first_boosters_best_rows_by_the_whole_bag(ranker, replayed) -> None:
    x, _ = benchmark.training_rows(replayed.train[:30])
    assert ranker.serve_ == "ranker" and len(ranker.models_) == 3 and len(x) > 40
    full, fast = ranker.score(x), ranker.score(x, top=20)
    first = ranker.penalised(ranker.models_[0].booster_.predict(x), x)
    best = np.argsort(-first, kind="stable")[:20]
    rest = np.setdiff1d(np.arange(len(x)), best)
    assert np.allclose(fast[best], full[best])  # the bag's own scores ...
    assert fast[rest].max() < fast[best].min()  # ... above every row it did not score
    assert np.array_equal(np.argsort(-fast[rest], kind="stable"), np.argsort(-first[rest], kind="stable"))
    assert np.array_equal(ranker.score(x, top=len(x)), full) and np.array_equal(ranker.score(x, top=None), full)
