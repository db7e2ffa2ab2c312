"""The "what next?" recommender: signals combined by a learned ranker (or a weighted sum), each result with its reasons.

Data flow: the graph (through ``GraphStore`` and ``graph.queries`` only) ->
``Projection`` -> fitted signals -> ``ranker.LearnedRanker`` (when one is
given or saved by ``colearn train``) -> ranked ``Recommendation`` objects.

This module is the façade: ``Recommender`` (building, the answer cache,
earnable filtering, the public calls). Its parts live beside it: scoring and
the blend's constants in ``blending`` (how the weights were chosen is told
there), reasons in ``explaining``, each learner's history and live updates in
``history``. The names below are re-exported from them, so
``from colearn.recommender.recommend import DEFAULT_WEIGHTS`` keeps working.
"""

from __future__ import annotations

import copy
import logging
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from cachetools import LRUCache

from colearn.errors import InvalidInput
from colearn.graph import queries
from colearn.graph.store import GraphStore
from colearn.recommender.blending import (  # noqa: F401  (re-exported: public names of this module)
    CANDIDATES_PER_SIGNAL, COLD_START_WEIGHTS, DEFAULT_WEIGHTS, INTEREST_WEIGHT, KNN_NEIGHBOURS, PPR_ALPHA,
    PPR_MAX_ITER, PPR_NEIGHBOURS, PPR_TOP_K, RP3_BETA, TRANSITION_DECAY, TRENDING_DAYS, W_ITEM_KNN,
    W_POPULARITY, W_SPINE, Scoring, default_signals, ranker_signals)
from colearn.recommender.completions import completions_for
from colearn.recommender.explaining import MAX_REASONS
from colearn.recommender.history import LearnerHistory
from colearn.recommender.index import IdIndex
from colearn.recommender.opportunities import ANY_TIME, Reach, earnable
from colearn.recommender.popularity import Popularity
from colearn.recommender.awards import Award, epoch_seconds
from colearn.recommender.projections import Projection, SpineCell
from colearn.recommender.signals import Interests, Profile, Signal

log = logging.getLogger(__name__)

#: The most results one call returns.
MAX_LIMIT = 100
#: Answers kept per recommender (an LRU): the ranked badges and reasons of a
#: portfolio, reused while neither the portfolio nor the model changes.
ANSWER_CACHE_SIZE = 20_000

def lifted(answer: Sequence[tuple[int, float, Any]], lift: Mapping[int, float],
           skip: frozenset[int] = frozenset()) -> list[tuple[int, float, Any]]:
    """``answer`` (``(column, score, reasons)`` best first) with each column of ``lift``
    raised toward the best score of the columns not in ``skip``: ``s + p·(best - s)`` for
    its share ``p`` in ``[0, 1]`` (a pathway completion badge: the share of its pathway's steps
    the learner meets), then ordered best first again (ties keep their order). Every other
    column keeps its score; the more of its pathway met, the higher a completion badge
    ranks, never above the best (``p < 1`` while it is still offered).

    Raises:
        InvalidInput: a share outside ``[0, 1]``.
    """
    bad = {c: p for c, p in lift.items() if not 0.0 <= p <= 1.0}
    if bad:
        raise InvalidInput(f"a lift share must be in [0, 1], got {bad}")
    present = [score for col, score, _ in answer if col not in skip]
    if not lift or not present:
        return list(answer)
    best = max(present)
    raised = [(col, score + lift[col] * (best - score) if col in lift else score, why) for col, score, why in answer]
    return sorted(raised, key=lambda r: -r[1])


def ranker_path(data_dir: Path | str) -> Path:
    """Where ``colearn train`` saves the ranker for a data directory."""
    return Path(data_dir) / "ranker.joblib"


