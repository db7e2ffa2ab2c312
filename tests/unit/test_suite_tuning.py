"""The suite's tuning aids on real data: replays kept on disk and read back unchanged, a changed
input replayed again, and hard negatives taken where the candidate stage looks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from colearn.data import bundled
from colearn.perf.eval_inputs import se_catalogue
from colearn.perf.offline_eval import _stages
from colearn.ingest.spine import read_spine, spine_cell_rows
from colearn.ingest.stackexchange import plan_stackexchange
from colearn.recommender import suite
from colearn.errors import InvalidInput
from colearn.recommender.fitting import _best_rank, fit_ranker, pooled_rows, training_groups
from colearn.recommender.guard import per_event_ndcg
from colearn.recommender.ranker import feature_names


@pytest.fixture(scope="module")
def site() -> suite.Site:
    """The first 1,500 awards of the bundled Martial Arts history (a quick replay)."""
    plan = plan_stackexchange(bundled("stackexchange", "martialarts", "Badges.xml"), "martialarts")
    return suite.Site(name="martialarts", awards=list(plan.awards())[:1500], catalogue=se_catalogue(plan))


@pytest.fixture(scope="module")
def cells() -> list[dict]:
    return [{"id": c["id"], **c["props"]} for c in spine_cell_rows(read_spine())]


def test_a_cached_replay_reads_back_the_same(site: suite.Site, cells: list[dict], tmp_path_factory) -> None:
    cache: Path = tmp_path_factory.mktemp("cache")
    first = suite.prepare_site(site, cells, validation=True, cache=cache)
    files = list(cache.glob("martialarts-validation-*.pkl"))
    assert len(files) == 1
    again = suite.prepare_site(site, cells, validation=True, cache=cache)
    assert len(again.rep.test) == len(first.rep.test) > 0
    assert [g.key for g in again.rep.train] == [g.key for g in first.rep.train]
    assert all(np.array_equal(a.features, b.features) for a, b in zip(again.rep.test, first.rep.test))
    fewer = suite.Site(name=site.name, awards=site.awards[:1400], catalogue=site.catalogue)
    suite.prepare_site(fewer, cells, validation=True, cache=cache)
    assert len(list(cache.glob("martialarts-validation-*.pkl"))) == 2  # another input, another replay


def test_a_cached_prior_replay_is_keyed_by_its_sample_size(site: suite.Site, cells: list[dict],
                                                            tmp_path_factory, monkeypatch) -> None:
    cache: Path = tmp_path_factory.mktemp("prior-cache")
    first = suite.prior_replays([site], cells, per_site=100, bag=3, cache=cache, workers=1)["martialarts"]
    assert len(first.train) == 300 and not first.test  # per_site * bag training events, no held-out cases
    assert len(list(cache.glob("martialarts-prior-*.pkl"))) == 1

    def no_replay(*args, **kwargs):
        raise AssertionError("replayed again though cached")

    monkeypatch.setattr(suite, "replay", no_replay)
    again = suite.prior_replays([site], cells, per_site=100, bag=3, cache=cache, workers=1)["martialarts"]
    assert [g.key for g in again.train] == [g.key for g in first.train]
    with pytest.raises(AssertionError, match="replayed again"):  # another sample size is another replay
        suite.prior_replays([site], cells, per_site=50, bag=3, cache=cache, workers=1)


def test_hard_negatives_are_the_best_ranked_by_some_signal(site: suite.Site, cells: list[dict]) -> None:
    rep = suite.prepare_site(site, cells, validation=True).rep
    groups = [g for g in rep.train if len(g.features) - len(g.held) > 12][:50]
    assert groups
    x, y, sizes = training_groups(groups, negatives=10, hard=1.0)
    assert (sizes == 11).all() and int(y.sum()) == len(groups)
    start = 0
    for g, n in zip(groups, sizes.tolist()):
        free = np.setdiff1d(np.arange(len(g.features)), np.append(g.held, g.target))
        worst_taken = _best_rank(x[start:start + n][y[start:start + n] == 0]).max()
        tenth = np.sort(_best_rank(g.features[free]))[9]
        assert worst_taken == tenth  # the ten best-ranked not-earned badges, no others
        start += n
    _, _, uniform = training_groups(groups, negatives=10, hard=0.0)
    assert (uniform == 11).all()


def test_the_suite_gives_the_same_result_in_two_processes_as_in_one(site: suite.Site, cells: list[dict]) -> None:
    """Two real slices of the Martial Arts history as two sites, each pooled with the other."""
    sites = [suite.Site(name="early", awards=site.awards[:800], catalogue=site.catalogue),
             suite.Site(name="late", awards=site.awards[700:], catalogue=site.catalogue)]
    told: list[tuple[str, str]] = []
    kw = dict(validation=True, n_resamples=50, ranker_params={"max_iter": 10}, prior_per_site=200)
    one = suite.run_suite(sites, cells, workers=1, **kw)
    two = suite.run_suite(sites, cells, workers=2, progress=lambda s, stage: told.append((s, stage)), **kw)
    assert set(one["sites"]) == {"early", "late"} and one["sites"] == two["sites"]
    assert all(r["n_prior_groups"] > 0 for r in two["sites"].values())
    assert [t for t in told if t[1] == "rank"] == [("early", "rank"), ("late", "rank")]


def test_a_prior_sampled_once_gives_the_rows_of_one_pass(site: suite.Site, cells: list[dict]) -> None:
    """Two real slices of the Martial Arts history: the later one's events pooled into the earlier's fit."""
    own = suite.prepare_site(suite.Site("early", site.awards[:800], site.catalogue), cells, validation=True).rep
    other = suite.prepare_site(suite.Site("late", site.awards[700:], site.catalogue), cells, validation=True).rep
    prior = other.train[::2]
    pooled = pooled_rows(prior)
    one_pass = training_groups([*prior, *own.train], 20)
    assert len(pooled) == len(prior) and len(pooled.x) < len(one_pass[0])
    for a, b in zip(pooled.then(own.train), one_pass):  # X, y and group sizes, prior then own
        assert a.dtype == b.dtype and np.array_equal(a, b)
    # the same again from the same rows (nothing in them advanced), and so the same fit
    assert all(np.array_equal(a, b) for a, b in zip(pooled.then(own.train), one_pass))
    fits = [fit_ranker(own.train, prior=p, guard=False, max_iter=10, n_models=1) for p in (prior, pooled)]
    x = np.concatenate([g.features for g in own.test[:20]])
    assert fits[0].training_hash_ == fits[1].training_hash_ and np.array_equal(fits[0].score(x), fits[1].score(x))
    with pytest.raises(InvalidInput, match="negatives"):
        fit_ranker(own.train, prior=pooled_rows(prior, negatives=10), guard=False, max_iter=10)


def test_the_guard_judges_only_learners_with_enough_badges(site: suite.Site, cells: list[dict]) -> None:
    rep = suite.prepare_site(site, cells, validation=True).rep
    groups = rep.train[:300]
    x, y, sizes = training_groups(groups, 20)
    names = feature_names()
    pred = x[:, names.index("rp3beta")].astype(np.float64)
    every = per_event_ndcg(pred, x, y, sizes, names, ["ppr", "popularity"], min_held=1)
    some = per_event_ndcg(pred, x, y, sizes, names, ["ppr", "popularity"], min_held=2)
    with_history = np.array([len(g.held) >= 2 for g in groups])
    assert 0 < with_history.sum() < len(groups) and len(every["ranker"]) == len(groups)
    for k in every:
        assert np.array_equal(some[k], every[k][with_history])
    # too few judged events: the model is served, nothing judged
    ranker = fit_ranker(groups, guard=True, max_iter=10, n_models=1, guard_min_held=10_000)
    assert ranker.serve_ == "ranker" and ranker.guard_ == {}
    assert fit_ranker(groups, guard=True, max_iter=10, n_models=1).guard_  # judged by default


def _renamed(site: suite.Site, name: str) -> suite.Site:
    """``site``'s history as read under another site key: every learner and badge id re-prefixed."""
    old, new = f"se-{site.name}-", f"se-{name}-"
    awards = [(a[0].replace(old, new), a[1].replace(old, new), a[2], a[3]) for a in site.awards]
    catalogue = [{**b, "id": b["id"].replace(old, new)} for b in site.catalogue]
    return suite.Site(name=name, awards=awards, catalogue=catalogue)


