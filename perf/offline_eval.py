"""Offline evaluation runs on Stack Exchange badge histories (``colearn eval``,
``colearn bench --quality`` and ``--ranker``).

The dumps are read by ``ingest.stackexchange`` (planned, never written to a
graph: they are benchmark data, not the city's), scored by
``recommender.benchmark`` (temporal leave-last-out, every baseline) or
``recommender.evaluation`` (the global protocol), and written as a markdown
report and a plot by ``recommender.report``. It lives beside the benchmarks
because it joins a reader to the recommender, which import neither each
other (data flows ingest -> graph -> recommender).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from colearn.data import bundled
from colearn.errors import InvalidInput
from colearn.ingest.spine import read_spine, spine_cell_rows
from colearn.ingest.stackexchange import SitePlan, plan_stackexchange
from colearn.recommender.suite import Site, prior_to_replay, run_suite

#: Ranker refits per site in ``eval --suite`` (each is two fits: the guard's and the served one).
SUITE_CHECKPOINTS = 2
#: Ranker refits over one site's held-out cases.
SITE_CHECKPOINTS = 10


def spine_cells() -> list[dict[str, Any]]:
    """The bundled spine's cells as flat rows (``SPINE_CELLS``-like: ``{"id", "layer", "domain", ...}``)."""
    return [{"id": c["id"], **c["props"]} for c in spine_cell_rows(read_spine())]


def se_catalogue(plan: SitePlan) -> list[dict[str, Any]]:
    """A Stack Exchange ``SitePlan``'s badges as ``BADGE_CATALOGUE``-like rows
    (``{"id", "name", "description", "cells", "themes", "destinations"}``; a badge's
    destinations are those its themes lead to)."""
    leads = {t["id"]: t["leads_to"] for t in plan.themes.values()}
    return [{"id": r["id"], "name": r["props"]["name"], "description": r["props"]["description"],
             "cells": [r["cell"]], "themes": list(r["themes"]),
             "destinations": sorted({d for t in r["themes"] for d in leads.get(t, ())})} for r in plan.badge_rows]


def suite_sites(folder: Path, mapping: Path | None = None) -> list[Site]:
    """Every ``<folder>/<site>/Badges.xml`` as a ``suite.Site`` (sorted by site name; the
    folder's name is the site key).

    Raises:
        InvalidInput: no ``<site>/Badges.xml`` under ``folder``, or a dump or the mapping is refused.
    """
    paths = sorted(Path(folder).glob("*/Badges.xml"))
    if not paths:
        raise InvalidInput(f"no <site>/Badges.xml under {folder}", file=str(folder))
    sites = []
    for p in paths:
        plan = plan_stackexchange(p, p.parent.name, mapping)
        sites.append(Site(name=p.parent.name, awards=plan.awards(), catalogue=se_catalogue(plan)))
    return sites


