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

Where the parts live: the replay and the baselines' scores in ``replay``,
the ranker's training rows and fit in ``fitting``, the suite of sites (and
its on-disk cache of replays) in ``suite``; this module scores one site.

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

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from colearn.errors import InvalidInput
from colearn.recommender.evaluation import (
    MIN_BADGES, _awards, bootstrap_interval, ranks_of, summarise, temporal_leave_last_out, validation_awards,
)
from colearn.recommender.fitting import (
    FIT_SETTINGS, GUARD_SIGNALS, MIN_TRAIN_EVENTS, NEGATIVES, PooledRows, fit_ranker, pooled_rows, training_groups,
    training_rows,
)
from colearn.recommender.awards import Award, award_order_key
from colearn.recommender.projections import SpineCell
from colearn.recommender.ranker import LearnedRanker
from colearn.recommender.replay import BASELINES, MAX_TRAIN_GROUPS, TIE_BREAK, Group, Replay, replay

#: The model this module evaluates beside the baselines.
FULL = "recommender"

#: Cut-offs and per-case metrics, in report order.
PER_CASE = ("hr@5", "hr@10", "ndcg@10", "mrr", "diversity@10", "novelty@10")


def _top(scores: np.ndarray, held: np.ndarray, k: int) -> np.ndarray:
    """The columns of the ``k`` best ``scores`` among the badges not ``held`` (a mask or
    indices), best first: fewer than ``k`` when fewer are not held (held ones are never
    listed, so they count toward no coverage, novelty or diversity)."""
    s = scores.astype(np.float64).copy()
    s[held] = -np.inf
    is_held = np.zeros(len(s), dtype=bool)
    is_held[held] = True
    top = np.argsort(-s, kind="stable")[:k]
    return top[~is_held[top]]


def case_metrics(scores: np.ndarray, g: Group, vectors: np.ndarray, n_learners_then: int) -> dict[str, float]:
    """Every per-case metric of one ranking (see the module docstring)."""
    top = _top(scores, g.held, 10)
    sims = vectors[top] @ vectors[top].T
    iu = np.triu_indices(len(top), k=1)
    share = (g.popularity[top] + 1.0) / (max(n_learners_then, 1) + 1.0) if g.popularity is not None else None
    # one held-out badge: its rank gives HR@K, NDCG@10 (IDCG is 1) and the reciprocal rank
    # (the definitions of ``evaluation.hit_rate_at_k``, ``ndcg_at_k`` and ``reciprocal_rank``)
    rank = int(ranks_of(scores, g.target, exclude=g.held)[0])
    return {
        "hr@5": float(rank <= 5),
        "hr@10": float(rank <= 10),
        "ndcg@10": float(1.0 / np.log2(rank + 1.0)) if rank <= 10 else 0.0,
        "mrr": 1.0 / rank,
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


def ranker_scores(rep: Replay, *, checkpoints: int = 10, min_train_groups: int = MIN_TRAIN_EVENTS,
                  prior: Sequence[Group] | PooledRows = (),
                  **params: Any) -> tuple[list[np.ndarray], int, list[int], list[dict[str, Any]]]:
    """Score every test case with a ranker trained strictly before its block (expanding window).

    ``prior`` and ``params``' ``member_priors`` (``fitting.fit_ranker``) are
    sampled into ``fitting.PooledRows`` once, for every refit.

    Returns:
        ``(scores per case, fallback cases, training groups per block, the guard per
        block: {"cases", "serve", "guard"})``.
    """
    n_cases = len(rep.test)
    guards: list[dict[str, Any]] = []
    if n_cases == 0:
        return [], 0, [], guards
    bounds = np.linspace(0, n_cases, min(checkpoints, n_cases) + 1).astype(int)
    # the priors' rows are sampled once for every refit (the same rows each refit would draw)
    settings = ranker_settings({k: v for k, v in params.items() if k != "member_priors"})
    sampling = {"negatives": settings["negatives"], "hard": settings["hard"]}
    prior = pooled_rows(prior, **sampling) if prior and not isinstance(prior, PooledRows) else prior
    params["member_priors"] = [p if isinstance(p, PooledRows) else pooled_rows(p, **sampling)
                               for p in params.get("member_priors", ())]
    train_keys = [g.key for g in rep.train]
    out: list[np.ndarray] = [np.zeros(0)] * n_cases
    fallback, sizes = 0, []
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
    min_badges: int = MIN_BADGES,
    checkpoints: int = 10,
    min_train_groups: int = MIN_TRAIN_EVENTS,
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
        {metric: {"mean", "low", "high"}}}, "per_case": {model: {metric: [..]}},
        "lift": paired_lift(...)}`` with models ``recommender`` and the ``BASELINES``;
        metrics ``PER_CASE`` plus ``coverage@10``.

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
            cells: Iterable[Mapping[str, Any] | SpineCell], *, min_badges: int = MIN_BADGES,
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


