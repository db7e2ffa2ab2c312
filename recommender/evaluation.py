"""Offline evaluation of the recommender: metrics, the temporal leave-last-out split, intervals.

Pure functions on plain rows (STYLE.md item 9): awards are
``(learner_id, badge_id, awarded_on, award_id)`` rows (``awards.Award``),
the spine is ``SPINE_CELLS``-like rows and the alignment a ``{badge_id: [cell_id]}``
dict, so nothing here needs the store. Every metric gives one number per
learner; ``evaluate`` aggregates them with a seeded bootstrap interval.

Ranks and ties: the items a learner already holds are removed from the
ranking; an item tied in score with the held-out item is counted as ranked
ahead of it (pessimistic), so a constant scorer earns nothing from ties.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from colearn.errors import InvalidInput
from colearn.recommender.popularity import Popularity
from colearn.recommender.awards import Award, as_award, award_order_key
from colearn.recommender.projections import SpineCell
from colearn.recommender.recommend import DEFAULT_WEIGHTS, KNN_NEIGHBOURS, Recommender
from colearn.recommender.signals import Profile

#: The popularity baseline, as blend weights.
POPULARITY_ONLY: Mapping[str, float] = {Popularity.name: 1.0}

#: The protocols ``evaluate`` knows (see ``temporal_leave_last_out``).
PROTOCOLS = ("temporal", "global")

#: The fewest distinct badges a learner holds to be a held-out case (their last one held out).
MIN_BADGES = 3

# ---------------------------------------------------------------------------
# Metrics: one number per learner
# ---------------------------------------------------------------------------


def ranks_of(scores: Sequence[float] | np.ndarray, held_out: int | Sequence[int] | np.ndarray,
             exclude: Sequence[int] | np.ndarray = ()) -> np.ndarray:
    """1-based ranks of the held-out items among the items not excluded.

    An item ranks ahead of a held-out item when its score is higher or equal
    (ties count against the held-out item); among held-out items with equal
    scores the lower index comes first.

    Args:
        scores: float ``[n_items]``; higher is better; ``-inf`` allowed, NaN not.
        held_out: one item index or several (the relevant items).
        exclude: item indices removed from the ranking (the learner's own items).

    Returns:
        int64 ``[n_held_out]``: the rank of each held-out item, in the order given
        (duplicates removed).

    Raises:
        InvalidInput: ``scores`` is not 1-D or has NaN, an index is out of
            range, there is no held-out item, or a held-out item is excluded.
    """
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 1:
        raise InvalidInput(f"scores must be 1-D [n_items], got shape {s.shape}")
    if np.isnan(s).any():
        raise InvalidInput("scores contain NaN")
    rel = np.array(list(dict.fromkeys(np.atleast_1d(np.asarray(held_out, dtype=np.int64)).tolist())),
                   dtype=np.int64)
    exc = np.asarray(exclude, dtype=np.int64).reshape(-1)
    if rel.size == 0:
        raise InvalidInput("no held-out item")
    for name, idx in (("held_out", rel), ("exclude", exc)):
        if idx.size and (idx.min() < 0 or idx.max() >= s.size):
            raise InvalidInput(f"{name} index out of range 0..{s.size - 1}")
    if np.isin(rel, exc).any():
        raise InvalidInput("a held-out item is also excluded")
    others = np.ones(s.size, dtype=bool)
    others[exc] = False
    others[rel] = False
    other_scores = s[others]
    ranks = np.empty(rel.size, dtype=np.int64)
    for i, r in enumerate(rel):
        ahead_rel = np.count_nonzero((s[rel] > s[r]) | ((s[rel] == s[r]) & (rel < r)))
        ranks[i] = 1 + np.count_nonzero(other_scores >= s[r]) + ahead_rel
    return ranks


def checked_protocol(protocol: str) -> str:
    """``protocol`` as one of ``PROTOCOLS``, read in any letter case (``Temporal`` is ``temporal``).

    Raises:
        InvalidInput: any other value (field ``protocol``: on the command line, ``--protocol``).
    """
    said = str(protocol).strip().lower()
    if said not in PROTOCOLS:
        raise InvalidInput(f"must be {' or '.join(PROTOCOLS)}, got {protocol!r}", field="protocol")
    return said


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InvalidInput(f"k must be an integer >= 1, got {k!r}")
    return int(k)


def hit_rate_at_k(scores: Sequence[float] | np.ndarray, held_out: int | Sequence[int] | np.ndarray,
                  k: int, exclude: Sequence[int] | np.ndarray = ()) -> float:
    """Hit rate at ``k``: 1.0 when a held-out item is among the top ``k``, else 0.0.

    Definition: the "hit ratio" of leave-one-out top-N evaluation (Deshpande &
    Karypis 2004, section 6.1; He et al., "Neural collaborative filtering", 2017).

    Args:
        scores: float ``[n_items]``.
        held_out: the relevant item index (or indices).
        k: cut-off, >= 1.
        exclude: indices left out of the ranking.

    Raises:
        InvalidInput: see ``ranks_of``; ``k`` < 1.
    """
    k = _check_k(k)
    return float(ranks_of(scores, held_out, exclude).min() <= k)


def ndcg_at_k(scores: Sequence[float] | np.ndarray, held_out: int | Sequence[int] | np.ndarray,
              k: int, exclude: Sequence[int] | np.ndarray = ()) -> float:
    """Normalised discounted cumulative gain at ``k`` with binary relevance.

    Definition (Järvelin & Kekäläinen, "Cumulated gain-based evaluation of IR
    techniques", ACM TOIS 2002): ``DCG@k = Σ_{relevant, rank <= k} 1 / log2(rank + 1)``
    and ``NDCG@k = DCG@k / IDCG@k`` with ``IDCG@k = Σ_{i=1}^{min(n_rel, k)} 1 / log2(i + 1)``.
    One held-out item at rank 3 gives ``1 / log2(4) = 0.5``.

    Args:
        scores: float ``[n_items]``.
        held_out: the relevant item index (or indices).
        k: cut-off, >= 1.
        exclude: indices left out of the ranking.

    Returns:
        A float in ``[0, 1]``.

    Raises:
        InvalidInput: see ``ranks_of``; ``k`` < 1.
    """
    k = _check_k(k)
    ranks = ranks_of(scores, held_out, exclude)
    dcg = float(np.sum(1.0 / np.log2(ranks[ranks <= k] + 1.0)))
    idcg = float(np.sum(1.0 / np.log2(np.arange(1, min(ranks.size, k) + 1) + 1.0)))
    return dcg / idcg


def reciprocal_rank(scores: Sequence[float] | np.ndarray, held_out: int | Sequence[int] | np.ndarray,
                    exclude: Sequence[int] | np.ndarray = ()) -> float:
    """``1 / rank`` of the first held-out item (its mean over learners is MRR).

    Definition: Voorhees, "The TREC-8 question answering track report", 1999.

    Raises:
        InvalidInput: see ``ranks_of``.
    """
    return float(1.0 / ranks_of(scores, held_out, exclude).min())


def bootstrap_interval(values: Sequence[float] | np.ndarray, *, confidence: float = 0.95,
                       n_resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean.

    Definition: Efron & Tibshirani, "An Introduction to the Bootstrap", 1993,
    chapter 13: resample the per-learner values with replacement
    ``n_resamples`` times, take the ``(1 - confidence) / 2`` and
    ``(1 + confidence) / 2`` quantiles of the resampled means.

    Args:
        values: float ``[n]``, one per learner (or paired differences).
        confidence: e.g. 0.95.
        n_resamples: bootstrap resamples.
        seed: seeds ``numpy.random.default_rng``; same seed, same interval.

    Returns:
        ``(low, high)``.

    Raises:
        InvalidInput: ``values`` is empty, or ``confidence`` not in (0, 1),
            or ``n_resamples`` < 1.
    """
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if v.size == 0:
        raise InvalidInput("no values to bootstrap")
    if not 0.0 < confidence < 1.0:
        raise InvalidInput(f"confidence must be in (0, 1), got {confidence}")
    if n_resamples < 1:
        raise InvalidInput(f"n_resamples must be >= 1, got {n_resamples}")
    rng = np.random.default_rng(seed)
    means = np.empty(n_resamples, dtype=np.float64)
    chunk = max(1, 2_000_000 // v.size)
    for start in range(0, n_resamples, chunk):
        stop = min(start + chunk, n_resamples)
        means[start:stop] = v[rng.integers(0, v.size, size=(stop - start, v.size))].mean(axis=1)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return float(low), float(high)


def summarise(values: Sequence[float] | np.ndarray, *, confidence: float = 0.95,
              n_resamples: int = 2000, seed: int = 0) -> dict[str, float]:
    """``{"mean", "low", "high"}``: the mean and its bootstrap interval (see ``bootstrap_interval``)."""
    low, high = bootstrap_interval(values, confidence=confidence, n_resamples=n_resamples, seed=seed)
    return {"mean": float(np.mean(values)), "low": low, "high": high}


# ---------------------------------------------------------------------------
# The split
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldOut:
    """One learner's held-out badge.

    Attributes:
        learner_id: the learner.
        badge_id: the held-out badge: the last distinct badge they earned.
        held_out_on: epoch seconds of its first award to them.
        award_id: the id of that award (ties in time are broken by it).
        history: the learner's distinct badges earned before it, first-earned order.
        history_on: epoch seconds of each of ``history``.
    """

    learner_id: str
    badge_id: str
    held_out_on: int
    award_id: str | int
    history: tuple[str, ...]
    history_on: tuple[int, ...]

    @property
    def order_key(self) -> tuple[int, tuple[int, int | str]]:
        """Where the held-out award sits in the (awarded_on, award_id) order."""
        return award_order_key(Award(self.learner_id, self.badge_id, self.held_out_on, self.award_id))


def _awards(awards: Iterable[Award | Sequence[Any]]) -> list[Award]:
    return [as_award(r, i) for i, r in enumerate(awards)]


def temporal_leave_last_out(awards: Iterable[Award | Sequence[Any]], *, min_badges: int = MIN_BADGES) -> list[HeldOut]:
    """Hold out each learner's last distinct badge.

    For every learner with at least ``min_badges`` distinct badges, the badge
    they earned last (a badge's time is its first award to them; ties broken
    by award id) is held out; the badges before it are their history.

    The model that ranks a held-out badge is trained (protocol ``"temporal"``,
    the default of ``evaluate``) on ``training_awards(awards, case)``: every
    award, by anyone, that comes strictly before the held-out award in
    (awarded_on, award_id) order, so nothing from the future is seen; other
    learners' awards at the same second with a smaller award id count as
    earlier. Protocol ``"global"`` (the common, simpler one) trains one model
    on ``validation_awards(awards)``: everyone's full histories minus every
    learner's held-out badge.

    Args:
        awards: ``(learner_id, badge_id, awarded_on, award_id)`` rows.
        min_badges: the fewest distinct badges a learner needs to be a case.

    Returns:
        The cases in the order their held-out awards happened.

    Raises:
        InvalidInput: a row is malformed; ``min_badges`` < 2.
    """
    if min_badges < 2:
        raise InvalidInput(f"min_badges must be >= 2 (a history and a held-out badge), got {min_badges}")
    rows = sorted(_awards(awards), key=award_order_key)
    firsts: dict[str, dict[str, Award]] = {}
    for a in rows:
        firsts.setdefault(a.learner_id, {}).setdefault(a.badge_id, a)
    cases = []
    for learner_id, held in firsts.items():
        if len(held) < min_badges:
            continue
        *before, last = held.values()
        cases.append(HeldOut(learner_id=learner_id, badge_id=last.badge_id, held_out_on=last.awarded_on,
                             award_id=last.award_id, history=tuple(a.badge_id for a in before),
                             history_on=tuple(a.awarded_on for a in before)))
    cases.sort(key=lambda c: c.order_key)
    return cases


def training_awards(awards: Iterable[Award | Sequence[Any]], case: HeldOut) -> list[Award]:
    """The temporal protocol's training rows for one case: every award before the held-out one.

    "Before" is the (awarded_on, award_id) order; this includes the learner's
    own history and excludes the held-out award and everything after it.
    """
    key = case.order_key
    return [a for a in _awards(awards) if award_order_key(a) < key]


def validation_awards(awards: Iterable[Award | Sequence[Any]], *, min_badges: int = MIN_BADGES) -> list[Award]:
    """The awards without the test items: every award of each case's held-out badge to that learner removed.

    Splitting these again with ``temporal_leave_last_out`` holds out each
    learner's second-to-last distinct badge: the validation split on which
    the blend's weights are tuned, so that the test items are never seen.
    It is also the training set of the ``"global"`` protocol.
    """
    rows = _awards(awards)
    test = {(c.learner_id, c.badge_id) for c in temporal_leave_last_out(rows, min_badges=min_badges)}
    return [a for a in rows if (a.learner_id, a.badge_id) not in test]


# ---------------------------------------------------------------------------
# Running models over the cases
# ---------------------------------------------------------------------------


def _catalogue(awards: Sequence[Award], badge_cells: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
    ids = sorted({a.badge_id for a in awards} | set(badge_cells))
    return [{"id": b, "name": b, "cells": list(badge_cells.get(b, ()))} for b in ids]


def per_learner_metrics(
    awards: Iterable[Award | Sequence[Any]],
    badge_cells: Mapping[str, Sequence[str]],
    cells: Iterable[Mapping[str, Any] | SpineCell],
    configs: Mapping[str, Mapping[str, float]],
    *,
    k: int = 10,
    protocol: str = "temporal",
    neighbours: int = KNN_NEIGHBOURS,
    min_badges: int = MIN_BADGES,
) -> dict[str, dict[str, np.ndarray]]:
    """HR@k, NDCG@k and reciprocal rank of each case, for each blend in ``configs``.

    The signals are fitted once per protocol step and every blend is scored on
    the same signal scores, so comparing many weightings costs one pass.

    Args:
        awards: ``(learner_id, badge_id, awarded_on, award_id)`` rows.
        badge_cells: ``{badge_id: [spine cell id]}``; badges absent are unaligned.
        cells: the spine (``SPINE_CELLS``-like rows).
        configs: ``{model name: {signal name: weight}}``.
        k: cut-off.
        protocol: ``"temporal"`` or ``"global"`` (see ``temporal_leave_last_out``).
        neighbours: ``k`` of item-kNN.
        min_badges: see ``temporal_leave_last_out``.

    Returns:
        ``{model name: {"hr@k", "ndcg@k", "rr": float64 [n_cases]}}``, cases in
        ``temporal_leave_last_out`` order.

    Raises:
        InvalidInput: unknown protocol or signal name, bad rows, no cases.
    """
    k = _check_k(k)
    protocol = checked_protocol(protocol)
    rows = sorted(_awards(awards), key=award_order_key)
    cases = temporal_leave_last_out(rows, min_badges=min_badges)
    if not cases:
        raise InvalidInput(f"no learner has {min_badges} or more distinct badges")
    catalogue = _catalogue(rows, badge_cells)
    cells = list(cells)
    out = {name: {f"hr@{k}": np.zeros(len(cases)), f"ndcg@{k}": np.zeros(len(cases)),
                  "rr": np.zeros(len(cases))} for name in configs}

    def score_case(i: int, model: Recommender, profile: Profile, case: HeldOut) -> None:
        signal = model.signal_scores(profile)
        col = model.badges.row(case.badge_id)
        for name, weights in configs.items():
            unknown = set(weights) - set(signal)
            if unknown:
                raise InvalidInput(f"config '{name}' weights unknown signals {sorted(unknown)}")
            total = np.zeros(len(model.badges), dtype=np.float64)
            for s, w in weights.items():
                if w:
                    total += float(w) * signal[s]
            out[name][f"hr@{k}"][i] = hit_rate_at_k(total, col, k, exclude=profile.held)
            out[name][f"ndcg@{k}"][i] = ndcg_at_k(total, col, k, exclude=profile.held)
            out[name]["rr"][i] = reciprocal_rank(total, col, exclude=profile.held)

    if protocol == "global":
        model = Recommender.from_rows(validation_awards(rows, min_badges=min_badges), catalogue, cells,
                                      neighbours=neighbours)
        for i, case in enumerate(cases):
            profile = Profile.of(model.badges.rows(case.history), list(case.history_on))
            score_case(i, model, profile, case)
        return out

    # temporal: replay every award in order; score each held-out award just before it lands.
    model = Recommender.from_rows([], catalogue, cells, neighbours=neighbours)
    at = {(c.learner_id, c.badge_id, c.held_out_on, c.award_id): i for i, c in enumerate(cases)}
    for a in rows:
        i = at.get((a.learner_id, a.badge_id, a.awarded_on, a.award_id))
        if i is not None:
            profile = model.profile(a.learner_id)
            held_ids = tuple(model.badges.id(c) for c in profile.held)
            if held_ids != cases[i].history:  # pragma: no cover - an internal invariant
                raise AssertionError(f"replay history {held_ids} != split history {cases[i].history}")
            score_case(i, model, profile, cases[i])
        model.add_award(a.learner_id, a.badge_id, a.awarded_on)
    return out


def evaluate(
    awards: Iterable[Award | Sequence[Any]],
    badge_cells: Mapping[str, Sequence[str]],
    cells: Iterable[Mapping[str, Any] | SpineCell],
    k: int = 10,
    *,
    protocol: str = "temporal",
    weights: Mapping[str, float] | None = None,
    neighbours: int = KNN_NEIGHBOURS,
    min_badges: int = MIN_BADGES,
    n_resamples: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """The recommender against popularity on temporal leave-last-out.

    Args:
        awards: ``(learner_id, badge_id, awarded_on epoch seconds, award_id)`` rows.
        badge_cells: ``{badge_id: [spine cell id]}``.
        cells: the spine (``SPINE_CELLS``-like rows).
        k: cut-off of HR and NDCG.
        protocol: ``"temporal"`` (default) or ``"global"``; see ``temporal_leave_last_out``.
        weights: the recommender's blend; default ``DEFAULT_WEIGHTS``.
        neighbours: ``k`` of item-kNN.
        min_badges: see ``temporal_leave_last_out``.
        n_resamples: bootstrap resamples for the intervals.
        seed: bootstrap seed.

    Returns:
        ``{"protocol", "k", "n_cases", "n_awards", "n_badges", "weights", "neighbours",
        "models": {"recommender" | "popularity": {"hr@k" | "ndcg@k" | "mrr":
        {"mean", "low", "high"}}}, "difference": {metric: {"mean", "low", "high"}}}``
        where ``difference`` is recommender minus popularity, bootstrapped on
        the paired per-learner differences (95% intervals by default).

    Raises:
        InvalidInput: see ``per_learner_metrics``.
    """
    protocol = checked_protocol(protocol)
    rows = _awards(awards)
    blend = dict(DEFAULT_WEIGHTS if weights is None else weights)
    per = per_learner_metrics(rows, badge_cells, cells, {"recommender": blend, "popularity": POPULARITY_ONLY},
                              k=k, protocol=protocol, neighbours=neighbours, min_badges=min_badges)
    names = {f"hr@{k}": f"hr@{k}", f"ndcg@{k}": f"ndcg@{k}", "rr": "mrr"}
    opts = {"n_resamples": n_resamples, "seed": seed}
    models = {m: {names[key]: summarise(v, **opts) for key, v in metrics.items()} for m, metrics in per.items()}
    difference = {names[key]: summarise(per["recommender"][key] - per["popularity"][key], **opts)
                  for key in per["recommender"]}
    return {
        "protocol": protocol, "k": k, "n_cases": int(len(per["recommender"]["rr"])),
        "n_awards": len(rows), "n_badges": len(_catalogue(rows, badge_cells)),
        "weights": blend, "neighbours": neighbours, "models": models, "difference": difference,
    }


def tune_weights(
    awards: Iterable[Award | Sequence[Any]],
    badge_cells: Mapping[str, Sequence[str]],
    cells: Iterable[Mapping[str, Any] | SpineCell],
    grid: Iterable[Mapping[str, float]],
    *,
    k: int = 10,
    protocol: str = "temporal",
    neighbours: int = KNN_NEIGHBOURS,
    min_badges: int = MIN_BADGES,
) -> list[tuple[dict[str, float], float]]:
    """Mean NDCG@k of each weighting on the validation split, best first.

    The validation split is ``validation_awards(awards)`` split again by
    ``temporal_leave_last_out``: each learner's second-to-last distinct badge
    is held out and the test items are never seen.

    Args:
        grid: the weightings to try (``{signal name: weight}`` each).
        (others): as ``per_learner_metrics``.

    Returns:
        ``[(weights, mean NDCG@k)]`` sorted by NDCG, highest first (stable for ties).

    Raises:
        InvalidInput: an empty grid; see ``per_learner_metrics``.
    """
    configs = {str(i): dict(w) for i, w in enumerate(grid)}
    if not configs:
        raise InvalidInput("the grid is empty")
    val = validation_awards(awards, min_badges=min_badges)
    per = per_learner_metrics(val, badge_cells, cells, configs, k=k, protocol=protocol,
                              neighbours=neighbours, min_badges=min_badges)
    results = [(configs[name], float(per[name][f"ndcg@{k}"].mean())) for name in configs]
    return sorted(results, key=lambda r: -r[1] if math.isfinite(r[1]) else math.inf)
