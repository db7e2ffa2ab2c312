"""Fit-level variants on the validation splits, each with a grid of served popularity penalties.

``python tools/explore_suite.py NAME [key=value ...]``: for every site of the
development suite (validation split, from ``generated/suite-cache``), fits
the ranker per block as ``benchmark.ranker_scores`` does (same prior, same
checkpoints, same guard), keeps the trees' raw outputs, and scores them under
each ``popularity_penalty`` of ``PENALTIES`` without refitting (the guard's
choice is the unpenalised one's). Mean NDCG@10 and coverage@10 only (no
bootstrap). Appends one line per penalty to ``generated/explore-suite.jsonl``.
Validation split only; the chosen setting is then run through
``tools/tune_suite.py`` (the product's own path).
"""

from __future__ import annotations

import bisect
import json
import sys
import time
from pathlib import Path

import numpy as np

CACHE = Path("generated/suite-cache")
LOG = Path("generated/explore-suite.jsonl")
#: Where each variant's per-case outputs are kept for re-ranks tried without refitting.
DUMPS = Path("generated/explore-dumps")
PENALTIES = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5)


def main(argv: list[str]) -> None:
    from colearn.data import bundled
    from colearn.perf.eval_inputs import spine_cells, suite_sites
    from colearn.recommender import suite
    from colearn.recommender.benchmark import ranker_settings
    from colearn.recommender.evaluation import ndcg_at_k
    from colearn.recommender.fitting import fit_ranker
    from colearn.recommender.replay import BASELINES

    name = argv[0]
    params = {k: json.loads(v) for k, v in (a.split("=", 1) for a in argv[1:])}
    per_site = int(params.pop("prior_per_site", suite.PRIOR_PER_SITE))
    n_models = int(ranker_settings(params)["n_models"])
    cells = spine_cells()
    sites = suite_sites(bundled("stackexchange"))
    prepared = {s.name: suite.prepare_site(s, cells, validation=True, cache=CACHE) for s in sites}
    start = time.process_time()
    results: dict[float, dict[str, dict[str, float]]] = {b: {} for b in PENALTIES}
    dumps: dict[str, dict[str, list]] = {}
    for site in sites:
        rep = prepared[site.name].rep
        others = [p.rep for n, p in prepared.items() if n != site.name]
        prior = suite.suite_prior(others, per_site, seed=0)
        bag = [suite.suite_prior(others, per_site, seed=k) for k in range(1, n_models)]  # one per further booster
        n_cases = len(rep.test)
        bounds = np.linspace(0, n_cases, min(2, n_cases) + 1).astype(int)
        keys = [g.key for g in rep.train]
        raw: list[np.ndarray] = [np.zeros(0)] * n_cases
        served: list[np.ndarray | None] = [None] * n_cases
        log_h = None
        for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            cut = bisect.bisect_left(keys, rep.test[lo].key)
            ranker = fit_ranker(rep.train[:cut], prior=prior, member_priors=bag, **params)
            log_h = ranker.features_.index("log_holders")
            x = np.concatenate([rep.test[i].features for i in range(lo, hi)])
            if ranker.serve_ == "ranker":
                out = ranker.raw(x)
                for i, part in zip(range(lo, hi), np.split(out, hi - lo)):
                    raw[i] = part
            else:
                sc = ranker.score(x)
                for i, part in zip(range(lo, hi), np.split(sc, hi - lo)):
                    served[i] = part
        dumps[site.name] = {"raw": raw, "served": served}
        base = {b: float(np.mean([ndcg_at_k(g.scores[b], g.target, 10, exclude=g.held) for g in rep.test]))
                for b in BASELINES}
        best = max(base, key=base.__getitem__)
        n_served = sum(s is not None for s in served)
        for beta in PENALTIES:
            nd, covered = [], np.zeros(len(rep.badges), dtype=bool)
            for i, g in enumerate(rep.test):
                s = served[i] if served[i] is not None else raw[i] - beta * g.features[:, log_h]
                nd.append(ndcg_at_k(s, g.target, 10, exclude=g.held))
                t = np.asarray(s, dtype=np.float64).copy()
                t[g.held] = -np.inf
                covered[np.argsort(-t, kind="stable")[:10]] = True
            ours = float(np.mean(nd))
            results[beta][site.name] = {"ours": round(ours, 4), "best": best, "theirs": round(base[best], 4),
                                        "lift": round(ours - base[best], 4), "coverage": round(float(covered.mean()), 3),
                                        "served": n_served}
        print(site.name, {b: (results[b][site.name]["lift"], results[b][site.name]["coverage"]) for b in PENALTIES},
              flush=True)
    LOG.parent.mkdir(parents=True, exist_ok=True)
    if len(argv) and DUMPS:
        import pickle

        DUMPS.mkdir(parents=True, exist_ok=True)
        with (DUMPS / f"{name}.pkl").open("wb") as f:
            pickle.dump(dumps, f)
    for beta, rows in results.items():
        line = {"variant": name, "params": {**params, "prior_per_site": per_site, "popularity_penalty": beta},
                "cpu_s": round(time.process_time() - start, 1),
                "wins": sum(r["lift"] > 0 for r in rows.values()),
                "mean_lift": round(float(np.mean([r["lift"] for r in rows.values()])), 4),
                "min_coverage": min(r["coverage"] for r in rows.values()), "sites": rows}
        with LOG.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
        print(json.dumps({k: v for k, v in line.items() if k != "sites"}))


if __name__ == "__main__":
    main(sys.argv[1:])
