"""``colearn recommend``, ``colearn eval`` and ``colearn train``: the recommender's
answers, its offline evaluation (``perf.offline_eval``) and its retraining
(``recommender.training``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from colearn.cli.common import JsonOpt, Steps, err, out, run, say, store
from colearn.config import get_settings
from colearn.errors import InvalidInput


def recommend_cmd(
    learner_id: Annotated[str, typer.Argument(help="e.g. bf-0476 in the demo city")],
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many badges.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """What could this learner earn next? Ranked badges with reasons, ranked as the API ranks
    them (the ranker ``colearn train`` saved in the data directory, else the blend)."""
    from colearn.recommender.recommend import Recommender, ranker_path

    def body() -> None:
        with store() as s:
            ranker_file = ranker_path(get_settings().data_dir)
            recs = Recommender.from_store(s, ranker_file=ranker_file).recommend(learner_id, limit=limit)
        if as_json:
            out.print_json(json.dumps({"learner_id": learner_id, "items": [
                {"badge_id": r.badge_id, "name": r.name, "score": float(r.score),
                 "reasons": list(r.reasons), "opportunities": list(r.opportunities)} for r in recs]}))
            return
        table = Table(title=f"next for {learner_id}")
        for col in ("#", "badge", "score", "why"):
            table.add_column(col)
        for i, r in enumerate(recs, 1):
            table.add_row(str(i), r.name or r.badge_id, f"{r.score:.3f}", "\n".join(r.reasons))
        out.print(table)

    run(body)


def _print_suite(suite: dict[str, Any], n_sites: int) -> None:
    from colearn.recommender.report import lift_text, wins_and_losses
    from colearn.text import quantity

    summary = suite["summary"]
    table = Table(title=f"{quantity(n_sites, 'site', 'sites')}, {suite['split']} split, NDCG@10 mean; "
                        f"{suite['seconds']:.0f} s")

    for col in ("site", "cases", "recommender", "best baseline", "lift [95% interval]", "verdict", "coverage@10"):
        table.add_column(col, justify="left" if col in ("site", "best baseline", "verdict") else "right")
    for site, v in summary["sites"].items():
        said = {"win": "win", "loss": "[red]LOSS[/red]"}.get(v["verdict"], f"[yellow]{v['verdict']}[/yellow]")
        if v["ours"] is None:  # not evaluated: no case at all
            table.add_row(escape(site), f"{v['n_cases']:,}", "-", "-", "-", said, "-")
            continue
        table.add_row(escape(site), f"{v['n_cases']:,}", f"{v['ours']:.3f}", f"{v['best']} {v['theirs']:.3f}",
                      lift_text(v), said, f"{v['coverage']:.3f}")
    out.print(table)
    for site, v in summary["sites"].items():
        if v["ours"] is None:
            out.print(f"{escape(site)}: not evaluated, {escape(str(v['reason']))}", highlight=False, soft_wrap=True)

    out.print(f"{wins_and_losses(summary)}; mean lift {summary['mean_lift']:+.3f}; "
              f"lowest coverage@10 {summary['min_coverage']:.3f}\nreport: {suite['report']}\nplot: {suite['plot']}")


def _all_won(summary: dict[str, Any]) -> bool:
    """``--require-wins``: True when every site is won; else say on stderr which sites were
    lost or tied (and to which baseline) and which had too few cases to judge, and return False.

    Args:
        summary: ``{"sites": {name: {"verdict", "best", "n_cases"}}}`` (a ``suite_summary``)."""
    from colearn.recommender.benchmark import MIN_CASES_TO_JUDGE
    from colearn.text import quantity

    sites = summary["sites"]
    of_all = quantity(len(sites), "site", "sites")
    lost = [n for n, v in sites.items() if v["verdict"] == "loss"]
    tied = [n for n, v in sites.items() if v["verdict"] == "tie"]
    unjudged = [n for n, v in sites.items() if v["verdict"] == "too few cases"]
    for said, names in (("lost to", lost), ("tied with", tied)):
        if names:
            err.print(f"--require-wins: {said} the best baseline on NDCG@10 on {len(names)} of {of_all}: "
                      + ", ".join(f"{escape(n)} ({sites[n]['best']})" for n in names),
                      highlight=False, soft_wrap=True)
    if unjudged:
        err.print(f"--require-wins: too few held-out cases to call a win (fewer than {MIN_CASES_TO_JUDGE}) on "
                  f"{len(unjudged)} of {of_all}: "
                  + ", ".join(f"{escape(n)} ({sites[n]['n_cases']})" for n in unjudged)
                  + "; a longer history gives more learners with 3 distinct badges",
                  highlight=False, soft_wrap=True)
    return not lost and not tied and not unjudged


def _print_site(result: dict[str, Any], site: str, protocol: str) -> None:
    from colearn.text import quantity

    table = Table(title=f"{site}: {quantity(result['n_cases'], 'held-out learner')}, protocol {protocol}, "
                        "mean [95% bootstrap interval]")
    metrics = list(next(iter(result["models"].values())))
    table.add_column("model")
    for m in metrics:
        table.add_column(m.upper(), justify="right")
    for model, values in result["models"].items():
        table.add_row(model, *[f"{values[m]['mean']:.3f} [{values[m]['low']:.3f}, {values[m]['high']:.3f}]"
                               for m in metrics])
    out.print(table)
    if "lift" in result:
        lift = result["lift"]
        out.print(f"lift over the best baseline ({lift['best']}) on NDCG@10: {lift['mean']:+.3f} "
                  f"[{lift['low']:+.3f}, {lift['high']:+.3f}] (paired by case): {lift['verdict']}")
    if "report" in result:
        out.print(f"report: {result['report']}\nplot: {result['plot']}")


def _print_fallbacks(fallbacks: dict[str, list[dict[str, Any]]]) -> None:
    """One line on stderr per badge the mapping's fallback rule placed."""
    for site, rows in fallbacks.items():
        for f in rows:
            name = escape(str(f["name"]))
            err.print(f"[yellow]no mapping[/yellow] for {site} badge '{name}': placed on {f['cell']} by its "
                      f"tier ({f['tier']})", highlight=False)


