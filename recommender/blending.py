"""Scoring for "what next?": the blend's weights and signals, and the ranker's candidate stage.

Data flow: the graph (through ``GraphStore`` and ``graph.queries`` only) ->
``Projection`` -> fitted signals -> ``ranker.LearnedRanker`` (when one is
given or saved by ``colearn train``) -> ranked ``Recommendation`` objects.

Without a ranker, and for the first events of an offline replay, the blend
(a plain weighted sum)::

    score(learner, badge) = Σ_s  w_s · score_s(learner, badge)

where every ``score_s`` is scaled to ``[0, 1]`` per learner (``signals.scale_to_unit``)
and ``w_s`` are the named constants below. Badges the learner holds, and badges
no signal gives anything, are never recommended. Ties are broken by the number
of holders (more first), then by badge id. A learner who holds no badge is
ranked by popularity alone, and the reason says so.

How the constants were chosen: ``evaluation.tune_weights`` on the validation
split of the Martial Arts Stack Exchange badges (each learner's second-to-last
distinct badge held out, so the test items, the last distinct badges, are
never seen), temporal protocol, item-kNN weight fixed at 1, grid popularity
{0.1, 0.2, 0.3, 0.5, 0.75} x spine {0, 0.05, 0.1, 0.2, 0.3, 0.5} x neighbours
{20, 40, 80}, with the badge-to-cell mapping of ``data/stackexchange/mapping.yaml``.
Best: popularity 0.3, neighbours 80, spine 0 (validation NDCG@10 0.5619) and
spine 0.05 (0.5616); 0.05 is kept because the difference is far inside the
noise (the bootstrap interval is about +-0.02) and it lets spine progression
break near-ties and show its reason. With 81 badges, 80 neighbours means no
truncation. Re-tune when the mapping or the data changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from colearn.recommender.explaining import Explaining
from colearn.recommender.item_knn import ItemKNN
from colearn.recommender.popularity import Popularity
from colearn.recommender.signals import Profile, Signal
from colearn.recommender import registry
from colearn.recommender.spine_progression import SpineProgression

#: The blend's weights by signal name: the registry's (``registry.SIGNALS``, each
#: entry's ``blend``).
DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(registry.blend_weights())
#: Weight of item-kNN co-occurrence in the blend.
W_ITEM_KNN = DEFAULT_WEIGHTS[ItemKNN.name]
#: Weight of spine progression in the blend.
W_SPINE = DEFAULT_WEIGHTS[SpineProgression.name]
#: Weight of popularity (the prior) in the blend.
W_POPULARITY = DEFAULT_WEIGHTS[Popularity.name]
#: ``k`` of item-kNN: neighbours kept per held badge.
KNN_NEIGHBOURS = 80

#: Cold start (no badges): the blend of the interest signals and the prior.
#: Not learned (the histories hold no stated interests to learn from): a stated
#: theme counts as much as matching free text, a destination half as much, and
#: popularity breaks near-ties.
COLD_START_WEIGHTS: Mapping[str, float] = MappingProxyType({
    "theme_fit": 1.0, "destination_fit": 0.5, "text": 1.0, Popularity.name: 0.2})

#: A learner with badges who also states interests: this much of the mean
#: interest fit (theme, destination, text, each in [0, 1]) is added to the
#: ranker's probability, enough to reorder close candidates, not to override
#: the evidence of what they hold.
INTEREST_WEIGHT = 0.1

#: The candidate stage of the learned ranker: each signal's this many best
#: badges for the learner (of those it gives anything and the learner does not
#: hold) are the candidates, a few hundred at most; the ranker scores only
#: them. ``None`` scores every badge (the slower reference path).
CANDIDATES_PER_SIGNAL = 50

#: The ranker's cascade (``LearnedRanker.score(top=...)``): of the candidates,
#: the this many best under the bag's first booster (or the ``limit`` asked
#: for, when more) are scored by the whole bag, the rest by that booster
#: alone. Three boosters on every candidate took the ranker's p50 at L from
#: about 5.5 to 9.9 ms. Off on the reference path (``candidates`` ``None``).
RANKER_CASCADE = 50

#: Transitions' decay, PageRank's restart, RP3beta's exponent and the trending
#: window: set by hand, not searched. The decay of 0.5 beat 0 (first-order
#: Markov) on the validation split of the Martial Arts data (NDCG@10 0.577
#: against 0.518 alone); 0.3 and 0.5 are the usual restart and exponent of
#: the papers (Paudel et al. use beta around 0.5); 30 days is a month. The
#: ranker weighs them, so their exact values matter less than in a blend.
TRANSITION_DECAY = 0.5
PPR_ALPHA = 0.3

#: Personalised PageRank in the ranker walks each badge's 64 largest
#: transitions (of up to 5,000 at L) for at most 10 steps: at L about 180
#: times cheaper a request than the whole ``G`` (9.4M entries) to 1e-7 (3.6 s
#: a learner on a loaded machine), at a top-10 overlap of 0.74 with it. On
#: the Martial Arts data (81 badges, 1,168 held-out learners) the served path
#: (this and the candidate stage) scored NDCG@10 0.6878 against 0.6877 for
#: the slower one, the same top 10 for 95% (``colearn bench --quality``).
#: Its reasons still quote the full counts.
PPR_NEIGHBOURS = 64
PPR_MAX_ITER = 10
#: ... and the walk from each badge alone is precomputed at fit, its 256 most
#: probable badges kept: a request adds up its held badges' rows (no walk).
PPR_TOP_K = 256
RP3_BETA = 0.5
TRENDING_DAYS = 30


def default_signals(neighbours: int = KNN_NEIGHBOURS, text_model: str = "tfidf") -> list[Signal]:
    """The blend's signals, unfitted: item-kNN, spine progression, popularity, and
    the interest signals the cold start uses (theme and destination fit, text)."""
    from colearn.recommender.context import DestinationFit, ThemeFit
    from colearn.recommender.text import TextSimilarity

    return [ItemKNN(neighbours=neighbours), SpineProgression(), Popularity(), ThemeFit(), DestinationFit(),
            TextSimilarity(model=text_model)]


def ranker_signals(neighbours: int = KNN_NEIGHBOURS, text_model: str = "tfidf") -> list[Signal]:
    """Every signal the learned ranker reads (``ranker.RANKER_SIGNALS``), unfitted: the
    signal registry's list (``recommender.registry.SIGNALS``), built with these settings."""
    return registry.make_signals(neighbours, text_model)


