"""Served-score fusion with one baseline's rank, scored from a kept variant's outputs.

``python tools/explore_fusion.py [DUMP]``: reads the per-case raw outputs that
``tools/explore_suite.py`` kept for a variant (``generated/explore-dumps/DUMP.pkl``,
default ``base``: the chosen settings) and the validation replays it used
(``generated/suite-cache``), and scores, without refitting, the served score
``f(x) - 0.15 * log(1 + holders) - gamma * log(1 + rank_s)`` for each baseline
signal ``s`` of ``SIGNALS`` (its rank among the badges not held, the ranker's
``rank:s`` feature, 0 = first) and each ``gamma`` of ``GAMMAS``. Cases the guard
served one signal keep that signal's scores. Prints wins / mean lift over each
site's best baseline / lowest coverage@10 (means only, no bootstrap), as
``explore_suite`` does. Validation split only.
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

CACHE = Path("generated/suite-cache")
DUMPS = Path("generated/explore-dumps")
PENALTY = 0.15
SIGNALS = ("ppr", "rp3beta", "popularity")
GAMMAS = (0.02, 0.05, 0.1, 0.2)


def main(argv: list[str]) -> None:
    from colearn.data import bundled
    from colearn.perf.eval_inputs import spine_cells, suite_sites
    from colearn.recommender import suite
    from colearn.recommender.evaluation import ndcg_at_k
    from colearn.recommender.ranker import feature_names
    from colearn.recommender.replay import BASELINES

    with (DUMPS / f"{argv[0] if argv else 'base'}.pkl").open("rb") as f:
        dumps = pickle.load(f)
    cells = spine_cells()
    sites = suite_sites(bundled("stackexchange"))
    reps = {s.name: suite.prepare_site(s, cells, validation=True, cache=CACHE).rep for s in sites}
    names = feature_names()
    log_h = names.index("log_holders")

    def run(served_score: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> tuple[int, float, float, dict]:
        lifts, cover = {}, {}
        for name, rep in reps.items():
            base = {b: float(np.mean([ndcg_at_k(g.scores[b], g.target, 10, exclude=g.held) for g in rep.test]))
                    for b in BASELINES}
            nd, covered = [], np.zeros(len(rep.badges), dtype=bool)
            for i, g in enumerate(rep.test):
                kept = dumps[name]["served"][i]
                s = kept if kept is not None else served_score(dumps[name]["raw"][i], g.features)
                nd.append(ndcg_at_k(s, g.target, 10, exclude=g.held))
                t = np.asarray(s, dtype=np.float64).copy()
                t[g.held] = -np.inf
                covered[np.argsort(-t, kind="stable")[:10]] = True
            lifts[name] = round(float(np.mean(nd)) - max(base.values()), 4)
            cover[name] = round(float(covered.mean()), 3)
        return sum(v > 0 for v in lifts.values()), round(float(np.mean(list(lifts.values()))), 4), min(cover.values()), lifts

    print("chosen", run(lambda raw, x: raw - PENALTY * x[:, log_h])[:3], flush=True)
    for signal in SIGNALS:
        j = names.index(f"rank:{signal}")
        for gamma in GAMMAS:
            result = run(lambda raw, x, j=j, gamma=gamma: raw - PENALTY * x[:, log_h] - gamma * np.log1p(x[:, j]))
            print(signal, gamma, result[:3], result[3], flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
