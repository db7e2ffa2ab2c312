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
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from colearn.data import bundled
from colearn.errors import InvalidInput
from colearn.ingest.stackexchange import plan_stackexchange
from colearn.perf.eval_inputs import data_site, fallback_rows, se_catalogue, spine_cells, suite_sites
from colearn.perf.eval_output import check_reports, fallbacks_markdown, markdown_cell, written
from colearn.recommender.evaluation import MIN_BADGES, checked_protocol, temporal_leave_last_out, validation_awards
from colearn.text import quantity
from colearn.recommender.suite import Site, prior_to_replay, run_suite

#: Ranker refits per site in ``eval --suite`` (each is two fits: the guard's and the served one).
SUITE_CHECKPOINTS = 2
#: Ranker refits over one site's held-out cases.
SITE_CHECKPOINTS = 10
def case_shortage(awards: Sequence[Sequence[Any]], *, validation: bool = False) -> dict[str, Any] | None:
    """Why a site has no evaluation cases, or None when it has one: ``evaluation.temporal_leave_last_out``
    finds none (of ``validation_awards`` on the validation split) when no learner holds ``MIN_BADGES``
    distinct badges (one more on the validation split, whose cases lose their test badge first).

    Args:
        awards: ``(learner_id, badge_id, ...)`` rows (``SitePlan.awards()``).

    Returns:
        None, or ``{"n_cases": 0, "n_rows", "n_learners", "most_distinct_badges", "reason"}``, the
        reason in words (``"no learner holds 3 or more distinct badges (0 rows, 0 learners, at most 0
        distinct badges each)"``).
    """
    if temporal_leave_last_out(validation_awards(awards) if validation else awards):
        return None
    need = MIN_BADGES + (1 if validation else 0)  # the validation split first drops each case's test badge
    held: dict[Any, set[Any]] = {}
    for row in awards:
        held.setdefault(row[0], set()).add(row[1])
    most = max((len(b) for b in held.values()), default=0)
    split = " on the validation split" if validation else ""
    reason = (f"no learner holds {need} or more distinct badges{split} ({quantity(len(awards), 'row')}, "
              f"{quantity(len(held), 'learner')}, at most {quantity(most, 'distinct badge')} each)")
    return {"n_cases": 0, "n_rows": len(awards), "n_learners": len(held), "most_distinct_badges": most,
            "reason": reason}


def require_cases(awards: Sequence[Sequence[Any]], site: str, path: Path | str, *, validation: bool = False) -> None:
    """Check that a site has evaluation cases (``case_shortage`` finds none missing).

    Args:
        awards: ``(learner_id, badge_id, ...)`` rows (``SitePlan.awards()``).
        site: the site key, for the message.
        path: the dump read, for the message.

    Raises:
        InvalidInput: no such learner (naming the site and the file, with the rows,
            learners and the most distinct badges any learner holds).
    """
    short = case_shortage(awards, validation=validation)
    if short is not None:
        raise InvalidInput(f"site '{site}': {short['reason']}, so there is nothing to evaluate", file=str(path))


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


