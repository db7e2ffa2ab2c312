"""``colearn bench --store``'s table reads what its measurements write."""

from __future__ import annotations

from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.ingest.awards import ingest_awards
from colearn.ingest.catalogue import demo_city_path, ingest_demo_catalogue
from colearn.perf.bench import _inprocess
from colearn.perf.compare import compare_rows


def test_every_row_of_the_engine_table_has_its_measurement(store: GraphStore) -> None:
    ingest_demo_catalogue(store)
    ingest_awards(store, demo_city_path())
    learners = sorted(r["id"] for r in store.read(f"MATCH (l:{Label.LEARNER}) RETURN l.id AS id"))
    assert len(learners) > 100
    res = {"ingest_batched_per_s": 1000.0, "ingest_e2e_per_s": 500.0, **_inprocess(store, learners, 20)}
    rows = compare_rows("S", {store.backend: res})
    assert len(rows) == 5
    assert all(cell != "-" for row in rows for cell in row[1:]), rows
    assert float(rows[3][1]) > 0 and float(rows[4][1]) >= float(rows[3][1])  # p99 at or above p50
    assert store.read(queries.count_nodes(Label.BADGE))[0]["n"] > 0