def martial_arts() -> tuple[list[Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The bundled Martial Arts site as ``(awards, catalogue, spine cells)``, the inputs of
    ``benchmark.replay`` and ``perf.inproc.quality``."""
    plan = plan_stackexchange(bundled("stackexchange", "martialarts", "Badges.xml"), "martialarts")
    return plan.awards(), se_catalogue(plan), spine_cells()


def served_path_quality(data: tuple[list[Any], list[dict[str, Any]], list[dict[str, Any]]]) -> dict[str, Any]:
    """``perf.inproc.quality`` on ``data`` (``martial_arts()``) as a bench report's keys:
    each of its numbers as ``quality_<name>``, and ``quality_ndcg_drop`` = exact minus served NDCG@10."""
    from colearn.perf.inproc import quality

    q = quality(*data)
    extra = {f"quality_{k}": v for k, v in q.items()}
    extra["quality_ndcg_drop"] = q["ndcg_exact"] - q["ndcg_fast"]
    return extra


def evaluate_site(data: Path | None, site: str, mapping: Path | None = None, *, protocol: str = "temporal",
                  k: int = 10, checkpoints: int | None = None, validation: bool = False, prior: bool = True,
                  reports: Path = Path("reports"),
                  progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """One site's offline evaluation.

    ``temporal``: the learned recommender and every baseline, 95% bootstrap
    intervals, its report and plot written as
    ``<reports>/eval-<site>[-validation].md`` and ``.png``. With ``prior`` it is
    the suite's pipeline for one site (``suite.run_suite`` with the bundled
    development suite as ``prior_sites``; ``checkpoints`` refits, default
    ``SUITE_CHECKPOINTS``): its ranker is fitted on its own earlier events
    pooled with the bundled sites' events, leaving out any bundled site that
    is this one (``suite.same_site``), so a bundled site is evaluated as an
    unseen one. (Its numbers differ a little from its suite row: there the
    other sites' events come from their own split's replay, here from a
    replay of their whole history.) Without ``prior``, ``benchmark.run`` on
    its own events only (default ``SITE_CHECKPOINTS`` refits).
    ``global``: ``evaluation.evaluate`` (the blend against popularity, HR@k and NDCG@k).

    Args:
        data: a ``Badges.xml``; ``None``: the bundled Martial Arts one.
        site: the site key.
        mapping: the badge-to-spine mapping; default the bundled one.
        prior: ``temporal``: pool the bundled development suite's training events
            (read with the bundled mapping; ``mapping`` maps this site only).
        progress: with ``prior``, told ``(what, stages done, stages in all)`` as each stage starts.

    Returns:
        The evaluation's result dict with ``"data"`` and ``"site"`` (and for
        ``temporal`` ``"report"`` and ``"plot"`` paths; its per-case rows dropped).

    Raises:
        InvalidInput: an unknown protocol, or a refused dump or mapping.
    """
    cells = spine_cells()
    path = data or bundled("stackexchange", "martialarts", "Badges.xml")
    plan = plan_stackexchange(path, site, mapping)
    if protocol == "global":
        from colearn.recommender.evaluation import evaluate

        result = evaluate(plan.awards(), plan.badge_cells(), cells, k=k, protocol=protocol)
    elif protocol == "temporal":
        from colearn.recommender import benchmark
        from colearn.recommender.report import write_report

        if prior:
            one = [Site(name=site, awards=plan.awards(), catalogue=se_catalogue(plan))]
            prior_sites = suite_sites(bundled("stackexchange"))
            stage, done = _stages(progress, one, prior_sites)
            result = run_suite(one, cells, prior_sites=prior_sites, validation=validation,
                               checkpoints=checkpoints or SUITE_CHECKPOINTS, progress=stage)["sites"][site]
            done()
        else:
            result = benchmark.run(plan.awards(), se_catalogue(plan), cells,
                                   checkpoints=checkpoints or SITE_CHECKPOINTS, validation=validation)
            result.pop("per_case")
        name = f"eval-{site}" + ("-validation" if validation else "")
        md, png = write_report(result, reports, name, f"colearn eval: {site} ({result['split']} split)")
        result["report"], result["plot"] = str(md), str(png)
    else:
        raise InvalidInput(f"protocol must be temporal or global, got {protocol!r}")
    result["data"] = str(path)
    result["site"] = site
    return result


def _stages(progress: Callable[[str, int, int], None] | None, sites: list[Site],
            prior_sites: list[Site]) -> tuple[Callable[[str, str], None], Callable[[], None]]:
    """``run_suite``'s ``progress`` callback that tells ``progress`` ``("<stage> <site>", stages
    done, stages in all)``, and a call that tells it the end. The stages: each site's replay and
    ranking, and each prior site's replay (``suite.prior_to_replay``)."""
    tell = progress or (lambda what, done, total: None)
    steps = len(sites) * 2 + len(prior_to_replay(prior_sites, sites))
    started = [0]

    def stage(site: str, what: str) -> None:
        tell(f"{what} {site}", started[0], steps)
        started[0] += 1

    return stage, lambda: tell("done", steps, steps)


def evaluate_suite(folder: Path, sites: list[Site], *, prior: bool = True, validation: bool = False,
                   checkpoints: int | None = None, reports: Path = Path("reports"),
                   progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """Every site of a suite (``suite.run_suite``), its report and plot written as
    ``<reports>/eval-suite[-validation].md`` and ``.png``.

    Args:
        folder: where ``sites`` were read from (``suite_sites``).
        prior: when ``folder`` is not the bundled suite, pool the bundled sites'
            training events into every site's ranker too.
        checkpoints: ranker refits per site; default ``SUITE_CHECKPOINTS``.
        progress: told ``(what, stages done, stages in all)`` as each site's stage starts.

    Returns:
        ``run_suite``'s dict with ``"seconds"`` (wall time), ``"summary"``
        (``report.suite_summary``), ``"report"`` and ``"plot"``.

    Raises:
        InvalidInput: a refused dump (of the bundled prior suite too).
    """
    from colearn.recommender.report import suite_summary, write_suite_report

    bundled_dir = bundled("stackexchange")
    prior_sites = []
    if prior and Path(folder).resolve() != bundled_dir.resolve():
        prior_sites = suite_sites(bundled_dir)
    start = time.perf_counter()
    stage, done = _stages(progress, sites, prior_sites)
    suite = run_suite(sites, spine_cells(), prior_sites=prior_sites, validation=validation,
                      checkpoints=checkpoints or SUITE_CHECKPOINTS, progress=stage)
    done()
    suite["seconds"] = round(time.perf_counter() - start, 1)
    name = "eval-suite" + ("-validation" if validation else "")
    md, png = write_suite_report(suite, reports, name, f"colearn eval --suite {folder} ({suite['split']} split)")
    suite["summary"], suite["report"], suite["plot"] = suite_summary(suite), str(md), str(png)
    return suite
