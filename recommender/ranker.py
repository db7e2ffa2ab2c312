"""The learned ranker: LambdaRank gradient-boosted trees over the signals' scores and raw counts.

Each (learner, candidate badge) pair becomes one row of features: every
signal's score in ``[0, 1]``, the candidate's rank under that signal among the
badges the learner does not hold, two facts about the learner (badges held,
days since their first badge), and raw counts and probabilities that mean the
same on every site (how many learners earned the candidate right after the
learner's last badge, and after their last two; its holders; how concentrated
the site's holdings are; see ``sequence.SEQUENCE_FEATURES``). Each training
event (a learner earning a new badge) is one query group: the badge earned
labelled 1, the other badges they did not hold 0. The model is LightGBM's
``LGBMRanker`` with the ``lambdarank`` objective (C. Burges, "From RankNet
to LambdaRank to LambdaMART: an overview", MSR-TR-2010-82, 2010; G. Ke et
al., "LightGBM", NeurIPS 2017), which follows the gradient of NDCG. Three such models, each with
its own seed (and its own sample of the other sites' events when a prior is pooled), are
averaged: a bag (L. Breiman, "Bagging predictors", Machine Learning 24, 1996).

Training rows come from replaying the earning history in time order
(``benchmark.replay``): the features of an event are computed from the awards
strictly before it, so nothing from the future is seen. ``save``/``load`` keep the model with
its feature list, a hash of its training data, the pooled sites and the guard's choice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from threadpoolctl import ThreadpoolController

from colearn.errors import InvalidInput
from colearn.files import write_all
from colearn.recommender.guard import MIN_EVENTS, critical_z, guard_choice, per_event_ndcg
from colearn.recommender.registry import signal_names
from colearn.recommender.sequence import SEQUENCE_FEATURES
from colearn.recommender.signals import Profile

#: The signals the ranker reads, in feature order: every signal of the registry.
RANKER_SIGNALS: tuple[str, ...] = signal_names()

#: Facts about the learner, the same for every candidate.
LEARNER_FEATURES: tuple[str, ...] = ("n_held", "tenure_days")

#: Raw counts and probabilities that mean the same on every site (from the
#: ``sequence`` signal's ``features``): see ``sequence.SEQUENCE_FEATURES``.
RAW_FEATURES: tuple[str, ...] = SEQUENCE_FEATURES

#: Limits OpenMP threads around fits and scores (built once: a fresh scan costs ~3 ms).
_THREADS = ThreadpoolController()

#: ``save``'s file format (5: with ``guard_min_held``; a format-4 file's guard judged every event).
FORMAT = 5

#: A bag member's training rows: ``(X float32 [n, n_features], y int8 [n], group sizes int64
#: [n_groups], weight float64 [n] or None)``, as ``LearnedRanker.fit`` takes them.
Rows = tuple[np.ndarray, np.ndarray, np.ndarray, "np.ndarray | None"]


#: Ranks compare scores as the ranker reads them (float32): in float64, badges tied in exact
#: arithmetic were ordered by the last bits of BLAS sums, which differ between CPU kinds.
RANK_PRECISION = np.float32


def feature_names(signals: Sequence[str] = RANKER_SIGNALS) -> list[str]:
    """``[signal, ..., rank:signal, ..., n_held, tenure_days, raw feature, ...]``: the columns of ``feature_matrix``."""
    return [*signals, *(f"rank:{s}" for s in signals), *LEARNER_FEATURES, *RAW_FEATURES]


def raw_features(signals: Mapping[str, Any], profile: Profile) -> dict[str, np.ndarray]:
    """``RAW_FEATURES`` of every badge from the fitted signals that offer ``features(profile)``."""
    out: dict[str, np.ndarray] = {}
    for s in signals.values():
        more = getattr(s, "features", None)
        if callable(more):
            out.update(more(profile))
    return out


def within_learner_rank(scores: np.ndarray, held: np.ndarray) -> np.ndarray:
    """0-based rank of each badge by score among the badges not held; held badges rank ``n_badges``.

    ``scores`` is float ``[n_badges]`` or ``[n_badges, n_signals]`` (ranked per
    column). A badge's rank is the number of non-held badges scoring strictly
    more, so tied badges share the best rank of their group. Scores are
    compared at ``RANK_PRECISION``.
    """
    s = np.asarray(np.asarray(scores, dtype=RANK_PRECISION), dtype=np.float64)
    one = s.ndim == 1
    s = (s[:, None] if one else s).copy()
    n = s.shape[0]
    if n == 0:
        return np.zeros(s.shape[0] if one else s.shape)
    s[held] = s.min(axis=0) - 1.0
    ordered = np.sort(s, axis=0)
    ranks = np.empty(s.shape, dtype=np.float64)
    for j in range(s.shape[1]):
        ranks[:, j] = n - np.searchsorted(ordered[:, j], s[:, j], side="right")
    ranks[held] = n
    return ranks[:, 0] if one else ranks


def feature_matrix(scores: Mapping[str, np.ndarray], profile: Profile,
                   signals: Sequence[str] = RANKER_SIGNALS,
                   raw: Mapping[str, np.ndarray] | None = None, cols: np.ndarray | None = None) -> np.ndarray:
    """The ranker's input for one learner: float32 ``[n_rows, len(feature_names(signals))]``.

    Args:
        scores: ``{signal name: float [n_badges] in [0, 1]}``; a signal
            absent here counts as all zeros.
        profile: the learner (for ``n_held``, ``tenure_days`` and the held badges).
        signals: the signal order.
        cols: the badge columns to build rows for (the candidates); default
            every badge (``n_rows = n_badges``). Ranks are among every badge
            not held either way, so a candidate's row is the same as in the
            full matrix.
        raw: ``raw_features(...)``; a feature absent counts as all zeros.

    Raises:
        InvalidInput: the score vectors differ in length.
    """
    lengths = {len(v) for v in scores.values()}
    if len(lengths) != 1:
        raise InvalidInput(f"score vectors differ in length: {sorted(lengths)}")
    n = lengths.pop()
    if cols is None:
        cols_all = np.stack([np.asarray(scores.get(s, np.zeros(n)), dtype=np.float64) for s in signals], axis=1)
        ranks = within_learner_rank(cols_all, profile.held)
        values = cols_all
    else:
        c = np.asarray(cols, dtype=np.int64).reshape(-1)
        free = np.ones(n, dtype=bool)
        free[profile.held] = False
        values = np.zeros((len(c), len(signals)))
        ranks = np.zeros((len(c), len(signals)))
        for j, s in enumerate(signals):
            v = scores.get(s)
            if v is None:
                v = np.zeros(n)
            v = np.asarray(v, dtype=RANK_PRECISION)  # compared as within_learner_rank compares
            values[:, j] = v[c]
            ordered = v[free]
            if len(c) and v[c].min() >= 0:
                ordered = ordered[ordered > 0]  # a value <= 0 is never above one >= 0: sort only the rest
            ordered = np.sort(ordered)
            ranks[:, j] = len(ordered) - np.searchsorted(ordered, v[c], side="right")
        ranks[~free[c]] = n
    tenure = 0.0 if profile.is_empty else float(profile.held_on.max() - profile.held_on.min()) / 86_400
    learner = np.tile([float(len(profile.held)), tenure], (len(values), 1))
    raw = raw or {}
    rows = slice(None) if cols is None else np.asarray(cols, dtype=np.int64).reshape(-1)
    extra = np.stack([np.asarray(raw.get(f, np.zeros(n)), dtype=np.float64)[rows] for f in RAW_FEATURES], axis=1)
    return np.concatenate([values, ranks, learner, extra], axis=1).astype(np.float32)


def silenced(features: np.ndarray, rows: np.ndarray, signal_idx: np.ndarray, n_badges: int,
             n_signals: int = len(RANKER_SIGNALS)) -> np.ndarray:
    """Copies of ``features[rows]`` (rows of ``feature_matrix``), the k-th with signal
    ``signal_idx[k]`` silenced: its score 0 and its rank ``n_badges`` (last), i.e. how that
    candidate would look without that evidence. ``rows`` and ``signal_idx``: int ``[n]``;
    returns float ``[n, n_features]``."""
    out = features[rows].copy()
    k = np.arange(len(out))
    out[k, signal_idx] = 0.0
    out[k, n_signals + np.asarray(signal_idx)] = float(n_badges)
    return out


def occluded(features: np.ndarray, signal: str, n_badges: int,
             signals: Sequence[str] = RANKER_SIGNALS) -> np.ndarray:
    """Rows of ``feature_matrix`` with one signal silenced in every row (``silenced``)."""
    n = len(features)
    return silenced(features, np.arange(n), np.full(n, list(signals).index(signal)), n_badges, len(signals))


def data_hash(x: np.ndarray, y: np.ndarray) -> str:
    """SHA-256 of the training matrix and labels (shape, dtype and bytes): names the data a model saw."""
    h = hashlib.sha256()
    for a in (np.ascontiguousarray(x, dtype=np.float32), np.ascontiguousarray(y, dtype=np.int8)):
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


class LearnedRanker(BaseEstimator):
    """LambdaRank gradient-boosted trees over signal features, with a guard (Burges 2010; Ke et al. 2017).

    The objective is LightGBM's ``lambdarank`` (C. Burges, "From RankNet to
    LambdaRank to LambdaMART: an overview", Microsoft Research MSR-TR-2010-82):
    each training event is one query group (the badges the learner did not
    hold, the one they earned next labelled 1), and the gradients are those
    of NDCG@``eval_at``.

    ``__init__`` stores hyperparameters only (scikit-learn's contract). The
    trees' settings were set by hand for speed; variants around them (hard
    negatives, the guard judging on every badge, more pooled events, more and
    larger trees, more negatives, own events weighted up, the guard's margin,
    the popularity penalty) were compared on the validation splits of the ten
    development sites only (``tools/tune_suite.py`` and
    ``tools/explore_suite.py``: each learner's second-to-last badge held out,
    the test badges never seen); docs/eval-suite.md gives the numbers. Chosen
    there: ``guard_alpha`` 0.05 over all the guard's signals (a per-signal
    level of 5% had served PPR on Music Meta on noise, z = 1.65, and lost
    the site), ``n_models`` 3 (a bag: README,
    "Evaluation on ten real sites") and ``popularity_penalty`` 0.15 (with
    ``fitting.OWN_WEIGHT`` 0.5: 10 wins, mean lift +0.029 and lowest
    coverage@10 0.87, where 0.1 gave 10, +0.029 and 0.815).

    The bag: ``n_models`` boosters, the k-th seeded ``random_state + k`` and
    fitted on ``members[k - 1]`` when given (in the suite, the same site's
    events with another sample of the other sites'), else on the same rows;
    the served score averages their raw outputs (L. Breiman, "Bagging
    predictors", Machine Learning 24(2), 1996). It lowers the variance of a
    single fit, which moved a site's NDCG@10 by up to 0.01 between seeds.

    The guard: ``fit(..., guard=...)`` is given the score columns of the
    single signals and a held-out part of the training events; when the best
    single signal beats the model fitted on the other events there (NDCG@10
    per event, by more than the noise at family-wise level ``guard_alpha``:
    ``guard_choice``),
    ``serve_`` names that signal and ``score`` returns its column (popularity
    breaking ties), else ``serve_`` is ``"ranker"``. The guard's model is one
    booster (the first member's settings), not a bag.

    Args:
        max_iter: boosting rounds.
        learning_rate: shrinkage.
        max_leaf_nodes: leaves per tree.
        min_samples_leaf: rows per leaf at least.
        l2_regularization: L2 penalty on leaf values.
        colsample: share of features each tree sees.
        guard_share: share of the latest training events held out for the guard.
        random_state: seed.
        n_threads: OpenMP threads for fitting and scoring. 1 by default:
            on this project's 2-core machines two threads spin-waited whenever
            another process was busy (a fit 13 times slower, measured).
        truncation_level: LightGBM's ``lambdarank_truncation_level`` (pairs
            whose higher-ranked row sits below it get no gradient).
        popularity_penalty: ``β`` of the served score ``f(x) - β · log(1 +
            holders)``, ``f`` the trees' output (a popularity penalty in the
            manner of RP3beta's ``1 / popularity^β``: C. Paudel et al.,
            "Updatable, accurate, diverse, and scalable recommendations for
            interactive applications", ACM TiiS 7(1), 2017); 0: none.
        guard_alpha: a signal is served only when it beats the model on the
            guard's events in a one-sided paired z-test at level ``guard_alpha``
            divided by the number of signals weighed (Bonferroni:
            ``guard.guard_choice``), in ``(0, 1)``.
        n_models: boosters in the bag (1: a single model).
        guard_min_held: the guard judges the events of learners holding this many badges or more
            (fewer than ``guard.MIN_EVENTS``: the model is served). 2, chosen on validation: judged on
            all, PPR won on Music Meta's one-badge learners (z 3.0; 1.0 on the rest), was served, and lost.

    Attributes:
        models_: the fitted ``lightgbm.LGBMRanker`` bag, ``n_models`` of them (empty when a signal is served).
        serve_: ``"ranker"`` or the single signal served instead.
        guard_: ``{"ranker": NDCG@10, signal: NDCG@10, ...}`` on the guard's judged events (empty
            without a guard or with fewer than ``guard.MIN_EVENTS`` judged).
        features_: the feature names (``feature_names()``).
        training_hash_: ``data_hash`` of the rows it was fitted on.
        n_rows_, n_positive_: training rows and positives (events).
        trained_on_: UTC ISO time of fitting.
        pooled_sites_: the other sites whose events were pooled into the fit (set by the caller).
    """

    pooled_sites_: Sequence[str] = ()

    def __init__(self, max_iter: int = 100, learning_rate: float = 0.1, max_leaf_nodes: int = 15,
                 min_samples_leaf: int = 40, l2_regularization: float = 1.0, colsample: float = 0.8,
                 guard_share: float = 0.2, random_state: int = 0, n_threads: int = 1,
                 truncation_level: int = 20, popularity_penalty: float = 0.15, guard_alpha: float = 0.05,
                 n_models: int = 3, guard_min_held: int = 2) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.colsample = colsample
        self.guard_share = guard_share
        self.random_state = random_state
        self.n_threads = n_threads
        self.truncation_level = truncation_level
        self.popularity_penalty = popularity_penalty
        self.guard_alpha = guard_alpha
        self.n_models = n_models
        self.guard_min_held = guard_min_held

    def _model(self, k: int = 0) -> Any:
        """The ``k``-th booster of the bag, unfitted (seed ``random_state + k``)."""
        from lightgbm import LGBMRanker

        return LGBMRanker(objective="lambdarank", n_estimators=self.max_iter, learning_rate=self.learning_rate,
                          num_leaves=self.max_leaf_nodes, min_child_samples=self.min_samples_leaf,
                          reg_lambda=self.l2_regularization, colsample_bytree=self.colsample,
                          subsample=0.8, subsample_freq=1, random_state=int(self.random_state) + k,
                          n_jobs=int(self.n_threads), verbose=-1,
                          lambdarank_truncation_level=int(self.truncation_level))

    def fit(self, X: np.ndarray, y: np.ndarray, features: Sequence[str] | None = None,
            group: Sequence[int] | None = None, guard: Sequence[str] = (),
            n_guard: int | None = None, weight: np.ndarray | None = None,
            members: Sequence[Rows] = ()) -> "LearnedRanker":
        """Fit on feature rows ``X`` (float ``[n_rows, n_features]``) and labels ``y`` (0/1 ``[n_rows]``).

        Args:
            features: the column names; default ``feature_names()``.
            group: rows per training event (one query group each), in row
                order, ``sum(group) == n_rows``; may be left out only when
                ``y`` has one positive (one event).
            guard: signal names (columns of ``features``) the model must beat on the
                last ``n_guard`` events' judged ones (``guard_min_held``); empty: no guard.
            n_guard: events held out for the guard (the last ones); default
                ``guard_share`` of all events.
            weight: float ``[n_rows]``, each row's weight in the LambdaRank
                loss (LightGBM sums a group's into its query weight); default 1.
            members: training rows (``Rows``) of the bag's 2nd, 3rd, ...
                boosters, at most ``n_models - 1``; a booster without its own
                is fitted on ``X``, ``y`` (its own seed still differs).

        Returns:
            ``self``.

        Raises:
            InvalidInput: shapes disagree, ``y`` lacks positives or negatives,
                the group sizes are missing or do not add up, ``n_models`` is
                below 1, or more member rows than members are given.
        """
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y).astype(np.int8).reshape(-1)
        names = list(features) if features is not None else feature_names()
        if X.ndim != 2 or X.shape[0] != y.shape[0] or X.shape[1] != len(names):
            raise InvalidInput(f"X {X.shape}, y {y.shape} and {len(names)} feature names do not agree")
        if y.min(initial=1) == y.max(initial=0):
            raise InvalidInput("the training rows need both earned (1) and not-earned (0) badges")
        if group is None and int(y.sum()) > 1:
            raise InvalidInput("several events need their group sizes (rows per event)")
        sizes = np.asarray(list(group) if group is not None else [len(y)], dtype=np.int64)
        if sizes.sum() != len(y) or (sizes <= 0).any():
            raise InvalidInput(f"group sizes add up to {int(sizes.sum())}, not to the {len(y)} rows")
        w = None if weight is None else np.asarray(weight, dtype=np.float64).reshape(-1)
        if w is not None and (w.shape != y.shape or (w < 0).any()):
            raise InvalidInput(f"weight {w.shape} must give each of the {len(y)} rows a weight >= 0")
        try:
            critical_z(self.guard_alpha, 1)  # the level's bounds live there
        except ValueError as exc:
            raise InvalidInput(f"guard_alpha is {self.guard_alpha}: {exc}") from exc
        if int(self.n_models) < 1 or len(members) > int(self.n_models) - 1:
            raise InvalidInput(f"n_models is {self.n_models}: it must be at least 1, with at most "
                               f"{int(self.n_models) - 1} members' rows, not {len(members)}")
        self.features_ = names
        self.guard_ = {}
        self.serve_ = "ranker"
        if n_guard is None:
            n_guard = max(1, int(round(len(sizes) * float(self.guard_share))))
        if guard and len(sizes) >= MIN_EVENTS and MIN_EVENTS <= n_guard < len(sizes):
            per_event = self._guard(X, y, sizes, [g for g in guard if g in names], int(n_guard), w)
            if len(per_event["ranker"]) >= MIN_EVENTS:
                self.guard_ = {k: float(v.mean()) for k, v in per_event.items()}
                self.serve_ = guard_choice(per_event, float(self.guard_alpha))
        self.models_: list[Any] = []
        if self.serve_ == "ranker":
            rows: list[Rows] = [(X, y, sizes, w), *members]
            rows += [(X, y, sizes, w)] * (int(self.n_models) - len(rows))
            with _THREADS.limit(limits=int(self.n_threads), user_api="openmp"):
                for k, (xk, yk, gk, wk) in enumerate(rows):
                    self.models_.append(self._model(k).fit(np.asarray(xk, dtype=np.float32), np.asarray(yk),
                                                           group=np.asarray(gk), sample_weight=wk))
        self.training_hash_ = data_hash(X, y)
        self.n_rows_, self.n_positive_ = int(X.shape[0]), int(y.sum())
        self.trained_on_ = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return self

    def _guard(self, X: np.ndarray, y: np.ndarray, sizes: np.ndarray, signals: Sequence[str],
               n_hold: int, weight: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """NDCG@10 per judged event (``guard_min_held``) of the last ``n_hold``: a model fitted on the others, each signal."""
        cut = int(sizes[:-n_hold].sum())
        with _THREADS.limit(limits=int(self.n_threads), user_api="openmp"):
            model = self._model().fit(X[:cut], y[:cut], group=sizes[:-n_hold],
                                      sample_weight=None if weight is None else weight[:cut])
            pred = self.penalised(model.predict(X[cut:]), X[cut:])
        return per_event_ndcg(pred, X[cut:], y[cut:], sizes[-n_hold:], self.features_, signals,
                              int(self.guard_min_held))

    def score(self, X: np.ndarray, top: int | None = None) -> np.ndarray:  # type: ignore[override]
        """Ranking scores, float64 ``[n_rows]`` (higher is better; comparable within one learner).

        The bag's mean output (``raw``) less the popularity penalty, through the
        logistic function (so in ``(0, 1)``, the order unchanged), or, when the
        guard chose a signal, that signal's score plus ``1e-6`` times popularity's.

        Args:
            X: float ``[n_rows, n_features]`` rows of ``feature_matrix``.
            top: a cascade for serving: when the bag has more than one booster
                and ``X`` more than ``top`` rows, only the ``top`` rows best
                under the first booster are scored by the whole bag; the others
                keep the first booster's score, moved below the lowest of those
                (their order kept). It costs one booster for most rows, not
                three. ``None``: every row by the whole bag.
        """
        X = np.asarray(X, dtype=np.float32)
        if len(X) == 0:
            return np.zeros(0, dtype=np.float64)
        if self.serve_ != "ranker":
            col = X[:, self.features_.index(self.serve_)].astype(np.float64)
            if "popularity" in self.features_:
                col = col + 1e-6 * X[:, self.features_.index("popularity")]
            return col
        if top is None or len(self.models_) < 2 or len(X) <= int(top):
            out = self.penalised(self.raw(X), X)
        else:
            first = self._summed(X, self.models_[:1])
            out = self.penalised(first, X)
            best = np.zeros(len(X), dtype=bool)
            best[np.argpartition(-out, int(top) - 1)[:int(top)]] = True
            # the first booster's outputs on the best rows are reused, not predicted again
            mean = (first[best] + self._summed(X[best], self.models_[1:])) / len(self.models_)
            bag = self.penalised(mean, X[best])
            out[~best] -= max(0.0, float(out[~best].max()) - float(bag.min()) + 1.0)
            out[best] = bag
        return 1.0 / (1.0 + np.exp(-np.clip(out, -30.0, 30.0)))

    def raw(self, X: np.ndarray) -> np.ndarray:
        """The bag's mean raw output, float64 ``[n_rows]``, before the penalty (needs ``serve_ == "ranker"``)."""
        return self._summed(X, self.models_) / max(len(self.models_), 1)

    def _summed(self, X: np.ndarray, models: Sequence[Any]) -> np.ndarray:
        """The sum of ``models``' raw outputs on ``X``: float64 ``[n_rows]``."""
        x = np.ascontiguousarray(np.asarray(X, dtype=np.float32))
        out = np.zeros(len(x), dtype=np.float64)
        # each booster itself: the scikit-learn wrapper's predict re-reads every parameter and
        # validates X on each call (about 2 of the 4 ms a request cost at L); num_threads
        # bounds LightGBM's own OpenMP threads for this call
        for m in models:
            out += m.booster_.predict(x, num_threads=int(self.n_threads))
        return out

    def penalised(self, raw: np.ndarray, X: np.ndarray) -> np.ndarray:
        """``raw - popularity_penalty · log(1 + holders)``: float64 ``[n_rows]`` from the trees'
        outputs ``raw`` ``[n_rows]`` and their feature rows ``X`` (``log_holders`` column)."""
        out = np.asarray(raw, dtype=np.float64)
        beta = float(self.popularity_penalty)
        if beta and "log_holders" in self.features_:
            out = out - beta * np.asarray(X, dtype=np.float64)[:, self.features_.index("log_holders")]
        return out

    # ------------------------------------------------------------------ persistence

    def metadata(self) -> dict[str, Any]:
        """What is saved beside the model: features, hash, sizes, hyperparameters, time."""
        return {"format": FORMAT, "features": list(self.features_), "training_hash": self.training_hash_,
                "serve": self.serve_, "guard": dict(self.guard_),
                "n_rows": self.n_rows_, "n_positive": self.n_positive_, "trained_on": self.trained_on_,
                "pooled_sites": list(self.pooled_sites_), "params": self.get_params()}

    def save(self, path: Path | str) -> Path:
        """Write the model (joblib) and its metadata (``<path>.json``), each replaced whole, and return ``path``."""
        import joblib

        (p := Path(path)).parent.mkdir(parents=True, exist_ok=True)
        write_all({p: lambda f: joblib.dump({"models": self.models_, **self.metadata()}, f),
                   p.with_suffix(p.suffix + ".json"): json.dumps(self.metadata(), indent=2).encode("utf-8")})
        return p

    @classmethod
    def load(cls, path: Path | str, features: Sequence[str] | None = None) -> "LearnedRanker":
        """Read a saved ranker.

        Args:
            path: the file ``save`` wrote.
            features: the feature list the caller will give it; default ``feature_names()``.

        Raises:
            InvalidInput: the file is not a saved ranker, has another format,
                or was trained on other features (retrain with ``colearn train``).
        """
        import joblib

        try:
            saved = joblib.load(Path(path))
        except (OSError, EOFError, ValueError, KeyError) as exc:
            raise InvalidInput(f"cannot read the ranker at {path}: {exc}") from exc
        if not isinstance(saved, dict) or saved.get("format") != FORMAT or "models" not in saved:
            raise InvalidInput(f"{path} is not a colearn ranker of format {FORMAT}")
        want = list(features) if features is not None else feature_names()
        if saved["features"] != want:
            raise InvalidInput(f"the ranker at {path} was trained on other features; retrain it "
                               "(colearn train)")
        out = cls(**saved["params"])
        out.models_ = list(saved["models"])
        out.serve_ = saved["serve"]
        out.guard_ = saved["guard"]
        out.features_ = saved["features"]
        out.training_hash_ = saved["training_hash"]
        out.n_rows_, out.n_positive_ = saved["n_rows"], saved["n_positive"]
        out.trained_on_, out.pooled_sites_ = saved["trained_on"], list(saved.get("pooled_sites", ()))
        return out
