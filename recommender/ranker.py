"""The learned ranker: gradient-boosted trees over the signals' scores.

Each (learner, candidate badge) pair becomes one row of features: every
signal's score in ``[0, 1]``, the candidate's rank under that signal among the
badges the learner does not hold, and two facts about the learner (badges
held, days since their first badge). The label is 1 for the badge the learner
earned next and 0 for every other badge they did not hold: a pointwise
learning-to-rank model (T.-Y. Liu, "Learning to rank for information
retrieval", Foundations and Trends in IR 3(3), 2009, section 2), fitted with
scikit-learn's ``HistGradientBoostingClassifier`` (histogram gradient boosting
as in G. Ke et al., "LightGBM", NeurIPS 2017). Its predicted probability is
the ranking score.

Training rows come from replaying the earning history in time order
(``examples.replay``): the features of an event are computed from the awards
strictly before it, so nothing from the future is seen. ``save``/``load``
keep the model with its feature list and a hash of its training data.
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
from colearn.recommender.signals import Profile

#: The signals the ranker reads, in feature order.
RANKER_SIGNALS: tuple[str, ...] = (
    "item_knn", "transitions", "earned_later", "ppr", "rp3beta", "spine", "theme_fit",
    "destination_fit", "text", "popularity", "trending", "stage", "tenure",
)

#: Facts about the learner, the same for every candidate.
LEARNER_FEATURES: tuple[str, ...] = ("n_held", "tenure_days")

#: Limits OpenMP threads around fits and scores (built once: a fresh scan costs ~3 ms).
_THREADS = ThreadpoolController()

#: The file format version of ``save``.
FORMAT = 1


def feature_names(signals: Sequence[str] = RANKER_SIGNALS) -> list[str]:
    """``[signal, ..., rank:signal, ..., n_held, tenure_days]``: the columns of ``feature_matrix``."""
    return [*signals, *(f"rank:{s}" for s in signals), *LEARNER_FEATURES]


def within_learner_rank(scores: np.ndarray, held: np.ndarray) -> np.ndarray:
    """0-based rank of each badge by score among the badges not held; held badges rank ``n_badges``.

    ``scores`` is float ``[n_badges]`` or ``[n_badges, n_signals]`` (ranked per
    column). A badge's rank is the number of non-held badges scoring strictly
    more, so tied badges share the best rank of their group.
    """
    s = np.asarray(scores, dtype=np.float64)
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
                   signals: Sequence[str] = RANKER_SIGNALS, cols: np.ndarray | None = None) -> np.ndarray:
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
            v = np.asarray(v)
            values[:, j] = v[c]
            ordered = np.sort(v[free])
            ranks[:, j] = len(ordered) - np.searchsorted(ordered, v[c], side="right")
        ranks[~free[c]] = n
    tenure = 0.0 if profile.is_empty else float(profile.held_on.max() - profile.held_on.min()) / 86_400
    learner = np.tile([float(len(profile.held)), tenure], (len(values), 1))
    return np.concatenate([values, ranks, learner], axis=1).astype(np.float32)


def occluded(features: np.ndarray, signal: str, n_badges: int,
             signals: Sequence[str] = RANKER_SIGNALS) -> np.ndarray:
    """Rows of ``feature_matrix`` with one signal silenced (score 0, rank ``n_badges``, i.e. last):
    how the candidates would look without that evidence."""
    out = features.copy()
    i = list(signals).index(signal)
    out[:, i] = 0.0
    out[:, len(signals) + i] = float(n_badges)
    return out


def data_hash(x: np.ndarray, y: np.ndarray) -> str:
    """SHA-256 of the training matrix and labels (shape, dtype and bytes): names the data a model saw."""
    h = hashlib.sha256()
    for a in (np.ascontiguousarray(x, dtype=np.float32), np.ascontiguousarray(y, dtype=np.int8)):
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


class LearnedRanker(BaseEstimator):
    """Pointwise gradient-boosted ranker over signal features (Liu 2009; Ke et al. 2017).

    ``__init__`` stores hyperparameters only (scikit-learn's contract); their
    defaults were chosen on the validation split of the Martial Arts data
    (``benchmark.run(validation=True)``: each learner's second-to-last badge
    held out, the test badges never seen; 10 refits, 25 sampled negatives),
    NDCG@10: these defaults 0.620; 300 rounds at rate 0.04, 0.618; 250
    rounds, 0.617; 31 leaves of 100 rows, 0.616; 7 leaves, 0.610; 50
    negatives, 0.608; every negative, 0.612 (best baseline there: RP3beta 0.574).

    Args:
        max_iter: boosting rounds.
        learning_rate: shrinkage.
        max_leaf_nodes: leaves per tree.
        min_samples_leaf: rows per leaf at least.
        l2_regularization: L2 penalty on leaf values.
        random_state: seed (resolved in ``fit``).
        n_threads: OpenMP threads for fitting and scoring. 1 by default:
            on this project's 2-core machines, 2 threads made a fit 13 times
            slower (29.6 s against 2.3 s, measured) whenever another process
            was busy, through spin-waiting.

    Attributes:
        model_: the fitted ``HistGradientBoostingClassifier``.
        features_: the feature names (``feature_names()``).
        training_hash_: ``data_hash`` of the rows it was fitted on.
        n_rows_, n_positive_: training rows and positives.
        trained_on_: UTC ISO time of fitting.
    """

    def __init__(self, max_iter: int = 150, learning_rate: float = 0.08, max_leaf_nodes: int = 15,
                 min_samples_leaf: int = 50, l2_regularization: float = 1.0, random_state: int = 0,
                 n_threads: int = 1) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(self, X: np.ndarray, y: np.ndarray, features: Sequence[str] | None = None) -> "LearnedRanker":
        """Fit on feature rows ``X`` (float ``[n_rows, n_features]``) and labels ``y`` (0/1 ``[n_rows]``).

        Args:
            features: the column names; default ``feature_names()``.

        Returns:
            ``self``.

        Raises:
            InvalidInput: shapes disagree, or ``y`` lacks positives or negatives.
        """
        from sklearn.ensemble import HistGradientBoostingClassifier

        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y).astype(np.int8).reshape(-1)
        names = list(features) if features is not None else feature_names()
        if X.ndim != 2 or X.shape[0] != y.shape[0] or X.shape[1] != len(names):
            raise InvalidInput(f"X {X.shape}, y {y.shape} and {len(names)} feature names do not agree")
        if y.min(initial=1) == y.max(initial=0):
            raise InvalidInput("the training rows need both earned (1) and not-earned (0) badges")
        with _THREADS.limit(limits=int(self.n_threads), user_api="openmp"):
            self.model_ = HistGradientBoostingClassifier(
                max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
                min_samples_leaf=self.min_samples_leaf, l2_regularization=self.l2_regularization,
                early_stopping=False, random_state=self.random_state).fit(X, y)
        self.features_ = names
        self.training_hash_ = data_hash(X, y)
        self.n_rows_ = int(X.shape[0])
        self.n_positive_ = int(y.sum())
        self.trained_on_ = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return self

    def score(self, X: np.ndarray) -> np.ndarray:  # type: ignore[override]
        """Ranking scores: the probability of "earned next", float64 ``[n_rows]``."""
        with _THREADS.limit(limits=int(self.n_threads), user_api="openmp"):
            return self.model_.predict_proba(np.asarray(X, dtype=np.float32))[:, 1].astype(np.float64)

    # ------------------------------------------------------------------ persistence

    def metadata(self) -> dict[str, Any]:
        """What is saved beside the model: features, hash, sizes, hyperparameters, time."""
        return {"format": FORMAT, "features": list(self.features_), "training_hash": self.training_hash_,
                "n_rows": self.n_rows_, "n_positive": self.n_positive_, "trained_on": self.trained_on_,
                "params": self.get_params()}

    def save(self, path: Path | str) -> Path:
        """Write the model (joblib) and its metadata (``<path>.json``) and return ``path``."""
        import joblib

        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump({"model": self.model_, **self.metadata()}, p)
        p.with_suffix(p.suffix + ".json").write_text(json.dumps(self.metadata(), indent=2), encoding="utf-8")
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
        if not isinstance(saved, dict) or saved.get("format") != FORMAT or "model" not in saved:
            raise InvalidInput(f"{path} is not a colearn ranker of format {FORMAT}")
        want = list(features) if features is not None else feature_names()
        if saved["features"] != want:
            raise InvalidInput(f"the ranker at {path} was trained on other features; retrain it "
                               "(colearn train)")
        out = cls(**saved["params"])
        out.model_ = saved["model"]
        out.features_ = saved["features"]
        out.training_hash_ = saved["training_hash"]
        out.n_rows_, out.n_positive_ = saved["n_rows"], saved["n_positive"]
        out.trained_on_ = saved["trained_on"]
        return out
