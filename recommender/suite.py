"""The suite benchmark: every site of a folder, each ranker pooled with the other sites' events.

A site's own events are never in its prior, so nothing of its held-out cases
is seen; ``benchmark.prepare`` and ``benchmark.score`` do each site's work.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from colearn.errors import InvalidInput
from colearn.files import write_whole
from colearn.recommender.benchmark import FULL, Prepared, best_baseline, prepare, ranker_settings, score, verdict
from colearn.recommender.projections import SpineCell
from colearn.recommender.replay import Group, Replay, replay

#: Training events taken from each other site into a pooled fit (``suite_prior``), per
#: booster of the ranker's bag (each its own seeded sample). Chosen on the development
#: suite's validation splits (README, "Evaluation on ten real sites"): 1,000 won 9 sites
#: of 10 (mean lift +0.020) where 300 won 6 (+0.006); with a bag of three, 2,000 won 10
#: (+0.029) where one booster on 1,000 won 9 and 10 over two seeds (+0.024, +0.024).
PRIOR_PER_SITE = 2000

#: Bumped when what ``prepare`` computes changes, so that older cached replays are not reused.
CACHE_VERSION = 2

#: Two sites are one site (``same_site``) when at least this share of the smaller one's awards
#: are also the other's (``Site.history_keys``): a dump under another name, or a newer dump of it.
SAME_SITE_OVERLAP = 0.5


def suite_prior(others: Sequence[Replay], per_site: int = PRIOR_PER_SITE, seed: int = 0) -> list[Group]:
    """Training events of other sites for a pooled fit: up to ``per_site`` from each, a seeded sample.

    A site's own events are never in its prior (the caller leaves it out), so
    nothing of its held-out cases is seen.
    """
    rng = np.random.default_rng(seed)
    out: list[Group] = []
    for rep in others:
        if len(rep.train) <= per_site:
            out.extend(rep.train)
        else:
            out.extend(rep.train[i] for i in sorted(rng.choice(len(rep.train), per_site, replace=False)))
    return out


@dataclass
class Site:
    """One site of a suite: its name, award rows and badge catalogue (``run``'s inputs).

    ``history_keys`` and ``history_sets`` are computed once, on first use
    (``same_site``); ``awards`` is not to change after that.
    """

    name: str
    awards: list[Any]
    catalogue: list[dict[str, Any]]

    @cached_property
    def history_keys(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Two keys per award, in award order, that do not depend on the site's key:
        ``(learner, badge, award id)`` and ``(learner, badge, minute of awarded_on)``, with
        ``_shared_prefix`` of the site's learner ids (and of its badge ids) cut off."""
        learners = _shared_prefix([str(r[0]) for r in self.awards])
        badges = _shared_prefix([str(r[1]) for r in self.awards])
        pairs = [(str(r[0])[len(learners):], str(r[1])[len(badges):]) for r in self.awards]
        by_id = [(*p, r[3]) for p, r in zip(pairs, self.awards)]
        by_minute = [(*p, _epoch(r[2]) // 60) for p, r in zip(pairs, self.awards)]
        return by_id, by_minute

    @cached_property
    def history_sets(self) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
        """``history_keys`` as two sets."""
        by_id, by_minute = self.history_keys
        return set(by_id), set(by_minute)


def same_site(a: Site, b: Site) -> bool:
    """True when ``a`` and ``b`` hold the same history: the same name, or at least
    ``SAME_SITE_OVERLAP`` of the smaller one's awards found in the other by either
    of its ``Site.history_keys``.

    A dump read under another site key (learner and badge ids carry it,
    ``se-<site>-...``), a newer or partial dump of the same site, or one whose
    times were rounded or moved, or whose award ids were renumbered (not
    both), is the same site. Such a site must never be pooled into its own
    ranker's prior: its events include the held-out cases. On the ten bundled
    sites no pair shares more than 0.4% of either fingerprint.
    """
    if a.name == b.name:
        return True
    small, large = sorted((a, b), key=lambda s: len(s.awards))
    if not small.awards:
        return False
    by_id, by_minute = large.history_sets
    found = sum(i in by_id or m in by_minute for i, m in zip(*small.history_keys))
    return found >= SAME_SITE_OVERLAP * len(small.awards)


def prior_to_replay(prior_sites: Sequence[Site], sites: Sequence[Site]) -> list[Site]:
    """The ``prior_sites`` that ``run_suite`` replays and pools: those that are none of ``sites``
    (``same_site``); a prior site that is an evaluated one is pooled as that one instead."""
    return [p for p in prior_sites if not any(same_site(p, site) for site in sites)]


def _shared_prefix(ids: list[str]) -> str:
    """The prefix every id shares, up to and with its last separator (``-``, ``_``, ``:``, ``/``):
    ``se-ai-`` of ``se-ai-12`` and ``se-ai-15``, so that a part of a history whose ids all
    happen to share more (``se-ai-1``) is cut as the whole history is."""
    prefix = os.path.commonprefix(ids)
    return prefix[:max(prefix.rfind(c) for c in "-_:/") + 1]


def _epoch(when: Any) -> int:
    """Seconds since 1970 of an award time given as epoch seconds or a ``datetime``."""
    return int(when.timestamp()) if isinstance(when, datetime) else int(when)


def _cache_key(site: Site, cells: Sequence[Any], validation: bool, seed: int, limit: Any = None) -> str:
    """SHA-256 (hex, 16 digits) of everything a site's replay depends on: rows, catalogue,
    spine, split, seed, the sample's size (``limit``, default ``MAX_TRAIN_GROUPS``), the
    feature list and ``CACHE_VERSION``."""
    from colearn.recommender.ranker import feature_names
    from colearn.recommender.replay import MAX_TRAIN_GROUPS

    h = hashlib.sha256()
    for part in (CACHE_VERSION, validation, seed, MAX_TRAIN_GROUPS if limit is None else limit, feature_names(),
                 site.catalogue, [dict(c) if isinstance(c, Mapping) else repr(c) for c in cells],
                 [tuple(a) for a in site.awards]):
        h.update(json.dumps(part, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def _cached(path: Path | None, make: Callable[[], Any]) -> Any:
    """``make()``, kept as a pickle at ``path`` and read from there the next time (``None``: no cache).

    Pickle, this code's own output only: never point a cache at files from elsewhere."""
    if path is None:
        return make()
    if path.is_file():
        with path.open("rb") as f:
            return pickle.load(f)
    made = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_whole(path, lambda f: pickle.dump(made, f, protocol=pickle.HIGHEST_PROTOCOL))
    return made


def prepare_site(site: Site, cells: Sequence[Any], *, validation: bool = False, seed: int = 0,
                 cache: Path | None = None) -> Prepared:
    """``prepare`` one site, read from or written to ``cache`` (a folder; ``None``: no cache).

    The file is ``<cache>/<site>-<split>-<key>.pkl``, keyed by ``_cache_key``,
    so a changed input or feature list replays again.
    """
    split = "validation" if validation else "test"
    path = None if cache is None else Path(cache) / f"{site.name}-{split}-{_cache_key(site, cells, validation, seed)}.pkl"
    prepared: Prepared = _cached(path, lambda: prepare(site.awards, site.catalogue, cells, validation=validation,
                                                      seed=seed))
    return prepared


def prior_replays(prior_sites: Sequence[Site], cells: Sequence[Any], *, per_site: int = PRIOR_PER_SITE,
                  bag: int = 3, seed: int = 0, workers: int = 2, cache: Path | None = None) -> dict[str, Replay]:
    """Each prior site replayed for its training events only (no held-out cases), a seeded
    sample of ``per_site * bag`` of them (enough for ``suite_prior`` to draw one sample per
    booster), by ``workers`` processes; kept in ``cache`` as ``<site>-prior-<key>.pkl``.

    Returns:
        ``{site name: Replay}`` in ``prior_sites``' order.
    """
    cells = list(cells)

    def one(site: Site) -> Replay:
        path = None if cache is None else (
            Path(cache) / f"{site.name}-prior-{_cache_key(site, cells, False, seed, per_site * bag)}.pkl")
        rep: Replay = _cached(path, lambda: replay(site.awards, site.catalogue, cells,
                                                   max_train_groups=per_site * bag, seed=seed))
        return rep

    return dict(zip((s.name for s in prior_sites), _in_workers(one, prior_sites, workers)))


def run_suite(
    sites: Sequence[Site],
    cells: Iterable[Mapping[str, Any] | SpineCell],
    *,
    prior_sites: Sequence[Site] = (),
    validation: bool = False,
    checkpoints: int = 2,
    n_resamples: int = 1000,
    seed: int = 0,
    ranker_params: Mapping[str, Any] | None = None,
    progress: Any = None,
    pool: bool = True,
    cache: Path | None = None,
    prior_per_site: int = PRIOR_PER_SITE,
    workers: int = 2,
) -> dict[str, Any]:
    """Evaluate every site of a suite, each ranker pooled with the other sites' training events.

    Each site is replayed once (``prepare``). Its rankers are then fitted on
    its own earlier events plus ``suite_prior`` of every other site (those of
    the suite, and ``prior_sites``, e.g. the bundled development suite when
    evaluating new sites), so nothing of its held-out cases is seen: a site
    is never pooled into its own prior, nor is any other that ``same_site``
    finds to be it (the same dump under another name, or a newer dump). A
    prior site that is one of ``sites`` is not pooled at all (the evaluated
    copy is pooled into the others' priors instead, so no history counts
    twice). Each booster of the ranker's bag (``LearnedRanker.n_models``)
    gets its own sample, seeded ``seed + k``.

    Args:
        sites: the sites to evaluate.
        cells: the spine.
        prior_sites: more sites whose training events join every pooled fit
            (replayed for training only).
        validation: evaluate every site on its validation split (for tuning).
        checkpoints: ranker refits per site.
        n_resamples: bootstrap resamples.
        seed: seeds sampling and the bootstrap.
        ranker_params: ``LearnedRanker`` hyperparameters.
        progress: ``callable(site, stage)`` told when each site's stage
            (``replay``, ``prior``, ``rank``) starts, or ``None``.
        pool: False: every site's ranker sees only its own events (no prior).
        cache: a folder where each site's replay is kept (``prepare_site``, ``prior_replays``), or ``None``.
        prior_per_site: training events pooled from each other site into each booster (``suite_prior``).
        workers: processes that replay and rank sites side by side (forked,
            each one site at a time; the results are the same for any number);
            1: all in this process.

    Returns:
        ``{"split", "sites": {name: run's result without per_case, with "pooled_sites" (the
        sites whose events its ranker pooled)}, "ranker_params", "prior_per_site", "prior_sites"}``.

    Raises:
        InvalidInput: a site has no learner with 3 distinct badges; no site.
    """
    if not sites:
        raise InvalidInput("no site to evaluate")
    cells = list(cells)
    tell = progress or (lambda site, stage: None)
    for site in sites:
        tell(site.name, "replay")
    prepared = dict(zip((s.name for s in sites), _in_workers(
        lambda site: prepare_site(site, cells, validation=validation, seed=seed, cache=cache), sites, workers)))
    bag = int(ranker_settings(ranker_params)["n_models"])
    todo = prior_to_replay(prior_sites, sites) if pool else []
    for site in todo:
        tell(site.name, "prior")
    extra = prior_replays(todo, cells, per_site=prior_per_site, bag=bag, seed=seed, workers=workers, cache=cache)

    every = {s.name: s for s in [*sites, *todo]}
    itself = {site.name: {n for n, other in every.items() if same_site(site, other)} for site in sites}

    def rank(site: Site) -> dict[str, Any]:
        pooled = [(n, p.rep) for n, p in prepared.items()] + list(extra.items()) if pool else []
        others = [rep for n, rep in pooled if n not in itself[site.name]]
        priors = [suite_prior(others, prior_per_site, seed=seed + k) for k in range(bag)]  # one per booster
        result = score(prepared[site.name], checkpoints=checkpoints, n_resamples=n_resamples, seed=seed,
                       ranker_params=ranker_params, prior=priors[0], member_priors=priors[1:])
        result.pop("per_case")
        result["pooled_sites"] = [n for n, _ in pooled if n not in itself[site.name]]
        return result

    for site in sites:
        tell(site.name, "rank")
    out = dict(zip((s.name for s in sites), _in_workers(rank, sites, workers)))
    return {"split": "validation" if validation else "test", "sites": out,
            "ranker_params": ranker_settings(ranker_params), "prior_per_site": prior_per_site,
            "prior_sites": sorted(extra)}


#: The task of ``_in_workers``' forked processes, set just before they fork (a closure cannot be pickled).
_TASK: Callable[[Any], Any] | None = None


def _run_task(item: Any) -> Any:
    assert _TASK is not None
    return _TASK(item)


def _in_workers(task: Callable[[Any], Any], items: Sequence[Any], workers: int) -> list[Any]:
    """``[task(item) for item in items]``, in order, shared among ``workers`` forked processes.

    The processes are forked after ``task`` is set, so they see everything it
    refers to without pickling it; only each item's result travels back
    (pickled). An error in any item is raised here.
    """
    global _TASK
    if int(workers) <= 1 or len(items) <= 1:
        return [task(item) for item in items]
    _TASK = task
    try:
        with ProcessPoolExecutor(max_workers=min(int(workers), len(items)),
                                 mp_context=multiprocessing.get_context("fork")) as ex:
            return list(ex.map(_run_task, items))
    finally:
        _TASK = None


def suite_verdicts(suite: Mapping[str, Any], metric: str = "ndcg@10") -> dict[str, dict[str, Any]]:
    """Per site: ``{"best", "ours", "theirs", "lift", "lift_low", "lift_high", "verdict", "win"}``
    against the best baseline on ``metric``: the lift's interval is the paired bootstrap of
    ``benchmark.paired_lift`` (NDCG@10; absent, as ``None``, for another metric or a result
    without it); ``verdict`` is ``benchmark.verdict`` and ``win`` is ``verdict == "win"``. A site
    that was not evaluated (no ``"models"``: no case at all) is ``"too few cases"``, its numbers
    ``None`` and its ``"reason"`` kept."""
    out: dict[str, dict[str, Any]] = {}
    for name, r in suite["sites"].items():
        if "models" not in r:
            out[name] = {"best": None, "ours": None, "theirs": None, "lift": None, "lift_low": None,
                         "lift_high": None, "verdict": verdict(0.0, int(r["n_cases"])), "win": False,
                         "reason": r.get("reason")}
            continue
        best = best_baseline(r, metric)
        ours = r["models"][FULL][metric]["mean"]
        theirs = r["models"][best][metric]["mean"]
        paired = r.get("lift") if metric == "ndcg@10" else None
        said = verdict(ours - theirs, int(r["n_cases"]))
        out[name] = {"best": best, "ours": ours, "theirs": theirs, "lift": ours - theirs,
                     "lift_low": paired["low"] if paired else None, "lift_high": paired["high"] if paired else None,
                     "verdict": said, "win": said == "win"}
    return out


__all__ = ["CACHE_VERSION", "PRIOR_PER_SITE", "SAME_SITE_OVERLAP", "Site", "prior_replays", "prior_to_replay", "same_site", "prepare_site", "run_suite", "suite_prior", "suite_verdicts"]
