"""The issue-4 signals on small data: hand-checked values, independent implementations,
and incremental updates equal to a refit on the changed rows."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from colearn.recommender.context import DestinationFit, EarningStage, TenureStage, ThemeFit, Trending
from colearn.recommender.projections import Projection
from colearn.recommender.recommend import ranker_signals
from colearn.recommender import signals
from colearn.recommender.signals import Interests, Profile
from colearn.ingest.synthetic.climb import synthetic_city
from colearn.recommender.sequence import SEQUENCE_FEATURES, BackoffTransitions
from colearn.recommender.transitions import EarnedLater, Transitions
from colearn.recommender.walks import PersonalisedPageRank, RP3beta
from tests.recommender_builders import BADGES, CELLS
from tests.recommender_builders import awards as make_awards

THEMED = [dict(b, themes=["digital"] if b["id"] in {"first", "club", "show"} else ["civic"],
               destinations=["employment"] if b["id"] in {"first", "club", "show"} else ["civic_engagement"],
               description=f"{b['name']} badge about " + ("coding and games" if b["id"] in {"club", "show"}
                                                          else "reading and voting"))
          for b in BADGES]


@pytest.fixture
def k2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counts from 2 shown as numbers (5 in the product): the hand-checked counts of the small
    data below are then in the sentences."""
    monkeypatch.setattr(signals, "MIN_LEARNERS_SHOWN", 2)


def _projection(rows=None) -> Projection:
    return Projection.from_rows(make_awards() if rows is None else rows, THEMED, CELLS)


def _profile(p: Projection, learner: str) -> Profile:
    held, on = p.history(p.learners.row(learner))
    return Profile(held=held, held_on=on)


def test_transitions_count_next_badges_by_hand(k2: None) -> None:
    p = _projection()
    t = Transitions(decay=0.0).fit(p)
    col = p.badges.row
    # first -> club: u1, u2, u3; first -> quiz: u4; club -> show: u1, u2; club -> read: u3
    assert t.next_.rows([col("first")])[0, col("club")] == 3
    assert t.out_[col("first")] == 4
    s = t.score(_profile(p, "t"))  # t holds "first" only
    assert s[col("club")] == 1.0 and s[col("quiz")] == pytest.approx(1 / 3)
    assert t.explain(_profile(p, "t"), col("club")) == "3 learners who earned First went on to earn Club next"
    assert t.explain(_profile(p, "t"), col("lead")) is None


def test_transitions_decay_weighs_older_badges_less() -> None:
    p = _projection()
    profile = Profile.of([p.badges.row("first"), p.badges.row("club")], [1, 2])
    only_last = Transitions(decay=0.0).fit(p).score(profile)
    both = Transitions(decay=0.5).fit(p).score(profile)
    assert only_last[p.badges.row("quiz")] == 0.0  # first -> quiz needs the older badge
    assert both[p.badges.row("quiz")] > 0.0


def test_sequence_features_give_the_holdings_concentration_by_hand() -> None:
    rows = make_awards()
    p = _projection(rows)
    seq = BackoffTransitions().fit(p)
    features = seq.features(_profile(p, "t"))
    assert set(features) == set(SEQUENCE_FEATURES)
    holders = Counter(badge for _, badge in {(r[0], r[1]) for r in rows})  # a repeat award counts once
    total = sum(holders.values())
    by_hand = sum((c / total) ** 2 for c in holders.values())
    assert features["holders_hhi"] == pytest.approx(np.full(p.n_badges, by_hand))
    assert 1 / p.n_badges < by_hand < 1
    # one badge held by everyone and nothing else: fully concentrated; nothing held: 0
    one = Projection.from_rows([(u, "first", 1, i) for i, u in enumerate(["a", "b", "c"])], THEMED, CELLS)
    assert BackoffTransitions().fit(one).features(Profile.of([]))["holders_hhi"] == pytest.approx(1.0)
    empty = Projection.from_rows([], THEMED, CELLS)
    assert np.all(BackoffTransitions().fit(empty).features(Profile.of([]))["holders_hhi"] == 0.0)
    # an award seen live moves it as a refit would
    seq.add_award(np.array([p.badges.row("first")]), p.badges.row("lead"))
    refit = BackoffTransitions().fit(Projection.from_rows(rows + [("t", "lead", 9_000, 1_000)], THEMED, CELLS))
    assert seq.features(_profile(p, "t"))["holders_hhi"] == pytest.approx(
        refit.features(_profile(p, "t"))["holders_hhi"])


