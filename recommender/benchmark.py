"""The full offline evaluation: the learned recommender against every baseline, with intervals.

Protocol (``evaluation.temporal_leave_last_out``): each learner with at least
``min_badges`` distinct badges has their last distinct badge held out. The
earning history is replayed in (time, award id) order through one set of
signals updated award by award (``Recommender.add_award``, the same
incremental path the service uses); a held-out award is scored from the
state just before it lands, so nothing later is seen.

The learned ranker is trained only on earlier events (expanding window):
every award that gives a learner a new distinct badge, and is not a held-out
test award, becomes a training group (features then, label = the badge
earned). The held-out cases are cut into ``checkpoints`` consecutive blocks;
the ranker for a block is fitted on the training groups strictly before the
block's first held-out award. A block with fewer than ``min_train_groups``
earlier groups is scored by the hand-weighted blend instead (counted in the
result as ``fallback_cases``). Hyperparameters are chosen on the validation
split (``validation_awards``: the test awards removed, each learner's
second-to-last badge held out), never on the test cases.

Baselines (each a single signal; ties broken by popularity at 1e-6, so that a
signal with many zero scores is not punished by the pessimistic tie rule
beyond what it earns): random (seeded), popularity, item-kNN, personalised
PageRank, RP3beta, first-order transitions (Markov), content similarity
(TF-IDF of badge texts against the held badges').

Metrics per case: HR@5, HR@10, NDCG@10 (Järvelin & Kekäläinen 2002), MRR
(Voorhees 1999), intra-list diversity (Ziegler et al., "Improving
recommendation lists through topic diversification", WWW 2005: mean pairwise
``1 - cosine`` of the top 10, on badge vectors of spine cells, themes and
TF-IDF text), novelty (Zhou et al., "Solving the apparent diversity-accuracy
dilemma of recommender systems", PNAS 2010: mean ``-log2`` of the share of
learners holding each of the top 10, at the case's time); and catalogue
coverage@10 (share of badges in at least one top 10; Ge, Delgado-Battenfeld,
Jannach, "Beyond accuracy", RecSys 2010), bootstrapped by resampling cases.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from colearn.errors import InvalidInput
from colearn.recommender.evaluation import (
    HeldOut, _awards, hit_rate_at_k, ndcg_at_k, reciprocal_rank, summarise,
    temporal_leave_last_out, validation_awards,
)
from colearn.recommender.projections import Award, Projection, SpineCell, award_order_key
from colearn.recommender.ranker import LearnedRanker, feature_matrix, feature_names, raw_features
from colearn.recommender.recommend import DEFAULT_WEIGHTS, KNN_NEIGHBOURS, Recommender, ranker_signals
from colearn.recommender.signals import Profile
from colearn.recommender.text import TextSimilarity

#: Baselines: ``{name: signal}`` (``random`` has no signal).
BASELINES: Mapping[str, str | None] = {
    "random": None, "popularity": "popularity", "item_knn": "item_knn", "ppr": "ppr",
    "rp3beta": "rp3beta", "markov": "markov", "content": "content",
}

#: The model this module evaluates beside the baselines.
FULL = "recommender"

#: Cut-offs and per-case metrics, in report order.
PER_CASE = ("hr@5", "hr@10", "ndcg@10", "mrr", "diversity@10", "novelty@10")

#: Training events kept per replay (a seeded uniform sample of all of them): bounds the
#: time of a site's evaluation (the features of a dropped event are never computed).
MAX_TRAIN_GROUPS = 8_000

#: Training events taken from each other site into a pooled fit (``suite_prior``).
PRIOR_PER_SITE = 300

#: Tie-break weight of popularity under each baseline signal.
TIE_BREAK = 1e-6


@dataclass
class Group:
    """One event of the replay: a learner about to earn ``target``.

    Attributes:
        key: the award's (time, award id) order key.
        learner_id: who.
        target: the badge column they earned.
        held: int64 ``[n_held]``: what they held just before.
        features: float32 ``[n_badges, n_features]``: the ranker's input then.
        scores: ``{baseline or signal: float64 [n_badges]}`` (test cases only).
        popularity: int64 ``[n_badges]``: holders then (test cases only; novelty).
    """

    key: tuple[Any, ...]
    learner_id: str
    target: int
    held: np.ndarray
    features: np.ndarray
    scores: dict[str, np.ndarray] = field(default_factory=dict)
    popularity: np.ndarray | None = None


@dataclass
class Replay:
    """What one replay of the history gives.

    Attributes:
        train: training groups (non-test events), in time order.
        test: one group per held-out case, in time order (empty when replaying for training only).
        badges: badge ids by column.
        badge_vectors: float64 ``[n_badges, dim]`` unit rows for diversity.
        n_learners: learners seen.
    """

    train: list[Group]
    test: list[Group]
    badges: tuple[str, ...]
    badge_vectors: np.ndarray
    n_learners: int


def _catalogue(rows: Sequence[Award], catalogue: Iterable[Mapping[str, Any]] | Mapping[str, Sequence[str]]
               ) -> list[dict[str, Any]]:
    """Badge rows (``BADGE_CATALOGUE``-like); a ``{badge: [cells]}`` dict is accepted too."""
    if isinstance(catalogue, Mapping):
        cat = [{"id": b, "name": b, "cells": list(c)} for b, c in catalogue.items()]
    else:
        cat = [dict(b) for b in catalogue]
    known = {b["id"] for b in cat}
    cat += [{"id": b, "name": b, "cells": []} for b in sorted({a.badge_id for a in rows} - known)]
    return cat


def _badge_vectors(projection: Projection) -> np.ndarray:
    """Unit rows of ``[cells | themes | TF-IDF text]`` per badge (diversity's item space)."""
    text = TextSimilarity(model="tfidf").fit(projection).vectors_.astype(np.float64)
    parts = [projection.badge_cells.toarray(), projection.badge_themes.toarray(), text]
    v = np.concatenate([p.astype(np.float64) for p in parts], axis=1)
    norm = np.linalg.norm(v, axis=1, keepdims=True)
    return np.divide(v, norm, out=np.zeros_like(v), where=norm > 0)


def replay(
    awards: Iterable[Award | Sequence[Any]],
    catalogue: Iterable[Mapping[str, Any]] | Mapping[str, Sequence[str]],
    cells: Iterable[Mapping[str, Any] | SpineCell],
    *,
    cases: Sequence[HeldOut] = (),
    neighbours: int = KNN_NEIGHBOURS,
    max_train_groups: int | None = None,
    seed: int = 0,
) -> Replay:
    """Replay the history in order, collecting the ranker's training groups and the test cases.

    Args:
        awards: ``(learner_id, badge_id, awarded_on, award_id)`` rows.
        catalogue: badge rows (``id``, ``name``, ``description``, ``cells``,
            ``themes``, ``destinations``) or ``{badge_id: [cell id]}``.
        cells: the spine.
        cases: held-out cases to score (their awards are never training groups).
        neighbours: ``k`` of item-kNN.
        max_train_groups: keep at most this many training groups, a seeded
            uniform sample (``None``: all); bounds memory on big sites.
        seed: the sample's seed.

    Returns:
        The ``Replay``.

    Raises:
        InvalidInput: malformed rows.
    """
    rows = sorted(_awards(awards), key=award_order_key)
    cat = _catalogue(rows, catalogue)
    signals = ranker_signals(neighbours) + _baseline_signals()
    model = Recommender.from_rows([], cat, list(cells), signals=signals)
    n = len(model.badges)
    test_at = {(c.learner_id, c.badge_id, c.held_out_on, c.award_id) for c in cases}
    n_events = 0
    rng = np.random.default_rng(seed)
    train: list[Group] = []
    test: list[Group] = []
    seen: set[str] = set()
    for a in rows:
        col = model.badges.row(a.badge_id)
        seen.add(a.learner_id)
        if a.learner_id in model.learners_:
            profile = model.profile(a.learner_id)
        else:
            profile = Profile.of([])
        if np.any(profile.held == col):
            continue
        is_test = (a.learner_id, a.badge_id, a.awarded_on, a.award_id) in test_at
        slot: int | None = None
        if len(profile.held) and not is_test and max_train_groups != 0:
            # reservoir sampling (Vitter 1985, algorithm R) decided before the
            # features are computed, so that a dropped event costs nothing
            n_events += 1
            if max_train_groups is None or len(train) < max_train_groups:
                slot = len(train)
            else:
                j = int(rng.integers(0, n_events))
                slot = j if j < max_train_groups else None
        if len(profile.held) and (is_test or slot is not None):
            scores = model.signal_scores(profile)
            g = Group(key=award_order_key(a), learner_id=a.learner_id, target=col, held=profile.held,
                      features=feature_matrix(scores, profile, raw=raw_features(model.signals_, profile)))
            if is_test:
                g.scores = _baseline_scores(scores, n, rng)
                g.popularity = model.signals_["popularity"].holders_.copy()
                test.append(g)
            elif slot == len(train):
                train.append(g)
            else:
                train[slot] = g
        model.add_award(a.learner_id, a.badge_id, a.awarded_on)
    train.sort(key=lambda g: g.key)
    return Replay(train=train, test=test, badges=model.badges.ids,
                  badge_vectors=_badge_vectors(model.projection_), n_learners=len(seen))


def _baseline_signals() -> list[Any]:
    from colearn.recommender.transitions import Transitions

    return [Transitions(decay=0.0, name="markov"), TextSimilarity(model="tfidf", name="content")]


def _baseline_scores(signal: Mapping[str, np.ndarray], n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    pop = signal["popularity"]
    out = {"random": rng.random(n), "popularity": pop.copy()}
    for name, s in BASELINES.items():
        if s is not None and s != "popularity":
            out[name] = signal[s] + TIE_BREAK * pop
    out["blend"] = sum((w * signal[s] for s, w in DEFAULT_WEIGHTS.items()), np.zeros(n))
    return out


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def training_groups(groups: Sequence[Group], negatives: int | None = None,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(X float32 [n_rows, n_features], y int8 [n_rows], sizes int64 [n_groups])``: per event,
    the earned badge and the badges the learner did not hold (all of them, or ``negatives`` drawn
    uniformly, seeded), one query group each, in the order of ``groups``."""
    rng = np.random.default_rng(seed)
    xs, ys, sizes = [], [], []
    for g in groups:
        mask = np.ones(len(g.features), dtype=bool)
        mask[g.held] = False
        if negatives is not None:
            others = np.flatnonzero(mask)
            others = others[others != g.target]
            if len(others) > negatives:
                mask[:] = False
                mask[rng.choice(others, size=negatives, replace=False)] = True
                mask[g.target] = True
        y = np.zeros(len(g.features), dtype=np.int8)
        y[g.target] = 1
        xs.append(g.features[mask])
        ys.append(y[mask])
        sizes.append(int(mask.sum()))
    if not xs:
        return (np.zeros((0, len(feature_names())), dtype=np.float32), np.zeros(0, dtype=np.int8),
                np.zeros(0, dtype=np.int64))
    return np.concatenate(xs), np.concatenate(ys), np.asarray(sizes, dtype=np.int64)


def training_rows(groups: Sequence[Group], negatives: int | None = None,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of ``training_groups`` (without the group sizes)."""
    x, y, _ = training_groups(groups, negatives, seed)
    return x, y


#: Not-earned badges sampled per training event (uniformly; ``None``: all). Bounds the
#: rows, and so the fitting time, on a site of any size (the earlier pointwise ranker
#: found 25 as good as all on the Martial Arts validation split).
NEGATIVES: int | None = 20

#: The single signals the guard weighs against the learned model (the baselines'
#: signals among the ranker's features).
GUARD_SIGNALS: tuple[str, ...] = ("rp3beta", "ppr", "item_knn", "transitions", "sequence", "earned_later",
                                  "popularity")


def fit_ranker(groups: Sequence[Group], negatives: int | None = NEGATIVES, guard: bool = True,
               prior: Sequence[Group] = (), **params: Any) -> LearnedRanker:
    """A ``LearnedRanker`` fitted on ``training_groups(prior + groups, negatives)``.

    ``groups`` are the site's own training events (sorted into time order
    here); ``prior`` are events of other sites (``suite_prior``), which the
    features make comparable. With ``guard``, the latest ``guard_share`` of the
    site's own events are the guard's: a model fitted on everything else must
    beat every ``GUARD_SIGNALS`` signal there, or that signal is served.

    Raises:
        InvalidInput: no own groups and no prior, or the rows lack positives or negatives.
    """
    if not groups and not prior:
        raise InvalidInput("no training events: the ranker needs learners who earned at least two badges")
    ordered = [*prior, *sorted(groups, key=lambda g: g.key)]
    x, y, sizes = training_groups(ordered, negatives)
    ranker = LearnedRanker(**params)
    # the guard needs enough of the site's own events to judge (20 at least)
    n_guard = int(round(len(groups) * float(ranker.guard_share))) if guard and len(groups) >= 100 else 0
    return ranker.fit(x, y, group=sizes, guard=GUARD_SIGNALS if guard else (), n_guard=n_guard)


# ---------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------


def _top(scores: np.ndarray, held: np.ndarray, k: int) -> np.ndarray:
    s = scores.astype(np.float64).copy()
    s[held] = -np.inf
    return np.argsort(-s, kind="stable")[:k]


def case_metrics(scores: np.ndarray, g: Group, vectors: np.ndarray, n_learners_then: int) -> dict[str, float]:
    """Every per-case metric of one ranking (see the module docstring)."""
    top = _top(scores, g.held, 10)
    sims = vectors[top] @ vectors[top].T
    iu = np.triu_indices(len(top), k=1)
    share = (g.popularity[top] + 1.0) / (max(n_learners_then, 1) + 1.0) if g.popularity is not None else None
    return {
        "hr@5": hit_rate_at_k(scores, g.target, 5, exclude=g.held),
        "hr@10": hit_rate_at_k(scores, g.target, 10, exclude=g.held),
        "ndcg@10": ndcg_at_k(scores, g.target, 10, exclude=g.held),
        "mrr": reciprocal_rank(scores, g.target, exclude=g.held),
        "diversity@10": float(np.mean(1.0 - sims[iu])) if iu[0].size else 0.0,
        "novelty@10": float(np.mean(-np.log2(share))) if share is not None else 0.0,
        "_top": top,
    }


def coverage_interval(tops: Sequence[np.ndarray], n_badges: int, *, n_resamples: int = 500,
                      seed: int = 0) -> dict[str, float]:
    """Catalogue coverage@10 and its percentile bootstrap interval over cases (Efron & Tibshirani 1993).

    Returns:
        ``{"mean", "low", "high"}``; ``mean`` is the coverage of all cases.
    """
    m = np.zeros((len(tops), n_badges), dtype=bool)
    for i, t in enumerate(tops):
        m[i, t] = True
    full = float(m.any(axis=0).mean())
    rng = np.random.default_rng(seed)
    vals = np.array([m[rng.integers(0, len(tops), len(tops))].any(axis=0).mean() for _ in range(n_resamples)])
    low, high = np.quantile(vals, [0.025, 0.975])
    return {"mean": full, "low": float(low), "high": float(high)}


# ---------------------------------------------------------------------------
# The benchmark
# ---------------------------------------------------------------------------


def ranker_scores(rep: Replay, *, checkpoints: int = 10, min_train_groups: int = 100,
                  prior: Sequence[Group] = (), **params: Any) -> tuple[list[np.ndarray], int, list[int], list[dict[str, Any]]]:
    """Score every test case with a ranker trained strictly before its block (expanding window).

    Returns:
        ``(scores per case, fallback cases, training groups per block, the guard per
        block: {"cases", "serve", "guard"})``.
    """
    n_cases = len(rep.test)
    guards: list[dict[str, Any]] = []
    if n_cases == 0:
        return [], 0, [], guards
    bounds = np.linspace(0, n_cases, min(checkpoints, n_cases) + 1).astype(int)
    train_keys = [g.key for g in rep.train]
    out: list[np.ndarray] = [np.zeros(0)] * n_cases
    fallback, sizes = 0, []
    import bisect

    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        if lo == hi:
            continue
        cut = bisect.bisect_left(train_keys, rep.test[lo].key)  # groups strictly before the block
        sizes.append(cut)
        if cut + len(prior) < min_train_groups:
            for i in range(lo, hi):
                out[i] = rep.test[i].scores["blend"]
            fallback += hi - lo
            continue
        ranker = fit_ranker(rep.train[:cut], prior=prior, **params)
        guards.append({"cases": hi - lo, "serve": ranker.serve_,
                       "guard": {k: round(v, 4) for k, v in ranker.guard_.items()}})
        block = ranker.score(np.concatenate([rep.test[i].features for i in range(lo, hi)]))
        for i, part in zip(range(lo, hi), np.split(block, hi - lo)):
            out[i] = part
    return out, fallback, sizes, guards


def run(
    awards: Iterable[Award | Sequence[Any]],
    catalogue: Iterable[Mapping[str, Any]] | Mapping[str, Sequence[str]],
    cells: Iterable[Mapping[str, Any] | SpineCell],
    *,
    min_badges: int = 3,
    checkpoints: int = 10,
    min_train_groups: int = 100,
    max_train_groups: int | None = MAX_TRAIN_GROUPS,
    n_resamples: int = 1000,
    seed: int = 0,
    validation: bool = False,
    ranker_params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Evaluate the full recommender and every baseline (temporal leave-last-out).

    Args:
        awards: ``(learner_id, badge_id, awarded_on, award_id)`` rows.
        catalogue: badge rows or ``{badge_id: [cell id]}``.
        cells: the spine.
        min_badges: fewest distinct badges for a learner to be a case.
        checkpoints: ranker refits over the test cases (expanding window).
        min_train_groups: fewer earlier training groups than this: the blend scores the block.
        max_train_groups: cap on training groups (seeded sample), ``None`` for all.
        n_resamples: bootstrap resamples.
        seed: seeds the random baseline, the sampling and the bootstrap.
        validation: evaluate on the validation split instead (test awards
            removed, second-to-last badges held out): for tuning.
        ranker_params: ``LearnedRanker`` hyperparameters.

    Returns:
        ``{"split", "k", "n_cases", "n_awards", "n_badges", "n_learners",
        "n_train_groups", "fallback_cases", "checkpoints", "models": {model:
        {metric: {"mean", "low", "high"}}}, "per_case": {model: {metric: [..]}}}``
        with models ``recommender`` and the ``BASELINES``; metrics ``PER_CASE``
        plus ``coverage@10``.

    Raises:
        InvalidInput: no learner has ``min_badges`` distinct badges; malformed rows.
    """
    prepared = prepare(awards, catalogue, cells, min_badges=min_badges, max_train_groups=max_train_groups,
                       seed=seed, validation=validation)
    return score(prepared, checkpoints=checkpoints, min_train_groups=min_train_groups, n_resamples=n_resamples,
                 seed=seed, ranker_params=ranker_params)


@dataclass
class Prepared:
    """One site replayed for evaluation: its rows, split and replay (``prepare``)."""

    rows: list[Award]
    rep: Replay
    validation: bool


def prepare(awards: Iterable[Award | Sequence[Any]],
            catalogue: Iterable[Mapping[str, Any]] | Mapping[str, Sequence[str]],
            cells: Iterable[Mapping[str, Any] | SpineCell], *, min_badges: int = 3,
            max_train_groups: int | None = MAX_TRAIN_GROUPS, seed: int = 0,
            validation: bool = False) -> Prepared:
    """Split (test or validation, see ``run``) and replay one site: the costly half of ``run``.

    Raises:
        InvalidInput: no learner has ``min_badges`` distinct badges; malformed rows.
    """
    rows = _awards(awards)
    if validation:
        rows = [a for a in _awards(validation_awards(rows, min_badges=min_badges))]
    cases = temporal_leave_last_out(rows, min_badges=min_badges)
    if not cases:
        raise InvalidInput(f"no learner has {min_badges} or more distinct badges")
    rep = replay(rows, catalogue, cells, cases=cases, max_train_groups=max_train_groups, seed=seed)
    return Prepared(rows=rows, rep=rep, validation=validation)


def score(prepared: Prepared, *, checkpoints: int = 10, min_train_groups: int = 100, n_resamples: int = 1000,
          seed: int = 0, ranker_params: Mapping[str, Any] | None = None,
          prior: Sequence[Group] = ()) -> dict[str, Any]:
    """Rank every held-out case of a prepared site (ranker and baselines) and summarise: ``run``'s result.

    Args:
        prior: other sites' training events pooled into every fit (``suite_prior``).
    """
    rows, rep, validation = prepared.rows, prepared.rep, prepared.validation
    full, fallback, sizes, guards = ranker_scores(rep, checkpoints=checkpoints, min_train_groups=min_train_groups,
                                                  prior=prior, **dict(ranker_params or {}))
    # learners holding anything at each case's time, for novelty's shares
    firsts = sorted((award_order_key(a), a.learner_id) for a in rows)
    first_seen: dict[str, tuple[Any, ...]] = {}
    for key, learner in firsts:
        first_seen.setdefault(learner, key)
    starts = sorted(first_seen.values())
    import bisect

    models: dict[str, list[np.ndarray]] = {FULL: full}
    for name in BASELINES:
        models[name] = [g.scores[name] for g in rep.test]
    per_case: dict[str, dict[str, list[float]]] = {}
    summary: dict[str, dict[str, dict[str, float]]] = {}
    n_badges = len(rep.badges)
    for name, scores in models.items():
        vals: dict[str, list[float]] = {m: [] for m in PER_CASE}
        tops = []
        for s, g in zip(scores, rep.test):
            n_then = bisect.bisect_left(starts, g.key)
            m = case_metrics(s, g, rep.badge_vectors, n_then)
            tops.append(m.pop("_top"))
            for k, v in m.items():
                vals[k].append(v)
        per_case[name] = vals
        summary[name] = {m: summarise(v, n_resamples=n_resamples, seed=seed) for m, v in vals.items()}
        summary[name]["coverage@10"] = coverage_interval(tops, n_badges, n_resamples=min(n_resamples, 500),
                                                         seed=seed)
    return {
        "split": "validation" if validation else "test", "k": 10, "n_cases": len(rep.test),
        "n_awards": len(rows), "n_badges": n_badges, "n_learners": rep.n_learners,
        "n_train_groups": len(rep.train), "fallback_cases": fallback, "checkpoints": sizes,
        "guard": guards,
        "served_signal_cases": sum(g["cases"] for g in guards if g["serve"] != "ranker"),
        "ranker_params": LearnedRanker(**dict(ranker_params or {})).get_params(),
        "n_prior_groups": len(prior),
        "models": summary, "per_case": per_case,
    }


def suite_prior(others: Sequence[Replay], per_site: int = PRIOR_PER_SITE, seed: int = 0) -> list[Group]:
    """Training events of other sites for a pooled fit: up to ``per_site`` from each, a seeded sample.

    A site's own events are never in its prior (the caller leaves it out), so
    nothing of its held-out cases is seen.
    """
    rng = np.random.default_rng(seed)
    out: list[Group] = []
    for rep in others:
        if len(rep.train) <= per_site:
            out.extend(rep.train)
        else:
            out.extend(rep.train[i] for i in sorted(rng.choice(len(rep.train), per_site, replace=False)))
    return out


@dataclass
class Site:
    """One site of a suite: its name, award rows and badge catalogue (``run``'s inputs)."""

    name: str
    awards: list[Any]
    catalogue: list[dict[str, Any]]


def run_suite(
    sites: Sequence[Site],
    cells: Iterable[Mapping[str, Any] | SpineCell],
    *,
    prior_sites: Sequence[Site] = (),
    validation: bool = False,
    checkpoints: int = 2,
    n_resamples: int = 1000,
    seed: int = 0,
    ranker_params: Mapping[str, Any] | None = None,
    progress: Any = None,
    pool: bool = True,
) -> dict[str, Any]:
    """Evaluate every site of a suite, each ranker pooled with the other sites' training events.

    Each site is replayed once (``prepare``). Its rankers are then fitted on
    its own earlier events plus ``suite_prior`` of every other site (those of
    the suite, and ``prior_sites``, e.g. the bundled development suite when
    evaluating new sites; a site of the same name is never its own prior), so
    nothing of its held-out cases is seen.

    Args:
        sites: the sites to evaluate.
        cells: the spine.
        prior_sites: more sites whose training events join every pooled fit
            (replayed for training only).
        validation: evaluate every site on its validation split (for tuning).
        checkpoints: ranker refits per site.
        n_resamples: bootstrap resamples.
        seed: seeds sampling and the bootstrap.
        ranker_params: ``LearnedRanker`` hyperparameters.
        progress: ``callable(site, stage)`` told when each site's stage
            (``replay``, ``prior``, ``rank``) starts, or ``None``.
        pool: False: every site's ranker sees only its own events (no prior).

    Returns:
        ``{"split", "sites": {name: run's result without per_case}, "params"}``.

    Raises:
        InvalidInput: a site has no learner with 3 distinct badges; no site.
    """
    if not sites:
        raise InvalidInput("no site to evaluate")
    cells = list(cells)
    tell = progress or (lambda site, stage: None)
    prepared: dict[str, Prepared] = {}
    for site in sites:
        tell(site.name, "replay")
        prepared[site.name] = prepare(site.awards, site.catalogue, cells, validation=validation, seed=seed)
    extra: dict[str, Replay] = {}
    for site in prior_sites if pool else ():
        if site.name in prepared:
            continue
        tell(site.name, "prior")
        extra[site.name] = replay(site.awards, site.catalogue, cells, max_train_groups=PRIOR_PER_SITE,
                                  seed=seed)
    out: dict[str, Any] = {}
    for site in sites:
        tell(site.name, "rank")
        others = [p.rep for n, p in prepared.items() if n != site.name] + list(extra.values()) if pool else []
        result = score(prepared[site.name], checkpoints=checkpoints, n_resamples=n_resamples, seed=seed,
                       ranker_params=ranker_params, prior=suite_prior(others, seed=seed))
        result.pop("per_case")
        out[site.name] = result
    return {"split": "validation" if validation else "test", "sites": out,
            "ranker_params": LearnedRanker(**dict(ranker_params or {})).get_params(),
            "prior_sites": sorted(extra)}


def suite_verdicts(suite: Mapping[str, Any], metric: str = "ndcg@10") -> dict[str, dict[str, Any]]:
    """Per site: ``{"best", "ours", "theirs", "lift", "win"}`` against the best baseline on ``metric``."""
    out = {}
    for name, r in suite["sites"].items():
        best = best_baseline(r, metric)
        ours = r["models"][FULL][metric]["mean"]
        theirs = r["models"][best][metric]["mean"]
        out[name] = {"best": best, "ours": ours, "theirs": theirs, "lift": ours - theirs, "win": ours > theirs}
    return out


def best_baseline(result: Mapping[str, Any], metric: str = "ndcg@10") -> str:
    """The baseline with the highest mean ``metric``."""
    return max(BASELINES, key=lambda b: result["models"][b][metric]["mean"])


def beats_every_baseline(result: Mapping[str, Any], metric: str = "ndcg@10") -> bool:
    """True when the recommender's mean is above every baseline's interval (its upper end)."""
    ours = result["models"][FULL][metric]["mean"]
    return all(ours > result["models"][b][metric]["high"] for b in BASELINES)


__all__ = ["BASELINES", "FULL", "PER_CASE", "Group", "Prepared", "Replay", "Site", "beats_every_baseline",
           "best_baseline", "case_metrics", "coverage_interval", "fit_ranker", "prepare", "replay", "run",
           "run_suite", "score", "suite_prior", "suite_verdicts", "training_groups", "training_rows"]
