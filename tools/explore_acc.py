"""A site-level feature tried on the validation splits: each guard signal's running accuracy on the site.

``python tools/explore_acc.py NAME [mode=rel|abs|off] [m=20] [min_held=1] [key=value ...]``:
adds, to every training event and held-out case of each site (from
``generated/suite-cache``), one column per ``fitting.GUARD_SIGNALS`` signal:
how well that signal ranked the badge earned on the site's earlier training
events (the mean of ``1 / log2(2 + rank)``, the rank read from the event's
``rank:<signal>`` column), shrunk toward the mean over the signals by ``m``
pseudo-events; ``rel`` gives it minus the signals' mean (0 with no events),
``abs`` the value itself. Then fits and scores as ``tools/explore_suite.py``
does (the same script, its log). Exploration only: the features are computed
from the replay's sampled training events, not from every award.
"""

from __future__ import annotations

import bisect
import dataclasses
import sys

import numpy as np


def augment(rep, n_signals_all: int, guard_idx: list[int], mode: str, m: float, min_held: int):
    """A copy of ``rep`` whose groups carry the accuracy columns."""
    train = rep.train
    keys = [g.key for g in train]
    gains = np.zeros((len(train), len(guard_idx)))
    used = np.zeros(len(train), dtype=bool)
    for i, g in enumerate(train):
        ranks = g.features[g.target, [n_signals_all + j for j in guard_idx]].astype(np.float64)
        gains[i] = 1.0 / np.log2(2.0 + ranks)
        used[i] = len(g.held) >= min_held
    cum = np.vstack([np.zeros(len(guard_idx)), np.cumsum(gains * used[:, None], axis=0)])
    cnt = np.concatenate([[0], np.cumsum(used)])

    def cols(key) -> np.ndarray:
        k = bisect.bisect_left(keys, key)
        s, n = cum[k], cnt[k]
        mean_all = s.mean()
        if mode == "rel":
            return (s - mean_all) / (n + m)
        prior = mean_all / n if n else 0.5
        return (s + m * prior) / (n + m)

    def one(g):
        extra = np.tile(cols(g.key).astype(np.float32), (len(g.features), 1))
        return dataclasses.replace(g, features=np.concatenate([g.features, extra], axis=1))

    return dataclasses.replace(rep, train=[one(g) for g in train], test=[one(g) for g in rep.test])


def main(argv: list[str]) -> None:
    sys.path.insert(0, "tools")
    import explore_suite

    from colearn.recommender import ranker, suite
    from colearn.recommender.fitting import GUARD_SIGNALS

    opts = {k: v for k, v in (a.split("=", 1) for a in argv[1:])}
    mode = opts.pop("mode", "rel")
    m = float(opts.pop("m", 20))
    min_held = int(opts.pop("min_held", 1))
    rest = [argv[0], *(f"{k}={v}" for k, v in opts.items())]
    if mode == "off":
        explore_suite.main(rest)
        return
    base_names = ranker.feature_names()
    n_all = len(ranker.RANKER_SIGNALS)
    guard_idx = [ranker.RANKER_SIGNALS.index(s) for s in GUARD_SIGNALS]
    names = [*base_names, *(f"acc:{s}" for s in GUARD_SIGNALS)]
    ranker.feature_names = lambda signals=ranker.RANKER_SIGNALS: list(names)
    prepare = suite.prepare_site

    def prepare_aug(site, cells, **kw):
        p = prepare(site, cells, **kw)
        return dataclasses.replace(p, rep=augment(p.rep, n_all, guard_idx, mode, m, min_held))

    suite.prepare_site = prepare_aug
    explore_suite.main(rest)


if __name__ == "__main__":
    main(sys.argv[1:])