def test_earned_later_counts_ordered_pairs(k2: None) -> None:
    p = _projection()
    e = EarnedLater().fit(p)
    col = p.badges.row
    assert e.later_.rows([col("first")])[0, col("show")] == 2  # u1, u2
    assert e.later_.rows([col("show")])[0, col("first")] == 0
    assert e.explain(_profile(p, "t"), col("show")) == "2 of the 5 learners who earned First earned Show later"


def test_a_count_under_five_is_said_in_words() -> None:
    """``signals.how_many`` words a count for a sentence to go on; under k (5) never as a number,
    and as "some" of a group the sentence shows that has no more than k ("fewer than 5 of the 5"
    says only "not all"). EarnedLater words its counts with it."""
    assert [signals.how_many(n) for n in (0, 1, 4, 5, 1204)] == ["fewer than 5"] * 3 + ["5", "1,204"]
    assert (signals.how_many(4, start=True), signals.how_many(4, of=5, start=True)) == ("Fewer than 5", "Some")
    assert (signals.how_many(4, of=6), signals.how_many(5, of=5)) == ("fewer than 5", "5")
    assert (signals.learners(4, start=True), signals.learners(1204)) == ("Fewer than 5 learners", "1,204 learners")
    # 12 learners earned First; 6 of them earned Club later, 2 of them Show
    rows = [(f"u{i}", "first", 10 * i, f"f{i}") for i in range(12)]
    rows += [(f"u{i}", "club", 10 * i + 5, f"c{i}") for i in range(6)]
    rows += [(f"u{i}", "show", 10 * i + 7, f"s{i}") for i in range(2)]
    p = _projection(rows)
    col = p.badges.row
    e, learner = EarnedLater().fit(p), Profile.of([col("first")], [0])
    assert e.explain(learner, col("club")) == "6 of the 12 learners who earned First earned Club later"
    assert e.explain(learner, col("show")) == "Fewer than 5 of the 12 learners who earned First earned Show later"


def _ppr_with_learner_nodes(p: Projection, held: np.ndarray, alpha: float) -> np.ndarray:
    """Independent PageRank: the full graph with a node per learner, dense power iteration."""
    nb, nc, nt, nd, nl = p.n_badges, p.n_cells, len(p.themes), len(p.destinations), p.n_learners
    n = nb + nc + nt + nd + nl
    a = np.zeros((n, n))
    x = p.learner_badges.toarray()
    a[nb + nc + nt + nd:, :nb] = x
    a[:nb, nb:nb + nc] = p.badge_cells.toarray()
    a[:nb, nb + nc:nb + nc + nt] = p.badge_themes.toarray()
    td = (p.badge_themes.toarray().T @ p.badge_destinations.toarray()) > 0
    a[nb + nc:nb + nc + nt, nb + nc + nt:nb + nc + nt + nd] = td
    a = np.maximum(a, a.T)
    d = a.sum(axis=0)
    r = np.zeros(n)
    r[held] = 1 / len(held)
    v = r.copy()
    for _ in range(500):
        moved = a @ np.divide(v, d, out=np.zeros(n), where=d > 0)
        v = alpha * r + (1 - alpha) * (moved + v[d == 0].sum() * r)
    return v[:nb]


def test_personalised_pagerank_matches_a_walk_with_learner_nodes() -> None:
    p = _projection()
    held = np.array([p.badges.row("first"), p.badges.row("quiz")])
    ours = PersonalisedPageRank(alpha=0.3, tol=1e-12, max_iter=500).fit(p)._walk(held)[: p.n_badges]
    reference = _ppr_with_learner_nodes(p, held, 0.3)
    assert ours == pytest.approx(reference, rel=1e-6, abs=1e-9)


def test_rp3beta_by_its_formula() -> None:
    p = _projection()
    x = p.learner_badges.toarray().astype(float)
    deg_u, deg_i = x.sum(axis=1), x.sum(axis=0)
    held = [p.badges.row("first")]
    w = (x[:, held].T / np.maximum(deg_i[held], 1)[:, None]) @ (x / deg_u[:, None])
    want = w.sum(axis=0) / np.maximum(deg_i, 1) ** 0.5
    want[held] = 0
    got = RP3beta(beta=0.5).fit(p).score(Profile.of(held))
    assert got == pytest.approx(want / want.max())


