"""``ingest.common.write_batches`` on both engines: batches land in order, each whole or not at
all, and the first that fails stops the rest (on FalkorDB two batches are in flight, each guarded
by a ``_WriteGuard`` node, ``FalkorDBStore.write_many`` and ``graph/falkordb_pipeline.py``)."""

from __future__ import annotations

import time

import pytest

from colearn.errors import Conflict, InvalidInput
from colearn.graph import feed, queries
from colearn.graph.falkordb_pipeline import GUARD_BATCH_PARAM, GUARD_LABEL, GUARD_PARAM, STALE_GUARD_S, guarded
from colearn.graph.falkordb_store import FalkorDBStore
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.ingest.common import write_batches


def _award(i: int, **props: object) -> dict:
    return {"id": f"a{i}", "organisation_id": "org", "badge_id": f"b{i % 2}", "learner_id": f"l{i % 3}",
            "learner_props": {}, "props": {"status": "accepted", "issued_on": 1_700_000_000 + i, **props}}


@pytest.fixture
def seeded(any_store: GraphStore) -> GraphStore:
    any_store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [{"id": "org", "props": {}}]})
    any_store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": f"b{i}", "props": {}} for i in range(2)]})
    return any_store


def _landed(store: GraphStore) -> list[str]:
    return [r["id"] for r in store.read("MATCH (a:Assertion) RETURN a.id AS id ORDER BY a.issued_on")]


def test_every_batch_lands_in_order_with_its_feed_entry(seeded: GraphStore) -> None:
    rows = [_award(i) for i in range(7)]
    assert write_batches(seeded, queries.MERGE_ASSERTIONS, rows, size=2, record=feed.AWARDS) == 7
    assert _landed(seeded) == [r["id"] for r in rows]
    entries = seeded.read("MATCH (e:FeedEntry) RETURN e.seq AS seq, size(e.learners) AS n ORDER BY seq")
    assert entries == [{"seq": 1, "n": 2}, {"seq": 2, "n": 2}, {"seq": 3, "n": 2}, {"seq": 4, "n": 1}]


def _guards(store: GraphStore) -> int:
    return int(store.read(f"MATCH (g:{GUARD_LABEL}) RETURN count(g) AS n")[0]["n"])


@pytest.mark.parametrize("bad", [0, 1, 2])
def test_a_batch_the_engine_refuses_stops_the_rest(seeded: GraphStore, bad: int) -> None:
    # batch ``bad`` repeats an id (the unique constraint refuses it whole); none after it lands,
    # though on FalkorDB the next was sent before its answer came
    rows = [_award(i) for i in range(2 * bad)] + [_award(2 * bad), _award(2 * bad)]
    rows += [_award(i) for i in range(2 * bad + 2, 12)]
    with pytest.raises(Conflict):
        write_batches(seeded, queries.merge_assertions(("status", "issued_on")), rows, size=2,
                      record=feed.AWARDS, batch_params=queries.assertion_groups)
    assert _landed(seeded) == [f"a{i}" for i in range(2 * bad)]
    assert seeded.read("MATCH (e:FeedEntry) RETURN count(e) AS n") == [{"n": bad}]
    assert feed.feed_head(seeded) == bad
    assert _guards(seeded) == 0


def test_batches_with_feed_entries_land_in_the_order_given(any_store: GraphStore) -> None:
    rows = [{"id": f"t{i:02d}", "props": {"name": f"Theme {i}"}} for i in range(29)]
    assert write_batches(any_store, queries.merge_nodes(Label.THEME), rows, size=3, label=str(Label.THEME),
                         record=feed.CATALOGUE) == 29
    entries = any_store.read("MATCH (e:FeedEntry) RETURN e.seq AS seq, e.ids AS ids ORDER BY seq")
    assert [e["seq"] for e in entries] == list(range(1, 11))
    assert [e["ids"] for e in entries] == [[r["id"] for r in rows[i:i + 3]] for i in range(0, 29, 3)]
    assert any_store.read(queries.count_nodes(Label.THEME)) == [{"n": 29}]
    assert _guards(any_store) == 0


