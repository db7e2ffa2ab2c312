"""The "what next?" recommender: signals combined by a learned ranker (or a weighted sum), each result with its reasons.

Data flow: the graph (through ``GraphStore`` and ``graph/queries.py`` only) ->
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

import copy
import logging
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from cachetools import LRUCache

from colearn.errors import InvalidInput, NotFound
from colearn.graph import queries
from colearn.graph.store import GraphStore
from colearn.recommender.index import IdIndex
from colearn.recommender.item_knn import ItemKNN
from colearn.recommender.opportunities import ANY_TIME, Reach, earnable
from colearn.recommender.popularity import Popularity
from colearn.recommender.projections import Award, Projection, SpineCell, epoch_seconds
from colearn.recommender.signals import Interests, Profile, Signal
from colearn.recommender.spine_progression import SpineProgression

log = logging.getLogger(__name__)

#: Weight of item-kNN co-occurrence in the blend.
W_ITEM_KNN = 1.0
#: Weight of spine progression in the blend.
W_SPINE = 0.05
#: Weight of popularity (the prior) in the blend.
W_POPULARITY = 0.3
#: ``k`` of item-kNN: neighbours kept per held badge.
KNN_NEIGHBOURS = 80

#: The blend's weights by signal name.
DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType({
    ItemKNN.name: W_ITEM_KNN,
    SpineProgression.name: W_SPINE,
    Popularity.name: W_POPULARITY,
})

#: The most results one call returns.
MAX_LIMIT = 100

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

#: The most reasons one recommendation carries.
MAX_REASONS = 3

#: Answers kept per recommender (an LRU): the ranked badges and reasons of a
#: portfolio, reused while neither the portfolio nor the model changes.
ANSWER_CACHE_SIZE = 20_000

#: The candidate stage of the learned ranker: each signal's this many best
#: badges for the learner (of those it gives anything and the learner does not
#: hold) are the candidates, a few hundred at most; the ranker scores only
#: them. ``None`` scores every badge (the slower reference path).
CANDIDATES_PER_SIGNAL = 50

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
    """Every signal the learned ranker reads (``ranker.RANKER_SIGNALS``), unfitted."""
    from colearn.recommender.context import EarningStage, TenureStage, Trending
    from colearn.recommender.transitions import EarnedLater, Transitions
    from colearn.recommender.walks import RP3beta, PersonalisedPageRank

    return [*default_signals(neighbours, text_model), Transitions(decay=TRANSITION_DECAY), EarnedLater(),
            PersonalisedPageRank(alpha=PPR_ALPHA, neighbours=PPR_NEIGHBOURS, max_iter=PPR_MAX_ITER), RP3beta(beta=RP3_BETA), Trending(window_days=TRENDING_DAYS),
            EarningStage(), TenureStage()]


def ranker_path(data_dir: Path | str) -> Path:
    """Where ``colearn train`` saves the ranker for a data directory."""
    return Path(data_dir) / "ranker.joblib"


@dataclass(frozen=True)
class Recommendation:
    """One recommended badge.

    Attributes:
        badge_id: the badge's graph id.
        name: its display name.
        score: the blended score (higher is better; comparable within one answer).
        reasons: one plain sentence per signal that contributed, largest
            contribution first.
        opportunities: the current opportunities (not ended) that award the
            badge, as ``BADGE_OPPORTUNITIES`` returns them (``id, name, mode,
            url, organisation_id, place_id, place_name, district_id, starts_on,
            ends_on, sessions...``); empty without a store.
    """

    badge_id: str
    name: str
    score: float
    reasons: list[str] = field(default_factory=list)
    opportunities: list[dict[str, Any]] = field(default_factory=list)


class Recommender:
    """Answers "what next?" for a learner from the projections of the graph.

    Follows scikit-learn's estimator habits: ``__init__`` stores
    hyperparameters, ``fit`` sets the attributes ending in ``_``.

    Scoring: with a fitted ``ranker`` (``ranker.LearnedRanker``), a learner
    who holds badges is ranked by the ranker's probability over every signal's
    features (plus ``INTEREST_WEIGHT`` times their interest fit when they
    stated interests); without one, by the weighted sum ``weights``. A learner
    with no badges is ranked by ``COLD_START_WEIGHTS`` when they stated
    interests, else by popularity. Reasons: for the ranker, a signal
    contributed when silencing it (score 0, rank last; ``ranker.occluded``)
    lowers the badge's probability, and the reasons are the ``MAX_REASONS``
    largest such drops; for a blend, a signal contributed when its weighted
    score is positive.

    Args:
        weights: ``{signal name: weight >= 0}``; default ``DEFAULT_WEIGHTS``.
        neighbours: ``k`` of item-kNN (used when ``signals`` is not given).
        signals: the signals to blend (unfitted; copied in ``fit``); default
            ``default_signals(neighbours)``, or ``ranker_signals(neighbours)``
            with a ranker. A ``Popularity`` is added when absent (the
            cold-start fallback).
        ranker: a fitted ``LearnedRanker``, or ``None`` for the blend.
        text_model: ``"tfidf"``, ``"minilm"`` or ``"auto"`` for the text signal.
        candidates: with a ranker, how many best badges of each signal make
            the candidates the ranker scores (``CANDIDATES_PER_SIGNAL``);
            ``None``: every badge (the reference path, for measuring what the
            candidate stage costs in quality).

    Attributes:
        projection_: the projection it was fitted on (a snapshot; ``add_award``
            updates the signals and the learner histories, not this).
        signals_: fitted signals by name.
        weights_: the weights in use.
        store_: the graph, when built with ``from_store`` (else ``None``).
        version_: counts the updates (``add_award``, ``remove_award``) since
            ``fit``. Answers are kept per portfolio (held badges and times,
            stated interests, limit) and this version, at most
            ``ANSWER_CACHE_SIZE`` (least recently used go): a learner asking
            again gets the kept answer until their portfolio or the model changes.
    """

    def __init__(self, *, weights: Mapping[str, float] | None = None,
                 neighbours: int = KNN_NEIGHBOURS, signals: Sequence[Signal] | None = None,
                 ranker: Any = None, text_model: str = "tfidf",
                 candidates: int | None = CANDIDATES_PER_SIGNAL) -> None:
        self.weights = weights
        self.neighbours = neighbours
        self.signals = signals
        self.ranker = ranker
        self.text_model = text_model
        self.candidates = candidates

    # ------------------------------------------------------------------ building

    def fit(self, projection: Projection) -> "Recommender":
        """Fit every signal on ``projection``.

        Returns:
            ``self``.

        Raises:
            InvalidInput: a weight is negative or not finite, names no signal,
                or two signals share a name.
        """
        if self.signals is not None:
            signals = copy.deepcopy(list(self.signals))
        elif self.ranker is not None:
            signals = ranker_signals(self.neighbours, self.text_model)
        else:
            signals = default_signals(self.neighbours, self.text_model)
        if not any(s.name == Popularity.name for s in signals):
            signals.append(Popularity())
        names = [s.name for s in signals]
        if len(set(names)) != len(names):
            raise InvalidInput(f"two signals share a name: {names}")
        weights = dict(DEFAULT_WEIGHTS if self.weights is None else self.weights)
        for name, w in weights.items():
            if name not in names:
                raise InvalidInput(f"weight given for unknown signal '{name}' (signals: {', '.join(names)})")
            if not math.isfinite(float(w)) or float(w) < 0:
                raise InvalidInput(f"weight of '{name}' must be a finite number >= 0, got {w}")
        if self.candidates is not None and (isinstance(self.candidates, bool) or int(self.candidates) < 1):
            raise InvalidInput(f"candidates must be None or an integer >= 1, got {self.candidates!r}")
        self.weights_ = {n: float(weights.get(n, 0.0)) for n in names}
        try:
            self.signals_ = {s.name: s.fit(projection) for s in signals}
        finally:
            projection.forget_derived()
        self.projection_ = projection
        self.learners_ = projection.learners.copy()
        self.store_: GraphStore | None = None
        self.now_: int | None = None
        self._extra: dict[int, list[tuple[int, int]]] = {}
        self._removed: dict[int, set[int]] = {}
        self._lock = threading.RLock()
        self._answers: LRUCache = LRUCache(maxsize=ANSWER_CACHE_SIZE)
        self.version_ = 0
        self.ranker_ = self.ranker
        if self.ranker_ is not None:
            from colearn.recommender.ranker import RANKER_SIGNALS

            missing = sorted(set(RANKER_SIGNALS) - set(self.signals_))
            if missing:
                raise InvalidInput(f"the ranker needs the signals {missing}")
        return self

    @classmethod
    def from_projection(cls, projection: Projection, **params: Any) -> "Recommender":
        """``cls(**params).fit(projection)``."""
        return cls(**params).fit(projection)

    @classmethod
    def from_rows(cls, awards: Iterable[Award | Sequence[Any]], badges: Iterable[Mapping[str, Any]],
                  cells: Iterable[Mapping[str, Any] | SpineCell], *, learners: Iterable[str] = (),
                  **params: Any) -> "Recommender":
        """Fit on plain rows (see ``Projection.from_rows`` for their shape).

        Raises:
            InvalidInput: see ``Projection.from_rows`` and ``fit``.
        """
        return cls(**params).fit(Projection.from_rows(awards, badges, cells, learners=learners))

    @classmethod
    def from_store(cls, store: GraphStore, now: datetime | int | None = None, *,
                   ranker_file: Path | str | None = None, projection: Projection | None = None,
                   **params: Any) -> "Recommender":
        """Fit on the graph and keep the store for live reads.

        Reads ``SPINE_CELLS``, ``BADGE_CATALOGUE`` and ``PORTFOLIO_AWARDS`` at
        ``now``. ``recommend`` then reads the learner's current portfolio
        (``LEARNER_VERIFIED_PORTFOLIO``; ``GET_LEARNER`` when it is empty) and the
        opportunities (``BADGE_OPPORTUNITIES``), at ``now`` when it was given,
        else at the time of the call.

        Args:
            store: the graph.
            now: a timezone-aware time (or epoch seconds); default the current UTC time.
            ranker_file: a ranker saved by ``colearn train``; used when it
                exists and matches this version's features (else the blend,
                with a logged warning).
            projection: the projection of ``store`` already read (e.g. in a
                child process: ``recommender.rebuild``); default: read it now.
            **params: hyperparameters (``weights``, ``neighbours``, ``signals``,
                ``ranker``, ``text_model``: default ``"auto"``, i.e. the MiniLM
                vectors stored at ingest when there are any, else TF-IDF).

        Raises:
            InvalidInput: ``now`` is naive; see also ``fit``.
            StoreUnavailable: the store cannot be reached.
        """
        if ranker_file is not None and params.get("ranker") is None and Path(ranker_file).exists():
            from colearn.recommender.ranker import LearnedRanker

            try:
                params["ranker"] = LearnedRanker.load(ranker_file)
            except InvalidInput as exc:
                log.warning("not using the saved ranker: %s", exc)
        params.setdefault("text_model", "auto")
        if projection is None:
            projection = Projection.from_store(store, now)
        rec = cls(**params).fit(projection)
        rec.store_ = store
        rec.now_ = projection.now if now is not None else None
        return rec

    # ------------------------------------------------------------------ learners

    def _history(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        if row < self.projection_.n_learners:
            held, on = self.projection_.history(row)
        else:
            held, on = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        gone = self._removed.get(row)
        if gone:
            keep = ~np.isin(held, list(gone))
            held, on = held[keep], on[keep]
        extra = self._extra.get(row)
        if extra:
            held = np.concatenate([held, np.array([b for b, _ in extra], dtype=np.int64)])
            on = np.concatenate([on, np.array([t for _, t in extra], dtype=np.int64)])
            order = np.argsort(on, kind="stable")
            held, on = held[order], on[order]
        return held, on

    def profile(self, learner_id: str) -> Profile:
        """The learner's badges as the recommender holds them (projection plus ``add_award``).

        Raises:
            NotFound: the learner holds no badge here and was never added.
        """
        with self._lock:
            row = self.learners_.get(learner_id)
            if row is None:
                raise NotFound(f"learner '{learner_id}' not found")
            held, on = self._history(row)
        return Profile(held=held, held_on=on)

    def profile_of_badges(self, badge_ids: Sequence[str]) -> Profile:
        """A profile holding ``badge_ids`` (in that order), e.g. for an anonymous visitor.

        Raises:
            NotFound: a badge is not in the projection.
        """
        held = list(dict.fromkeys(self.projection_.badges.rows(badge_ids).tolist()))
        return Profile.of(held)

    def live_profile(self, learner_id: str, interests: Interests | None = None) -> Profile:
        """The learner's current portfolio (from the graph when built from a store, else as held here).

        Raises:
            NotFound: unknown learner.
        """
        base = self._live_profile(learner_id) if self.store_ is not None else self.profile(learner_id)
        if interests is None:
            return base
        return Profile(held=base.held, held_on=base.held_on, interests=interests)

    def _live_profile(self, learner_id: str) -> Profile:
        assert self.store_ is not None
        now = self.now_ if self.now_ is not None else epoch_seconds(None)
        # unverified imports count toward nothing (queries.LEARNER_VERIFIED_PORTFOLIO)
        rows = self.store_.read(queries.LEARNER_VERIFIED_PORTFOLIO, {"learner_id": learner_id, "now": now})
        if not rows and not self.store_.read(queries.GET_LEARNER, {"learner_id": learner_id}):
            raise NotFound(f"learner '{learner_id}' not found")
        held: dict[int, int] = {}
        for r in rows:
            col = self.projection_.badges.get(r["badge_id"])
            if col is not None and col not in held:
                held[col] = int(r["issued_on"] or 0)
        return Profile.of(list(held), list(held.values()))

    # ------------------------------------------------------------------ scoring

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
            from colearn.recommender.ranker import feature_matrix

            features = feature_matrix(signal, profile)
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

    def _contributions(self, cols: np.ndarray, features: np.ndarray, n_badges: int,
                       parts: Mapping[str, np.ndarray]) -> list[dict[str, float]]:
        """Per result: ``{signal: drop in score when it is silenced}`` (ranker) plus additive parts.

        ``features`` are the results' own rows (``[len(cols), n_features]``);
        ``parts`` are indexed by badge column.
        """
        from colearn.recommender.ranker import RANKER_SIGNALS, occluded

        if not len(cols):
            return []
        silenced = np.concatenate([occluded(features, s, n_badges) for s in RANKER_SIGNALS])
        base = self.ranker_.score(features)
        without = self.ranker_.score(silenced).reshape(len(RANKER_SIGNALS), len(cols))
        out = []
        for k, col in enumerate(cols.tolist()):
            drops = {s: float(base[k] - without[i, k]) for i, s in enumerate(RANKER_SIGNALS)
                     if features[k, i] > 0}
            for n, p in parts.items():
                drops[n] = drops.get(n, 0.0) + float(p[col])
            out.append(drops)
        return out

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
        (those it gives anything), merged (int64, sorted)."""
        n = self.projection_.n_badges
        free = np.ones(n, dtype=bool)
        free[profile.held] = False
        if self.candidates is None:
            evidence = np.zeros(n, dtype=bool)
            for v in signal.values():
                evidence |= v > 0
            return np.flatnonzero(evidence & free)
        m = int(self.candidates)
        picked: list[np.ndarray] = []
        for v in signal.values():
            cols = np.flatnonzero((v > 0) & free)
            if len(cols) > m:
                cols = cols[np.argpartition(-v[cols], m - 1)[:m]]
            picked.append(cols)
        return np.unique(np.concatenate(picked)) if picked else np.zeros(0, dtype=np.int64)

    def _ranked(self, profile: Profile, limit: int) -> tuple[np.ndarray, np.ndarray, list[dict[str, float]]]:
        """``(top columns, their scores, contributions by signal)`` for ``profile``; call under the lock."""
        from colearn.recommender.ranker import RANKER_SIGNALS, feature_matrix

        n = self.projection_.n_badges
        if self.ranker_ is not None and not profile.is_empty:
            signal = {name: self.signals_[name].score(profile) for name in RANKER_SIGNALS}
            cand = self._candidate_cols(signal, profile)
            features = feature_matrix(signal, profile, cols=cand)
            total = self.ranker_.score(features) if len(cand) else np.zeros(0)
            parts = self._interest_bonus(
                {name: self.signals_[name].score(profile) for name in ("theme_fit", "destination_fit", "text")
                 if name in self.signals_} if not profile.interests.is_empty else {}, profile)
            for p in parts.values():
                total = total + p[cand]
            keep = total > 0
            cand, total, features = cand[keep], total[keep], features[keep]
            order = self._top(cand, total, limit)
            return cand[order], total[order], self._contributions(cand[order], features[order], n, parts)
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
        return top, total[top], [{name: float(parts[name][c]) for name in parts} for c in top.tolist()]

    def _answer(self, profile: Profile, k: int) -> list[tuple[int, float, tuple[str, ...]]]:
        """The best ``k`` badge columns for ``profile`` with their scores and reasons,
        cached per (portfolio, interests, ``k``, model version)."""
        key = (profile.held.tobytes(), profile.held_on.tobytes(), profile.interests, k, self.version_,
               self.candidates)
        with self._lock:
            answer = self._answers.get(key)
            if answer is None:
                answer = []
                top, scores, contributions = self._ranked(profile, k)
                for col, score, drops in zip(top.tolist(), scores.tolist(), contributions):
                    reasons: list[str] = []
                    for n in sorted((n for n in drops if drops[n] > 0), key=lambda n: -drops[n]):
                        r = self.signals_[n].explain(profile, col)
                        if r is not None and r not in reasons:
                            reasons.append(r)
                        if len(reasons) == MAX_REASONS:
                            break
                    answer.append((col, float(score), tuple(reasons)))
                self._answers[key] = answer
        return answer

    def _rank(self, profile: Profile, limit: int, reach: Reach | None = None) -> list[Recommendation]:
        """The best ``limit`` badges that can be earned now within ``reach`` (``_earnable``):
        the ranked list is read ``max(2 * limit, 20)`` deep, then four times deeper
        while too few of its badges have a current opportunity."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be an integer from 1 to {MAX_LIMIT}, got {limit!r}")
        k = max(2 * limit, 20)
        while True:
            answer = self._answer(profile, k)
            kept, opportunities = self._earnable(np.asarray([c for c, _, _ in answer], dtype=np.int64), limit, reach)
            if len(kept) >= limit or len(answer) < k:
                break
            k *= 4
        scored = {col: (score, reasons) for col, score, reasons in answer}
        return [Recommendation(badge_id=self.projection_.badges.id(col), name=self.projection_.badge_names[col],
                               score=scored[col][0], reasons=list(scored[col][1]), opportunities=list(opps))
                for col, opps in zip(kept.tolist(), opportunities)]

    def opportunities(self, badge_ids: Sequence[str], reach: Reach | None = None) -> dict[str, list[dict[str, Any]]]:
        """The current opportunities (not ended now; within ``reach``) of each badge
        that has any, ``{badge_id: [BADGE_OPPORTUNITIES rows]}``; empty without a store."""
        if self.store_ is None or not badge_ids:
            return {}
        now = self.now_ if self.now_ is not None else epoch_seconds(None)
        rows = self.store_.read(queries.BADGE_OPPORTUNITIES, {"badge_ids": list(badge_ids), "now": now})
        out = {r["badge_id"]: [o for o in r["opportunities"] or [] if reach is None or reach.admits(o)] for r in rows}
        return {b: o for b, o in out.items() if o}

    def _earnable(self, ordered: np.ndarray, limit: int,
                  reach: Reach | None) -> tuple[np.ndarray, list[list[dict[str, Any]]]]:
        """The first ``limit`` of ``ordered`` badge columns that can be earned now
        (``opportunities.earnable``), with their current opportunities; without a
        store, the first ``limit`` with none. Reads the opportunities in chunks
        (twice ``limit``, then doubling) until ``limit`` are found."""
        if self.store_ is None:
            top = ordered[:limit]
            return top, [[] for _ in range(len(top))]
        now = self.now_ if self.now_ is not None else epoch_seconds(None)
        kept: list[int] = []
        opps: list[list[dict[str, Any]]] = []
        start, chunk = 0, max(2 * limit, 20)
        while len(kept) < limit and start < len(ordered):
            cols = ordered[start:start + chunk].tolist()
            start += chunk
            chunk *= 2
            ids = [self.projection_.badges.id(c) for c in cols]
            rows = {r["badge_id"]: list(r["opportunities"] or [])
                    for r in self.store_.read(queries.BADGE_OPPORTUNITIES, {"badge_ids": ids, "now": ANY_TIME})}
            for col, bid in zip(cols, ids):
                left = earnable(rows.get(bid, []), now, reach)
                if left is None:
                    continue
                kept.append(col)
                opps.append(list(left))
                if len(kept) == limit:
                    break
        return np.asarray(kept, dtype=np.int64), opps

    def recommend(self, learner_id: str, limit: int = 10, interests: Interests | None = None,
                  reach: Reach | None = None) -> list[Recommendation]:
        """What should this learner go for next?

        Args:
            learner_id: the learner's graph id.
            limit: at most this many results (1 to ``MAX_LIMIT``).
            interests: stated themes, destinations and free text (cold start,
                or a nudge for a learner with badges; see the class).
            reach: where the learner can take part (a home district, online);
                default anywhere.

        Returns:
            Up to ``limit`` recommendations, best first; never a badge the
            learner holds, nor one whose every opportunity has ended (or, with
            ``reach``, one with no current opportunity within reach; see
            ``opportunities.earnable``); fewer when fewer badges have any score.

        Raises:
            NotFound: the learner does not exist (in the graph, when built from
                a store; else in the rows it was fitted on or added since).
            InvalidInput: ``limit`` is out of range.
            StoreUnavailable: the store cannot be reached.
        """
        return self._rank(self.live_profile(learner_id, interests), limit, reach)

    def recommend_for_interests(self, interests: Interests, limit: int = 10,
                                reach: Reach | None = None) -> list[Recommendation]:
        """Cold start: recommendations for a visitor from stated themes, destinations and free text.

        Raises:
            InvalidInput: ``limit`` is out of range.
        """
        return self._rank(Profile.of([], interests=interests), limit, reach)

    def recommend_for_badges(self, badge_ids: Sequence[str], limit: int = 10) -> list[Recommendation]:
        """Recommendations for someone holding ``badge_ids`` (no learner record needed).

        Raises:
            NotFound: a badge is not in the projection.
            InvalidInput: ``limit`` is out of range.
        """
        return self._rank(self.profile_of_badges(badge_ids), limit)

    # ------------------------------------------------------------------ updates

    def add_award(self, learner_id: str, badge_id: str, issued_on: datetime | int) -> bool:
        """Take a new portfolio award into account without a rebuild.

        Updates the learner's history and every signal's statistics (holders,
        co-occurrence counts). A repeat award of a badge the learner already
        holds changes nothing.

        Args:
            learner_id: the learner (new learners are added).
            badge_id: the badge; it must be in the projection.
            issued_on: a timezone-aware time or epoch seconds.

        Returns:
            True when the learner did not hold the badge before.

        Raises:
            NotFound: the badge is not in the projection (it was created after
                the recommender was built: rebuild with ``from_store``).
            InvalidInput: ``issued_on`` is naive or not a time.
        """
        col = self.projection_.badges.get(badge_id)
        if col is None:
            raise NotFound(f"badge '{badge_id}' is not in the recommender's projection; "
                           "rebuild the recommender to include new badges")
        on = epoch_seconds(issued_on)
        with self._lock:
            row = self.learners_.add(learner_id)
            held, held_on = self._history(row)
            if np.any(held == col):
                return False
            for s in self.signals_.values():
                s.add_award(held, col, on=on, held_on=held_on, learner=learner_id)
            gone = self._removed.get(row)
            if gone and col in gone:
                gone.discard(col)
                extra = self._extra.get(row, [])
                self._extra[row] = [(b, t) for b, t in extra if b != col]
            self._extra.setdefault(row, []).append((col, on))
            self.version_ += 1
        return True

    def remove_award(self, learner_id: str, badge_id: str, *_: object) -> bool:
        """Take an award out (revoked, expired, declined) without a rebuild.

        Every signal subtracts what the award had added (co-occurrence,
        transitions around it, walks, holders). Call it when the learner no
        longer holds the badge at all (their last award of it left the portfolio).

        Args:
            learner_id: the learner.
            badge_id: the badge.

        Returns:
            True when the learner held the badge here (and no longer does).

        Raises:
            NotFound: the badge is not in the projection.
        """
        col = self.projection_.badges.get(badge_id)
        if col is None:
            raise NotFound(f"badge '{badge_id}' is not in the recommender's projection")
        with self._lock:
            row = self.learners_.get(learner_id)
            if row is None:
                return False
            held, held_on = self._history(row)
            if not np.any(held == col):
                return False
            for s in self.signals_.values():
                s.remove_award(held, col, held_on=held_on, learner=learner_id)
            self._removed.setdefault(row, set()).add(col)
            self._extra[row] = [(b, t) for b, t in self._extra.get(row, []) if b != col]
            self.version_ += 1
        return True

    @property
    def badges(self) -> IdIndex:
        """Badge ids <-> columns of every score vector."""
        return self.projection_.badges
