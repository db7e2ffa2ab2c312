"""The learned ranker's guard: does the model beat each single signal on held-out events?

``LearnedRanker.fit`` holds out the latest of a site's own events, scores them
with a model fitted on the rest and with each single signal, and serves the
model only when no signal beats it by more than the noise (``guard_choice``).
"""

from __future__ import annotations

from collections.abc import Mapping

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


def guard_choice(per_event: Mapping[str, np.ndarray], z: float) -> str:
    """``"ranker"``, or the single signal whose mean NDCG@10 beats the ranker's by more than
    ``z`` standard errors of the paired per-event differences (a one-sided paired z-test:
    ``z = 1.645`` is the 5% level); among several, the best mean (the first on a tie).

    ``per_event`` is ``{"ranker": float [n_events], signal: float [n_events], ...}``.
    """
    ours = per_event["ranker"]
    best, best_mean = "ranker", float(ours.mean())
    for name, vals in per_event.items():
        if name == "ranker" or float(vals.mean()) <= best_mean:
            continue
        diff = vals - ours
        se = float(diff.std(ddof=1)) / np.sqrt(len(diff)) if len(diff) > 1 else 0.0
        if float(diff.mean()) > z * se:
            best, best_mean = name, float(vals.mean())
    return best


__all__ = ["guard_choice", "ndcg_per_group"]