def test_theme_and_destination_fit_follow_stated_interests_then_held_badges() -> None:
    p = _projection()
    col = p.badges.row
    fit = ThemeFit().fit(p)
    stated = Profile.of([], interests=Interests(themes=("civic",)))
    s = fit.score(stated)
    assert s[col("read")] == 1.0 and s[col("club")] == 0.0
    assert fit.explain(stated, col("read")) == "In the civic theme you chose"
    from_held = _profile(p, "u3")  # first, club (digital), read (civic)
    assert fit.score(from_held)[col("show")] == 1.0
    assert fit.explain(from_held, col("show")) == "In the digital theme, like 2 of your 3 badges"
    dest = DestinationFit().fit(p)
    assert dest.explain(Profile.of([], interests=Interests(destinations=("employment",))), col("club")) == \
        "Leads to employment, the destination you chose"


def test_fit_reasons_count_the_learners_own_badges_in_plain_words(k2: None) -> None:
    """A learner with one badge read "like 1 of your 1 badges"; each count of their own badges
    is now worded for what it is (one of one, both, all, one of several), and a one-day
    trending window reads "the day", not "the 1 days"."""
    p = _projection()
    col = p.badges.row
    theme, dest = ThemeFit().fit(p), DestinationFit().fit(p)
    one = _profile(p, "t")  # first (digital, employment)
    assert theme.explain(one, col("club")) == "In the digital theme, like the badge you hold"
    assert dest.explain(one, col("club")) == "Leads to employment, like the badge you hold"
    both = Profile.of([col("first"), col("club")])
    assert theme.explain(both, col("show")) == "In the digital theme, like both your badges"
    every = _profile(p, "u1")  # first, club, show: all digital
    assert theme.explain(every, col("show")) == "In the digital theme, like all 3 of your badges"
    some = _profile(p, "u4")  # first (digital), quiz (civic)
    assert theme.explain(some, col("club")) == "In the digital theme, like one of your 2 badges"
    assert Trending(window_days=1).fit(p).explain(one, col("first")) == (
        "Trending: 5 learners earned it in the day up to your latest badge")
    # a recommended pathway of one step read "0 of 1 steps met"
    from colearn.recommender.pathways import score_pathways
    from colearn.recommender.recommend import Recommender

    step = {"title": "Read", "required": 1, "badges": ["read"]}
    rec = Recommender().fit(p)
    [single, double] = sorted(score_pathways(rec, one, [{"id": "a", "title": "A", "steps": [step]},
                                                         {"id": "b", "title": "B", "steps": [step, step]}]),
                              key=lambda s: s.pathway_id)
    assert single.reasons[0] == "0 of 1 step met" and double.reasons[0] == "0 of 2 steps met"


def test_a_destination_is_named_by_its_name_never_its_id() -> None:
    """The what-next reason and the pathway reason both say the destination's name (the catalogue
    node's ``name``); an unnamed one is said by its id, ``_`` read as a space."""
    from colearn.recommender.pathways import score_pathways
    from colearn.recommender.recommend import Recommender

    p = Projection.from_rows(make_awards(), THEMED, CELLS, destination_names={"civic_engagement": "Taking part"})
    chose = Profile.of([], interests=Interests(destinations=("civic_engagement",)))
    dest = DestinationFit().fit(p)
    assert dest.explain(chose, p.badges.row("read")) == "Leads to Taking part, the destination you chose"
    assert dest.explain(Profile.of([], interests=Interests(destinations=("employment",))), p.badges.row("club")) == \
        "Leads to employment, the destination you chose"
    rec = Recommender().fit(p)
    pathway = {"id": "pw", "title": "Civic", "destination": "civic_engagement",
               "steps": [{"title": "Read", "required": 1, "badges": ["read"]}]}
    reasons = score_pathways(rec, chose, [pathway])[0].reasons
    assert "Leads to Taking part, the destination you chose" in reasons, reasons