def evaluate_site(data: Path | None, site: str | None, mapping: Path | None = None, *, protocol: str = "temporal",
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
    The badges the mapping's fallback rule placed are listed in the result
    (``"fallbacks"``) and at the end of the report.

    Args:
        data: a ``Badges.xml``, ``Badges.xml.gz`` or a folder holding one; ``None``:
            the bundled dump of ``site`` (default Martial Arts).
        site: the site key; ``None``: see ``data_site`` (the key the data's folder
            name gives, or ``eval_inputs.DEFAULT_SITE`` without ``data``).
        mapping: the badge-to-spine mapping; default the bundled one.
        prior: ``temporal``: pool the bundled development suite's training events
            (read with the bundled mapping; ``mapping`` maps this site only).
        progress: told ``(what, stages done, stages in all)`` as each stage starts (one stage
            without ``prior`` and for ``global``), and ``("done", all, all)`` at the end.

    Returns:
        The evaluation's result dict with ``"data"``, ``"site"`` and ``"fallbacks"``
        (``fallback_rows``), and for ``temporal`` ``"report"`` and ``"plot"`` paths
        (its per-case rows dropped).

    Raises:
        InvalidInput: an unknown protocol; ``temporal``: ``reports`` cannot take the report
            (``eval_output.check_reports``, before the dump is read) or a file of it cannot be
            written (naming it; nothing of the run is left); a refused dump or mapping; no site
            key (``data_site``); no learner with enough distinct badges (``require_cases``).
    """
    protocol = checked_protocol(protocol)
    cells = spine_cells()
    path, site = data_site(data, site)
    name = site_report_name(site, validation)
    if protocol == "temporal":
        check_reports(reports, name)
    plan = plan_stackexchange(path, site, mapping)
    require_cases(plan.awards(), site, path, validation=validation and protocol == "temporal")
    fallbacks = fallback_rows(plan)
    tell = progress or (lambda what, done, total: None)
    if protocol == "global" or not prior:  # one stage
        tell(f"{'evaluate' if protocol == 'temporal' else 'global protocol'} {site}", 0, 1)
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
        md, png = written(lambda: write_report(result, reports, name, f"colearn eval: {site} ({result['split']} split)",
                                              tail=fallbacks_markdown({site: fallbacks}, always=True)))
        result["report"], result["plot"] = str(md), str(png)
    if protocol == "global" or not prior:
        tell("done", 1, 1)
    result["data"] = str(path)
    result["site"] = site
    result["fallbacks"] = fallbacks
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


def site_report_name(site: str, validation: bool = False) -> str:
    """One site's report file name without its suffix: ``eval-<site>`` (``eval-<site>-validation``)."""
    return f"eval-{site}" + ("-validation" if validation else "")


def suite_report_name(validation: bool = False) -> str:
    """The suite report's file name without its suffix: ``eval-suite`` (``eval-suite-validation``)."""
    return "eval-suite" + ("-validation" if validation else "")


def evaluate_suite(folder: Path, sites: list[Site], *, prior: bool = True, validation: bool = False,
                   checkpoints: int | None = None, reports: Path = Path("reports"),
                   progress: Callable[[str, int, int], None] | None = None,
                   paths: Mapping[str, Path] | None = None,
                   fallbacks: Mapping[str, list[dict[str, Any]]] | None = None,
                   passed_over: Sequence[str] = ()) -> dict[str, Any]:
    """Every site of a suite (``suite.run_suite``), its report and plot written as
    ``<reports>/eval-suite[-validation].md`` and ``.png``, both or neither.

    Args:
        folder: where ``sites`` were read from (``read_suite``).
        paths: ``{site: dump read}`` (``SuiteInput.paths``), named in errors.
        fallbacks: ``{site: fallback_rows}`` (``SuiteInput.fallbacks``): in the result
            and, when there are any, at the end of the report.
        passed_over: ``SuiteInput.passed_over``: in the result and, when there are any, the report.
        prior: when ``folder`` is not the bundled suite, pool the bundled sites'
            training events into every site's ranker too.
        checkpoints: ranker refits per site; default ``SUITE_CHECKPOINTS``.
        progress: told ``(what, stages done, stages in all)`` as each site's stage starts.

    A site without evaluation cases (``case_shortage``: no learner with enough distinct badges)
    is not replayed: its entry in ``"sites"`` is ``case_shortage``'s (``n_cases`` 0 and the reason,
    no ``"models"``), and the report, the plot and the summary call it "too few cases", as any
    site with fewer than ``benchmark.MIN_CASES_TO_JUDGE`` cases.

    Returns:
        ``run_suite``'s dict with ``"seconds"`` (wall time), ``"summary"``
        (``report.suite_summary``), ``"fallbacks"``, ``"passed_over"``, ``"report"`` and ``"plot"``.

    Raises:
        InvalidInput: ``reports`` cannot take the report (``check_reports``, before any work)
            or a file of it cannot be written (naming it; nothing of the run is left); a
            refused dump (of the bundled prior suite too); no site with a learner with enough
            distinct badges (``require_cases``, naming the first site).
    """
    from colearn.recommender.report import suite_summary, write_suite_report

    name = suite_report_name(validation)
    check_reports(reports, name)
    short = {site.name: case_shortage(site.awards, validation=validation) for site in sites}
    scored = [site for site in sites if short[site.name] is None]
    if not scored:  # nothing at all to evaluate: refused as one site without cases is
        require_cases(sites[0].awards, sites[0].name, (paths or {}).get(sites[0].name, Path(folder) / sites[0].name),
                      validation=validation)

    bundled_dir = bundled("stackexchange")
    prior_sites = []
    if prior and Path(folder).resolve() != bundled_dir.resolve():
        prior_sites = suite_sites(bundled_dir)
    start = time.perf_counter()
    stage, done = _stages(progress, scored, prior_sites)
    suite = run_suite(scored, spine_cells(), prior_sites=prior_sites, validation=validation,
                      checkpoints=checkpoints or SUITE_CHECKPOINTS, progress=stage)
    done()
    suite["sites"] = {site.name: suite["sites"].get(site.name) or short[site.name] for site in sites}
    suite["seconds"] = round(time.perf_counter() - start, 1)
    tail = fallbacks_markdown(fallbacks or {}, always=False)
    if passed_over:
        tail += "\n## Not read\n\n" + "".join(f"- {markdown_cell(item)}\n" for item in passed_over)
    md, png = written(lambda: write_suite_report(suite, reports, name,
                                                f"colearn eval --suite {folder} ({suite['split']} split)", tail=tail))
    suite["fallbacks"], suite["passed_over"] = dict(fallbacks or {}), list(passed_over)
    suite["summary"], suite["report"], suite["plot"] = suite_summary(suite), str(md), str(png)
    return suite