def test_the_guard_refuses_a_batch_whose_predecessors_did_not_all_land(falkordb_server) -> None:
    store = FalkorDBStore(falkordb_server.host, falkordb_server.port, "test-write-guard", server=falkordb_server)
    try:
        store.write(f"CREATE (:{GUARD_LABEL} {{id: 'g', landed: 1}})")
        statement = guarded("UNWIND $rows AS r CREATE (:Theme {id: r})")
        for batch in (0, 2):  # batch 1 is the next; 0 ran already, 2 would skip 1
            with pytest.raises(InvalidInput):
                store.write(statement, {"rows": ["x"], GUARD_PARAM: "g", GUARD_BATCH_PARAM: batch})
        with pytest.raises(InvalidInput):  # no guard node: nothing runs either
            store.write(statement, {"rows": ["x"], GUARD_PARAM: "other", GUARD_BATCH_PARAM: 0})
        assert store.read("MATCH (t:Theme) RETURN count(t) AS n") == [{"n": 0}]
        store.write(statement, {"rows": ["x"], GUARD_PARAM: "g", GUARD_BATCH_PARAM: 1})
        assert store.read("MATCH (t:Theme) RETURN t.id AS id") == [{"id": "x"}]
        assert store.read(f"MATCH (g:{GUARD_LABEL}) RETURN g.landed AS landed") == [{"landed": 2}]
        with pytest.raises(ValueError):
            store.write_many("UNWIND $rows AS r CREATE (:Theme {id: r})",
                             [{"rows": ["y"]}, {"rows": ["z"], GUARD_PARAM: "mine"}])
        assert store.read("MATCH (t:Theme) RETURN t.id AS id ORDER BY id") == [{"id": "x"}, {"id": "y"}]
        assert store.read(f"MATCH (g:{GUARD_LABEL}) RETURN g.id AS id") == [{"id": "g"}]
    finally:
        store.drop()
        store.close()


def _write_guard_store(falkordb_server, name: str) -> FalkorDBStore:
    store = FalkorDBStore(falkordb_server.host, falkordb_server.port, name, server=falkordb_server)
    store.clear()
    return store


def test_a_guard_another_client_deletes_stops_the_rest_with_a_conflict_naming_it(falkordb_server) -> None:
    store = _write_guard_store(falkordb_server, "test-write-guard-gone")
    try:
        def params():
            for batch in range(6):
                if batch == 2:  # batch 0 has answered, batch 1 is in flight: the guard goes
                    store.write(f"MATCH (g:{GUARD_LABEL}) DELETE g")
                yield {"rows": [f"t{batch}"]}

        with pytest.raises(Conflict, match=f"write guard {GUARD_LABEL} [0-9a-f]+ is gone") as caught:
            store.write_many("UNWIND $rows AS r CREATE (:Theme {id: r})", params())
        stopped = int(str(caught.value).split()[1])  # "batch <k> was not run"
        assert stopped in (1, 2)  # batch 1 may have run before the guard went
        assert f"batches 0 to {stopped - 1} landed" in str(caught.value)
        assert store.read("MATCH (t:Theme) RETURN t.id AS id ORDER BY id") == [
            {"id": f"t{i}"} for i in range(stopped)]
    finally:
        store.drop()
        store.close()


def test_a_guard_left_behind_a_day_ago_is_deleted_by_the_next_call(falkordb_server) -> None:
    store = _write_guard_store(falkordb_server, "test-write-guard-stale")
    try:
        now = int(time.time())
        store.write(f"CREATE (:{GUARD_LABEL} {{id: 'stale', landed: 3, at: $old}}), "
                    f"(:{GUARD_LABEL} {{id: 'recent', landed: 1, at: $recent}})",
                    {"old": now - STALE_GUARD_S - 60, "recent": now - 60})
        assert store.write_many("UNWIND $rows AS r CREATE (:Theme {id: r})",
                                [{"rows": [f"t{i}"]} for i in range(3)]) == 3
        assert store.read(f"MATCH (g:{GUARD_LABEL}) RETURN g.id AS id") == [{"id": "recent"}]
        assert store.read("MATCH (t:Theme) RETURN count(t) AS n") == [{"n": 3}]
    finally:
        store.drop()
        store.close()


def test_a_value_refused_before_sending_stops_the_rest(seeded: GraphStore) -> None:
    rows = [_award(0), _award(1), _award(2), _award(3, score=float("nan")), _award(4), _award(5)]
    with pytest.raises(InvalidInput):
        write_batches(seeded, queries.MERGE_ASSERTIONS, rows, size=2)
    assert _landed(seeded) == ["a0", "a1"]
    assert _guards(seeded) == 0