def score(prepared: Prepared, *, checkpoints: int = 10, min_train_groups: int = MIN_TRAIN_EVENTS,
          n_resamples: int = 1000,
          seed: int = 0, ranker_params: Mapping[str, Any] | None = None,
          prior: Sequence[Group] = (), member_priors: Sequence[Sequence[Group]] = ()) -> dict[str, Any]:
    """Rank every held-out case of a prepared site (ranker and baselines) and summarise: ``run``'s result.

    Args:
        prior: other sites' training events pooled into every fit (``suite_prior``).
        member_priors: other samples of them, one per further booster of the
            ranker's bag (``fitting.fit_ranker``).
    """
    rows, rep, validation = prepared.rows, prepared.rep, prepared.validation
    full, fallback, sizes, guards = ranker_scores(rep, checkpoints=checkpoints, min_train_groups=min_train_groups,
                                                  prior=prior, member_priors=member_priors,
                                                  **dict(ranker_params or {}))
    # learners holding anything at each case's time, for novelty's shares
    firsts = sorted((award_order_key(a), a.learner_id) for a in rows)
    first_seen: dict[str, tuple[Any, ...]] = {}
    for key, learner in firsts:
        first_seen.setdefault(learner, key)
    starts = sorted(first_seen.values())
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
    result = {
        "split": "validation" if validation else "test", "k": 10, "n_cases": len(rep.test),
        "n_awards": len(rows), "n_badges": n_badges, "n_learners": rep.n_learners,
        "n_train_groups": len(rep.train), "fallback_cases": fallback, "checkpoints": sizes,
        "guard": guards,
        "served_signal_cases": sum(g["cases"] for g in guards if g["serve"] != "ranker"),
        "ranker_params": ranker_settings(ranker_params),
        "n_prior_groups": len(prior),
        "models": summary, "per_case": per_case,
    }
    result["lift"] = paired_lift(result, n_resamples=n_resamples, seed=seed)
    return result


def ranker_settings(params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every setting of a fit: ``LearnedRanker``'s hyperparameters and ``fit_ranker``'s own
    (negatives, hard share, guard), defaults filled in."""
    import inspect

    given = dict(params or {})
    own = {k: given.pop(k) for k in FIT_SETTINGS if k in given}
    defaults = {k: p.default for k, p in inspect.signature(fit_ranker).parameters.items() if k in FIT_SETTINGS}
    return {**LearnedRanker(**given).get_params(), **defaults, **own}


def best_baseline(result: Mapping[str, Any], metric: str = "ndcg@10") -> str:
    """The baseline with the highest mean ``metric``."""
    return max(BASELINES, key=lambda b: result["models"][b][metric]["mean"])


#: Fewest held-out cases on which a site is judged a win or a loss: below it a mean lift (and
#: its bootstrap interval, which needs a sample large enough for the mean to be near normal;
#: Efron & Tibshirani 1993, chapter 13) says little, and the verdict is "too few cases".
MIN_CASES_TO_JUDGE = 30


def paired_lift(result: Mapping[str, Any], metric: str = "ndcg@10", *, n_resamples: int = 1000,
                seed: int = 0) -> dict[str, Any]:
    """The recommender's lift over the best baseline on ``metric``, paired by case.

    Returns:
        ``{"best": baseline, "mean", "low", "high", "verdict"}``: the difference of the two
        means (recommender minus the best baseline), the 95% percentile bootstrap interval
        of the per-case differences' mean (``evaluation.bootstrap_interval``; an interval
        above 0 means the win is larger than the cases' spread explains), and ``verdict``
        of that difference on the result's cases.

    Raises:
        KeyError: ``result`` has no ``per_case`` values (a suite result drops them).
    """
    best = best_baseline(result, metric)
    diff = (np.asarray(result["per_case"][FULL][metric], dtype=np.float64)
            - np.asarray(result["per_case"][best][metric], dtype=np.float64))
    low, high = bootstrap_interval(diff, n_resamples=n_resamples, seed=seed)
    # the difference of the two summarised means (not the mean of the differences, which
    # can differ from it in the last bits): the one number every verdict is read from
    lift = result["models"][FULL][metric]["mean"] - result["models"][best][metric]["mean"]
    return {"best": best, "mean": lift, "low": low, "high": high,
            "verdict": verdict(lift, len(diff))}


#: Lifts this close to 0 are ties: the two means are equal up to rounding.
TIE_TOLERANCE = 1e-9


def verdict(lift: float, n_cases: int) -> str:
    """``"win"`` (lift above 0), ``"loss"`` (below), ``"tie"`` (within ``TIE_TOLERANCE`` of 0),
    or ``"too few cases"`` (fewer than ``MIN_CASES_TO_JUDGE``, whatever the lift)."""
    if n_cases < MIN_CASES_TO_JUDGE:
        return "too few cases"
    if abs(lift) <= TIE_TOLERANCE:
        return "tie"
    return "win" if lift > 0 else "loss"


def beats_every_baseline(result: Mapping[str, Any], metric: str = "ndcg@10") -> bool:
    """True when the recommender's mean is above every baseline's interval (its upper end)."""
    ours = result["models"][FULL][metric]["mean"]
    return all(ours > result["models"][b][metric]["high"] for b in BASELINES)


__all__ = ["BASELINES", "FULL", "GUARD_SIGNALS", "MAX_TRAIN_GROUPS", "NEGATIVES", "PER_CASE", "TIE_BREAK",
           "MIN_CASES_TO_JUDGE", "TIE_TOLERANCE", "Group", "Prepared", "Replay", "beats_every_baseline", "best_baseline",
           "case_metrics", "coverage_interval", "fit_ranker", "paired_lift", "prepare", "replay", "run", "score",
           "training_groups", "training_rows", "verdict"]