@dataclass(frozen=True)
class Recommendation:
    """One recommended badge.

    Attributes:
        badge_id: the badge's graph id.
        name: its display name.
        score: the blended score (higher is better; comparable within one answer); a
            pathway completion badge's is raised by the share of its pathway's steps the
            learner meets (``lifted``), so the closer they are to completing it, the higher
            it ranks; no other badge's score changes.
        reasons: one plain sentence per signal that contributed, largest
            contribution first; for a pathway's completion badge, first the
            pathway that awards it and the steps met (``completions``).
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

class Recommender(LearnerHistory, Scoring):
    """Answers "what next?" for a learner from the projections of the graph.

    Follows scikit-learn's estimator habits: ``__init__`` stores
    hyperparameters, ``fit`` sets the attributes ending in ``_``.

    Scoring: with a fitted ``ranker`` (``ranker.LearnedRanker``), a learner
    who holds badges is ranked by the ranker's probability over every signal's
    features (plus ``INTEREST_WEIGHT`` times their interest fit when they
    stated interests); without one, by the weighted sum ``weights``. A learner
    with no badges is ranked by ``COLD_START_WEIGHTS`` when they stated
    interests, else by popularity. Reasons: for the ranker, a signal
    contributed when silencing it (score 0, rank last; ``ranker.silenced``)
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
    def _answer(self, profile: Profile, k: int,
                explain: int | None = None) -> list[tuple[int, float, tuple[str, ...] | None]]:
        """The best ``k`` badge columns for ``profile`` with their scores and the reasons of the
        first ``explain`` (default all; ``None`` in place of the others' reasons: explaining costs
        more than ranking), cached per (portfolio, interests, ``k``, ``explain``, model version)."""
        key = (profile.held.tobytes(), profile.held_on.tobytes(), profile.interests, k, explain, self.version_,
               self.candidates)
        with self._lock:
            answer = self._answers.get(key)
            if answer is None:
                answer = []
                top, scores, contributions = self._ranked(profile, k, explain)
                for i, (col, score) in enumerate(zip(top.tolist(), scores.tolist())):
                    why = self._reasons(profile, col, contributions[i]) if i < len(contributions) else None
                    answer.append((col, float(score), why))
                self._answers[key] = answer
        return answer
    def _rank(self, profile: Profile, limit: int, reach: Reach | None = None,
              skip: frozenset[int] = frozenset(), lift: Mapping[int, float] | None = None) -> list[Recommendation]:
        """The best ``limit`` badges, other than the columns in ``skip``, that can be earned now
        within ``reach`` (``_earnable``), the columns of ``lift`` raised by their share (``lifted``):
        the ranked list is read ``max(2 * limit, 20)`` deep, then four times deeper
        while too few of its badges have a current opportunity. Reasons are worked
        out for the first ``limit`` only, and for the whole list when one kept badge
        lies deeper."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be an integer from 1 to {MAX_LIMIT}, got {limit!r}")
        k = max(2 * limit, 20)
        lift = lift or {}
        while True:
            answer = lifted(self._answer(profile, k, limit + len(skip)), lift, skip)
            kept, opportunities = self._earnable(np.asarray([c for c, _, _ in answer if c not in skip], dtype=np.int64),
                                                 limit, reach)
            if len(kept) >= limit or len(answer) < k:
                break
            k *= 4
        shown = set(kept.tolist())
        if any(why is None for col, _, why in answer if col in shown):
            answer = lifted(self._answer(profile, k), lift, skip)
        scored = {col: (score, reasons) for col, score, reasons in answer}
        return [Recommendation(badge_id=self.projection_.badges.id(col), name=self.projection_.badge_names[col],
                               score=scored[col][0], reasons=list(scored[col][1] or ()), opportunities=list(opps))
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
            learner holds or has been awarded and not yet answered (``awaiting``),
            nor one whose every opportunity has ended (or, with
            ``reach``, one with no current opportunity within reach; see
            ``opportunities.earnable``), nor a pathway's completion badge the learner
            cannot earn now (``completions``: its pathway not started, not published,
            or its completion already made, e.g. revoked); fewer when fewer badges have
            any score. A completion badge's first reason names its pathway and the
            learner's progress.

        Raises:
            NotFound: the learner does not exist (in the graph, when built from
                a store; else in the rows it was fitted on or added since).
            InvalidInput: ``limit`` is out of range.
            StoreUnavailable: the store cannot be reached.
        """
        profile, awaiting, held_ids = self.live_state(learner_id, interests)
        return self._rank_offered(profile, limit, reach, awaiting, learner_id, held_ids)

    def _rank_offered(self, profile: Profile, limit: int, reach: Reach | None, skip: frozenset[int],
                      learner_id: str | None, held_ids: Iterable[str]) -> list[Recommendation]:
        """``_rank`` less the completion badges not to offer to this learner (``learner_id`` None:
        a visitor), each completion badge offered with its pathway as its first reason and
        raised by the share of that pathway's steps met (``lifted``; ``completions``: the rule
        is told there); as ``_rank`` without a store."""
        if self.store_ is None:
            return self._rank(profile, limit, reach, skip)
        done = completions_for(self.store_, learner_id, held_ids, self.pathways_)
        closed = (self.projection_.badges.get(b) for b in done.closed())
        lift: dict[int, float] = {}
        for b in done.routes:
            route, col = done.best(b), self.projection_.badges.get(b)  # the open pathway furthest along
            if route is not None and col is not None:
                lift[col] = route.met / max(route.total, 1)
        recs = self._rank(profile, limit, reach, skip | {c for c in closed if c is not None}, lift)
        out = []
        for r in recs:
            route = done.best(r.badge_id)
            out.append(r if route is None else replace(r, reasons=[route.reason(), *r.reasons][:MAX_REASONS]))
        return out

    def recommend_for_interests(self, interests: Interests, limit: int = 10,
                                reach: Reach | None = None) -> list[Recommendation]:
        """Cold start: recommendations for a visitor from stated themes, destinations and free text.

        Raises:
            InvalidInput: ``limit`` is out of range.
        """
        return self._rank_offered(Profile.of([], interests=interests), limit, reach, frozenset(), None, ())

    def recommend_for_badges(self, badge_ids: Sequence[str], limit: int = 10) -> list[Recommendation]:
        """Recommendations for someone holding ``badge_ids`` (no learner record needed).

        Raises:
            NotFound: a badge is not in the projection.
            InvalidInput: ``limit`` is out of range.
        """
        return self._rank_offered(self.profile_of_badges(badge_ids), limit, None, frozenset(), None, badge_ids)
    @property
    def badges(self) -> IdIndex:
        """Badge ids <-> columns of every score vector."""
        return self.projection_.badges
