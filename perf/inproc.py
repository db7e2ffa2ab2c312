""""What next" in-process at city scale, beside two reference recommenders on the same graph, in one run.

``colearn bench --inproc`` (and the in-process rows of ``make bench``):

1. the city (``ingest.synthetic.generate_city``) as the recommender's rows
   (``evaluation_rows``) and its ``Projection``, built once and kept under
   ``generated/bench-<size>-<seed>/`` (git-ignored): at L that is 100k
   learners and 1M awards, about two minutes to make, seconds to reload;
2. colearn: ``Recommender.fit`` (timed), then ``recommend(learner, 10)`` for
   ``n`` learners drawn at random (seeded) after a warm-up: p50/p95/p99;
   with a learned ranker too when one is given;
3. exact personalised PageRank with scipy, the textbook algorithm: the
   learner-badge bipartite graph, ``x <- α e_learner + (1 - α) P x`` with
   ``P = A D⁻¹`` (Page et al. 1999; Haveliwala 2002), 20 power iterations,
   the 10 best badges not held by ``argpartition``, on the same learners;
4. networkx ``pagerank`` with a personalisation vector on the same graph
   (a few learners only: seconds each), median.

It prints the load average before and after: on a shared 2-core machine the
percentiles move with it.
"""

from __future__ import annotations

import os
import pickle
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from colearn.files import write_whole
from colearn.perf.load import summarise
from colearn.recommender.projections import Projection

#: Bumped when the cached file's content changes meaning.
_CACHE_FORMAT = 1