@contextmanager
def _progress(as_json: bool) -> Iterator[Callable[[str, int, int], None]]:
    """What the evaluation is doing, on stderr, as the ``progress(what, stages done, stages in
    all)`` callback of ``perf.offline_eval``: ``Steps``, as every long colearn command shows it
    (on a terminal a bar with ``done/total`` once the total is known, a spinner before; off a
    terminal one plain line per stage, no colour codes; nothing under ``--json`` off a terminal)."""
    if as_json and not err.is_terminal:
        yield lambda what, done, total: None
        return
    with Steps() as step:
        said = [""]

        def tell(what: str, done: int, total: int) -> None:
            if what != said[0] and what != "done":
                step(what, total=total)
                said[0] = what
            step.advance(done, total)

        yield tell


def eval_cmd(
    data: Annotated[Optional[Path], typer.Option(help="A Stack Exchange Badges.xml or Badges.xml.gz, the site's "
                                                      "archive (.7z, .zip, .tar.xz, ...), or a folder holding one; "
                                                      "default the bundled dump of --site.")] = None,
    site: Annotated[Optional[str], typer.Option(help="The site's key, e.g. ai. Default: with --data, the key its "
                                                     "folder or archive is named for (ai/, ai.stackexchange.com/ "
                                                     "or ai.stackexchange.com.7z -> ai); "
                                                     "without, martialarts (a bundled site).")] = None,
    suite: Annotated[Optional[Path], typer.Option(help="A folder of <site>/Badges.xml (or .gz, or the site's "
                                                       "archive) or of site archives (ai.stackexchange.com.7z): "
                                                       "evaluate every site found, each named by its folder or "
                                                       "archive (e.g. the bundled data/stackexchange).")] = None,
    mapping: Annotated[Optional[Path], typer.Option(help="Badge-to-spine mapping YAML.")] = None,
    k: Annotated[int, typer.Option(min=1, help="Cut-off for HR@K and NDCG@K (--protocol global only).")] = 10,
    protocol: Annotated[str, typer.Option(help="temporal (the full benchmark, no future data; a report and a "
                                               "plot) or global (a quick check: the hand-weighted blend against "
                                               "popularity, printed only, no report). Any letter case.")] = "temporal",
    reports: Annotated[Path, typer.Option(help="Folder for the markdown report and the plot (--protocol "
                                               "temporal).",
                                          envvar="COLEARN_REPORTS_DIR")] = Path("reports"),
    validation: Annotated[bool, typer.Option(help="Evaluate on the validation split (for tuning).")] = False,
    checkpoints: Annotated[Optional[int], typer.Option(min=1, help="Ranker refits over each site's held-out "
                                                       "cases (default 2; 10 for one site with --no-prior).")] = None,
    prior: Annotated[bool, typer.Option(help="--protocol temporal: pool the bundled development suite's training "
                                             "events into each site's ranker (--data, and --suite on another "
                                             "folder; a bundled site that is an evaluated one is left out; a "
                                             "--suite folder's other sites are always pooled).")] = True,
    require_wins: Annotated[bool, typer.Option(help="Exit 1 unless the recommender beats the best baseline "
                                                    "(NDCG@10) on the site, or on every site of --suite, naming on "
                                                    "stderr the sites lost or tied and those with too few held-out "
                                                    "cases (under 30) to judge (--protocol temporal).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Offline evaluation: temporal leave-last-out on real earning sequences (users
    with at least 3 distinct badges): the learned recommender against random,
    popularity, item-kNN, personalised PageRank, RP3beta, Markov and content
    baselines, with 95% bootstrap intervals; writes a report and a plot. With
    --suite, every site of a folder, one table and one plot. Badges the mapping
    does not list (placed by their tier) are listed too. --protocol global is a
    quick check (the blend against popularity) that writes no report or plot."""
    from colearn.perf.eval_output import check_reports
    from colearn.perf.eval_inputs import data_site, read_suite
    from colearn.perf.offline_eval import evaluate_site, evaluate_suite, site_report_name, suite_report_name
    from colearn.recommender.evaluation import checked_protocol

    def body() -> None:
        how = checked_protocol(protocol)  # before any work, named as --protocol when refused
        if suite is not None:
            if data is not None or site is not None:
                raise InvalidInput("give --data/--site (one site) or --suite (a folder, each site named by its "
                                   "folder), not both")
            check_reports(reports, suite_report_name(validation))
            read = read_suite(suite, mapping)
            for item in read.passed_over:
                err.print(f"[yellow]not read[/yellow]: {escape(item)}", highlight=False, soft_wrap=True)
            with _progress(as_json) as tell:
                result = evaluate_suite(suite, read.sites, prior=prior, validation=validation,
                                        checkpoints=checkpoints, reports=reports, progress=tell,
                                        paths=read.paths, fallbacks=read.fallbacks, passed_over=read.passed_over)
            if as_json:
                out.print_json(json.dumps(result))
            else:
                _print_suite(result, len(read.sites))
                _print_fallbacks(result["fallbacks"])
            if require_wins and not _all_won(result["summary"]):
                raise typer.Exit(1)
            return
        if require_wins and how != "temporal":
            raise InvalidInput("--require-wins judges the temporal benchmark; --protocol global compares the "
                               "blend with popularity only")
        path, key = data_site(data, site)
        if how == "temporal":
            check_reports(reports, site_report_name(key, validation))
        elif not as_json:  # under --json the answer has no "report" key
            say("--protocol global is a quick check: no report or plot is written")
        if data is not None and site is None:
            say(f"site: {key} (from the name of {path} or its folder; --site to name another)")
        with _progress(as_json) as tell:
            result = evaluate_site(path, key, mapping, protocol=how, k=k, checkpoints=checkpoints,
                                   validation=validation, prior=prior, reports=reports, progress=tell)
        if as_json:
            out.print_json(json.dumps(result))
        else:
            _print_site(result, key, how)
            _print_fallbacks({key: result["fallbacks"]})
        if require_wins and "lift" in result:
            lift = result["lift"]
            site_summary = {"sites": {key: {"verdict": lift["verdict"], "best": lift["best"],
                                            "n_cases": result["n_cases"]}}}
            if not _all_won(site_summary):
                raise typer.Exit(1)

    run(body)


def _not_trained(events: int) -> None:
    """Say that ``colearn train`` fitted nothing: ``events`` training events are too few; and
    what the API serves instead (a ranker an earlier run saved where it loads one, or the blend),
    having told the serving processes to load that (a ranker file removed since they loaded it)."""
    from colearn.recommender.fitting import MIN_TRAIN_EVENTS
    from colearn.recommender.recommend import ranker_path
    from colearn.recommender.training import ranker_changed

    out.print(f"not trained: no other site's events pooled, and {events:,} training events (a "
              f"learner's second or later badge), fewer than the {MIN_TRAIN_EVENTS} the guard needs to judge a "
              "learned ranker against the single signals")
    served = ranker_path(get_settings().data_dir)
    with store() as s:
        ranker_changed(s)  # what the servers hold may be a file deleted since: they reload what is there
    if served.exists():
        out.print(f"the ranker saved earlier at {served} is still there and still served; delete it to serve "
                  "the blend")
    else:
        out.print("serving: the blend of signals")


def train_cmd(
    output: Annotated[Optional[Path], typer.Option("--out", help="Where to save the ranker; default "
                                                  "<COLEARN_DATA_DIR>/ranker.joblib (the API loads it).")] = None,
    max_groups: Annotated[int, typer.Option(min=100, help="Most training events (a seeded sample).")] = 30_000,
    prior: Annotated[Optional[Path], typer.Option(
        "--prior", help="A suite folder (<folder>/<site>/Badges.xml, as colearn eval --suite reads) whose sites' "
                        "training events are pooled with the city's; default the bundled development suite.")] = None,
    no_prior: Annotated[bool, typer.Option("--no-prior", help="Fit on the city's own events only.")] = False,
) -> None:
    """Retrain the learned ranker on every portfolio in the graph (each new badge a
    learner earned, with features from the awards before it), pooled with other
    sites' training events as the suite benchmark pools them, and save it with its
    feature list, training-data hash and pooled sites."""
    from colearn.data import bundled
    from colearn.perf.eval_inputs import suite_sites
    from colearn.recommender.recommend import ranker_path
    from colearn.recommender.training import ranker_changed, train_ranker, training_rows

    if prior is not None and no_prior:
        raise typer.BadParameter("give --prior or --no-prior, not both", param_hint="--prior")

    def body() -> None:
        settings = get_settings()
        with Steps() as step:
            step("reading every portfolio, the badges and the spine from the graph")
            with store() as s:
                rows = training_rows(s)
            sites = []
            if not no_prior:
                step(f"reading the prior sites from {prior or 'the bundled development suite'}")
                sites = suite_sites(prior or bundled("stackexchange"))
            ranker, events = train_ranker(rows, max_groups=max_groups, prior_sites=sites, progress=step)
            if ranker is None:
                return _not_trained(events)
            step("saving")
            served = ranker_path(settings.data_dir)
            path = ranker.save(output or served)
            is_served = path.resolve() == served.resolve()
            if is_served:
                step("telling the serving processes (the change feed)")
                with store() as s:
                    ranker_changed(s, ranker)
        meta = ranker.metadata()
        pooled = meta["pooled_sites"]
        out.print(f"trained on {events:,} of the city's own events"
                  + (f" and samples of the events of {len(pooled)} other site{'s' * (len(pooled) != 1)} ({', '.join(pooled)})"
                     if pooled else "")
                  + f" ({meta['n_rows']:,} rows), training hash {meta['training_hash'][:16]}; saved to {path}")
        guard = ", ".join(f"{k} {v:.3f}" for k, v in meta["guard"].items())
        verb = "serving" if is_served else f"the API serves {served}; this one would serve"
        out.print(f"{verb}: {'the learned ranker' if meta['serve'] == 'ranker' else 'the single signal ' + meta['serve']}"
                  f" (NDCG@10 on the latest {ranker.guard_share:.0%} of the city's events: "
                  f"{guard or 'no guard, too few events'})")
        if is_served:
            out.print("every colearn serve process on this graph loads it within a second (the change feed)")

    run(body)