def test_same_site_finds_a_renamed_or_newer_dump_and_nothing_else(site: suite.Site) -> None:
    early = suite.Site("martialarts", site.awards[:800], site.catalogue)
    assert suite.same_site(early, _renamed(early, "dojo"))  # the same dump under another key
    assert suite.same_site(_renamed(early, "dojo"), suite.Site("later-dump", site.awards, site.catalogue))
    late = _renamed(suite.Site("martialarts", site.awards[800:], site.catalogue), "late")
    assert not suite.same_site(early, late)
    # a share under SAME_SITE_OVERLAP of the smaller history in common is not the same site
    part = _renamed(suite.Site("martialarts", site.awards[700:1100], site.catalogue), "part")
    assert not suite.same_site(early, part) and suite.same_site(early, _renamed(
        suite.Site("martialarts", site.awards[500:900], site.catalogue), "most"))
    # times rounded to the minute, or moved by an hour, or award ids renumbered: still the same history
    rounded = [(a[0], a[1], a[2] // 60 * 60 + 30, a[3]) for a in early.awards]
    moved = [(a[0], a[1], a[2] + 3600, a[3]) for a in early.awards]
    renumbered = [(a[0], a[1], a[2], a[3] + 10_000) for a in early.awards]
    for awards in (rounded, moved, renumbered):
        assert suite.same_site(early, _renamed(suite.Site("martialarts", awards, site.catalogue), "copy"))
    # a part whose learner ids all happen to share a leading digit is cut as the whole history is
    ones = [a for a in early.awards if a[0].startswith("se-martialarts-1")]
    assert len({a[0] for a in ones}) > 1
    assert suite.same_site(_renamed(early, "dojo"), suite.Site("martialarts-1", ones, site.catalogue))
    both = [(a[0], a[1], a[2] + 3600, a[3] + 10_000) for a in early.awards]  # both changed: not found
    assert not suite.same_site(early, _renamed(suite.Site("martialarts", both, site.catalogue), "copy"))


def test_a_site_is_never_pooled_into_its_own_prior_under_another_name(site: suite.Site, cells: list[dict]) -> None:
    """The first 800 Martial Arts awards evaluated with, as prior sites, the same awards read under
    another key and the next 700 awards: only the latter are pooled."""
    early = suite.Site("martialarts", site.awards[:800], site.catalogue)
    late = _renamed(suite.Site("martialarts", site.awards[800:], site.catalogue), "late")
    kw = dict(validation=True, n_resamples=20, ranker_params={"max_iter": 10, "n_models": 1}, workers=1,
              prior_per_site=100_000)
    told: list[tuple[str, int, int]] = []
    stage, done = _stages(lambda *t: told.append(t), [early], [_renamed(early, "dojo"), late])
    both = suite.run_suite([early], cells, prior_sites=[_renamed(early, "dojo"), late], progress=stage,
                           **kw)["sites"]["martialarts"]
    done()
    # the progress count: the site's replay and ranking, and the one prior site replayed
    assert told == [("replay martialarts", 0, 3), ("prior late", 1, 3), ("rank martialarts", 2, 3), ("done", 3, 3)]
    alone = suite.run_suite([early], cells, prior_sites=[late], **kw)["sites"]["martialarts"]
    assert both["pooled_sites"] == alone["pooled_sites"] == ["late"]
    assert both["n_prior_groups"] == alone["n_prior_groups"] > 0
    assert both["models"] == alone["models"]


def test_a_prior_site_that_is_an_evaluated_one_is_not_pooled_twice(site: suite.Site, cells: list[dict]) -> None:
    """Two real Martial Arts slices evaluated, and the first again under another key among the prior
    sites (as a folder of newer dumps beside the bundled suite): each slice pools the other once."""
    early = suite.Site("martialarts", site.awards[:800], site.catalogue)
    late = _renamed(suite.Site("martialarts", site.awards[800:], site.catalogue), "late")
    kw = dict(validation=True, n_resamples=20, ranker_params={"max_iter": 10, "n_models": 1}, workers=1)
    out = suite.run_suite([early, late], cells, prior_sites=[_renamed(early, "dojo")], **kw)
    assert out["prior_sites"] == []
    assert out["sites"]["martialarts"]["pooled_sites"] == ["late"]
    assert out["sites"]["late"]["pooled_sites"] == ["martialarts"]
