"""``colearn bench --store falkordb,neo4j``: the same store-level measurements on
FalkorDB and on Neo4j, on one synthetic city, side by side.

For each size and each engine, on an empty graph:

1. batched ingest: ``ingest.awards.AWARD_STATEMENT`` over every award, 5,000 rows a
   statement (``ingest.common.write_batches``), after the organisations and
   badges; assertions/s of the statement alone;
2. the graph is emptied, then the city is loaded with the readers
   (``ingest_catalogue`` then ``ingest_awards``: parse, validate, write);
   assertions/s end to end;
3. ``Recommender.from_store`` (seconds), then ``recommend(learner, 10)`` for
   ``inproc_learners`` learners drawn at random (seeded) after a warm-up of 50:
   p50 and p99 in milliseconds.

FalkorDB is the embedded server in a temporary folder. Neo4j is the database at
``NEO4J_URI`` (``NEO4J_USER``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``), which must
be empty: the benchmark writes the city into it and empties it again at the end.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from colearn.config import Settings
from colearn.errors import ColearnError
from colearn.graph.store import GraphStore
from colearn.ingest.synthetic import generate_city, write_city
from colearn.perf.bench import _inprocess, batched_ingest

ENGINES = ("falkordb", "neo4j")


@contextmanager
def _open(engine: str, root: Path) -> Iterator[GraphStore]:
    if engine == "falkordb":
        from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore

        server = EmbeddedFalkorDB.for_data_dir(root / "falkordb")
        store = FalkorDBStore(server.host, server.port, "compare", server=server)
        try:
            store.apply_schema()
            yield store
        finally:
            store.close()
            server.stop()
        return
    from colearn.graph.neo4j_store import Neo4jStore

    settings = Settings()
    if not settings.neo4j_uri:
        raise ColearnError("--store neo4j needs NEO4J_URI (and NEO4J_USER, NEO4J_PASSWORD) of an empty database")
    store = Neo4jStore(settings.neo4j_uri, user=settings.neo4j_user,
                       password=settings.neo4j_password.get_secret_value(), database=settings.neo4j_database)
    try:
        if store.read("MATCH (n) RETURN count(n) AS n")[0]["n"]:
            raise ColearnError(f"the Neo4j database at {settings.neo4j_uri} is not empty; the benchmark "
                               "writes a synthetic city into it and empties it, so give it an empty one")
        store.apply_schema()
        yield store
        store.clear()
    finally:
        store.close()


def compare_size(size: str, engines: list[str], seed: int = 1, *, inproc_learners: int = 1_000,
                 progress: Callable[[str], None] | None = None) -> dict[str, dict[str, Any]]:
    """Measure one size on each engine.

    Args:
        size: ``S``, ``M`` or ``L`` (``ingest.synthetic.SIZES``).
        engines: some of ``ENGINES``.
        seed: the city's seed.
        inproc_learners: learners asked "what next" in-process.
        progress: told what is running.

    Returns:
        ``{engine: {ingest_batched_per_s, ingest_e2e_per_s, build_s, inproc_p50_ms,
        inproc_p99_ms, n_assertions, ...}}``.

    Raises:
        ColearnError: an unknown engine, or Neo4j not configured or not empty.
    """
    from colearn.ingest.awards import ingest_awards
    from colearn.ingest.catalogue import ingest_catalogue

    say = progress or (lambda msg: None)
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        raise ColearnError(f"unknown store {', '.join(unknown)}; use {' or '.join(ENGINES)}")
    root = Path(tempfile.mkdtemp(prefix=f"colearn-compare-{size}-"))
    try:
        city = generate_city(size, seed)
        folder = write_city(city, root / "city")
        learners = [lr["id"] for lr in city.learners]
        out: dict[str, dict[str, Any]] = {}
        for engine in engines:
            res: dict[str, Any] = {"n_assertions": len(city.awards), "n_learners": len(learners)}
            with _open(engine, root) as store:
                say(f"{size} {engine}: batched ingest of {len(city.awards):,} awards")
                batched, _ = batched_ingest(store, city)
                res.update(batched)
                store.clear()
                say(f"{size} {engine}: ingest end to end")
                t = time.perf_counter()
                ingest_catalogue(store, folder)
                ingest_awards(store, folder)
                res["e2e_s"] = time.perf_counter() - t
                res["ingest_e2e_per_s"] = len(city.awards) / res["e2e_s"]
                say(f"{size} {engine}: recommender build and what next in-process")
                res.update(_inprocess(store, learners, inproc_learners))
            out[engine] = res
        return out
    finally:
        shutil.rmtree(root, ignore_errors=True)


def compare_rows(size: str, results: dict[str, dict[str, Any]]) -> list[list[str]]:
    """Table rows ``[measure, <one column per engine>]`` for ``compare_size``'s result."""
    def cell(engine: str, key: str, fmt: str) -> str:
        v = results[engine].get(key)
        return "-" if v is None else format(v, fmt)

    measures = [("batched ingest, 5,000 rows a statement (assertions/s)", "ingest_batched_per_s", ",.0f"),
                ("ingest end to end: parse, validate, write (assertions/s)", "ingest_e2e_per_s", ",.0f"),
                ("recommender build from the graph (s)", "build_s", ",.1f"),
                ("what next in-process p50 (ms)", "store_inproc_p50_ms", ",.2f"),
                ("what next in-process p99 (ms)", "store_inproc_p99_ms", ",.2f")]
    return [[f"{size}: {label}", *(cell(e, key, fmt) for e in results)] for label, key, fmt in measures]