def city_projection(size: str, seed: int = 1, folder: Path | str = "generated",
                    progress: Callable[[str], None] | None = None) -> Projection:
    """The synthetic city ``size``/``seed`` as a ``Projection``, cached in ``folder/bench-<size>-<seed>/``.

    Raises:
        InvalidInput: an unknown size.
    """
    say = progress or (lambda m: None)
    path = Path(folder) / f"bench-{size}-{seed}" / "projection.pickle"
    if path.exists():
        with path.open("rb") as f:
            saved = pickle.load(f)  # our own file, written below
        if saved.get("format") == _CACHE_FORMAT and saved.get("size") == size and saved.get("seed") == seed:
            return saved["projection"]
    from colearn.ingest.synthetic import evaluation_rows, generate_city

    say(f"{size}: generating the city and its projection (once; kept in {path.parent})")
    awards, catalogue, cells = evaluation_rows(generate_city(size, seed))
    projection = Projection.from_rows(awards, catalogue, cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_whole(path, lambda f: pickle.dump({"format": _CACHE_FORMAT, "size": size, "seed": seed,
                                             "projection": projection}, f, protocol=pickle.HIGHEST_PROTOCOL))
    return projection


class ExactPPR:
    """Exact personalised PageRank on the learner-badge bipartite graph, by power iteration (scipy).

    Nodes are learners and badges, an edge where a learner holds a badge;
    ``x <- α r + (1 - α) A D⁻¹ x`` from ``r`` = the learner's own node, a
    fixed number of iterations (the learner and badge halves updated together,
    each step two sparse products over the awards). The reference the
    recommender is measured against: no precomputation, no truncation.

    Args:
        learner_badges: CSR ``[n_learners, n_badges]``, binary.
        alpha: restart probability (0.15, Page et al.).
        iterations: power iterations.
    """

    def __init__(self, learner_badges: sparse.csr_array, alpha: float = 0.15, iterations: int = 20) -> None:
        self.x = sparse.csr_array(learner_badges, dtype=np.float64)
        self.xt = self.x.T.tocsr()
        deg_l = np.asarray(self.x.sum(axis=1)).reshape(-1)
        deg_b = np.asarray(self.x.sum(axis=0)).reshape(-1)
        self.inv_l = np.divide(1.0, deg_l, out=np.zeros(len(deg_l)), where=deg_l > 0)
        self.inv_b = np.divide(1.0, deg_b, out=np.zeros(len(deg_b)), where=deg_b > 0)
        self.alpha = alpha
        self.iterations = iterations

    def top(self, learner_row: int, k: int = 10) -> np.ndarray:
        """The ``k`` badge columns of highest PageRank the learner does not hold, best first."""
        a = self.alpha
        xl = np.zeros(self.x.shape[0])
        xl[learner_row] = 1.0
        xb = np.zeros(self.x.shape[1])
        for _ in range(self.iterations):
            new_l = (1 - a) * (self.x @ (xb * self.inv_b))
            new_l[learner_row] += a
            xb = (1 - a) * (self.xt @ (xl * self.inv_l))
            xl = new_l
        lo, hi = self.x.indptr[learner_row], self.x.indptr[learner_row + 1]
        xb[self.x.indices[lo:hi]] = -np.inf
        top = np.argpartition(-xb, k)[:k]
        return top[np.argsort(-xb[top])]


def networkx_pagerank_s(projection: Projection, rows: list[int], alpha: float = 0.85) -> list[float]:
    """Seconds of ``networkx.pagerank`` personalised on each learner of ``rows`` (same bipartite graph)."""
    import networkx as nx

    x = projection.learner_badges.tocoo()
    graph = nx.Graph()
    graph.add_edges_from(zip((("l", int(r)) for r in x.row), (("b", int(c)) for c in x.col)))
    times = []
    for r in rows:
        t = time.perf_counter()
        ranks = nx.pagerank(graph, alpha=alpha, personalization={("l", r): 1.0})
        best = sorted((v, n[1]) for n, v in ranks.items() if n[0] == "b")[-10:]
        times.append(time.perf_counter() - t)
        assert len(best) == 10
    return times


def _timed(fn: Callable[[Any], Any], items: list[Any]) -> tuple[list[float], list[float]]:
    """Wall and CPU (this thread) milliseconds of ``fn`` on each item: on a shared machine the
    wall time includes waiting for a core, the CPU time does not."""
    wall, cpu = [], []
    for it in items:
        t, c = time.perf_counter(), time.thread_time()
        fn(it)
        cpu.append((time.thread_time() - c) * 1000.0)
        wall.append((time.perf_counter() - t) * 1000.0)
    return wall, cpu


def run(size: str = "L", seed: int = 1, *, learners: int = 1_000, networkx_learners: int = 3,
        ranker: Any = None, folder: Path | str = "generated",
        progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Measure colearn's "what next" and the two references on city ``size``.

    Args:
        size, seed: the synthetic city.
        learners: learners asked (the same ones for colearn and scipy).
        networkx_learners: learners asked of networkx (0 skips it).
        ranker: a fitted ``LearnedRanker`` to measure as well (the path
            ``colearn train`` enables), or ``None``.
        folder: where the city's projection is kept.
        progress: told what is running.

    Returns:
        Flat numbers: ``inproc_*`` (colearn, blend), ``ranker_*`` (with
        ``ranker``), ``scipy_ppr_*``, ``networkx_*``, ``load_before``/``load_after``.
    """
    from colearn.recommender.recommend import Recommender

    say = progress or (lambda m: None)
    res: dict[str, Any] = {"size": size, "seed": seed, "load_before": os.getloadavg()}
    projection = city_projection(size, seed, folder, say)
    res.update(n_learners=projection.n_learners, n_badges=projection.n_badges,
               n_pairs=int(projection.learner_badges.nnz))
    rng = random.Random(11)
    rows = [rng.randrange(projection.n_learners) for _ in range(learners)]
    ids = [projection.learners.id(r) for r in rows]
    warm = [projection.learners.id(rng.randrange(projection.n_learners)) for _ in range(50)]

    models = [("inproc", None)] + ([("ranker", ranker)] if ranker is not None else [])
    for key, rk in models:
        say(f"{size}: colearn what next, {'learned ranker' if rk is not None else 'blend'}")
        t = time.perf_counter()
        rec = Recommender(text_model="tfidf", ranker=rk).fit(projection)
        res[f"{key}_build_s"] = time.perf_counter() - t
        for lid in warm:
            rec.recommend(lid, 10)
        wall, cpu = _timed(lambda lid, rec=rec: rec.recommend(lid, 10), ids)
        s, c = summarise(wall), summarise(cpu)
        res.update({f"{key}_p50_ms": s["p50_ms"], f"{key}_p95_ms": s["p95_ms"], f"{key}_p99_ms": s["p99_ms"],
                    f"{key}_max_ms": s["max_ms"], f"{key}_n": s["count"],
                    f"{key}_cpu_p50_ms": c["p50_ms"], f"{key}_cpu_p99_ms": c["p99_ms"]})
        del rec

    say(f"{size}: exact personalised PageRank (scipy), {learners:,} learners")
    ppr = ExactPPR(projection.learner_badges)
    for r in rows[:20]:
        ppr.top(r)
    wall, cpu = _timed(ppr.top, rows)
    s, c = summarise(wall), summarise(cpu)
    res.update(scipy_ppr_p50_ms=s["p50_ms"], scipy_ppr_p99_ms=s["p99_ms"], scipy_ppr_n=s["count"],
               scipy_ppr_cpu_p50_ms=c["p50_ms"], scipy_ppr_cpu_p99_ms=c["p99_ms"])

    if networkx_learners:
        say(f"{size}: networkx pagerank, {networkx_learners} learners")
        nx_s = networkx_pagerank_s(projection, rows[:networkx_learners])
        res.update(networkx_median_ms=statistics.median(nx_s) * 1000.0, networkx_n=len(nx_s))
    res["load_after"] = os.getloadavg()
    if res.get("inproc_cpu_p99_ms"):
        res["x_scipy_cpu_p99"] = res["scipy_ppr_cpu_p99_ms"] / res["inproc_cpu_p99_ms"]
    if res.get("inproc_p99_ms"):
        res["x_scipy_p99"] = res["scipy_ppr_p99_ms"] / res["inproc_p99_ms"]
        if "networkx_median_ms" in res:
            res["x_networkx"] = res["networkx_median_ms"] / res["inproc_p99_ms"]
    return res


def fitted_ranker(awards: list[Any], catalogue: list[dict[str, Any]], cells: list[dict[str, Any]],
                  cases: Any = (), keep: Path | str | None = None) -> Any:
    """A ``LearnedRanker`` fitted on the replay of ``awards`` (``benchmark.replay``,
    ``benchmark.fit_ranker``; ``cases`` are left out of training): the kind ``colearn train`` saves.

    Args:
        awards, catalogue, cells: rows as ``benchmark.replay`` takes them (the
            CLI passes the bundled Martial Arts Stack Exchange badges).
        cases: held-out cases to leave out.
        keep: a file to reuse it from (when it was saved for this version's
            features) and save it to; ``None``: always fit.
    """
    from colearn.errors import InvalidInput
    from colearn.recommender import benchmark
    from colearn.recommender.ranker import LearnedRanker

    if keep is not None and Path(keep).exists():
        try:
            return LearnedRanker.load(keep)
        except InvalidInput:
            pass
    ranker = benchmark.fit_ranker(benchmark.replay(awards, catalogue, cells, cases=cases).train)
    if keep is not None:
        ranker.save(keep)
    return ranker


def quality(awards: list[Any], catalogue: list[dict[str, Any]], cells: list[dict[str, Any]],
            k: int = 10) -> dict[str, Any]:
    """NDCG@k and HR@k of the served path against the slower one, in one replay.

    On ``awards`` (the CLI passes the bundled Martial Arts Stack Exchange
    badges; rows as ``benchmark.replay`` takes them), temporal leave-last-out
    (each learner with at least 3 distinct badges: the last one held out; the
    model has seen only the awards before it, ``evaluation.temporal_leave_last_out``):
    a learned ranker is fitted on the replay's training events, then the
    history is replayed once more into two recommenders with that ranker, and
    at each held-out award each ranks the learner's ``k`` best through
    ``recommend``'s path: the served one (candidate stage, PageRank on
    truncated transition rows) and the slower one (every badge scored, the
    whole ``G`` walked to convergence), plus the blend for reference.

    Returns:
        ``{"n_cases", "ndcg_fast", "ndcg_exact", "ndcg_blend", "hr_fast", "hr_exact", "hr_blend",
        "same_top": share of cases with the same top k in the same order}``.
    """
    from colearn.recommender.evaluation import temporal_leave_last_out
    from colearn.recommender.recommend import PPR_ALPHA, Recommender, ranker_signals
    from colearn.recommender.signals import Profile
    from colearn.recommender.walks import PersonalisedPageRank

    from colearn.recommender.awards import as_award, award_order_key

    awards = sorted((as_award(r, i) for i, r in enumerate(awards)), key=award_order_key)
    cases = temporal_leave_last_out(awards)
    ranker = fitted_ranker(awards, catalogue, cells, cases)
    exact_signals = [PersonalisedPageRank(alpha=PPR_ALPHA) if s.name == "ppr" else s for s in ranker_signals()]
    models = {"fast": Recommender.from_rows([], catalogue, cells, ranker=ranker),
              "exact": Recommender.from_rows([], catalogue, cells, ranker=ranker, candidates=None,
                                             signals=exact_signals),
              "blend": Recommender.from_rows([], catalogue, cells)}
    at = {(c.learner_id, c.badge_id, c.held_out_on, c.award_id) for c in cases}
    gains: dict[str, list[float]] = {name: [] for name in models}
    same = 0
    for a in awards:
        first = models["fast"]
        if (a.learner_id, a.badge_id, a.awarded_on, a.award_id) in at and a.learner_id in first.learners_:
            tops = {}
            for name, model in models.items():
                profile = model.profile(a.learner_id)
                target = model.badges.row(a.badge_id)
                top = [model.badges.row(r.badge_id) for r in model._rank(Profile(profile.held, profile.held_on), k)]
                tops[name] = top
                gains[name].append(1.0 / np.log2(top.index(target) + 2) if target in top else 0.0)
            same += tops["fast"] == tops["exact"]
        for model in models.values():
            model.add_award(a.learner_id, a.badge_id, a.awarded_on)
    out: dict[str, Any] = {"n_cases": len(gains["fast"]), "same_top": same / max(1, len(gains["fast"]))}
    for name, g in gains.items():
        out[f"ndcg_{name}"] = float(np.mean(g)) if g else None
        out[f"hr_{name}"] = float(np.mean([x > 0 for x in g])) if g else None
    return out
