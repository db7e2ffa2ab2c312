"""The learned ranker's guard: does the model beat each single signal on held-out events?

``LearnedRanker.fit`` holds out the latest of a site's own events, scores them
with a model fitted on the rest and with each single signal (``per_event_ndcg``:
the events of learners holding ``guard_min_held`` badges or more), and serves
the model only when no signal beats it by more than the noise (``guard_choice``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import NormalDist

import numpy as np


def ndcg_per_group(scores: np.ndarray, y: np.ndarray, sizes: np.ndarray, k: int = 10) -> np.ndarray:
    """NDCG@k of each group with one relevant row (ties count against it; 0 without one): float ``[n_groups]``."""
    out, start = np.zeros(len(sizes)), 0
    for i, n in enumerate(sizes.tolist()):
        s, rel = scores[start:start + n], y[start:start + n]
        start += n
        hit = np.flatnonzero(rel > 0)
        if not len(hit):
            continue
        rank = int((s >= s[hit[0]]).sum())  # 1-based, ties against the relevant row
        out[i] = 1.0 / np.log2(rank + 1) if rank <= k else 0.0
    return out


#: Fewest events the guard judges on: below this it serves the model.
MIN_EVENTS = 20


def per_event_ndcg(pred: np.ndarray, X: np.ndarray, y: np.ndarray, sizes: np.ndarray,
                   features: Sequence[str], signals: Sequence[str], min_held: int = 1) -> dict[str, np.ndarray]:
    """NDCG@10 per judged event of the model's scores ``pred`` and of each signal's column of ``X``.

    ``X`` float ``[n_rows, n_features]`` (columns ``features``), ``y`` 0/1 and ``pred`` float
    ``[n_rows]``, ``sizes`` the rows per event. A signal's ties break by popularity
    (``1e-6`` of its column). Judged: the events whose learner held at least
    ``min_held`` badges (the ``n_held`` column; every event without one).
    Returns ``{"ranker": float [n_judged], signal: float [n_judged], ...}``.
    """
    out = {"ranker": ndcg_per_group(pred, y, sizes)}
    pop = list(features).index("popularity") if "popularity" in features else None
    for s in signals:
        col = X[:, list(features).index(s)].astype(np.float64)
        if pop is not None:
            col = col + 1e-6 * X[:, pop]
        out[s] = ndcg_per_group(col, y, sizes)
    if "n_held" not in features or not len(sizes):
        return out
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    keep = X[starts, list(features).index("n_held")] >= min_held
    return {k: v[keep] for k, v in out.items()}


def critical_z(alpha: float, m: int) -> float:
    """The one-sided normal critical value for ``m`` tests at family-wise level ``alpha``:
    ``Φ⁻¹(1 - alpha / m)`` (Bonferroni's correction; e.g. 1.645 for one test at 0.05,
    2.45 for seven). ``alpha`` in ``(0, 1)``, ``m >= 1``.

    Raises:
        ValueError: ``alpha`` outside ``(0, 1)`` or ``m < 1``.
    """
    if not 0.0 < float(alpha) < 1.0 or int(m) < 1:
        raise ValueError(f"the guard needs a level in (0, 1) and at least one test, got {alpha} and {m}")
    return NormalDist().inv_cdf(1.0 - float(alpha) / int(m))


def guard_choice(per_event: Mapping[str, np.ndarray], alpha: float = 0.05) -> str:
    """``"ranker"``, or the single signal whose mean NDCG@10 beats the ranker's by more than
    the noise; among several, the best mean (the first on a tie).

    ``per_event`` is ``{"ranker": float [n_events], signal: float [n_events], ...}``.
    Each signal is a one-sided paired z-test of its per-event differences from
    the ranker; as every signal is tested, each test's level is ``alpha``
    divided by their number (Bonferroni), so that ``alpha`` bounds the chance
    of serving some signal when none is better (``critical_z``). Without that
    correction, seven signals at 5% each served one on noise: on Music Meta's
    validation split PPR was served at z = 1.65 and then lost to the model by
    0.055 NDCG@10 (docs/eval-suite.md).

    Raises:
        ValueError: ``alpha`` outside ``(0, 1)``.
    """
    ours = per_event["ranker"]
    z = critical_z(alpha, max(1, len(per_event) - 1))
    best, best_mean = "ranker", float(ours.mean())
    for name, vals in per_event.items():
        if name == "ranker" or float(vals.mean()) <= best_mean:
            continue
        diff = vals - ours
        se = float(diff.std(ddof=1)) / np.sqrt(len(diff)) if len(diff) > 1 else 0.0
        if float(diff.mean()) > z * se:
            best, best_mean = name, float(vals.mean())
    return best


__all__ = ["MIN_EVENTS", "critical_z", "guard_choice", "ndcg_per_group", "per_event_ndcg"]