def test_earning_stage_tenure_and_trending_by_hand(k2: None) -> None:
    p = _projection()
    col = p.badges.row
    stage = EarningStage().fit(p)
    # as a second badge: club (u1, u2, u3) and quiz (u4)
    one = _profile(p, "t")
    assert stage.counts_[1, col("club")] == 3 and stage.counts_[1, col("quiz")] == 1
    assert stage.explain(one, col("club")) == "Often the next badge at your stage: 3 learners earned it as their 2nd"
    trending = Trending(window_days=1).fit(p)
    # t's latest badge is at 1_000; first awards within a day before: first x5 (1_000), u5's club (1_000)
    assert trending.score(one)[col("first")] == 1.0
    assert trending._counts(one)[col("club")] == 1  # u5's first badge at 1_000; the others' at 1_010
    assert TenureStage().fit(p).score(one).max() == 1.0


def test_stage_and_tenure_reasons_say_what_they_count_and_never_often_of_one(k2: None) -> None:
    """Tenure compares the time from the learner's first badge to their latest (not to now) with
    the time from each awardee's first badge to this award; one learner is not "often"."""
    day = 86_400
    rows = [("a", "first", 0, "1"), ("a", "club", 40 * day, "2"), ("b", "first", 0, "3"),
            ("b", "club", 50 * day, "4"), ("c", "first", 0, "5"), ("c", "quiz", 35 * day, "6"),
            ("d", "first", 0, "7"), ("d", "read", day // 5, "8"),
            ("t", "first", 0, "9"), ("t", "show", 45 * day, "10"), ("s", "first", 0, "11"), ("s", "lead", 3_600, "12")]
    p = Projection.from_rows(rows, THEMED, CELLS)
    col = p.badges.row
    tenure = TenureStage().fit(p)
    t, s = _profile(p, "t"), _profile(p, "s")
    assert tenure.explain(t, col("club")) == \
        "Your latest badge came 30 to 90 days after your first; 2 learners earned this one at that point"
    assert tenure.explain(t, col("quiz")) == \
        "Your latest badge came 30 to 90 days after your first; fewer than 2 learners earned this one at that point"
    assert tenure.explain(s, col("read")) == \
        "Your latest badge came within a day of your first; fewer than 2 learners earned this one at that point"
    assert tenure.explain(t, col("read")) is None  # earned within a day, not 30 to 90 days, after a first
    stage = EarningStage().fit(p)
    assert stage.explain(t, col("club")) is None  # nobody here earned a 3rd badge
    one = Profile.of([col("first")], [0])
    assert stage.explain(one, col("club")) == "Often the next badge at your stage: 2 learners earned it as their 2nd"
    assert stage.explain(one, col("quiz")) == "It would be your 2nd badge; fewer than 2 learners earned it as their 2nd"


def test_co_holder_reasons_agree_in_number(k2: None) -> None:
    rows = [("a", "first", 0, "1"), ("a", "club", 10, "2"), ("b", "club", 20, "3"), ("b", "show", 30, "4"),
            ("c", "show", 40, "5")]
    p = Projection.from_rows(rows, THEMED, CELLS)
    col = p.badges.row
    learner = Profile.of([col("first")], [0])  # one co-holder of First holds Club; two learners hold Club
    rp3 = RP3beta().fit(p)
    assert rp3.explain(learner, col("club")) == \
        "Learners like you: fewer than 2 learners who hold First hold it too, though only 2 learners hold it in all"
    ppr = PersonalisedPageRank().fit(p)
    assert ppr.explain(learner, col("club")) == \
        "Learners with badges like yours hold it: fewer than 2 learners who hold First hold it too"


def test_no_reason_shows_a_count_under_five() -> None:
    """Reasons reach anonymous callers and partner sites: a count of learners under 5 (the k of
    insights, ``config.MIN_LEARNERS_SHOWN``) is said as "fewer than 5", in every template that
    counts learners (3, 2 and 1 learners here, where the sentences showed them)."""
    p = _projection()
    col = p.badges.row
    t = _profile(p, "t")
    said = [Transitions(decay=0.0).fit(p).explain(t, col("club")), EarnedLater().fit(p).explain(t, col("show")),
            EarningStage().fit(p).explain(t, col("club")), EarningStage().fit(p).explain(t, col("quiz")),
            RP3beta().fit(p).explain(t, col("club")), PersonalisedPageRank().fit(p).explain(t, col("club")),
            BackoffTransitions().fit(p).explain(t, col("club"))]
    assert said[:4] == ["Fewer than 5 learners who earned First went on to earn Club next",
                        "Some of the 5 learners who earned First earned Show later",
                        "It would be your 2nd badge; fewer than 5 learners earned it as their 2nd",
                        "It would be your 2nd badge; fewer than 5 learners earned it as their 2nd"]
    assert said[4] == ("Learners like you: fewer than 5 learners who hold First hold it too, "
                       "though few learners hold it in all")
    for sentence in said:
        assert sentence is not None and sentence[0].isupper(), sentence
        assert "only fewer" not in sentence, sentence
        assert not any(f" {n} learner" in sentence or sentence.startswith(f"{n} ") for n in range(1, 5)), sentence


def _registered(signal: str):
    """The registry's signal, unfitted; PageRank walking per request (``top_k=None``): the rows it
    precomputes at fit are kept, not recomputed, through ``add_award`` (test_serving_path checks
    them against a fresh build), while the statistics its walk reads must equal a refit's exactly."""
    s = next(s for s in ranker_signals() if s.name == signal)
    if isinstance(s, PersonalisedPageRank):
        s.top_k = None
    return s


@pytest.mark.parametrize("signal", [s.name for s in ranker_signals()])
def test_add_award_equals_a_refit(signal: str) -> None:
    city = synthetic_city(seed=3, n_learners=60)
    rows, new = city.awards[:-1], city.awards[-1]
    learner, badge, on, _ = new

    def fitted(awards):
        p = Projection.from_rows(awards, city.catalogue, city.cells)
        return p, _registered(signal).fit(p)

    p, incremental = fitted(rows)
    if learner in p.learners:
        held, held_on = p.history(p.learners.row(learner))
    else:
        held, held_on = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    incremental.add_award(held, p.badges.row(badge), on=on, held_on=held_on, learner=learner)
    p2, refit = fitted(city.awards)
    probe = [u for u in p2.learners if len(p2.history(p2.learners.row(u))[0]) >= 2][:15]
    for u in probe:
        h, t = p2.history(p2.learners.row(u))
        profile = Profile(held=h, held_on=t)
        assert incremental.score(profile) == pytest.approx(refit.score(profile), abs=1e-9), u


@pytest.mark.parametrize("signal", ["item_knn", "transitions", "earned_later", "ppr", "rp3beta", "popularity",
                                    "trending", "sequence", "stage", "tenure"])
def test_remove_award_equals_a_refit_without_it(signal: str) -> None:
    city = synthetic_city(seed=4, n_learners=60)
    p = Projection.from_rows(city.awards, city.catalogue, city.cells)
    # a learner with at least three badges loses the middle one
    learner = next(u for u in p.learners if len(p.history(p.learners.row(u))[0]) >= 3)
    held, held_on = p.history(p.learners.row(learner))
    gone = p.badges.id(int(held[1]))
    make = lambda: _registered(signal)  # noqa: E731
    incremental = make().fit(p)
    incremental.remove_award(held, int(held[1]), held_on=held_on, learner=learner)
    without = [a for a in city.awards if not (a[0] == learner and a[1] == gone)]
    refit = make().fit(Projection.from_rows(without, city.catalogue, city.cells))
    for u in list(p.learners)[:20]:
        h, t = p.history(p.learners.row(u))
        if len(h):
            profile = Profile(held=h[:2], held_on=t[:2])
            assert incremental.score(profile) == pytest.approx(refit.score(profile), abs=1e-9), u


@pytest.mark.parametrize("signal", ["stage", "tenure"])
def test_stage_and_tenure_counts_follow_an_award_out_of_time_order(signal: str) -> None:
    """A badge removed from the middle of a learner's history (revoked, expired) moves every later
    badge one stage back, and removing the first moves them all to other tenures; an award dated
    before badges held moves them one stage on. The counts equal a refit's, every context, where
    before only the removed or added badge's count changed."""
    city = synthetic_city(seed=4, n_learners=60)
    p = Projection.from_rows(city.awards, city.catalogue, city.cells)
    learner = next(u for u in p.learners if len(p.history(p.learners.row(u))[0]) >= 4)
    held, held_on = p.history(p.learners.row(learner))
    for p_gone in (0, 1):
        gone = p.badges.id(int(held[p_gone]))
        incremental = _registered(signal).fit(p)
        incremental.remove_award(held, int(held[p_gone]), held_on=held_on)
        without = [a for a in city.awards if not (a[0] == learner and a[1] == gone)]
        refit = _registered(signal).fit(Projection.from_rows(without, city.catalogue, city.cells))
        assert np.array_equal(incremental.counts_, refit.counts_), p_gone
        # and back, dated between the first two of what remains
        keep = held != held[p_gone]
        h, t = held[keep], held_on[keep]
        on = int(t[0]) + 1 if int(t[1]) > int(t[0]) + 1 else int(t[0])
        incremental.add_award(h, int(held[p_gone]), on=on, held_on=t)
        again = [*without, (learner, gone, on, 10**9)]
        refit = _registered(signal).fit(Projection.from_rows(again, city.catalogue, city.cells))
        assert np.array_equal(incremental.counts_, refit.counts_), p_gone


def test_every_fitted_signal_survives_pickling_with_its_scores() -> None:
    # recommender.rebuild builds the recommender in a child process and sends it back pickled
    import io
    import pickle

    from colearn.recommender.rebuild import _LockAwarePickler

    def round_trip(obj):
        out = io.BytesIO()
        _LockAwarePickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
        return pickle.loads(out.getvalue())

    city = synthetic_city(seed=5, n_learners=60)
    p = Projection.from_rows(city.awards, city.catalogue, city.cells)
    probe = [Profile(*p.history(p.learners.row(u))) for u in list(p.learners)[:10]]
    for signal in ranker_signals():
        fitted = signal.fit(p)
        copy = round_trip(fitted)
        for profile in probe:
            assert np.array_equal(copy.score(profile), fitted.score(profile)), signal.name
        learner = probe[0]
        fitted.add_award(learner.held[:1], int(learner.held[-1]) ^ 1)
        copy.add_award(learner.held[:1], int(learner.held[-1]) ^ 1)
        assert np.array_equal(copy.score(learner), fitted.score(learner)), signal.name


def test_a_burst_of_awards_keeps_a_bounded_update_queue_and_equals_a_refit(monkeypatch) -> None:
    # issue 12: at L the badge x badge matrices are sparse and queue their updates until read;
    # awards to learners holding many badges queue O(n²) entries each (PageRank's and RP3beta's G),
    # so a burst with no request in between grew the process by gigabytes. Sparse here as at L.
    from colearn.recommender import counts

    monkeypatch.setattr(counts, "DENSE_CELLS", 0)
    monkeypatch.setattr(counts, "FOLD_ENTRIES", 2_000)
    city = synthetic_city(seed=3, n_learners=200)
    cut = len(city.awards) - 300
    p = Projection.from_rows(city.awards[:cut], city.catalogue, city.cells)
    signals = {s.name: s.fit(p) for s in (_registered(n) for n in ("item_knn", "transitions", "earned_later",
                                                                     "ppr", "rp3beta"))}
    matrices = [m for s in signals.values() for m in vars(s).values() if isinstance(m, counts.CountMatrix)]
    assert matrices and not any(m.dense for m in matrices)
    history = {u: [(int(b), int(t)) for b, t in zip(*p.history(p.learners.row(u)))] for u in p.learners}
    queued_most, added = 0, 0
    for learner, badge, on, _ in city.awards[cut:]:
        mine = history.setdefault(learner, [])
        col = p.badges.row(badge)
        if any(b == col for b, _ in mine):
            continue
        held = np.array([b for b, _ in mine], dtype=np.int64)
        held_on = np.array([t for _, t in mine], dtype=np.int64)
        for s in signals.values():
            s.add_award(held, col, on=on, held_on=held_on, learner=learner)
        mine.append((col, int(on)))
        added += 2 * (len(held) ** 2 + (len(held) + 1) ** 2)  # into PageRank's and RP3beta's G
        queued_most = max(queued_most, max(m.queued for m in matrices))
    assert added > 5 * counts.FOLD_ENTRIES  # the burst queues far more than the bound
    assert queued_most <= counts.FOLD_ENTRIES
    full = Projection.from_rows(city.awards, city.catalogue, city.cells)
    for name, s in signals.items():
        refit = _registered(name).fit(full)
        for u in [u for u in full.learners if len(full.history(full.learners.row(u))[0]) >= 2][:15]:
            h, t = full.history(full.learners.row(u))
            profile = Profile(held=h, held_on=t)
            assert s.score(profile) == pytest.approx(refit.score(profile), abs=1e-9), (name, u)
