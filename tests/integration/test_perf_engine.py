"""The engine ceiling of ``colearn bench``: FalkorDB's own time for the batched award statement, and its profile."""

from __future__ import annotations

import pytest

from colearn.graph import queries
from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore
from colearn.ingest.synthetic import generate_city
from colearn.perf.bench import batched_ingest
from colearn.perf.bench_table import _ops
from colearn.perf.engine import engine_ceiling, profile_ops

pytestmark = pytest.mark.falkordb_only


def test_engine_ceiling_writes_the_rows_and_times_them(falkordb_server: EmbeddedFalkorDB) -> None:
    store = FalkorDBStore(falkordb_server.host, falkordb_server.port, "perf-engine", server=falkordb_server)
    store.clear()
    try:
        city = generate_city("S", 1)
        _, rows = batched_ingest(store, city)
        before = store.read(queries.COUNT_ASSERTION_PATHS)[0]["assertions"]
        assert before == len(rows)
        res = engine_ceiling(falkordb_server.host, falkordb_server.port, "perf-engine",
                             queries.MERGE_ASSERTIONS, rows[:1_200], batch=500, prefix="engine",
                             password=falkordb_server.password)
        # 1,200 fresh assertions, then one more batch of 500 for the profile
        assert store.read(queries.COUNT_ASSERTION_PATHS)[0]["assertions"] == before + 1_200 + 500
        assert res["engine_rows"] == 1_200
        assert 0 < res["engine_s"] <= res["engine_wall_s"]  # the server's clock sees less than the client's
        assert res["engine_per_s"] == pytest.approx(1_200 / res["engine_s"])
        assert res["engine_server_per_s"] == pytest.approx(1_200 / res["engine_wall_s"])
        assert res["engine_server_per_s"] <= res["engine_per_s"]
        assert 0 < res["engine_parse_ms"]
        assert res["engine_header_cpu_s"] > 0
        names = {o["op"] for o in res["engine_ops"]}
        assert {"Merge", "Unwind"} <= names and any(n.startswith("Node By Index Scan") for n in names)
        assert [o["ms"] for o in res["engine_ops"]] == sorted((o["ms"] for o in res["engine_ops"]), reverse=True)
        assert [o["records"] for o in res["engine_ops"] if o["op"] == "Unwind"] == [500]  # the profiled batch
        # the table names the four kinds of operation that took longest, summed over the plan, slowest first
        by_kind: dict[str, float] = {}
        for o in res["engine_ops"]:
            by_kind[o["op"]] = by_kind.get(o["op"], 0.0) + o["ms"]
        top = sorted(by_kind, key=lambda k: -by_kind[k])[:4]
        assert [part.rsplit(" ", 3)[0] for part in _ops(res["engine_ops"]).split(", ")] == top
    finally:
        store.drop()


def test_profile_lines_are_read_and_other_lines_skipped() -> None:
    plan = ["Results | Records produced: 0, Execution time: 0.001 ms",
            "    Merge | Records produced: 5000, Execution time: 12.500 ms",
            "        Node By Index Scan | (o:Organisation) | Records produced: 5000, Execution time: 3.25 ms",
            "not a profile line"]
    assert profile_ops(plan) == [{"op": "Merge", "records": 5000, "ms": 12.5},
                                 {"op": "Node By Index Scan", "records": 5000, "ms": 3.25},
                                 {"op": "Results", "records": 0, "ms": 0.001}]
