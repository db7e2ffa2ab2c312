"""How long a bulk award's dry run takes on the demo city, and how many statements it sends.

``python -m colearn.perf.dry_run [--sizes 100,1000,10000] [--real] [--neo4j]``
loads Brackenford (``colearn ingest demo``: 760 learners, about 2,700 awards)
into a fresh graph (an embedded FalkorDB in a temporary folder; with
``--neo4j``, the empty Neo4j database ``NEO4J_URI``/``NEO4J_USER``/
``NEO4J_PASSWORD`` names, emptied again at the end), then for each size N runs
``domain.awards.award_many`` with ``dry_run`` on N new email recipients of one
badge (the tester's ``bN@example.org`` rows) and prints the seconds, the
number of store statements (reads and writes) and the slowest one. ``--real``
also awards the same rows for real afterwards (a different badge per size), to
set the dry run beside the real award's checks and write.

A dry run is a few batch reads (the issuer, the badges, the learners named, the
ids, the live awards of the pairs), never a statement per row: on FalkorDB the
live-award read once started from the index on ``Assertion.status`` and
filtered every live award of the city for each row (12 s for 1,000 rows).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from typing import Any

from colearn.graph.store import GraphStore, Row


class CountingStore:
    """A store that passes every call on and keeps each statement's kind, seconds and text."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.calls: list[tuple[str, float, str]] = []

    def _timed(self, kind: str, query: str, params: dict[str, Any] | None) -> list[Row]:
        start = time.perf_counter()
        try:
            return self.store.read(query, params) if kind == "read" else self.store.write(query, params)
        finally:
            self.calls.append((kind, time.perf_counter() - start, query))

    def read(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        """``store.read``, counted."""
        return self._timed("read", query, params)

    def write(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        """``store.write``, counted."""
        return self._timed("write", query, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def _issuer(store: GraphStore) -> tuple[str, list[str]]:
    rows = store.read("MATCH (o:Organisation)-[:DEFINES]->(b:Badge) WHERE o.email IS NOT NULL "
                      "RETURN o.id AS o, b.id AS b ORDER BY o, b")
    org = rows[0]["o"]
    return org, [r["b"] for r in rows if r["o"] == org]


def bench(store: GraphStore, sizes: list[int], real: bool) -> list[dict[str, Any]]:
    """Load the demo city into ``store`` (empty), then dry-run (and with ``real`` award) each size.

    Returns:
        One dict per size: ``rows``, ``dry_s``, ``statements``, ``slowest_s``, ``would_create``
        and, with ``real``, ``real_s``.
    """
    from colearn.domain.awards import AwardRequest, Recipient, award_many
    from colearn.ingest.awards import ingest_awards
    from colearn.ingest.catalogue import demo_city_path, ingest_demo_catalogue

    ingest_demo_catalogue(store)
    ingest_awards(store, demo_city_path())
    org, badges = _issuer(store)
    out = []
    for k, n in enumerate(sizes):
        badge = badges[k % len(badges)]
        reqs = [AwardRequest(badge, Recipient("email", f"b{i}@example.org")) for i in range(n)]
        counting = CountingStore(store)
        start = time.perf_counter()
        report = award_many(counting, org, reqs, pepper=b"bench", dry_run=True)
        got: dict[str, Any] = {"rows": n, "dry_s": time.perf_counter() - start, "statements": len(counting.calls),
                               "slowest_s": max(c[1] for c in counting.calls), "would_create": report.would_create}
        if real:
            start = time.perf_counter()
            award_many(store, org, reqs, pepper=b"bench")
            got["real_s"] = time.perf_counter() - start
        out.append(got)
        print(", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in got.items()), flush=True)
    return out


def main(argv: list[str] | None = None) -> None:
    """Parse the options, open the store, run ``bench`` and close (and empty) the store."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--real", action="store_true", help="also award the rows for real")
    parser.add_argument("--neo4j", action="store_true", help="the empty Neo4j database NEO4J_URI names")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.neo4j:
        from colearn.graph.neo4j_store import Neo4jStore

        store: Any = Neo4jStore(os.environ["NEO4J_URI"], user=os.environ.get("NEO4J_USER", "neo4j"),
                                password=os.environ["NEO4J_PASSWORD"])
        if store.read("MATCH (n) RETURN count(n) AS n")[0]["n"]:
            raise SystemExit("the Neo4j database is not empty: the bench loads its own city and empties it after")
        store.apply_schema()
        try:
            bench(store, sizes, args.real)
        finally:
            store.clear()
            store.close()
        return
    from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore

    with tempfile.TemporaryDirectory() as folder:
        server = EmbeddedFalkorDB.for_data_dir(folder, fsync="everysec")
        store = FalkorDBStore(server.host, server.port, f"dry-run-{uuid.uuid4().hex[:8]}", server=server)
        try:
            store.apply_schema()
            bench(store, sizes, args.real)
        finally:
            store.close()
            server.stop()


if __name__ == "__main__":
    main()
