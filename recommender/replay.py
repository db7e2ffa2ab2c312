"""Replaying an earning history for evaluation: training events and held-out cases with their features.

The history is replayed in (time, award id) order through one set of signals
updated award by award (``Recommender.add_award``, the same incremental path
the service uses); every event is scored from the state just before it
lands, so nothing later is seen (``benchmark`` evaluates what this gives).

Baselines (each a single signal; ties broken by popularity at 1e-6, so that a
signal with many zero scores is not punished by the pessimistic tie rule
beyond what it earns): random (seeded), popularity, item-kNN, personalised
PageRank, RP3beta, first-order transitions (Markov), content similarity
(TF-IDF of badge texts against the held badges').
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from colearn.recommender.evaluation import HeldOut, _awards
from colearn.recommender.awards import Award, award_order_key
from colearn.recommender.projections import Projection, SpineCell
from colearn.recommender.ranker import feature_matrix, raw_features
from colearn.recommender.recommend import DEFAULT_WEIGHTS, KNN_NEIGHBOURS, Recommender, ranker_signals
from colearn.recommender.signals import Profile
from colearn.recommender.text import TextSimilarity

#: Baselines: ``{name: signal}`` (``random`` has no signal).
BASELINES: Mapping[str, str | None] = {
    "random": None, "popularity": "popularity", "item_knn": "item_knn", "ppr": "ppr",
    "rp3beta": "rp3beta", "markov": "markov", "content": "content",
}

#: Training events kept per replay (a seeded uniform sample of all of them): bounds the
#: time of a site's evaluation (the features of a dropped event are never computed).
MAX_TRAIN_GROUPS = 8_000

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
            elif slot is not None and slot == len(train):
                train.append(g)
            elif slot is not None:
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



__all__ = ["BASELINES", "MAX_TRAIN_GROUPS", "TIE_BREAK", "Group", "Replay", "replay"]