class Scoring(Explaining):
    """The scoring half of ``recommend.Recommender`` (a mixin): signal scores, the blend,
    the ranker's candidate stage and the final order. Reads the attributes ``fit`` sets."""

    weights_: dict[str, float]
    ranker_: Any
    candidates: int | None
    _lock: Any

    def _weights_for(self, profile: Profile) -> dict[str, float]:
        if profile.is_empty:
            if profile.interests.is_empty:
                return {Popularity.name: 1.0}
            return {n: w for n, w in COLD_START_WEIGHTS.items() if n in self.signals_}
        return {n: w for n, w in self.weights_.items() if w > 0}

    def signal_scores(self, profile: Profile) -> dict[str, np.ndarray]:
        """Every fitted signal's scores for ``profile``: ``{name: float64 [n_badges] in [0, 1]}``."""
        with self._lock:
            return {name: s.score(profile) for name, s in self.signals_.items()}

    def _interest_bonus(self, signal: Mapping[str, np.ndarray], profile: Profile) -> dict[str, np.ndarray]:
        if profile.interests.is_empty:
            return {}
        names = [n for n in ("theme_fit", "destination_fit", "text") if n in signal]
        return {n: INTEREST_WEIGHT / len(names) * signal[n] for n in names}

    def _parts(self, profile: Profile) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray | None,
                                                dict[str, np.ndarray]]:
        """``(total, additive parts by signal, ranker features or None, signal scores)``."""
        with self._lock:
            signal = self.signal_scores(profile)
        if self.ranker_ is not None and not profile.is_empty:
            from colearn.recommender.ranker import feature_matrix, raw_features

            with self._lock:
                raw = raw_features(self.signals_, profile)
            features = feature_matrix(signal, profile, raw=raw)
            parts = self._interest_bonus(signal, profile)
            total = self.ranker_.score(features)
            for p in parts.values():
                total = total + p
            return total, parts, features, signal
        parts = {name: w * signal[name] for name, w in self._weights_for(profile).items()}
        total = np.zeros(self.projection_.n_badges, dtype=np.float64)
        for p in parts.values():
            total += p
        return total, parts, None, signal

    def scores(self, profile: Profile) -> np.ndarray:
        """The final scores of every badge for ``profile`` (ranker or blend, see the class).

        Returns:
            float64 ``[n_badges]``; ``-inf`` at the badges the learner holds.
        """
        total = self._parts(profile)[0].copy()
        total[profile.held] = -np.inf
        return total
    def _top(self, cols: np.ndarray, total: np.ndarray, limit: int) -> np.ndarray:
        """Positions in ``cols`` of its best ``limit`` by ``total`` (ties: more holders, then badge column).

        ``total`` is aligned with ``cols``. Only the values at or above the
        ``limit``-th are sorted, so the cost is linear in ``len(cols)``.
        """
        idx = np.arange(len(cols))
        if len(cols) > limit:
            kth = np.partition(total, len(total) - limit)[len(total) - limit]
            idx = np.flatnonzero(total >= kth)
        holders = self.signals_[Popularity.name].holders_
        order = np.lexsort((cols[idx], -holders[cols[idx]], -total[idx]))
        return idx[order[:limit]]

    def _candidate_cols(self, signal: Mapping[str, np.ndarray], profile: Profile) -> np.ndarray:
        """The candidate stage: each signal's ``candidates`` best badges the learner does not hold
        (those it gives anything), merged (int64, sorted). Scores are compared as the ranker's
        features compare them (``ranker.RANK_PRECISION``)."""
        from colearn.recommender.ranker import RANK_PRECISION

        n = self.projection_.n_badges
        free = np.ones(n, dtype=bool)
        free[profile.held] = False
        scores = [np.asarray(v, dtype=RANK_PRECISION) for v in signal.values()]
        if self.candidates is None:
            evidence = np.zeros(n, dtype=bool)
            for v in scores:
                evidence |= v > 0
            return np.flatnonzero(evidence & free)
        m = int(self.candidates)
        picked: list[np.ndarray] = []
        for v in scores:
            cols = np.flatnonzero((v > 0) & free)
            if len(cols) > m:
                cols = cols[np.argpartition(-v[cols], m - 1)[:m]]
            picked.append(cols)
        return np.unique(np.concatenate(picked)) if picked else np.zeros(0, dtype=np.int64)

    def _ranked(self, profile: Profile, limit: int,
                explain: int | None = None) -> tuple[np.ndarray, np.ndarray, list[dict[str, float]]]:
        """``(top columns, their scores, contributions by signal of the first explain of them)`` for
        ``profile`` (``explain``: default all); call under the lock."""
        from colearn.recommender.ranker import RANKER_SIGNALS, feature_matrix, raw_features

        n = self.projection_.n_badges
        if self.ranker_ is not None and not profile.is_empty:
            signal = {name: self.signals_[name].score(profile) for name in RANKER_SIGNALS}
            cand = self._candidate_cols(signal, profile)
            features = feature_matrix(signal, profile, raw=raw_features(self.signals_, profile), cols=cand)
            top = None if self.candidates is None else max(RANKER_CASCADE, int(limit))
            prob = self.ranker_.score(features, top=top) if len(cand) else np.zeros(0)
            total = prob
            parts = self._interest_bonus(
                {name: self.signals_[name].score(profile) for name in ("theme_fit", "destination_fit", "text")
                 if name in self.signals_} if not profile.interests.is_empty else {}, profile)
            for p in parts.values():
                total = total + p[cand]
            keep = total > 0
            cand, total, features, prob = cand[keep], total[keep], features[keep], prob[keep]
            order = self._top(cand, total, limit)
            why = order[:explain]
            return cand[order], total[order], self._contributions(cand[why], features[why], prob[why], n, parts)
        weights = self._weights_for(profile)
        parts = {name: w * self.signals_[name].score(profile) for name, w in weights.items()}
        total = np.zeros(n, dtype=np.float64)
        evidence = np.zeros(n, dtype=bool)
        for p in parts.values():
            total += p
            evidence |= p > 0
        evidence[profile.held] = False
        cand = np.flatnonzero(evidence & (total > 0))
        order = self._top(cand, total[cand], limit)
        top = cand[order]
        return top, total[top], [{name: float(parts[name][c]) for name in parts} for c in top[:explain].tolist()]
