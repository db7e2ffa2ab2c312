"""``colearn soak``, ``colearn bench`` and ``colearn bench-feed``: measurements on
synthetic cities (``colearn.perf``), printed as tables and kept as reports."""

from __future__ import annotations

import json
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from colearn.cli.common import JsonOpt, Steps, out, print_table, run, say


def soak_cmd(
    size: Annotated[str, typer.Option(help="The synthetic city: S, M or L.")] = "M",
    seed: Annotated[int, typer.Option(help="The city's seed.")] = 1,
    minutes: Annotated[float, typer.Option(min=0.1, max=30, help="Length of the measured run.")] = 5.0,
    rate: Annotated[float, typer.Option(min=1, max=2000, help="Requests a second.")] = 50.0,
    workers: Annotated[int, typer.Option(min=1, help="Workers of the server under test.")] = 2,
    as_json: JsonOpt = False,
) -> None:
    """Mixed traffic (what next, pathways, catalogue reads, awards, accepts) at a steady rate against a
    live server; exits 1 on any 5xx or resident memory growth above 10%."""
    from colearn.perf.bench import write_report
    from colearn.perf.soak import rows, soak

    def body() -> bool:
        res = soak(size, seed, minutes=minutes, rate=rate, workers=workers, progress=say)
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
            print_table(table, 120)
        return bool(res["passed"])

    if not run(body):
        raise typer.Exit(1)


def _sizes(sizes: str) -> list[str]:
    return [s.strip().upper() for s in sizes.split(",") if s.strip()]


def _measure_table(title: str, caption: str, rows: list[tuple[str, ...]]) -> None:
    table = Table(title=title, caption=caption)
    for col in ("measure", "value", "target (L)", "verdict"):
        table.add_column(col, justify="right" if col == "value" else "left")
    for r in rows:
        table.add_row(*r)
    print_table(table, 120)


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
    as_json: JsonOpt = False,
    store: Annotated[Optional[str], typer.Option(
        help="Compare engines instead: 'falkordb', 'neo4j' or 'falkordb,neo4j' (batched ingest, recommender "
             "build, what next in-process; Neo4j from NEO4J_URI, an empty database).")] = None,
) -> None:
    """Measure ingest, "what next" (in-process and over HTTP), readiness, memory and
    award-to-recommendation time on synthetic cities; one table per size (targets at L).
    With ``--store``, the store-level numbers on each engine named, side by side."""
    from colearn.perf.bench import bench_size, write_report
    from colearn.perf.bench_table import inproc_rows, rows
    from colearn.perf.inproc import fitted_ranker

    if store is not None:
        run(lambda: _compare_stores(sizes, seed, [e.strip().lower() for e in store.split(",") if e.strip()],
                                    as_json))
        return

    def body() -> None:
        results = []
        extra: dict[str, Any] = {}
        if quality or ranker:
            from colearn.perf.offline_eval import martial_arts as read_martial_arts

            martial_arts = read_martial_arts()
        if quality:
            from colearn.perf.offline_eval import served_path_quality

            say("quality: the served path against the slower one, Martial Arts")
            extra = served_path_quality(martial_arts)
        for size in _sizes(sizes):
            if inproc:
                from colearn.perf.inproc import run as run_inproc

                res = run_inproc(size, seed, progress=say, ranker=fitted_ranker(
                    *martial_arts, keep="generated/bench-ranker.joblib") if ranker else None)
                res.update(extra)
                results.append(res)
                path = write_report({**res, "size": f"{size}-inproc"})
                if not as_json:
                    _measure_table(f"colearn bench --inproc, size {size} (seed {seed}); targets are for L, 2 cores",
                                   f"also in {path}", inproc_rows(res))
                continue
            with Steps() as step:
                res = bench_size(size, seed, workers=workers or 2, http_requests=requests, progress=step,
                                 ranker=fitted_ranker(*martial_arts, keep="generated/bench-ranker.joblib")
                                 if ranker else None)
            res.update(extra)
            results.append(res)
            path = write_report(res)
            if not as_json:
                _measure_table(f"colearn bench, size {size} (seed {seed}); targets are for L, 2 cores",
                               f"also in {path}", rows(res))
        if as_json:
            out.print_json(json.dumps(results, default=str))

    run(body)


def _compare_stores(sizes: str, seed: int, engines: list[str], as_json: bool) -> None:
    from colearn.perf.compare import compare_rows, compare_size

    results = {}
    table = Table(title=f"colearn bench --store {','.join(engines)} (seed {seed})")
    table.add_column("measure")
    for engine in engines:
        table.add_column(engine, justify="right")
    for size in _sizes(sizes):
        results[size] = compare_size(size, engines, seed, progress=say)
        for r in compare_rows(size, results[size]):
            table.add_row(*r)
    if as_json:
        out.print_json(json.dumps(results, default=str))
    else:
        print_table(table, 100)


def bench_feed_cmd(
    size: Annotated[str, typer.Option(help="The synthetic city: S, M or L.")] = "M",
    seed: Annotated[int, typer.Option(help="The synthetic city's seed.")] = 1,
    awards: Annotated[int, typer.Option(min=1, help="Awards streamed while the followers run.")] = 100_000,
    batch: Annotated[int, typer.Option(min=1, help="Awards a statement while streaming.")] = 50,
    followers: Annotated[int, typer.Option(min=1, help="Follower processes.")] = 2,
    compact_after: Annotated[Optional[int], typer.Option(help="Changes before a follower rebuilds; "
                                                         "default the follower's.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Measure change-to-visible latency across processes (p50/p99/max) and resident memory
    after a stream of awards against a fresh build (see ``colearn.perf.feed_bench``)."""
    from colearn.perf.feed_bench import feed_bench, table_rows

    def body() -> None:
        res = feed_bench(size.upper(), seed, awards=awards, batch=batch, followers=followers,
                         compact_after=compact_after, progress=say)
        if as_json:
            out.print_json(json.dumps(res, default=str))
            return
        table = Table(title=f"colearn bench-feed, size {size.upper()} (seed {seed})")
        table.add_column("measure")
        table.add_column("value")
        for r in table_rows(res):
            table.add_row(*r)
        print_table(table, 120)

    run(body)
