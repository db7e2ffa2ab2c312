"""``ingest.common.write_batches`` on both engines: batches land in order, each whole or not at
all, and the first that fails stops the rest (on FalkorDB the next batch's parameters are written
while the engine runs the current one, ``FalkorDBStore.write_many``)."""

from __future__ import annotations

import pytest

from colearn.errors import Conflict, InvalidInput
from colearn.graph import feed, queries
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


def test_a_batch_the_engine_refuses_stops_the_rest(seeded: GraphStore) -> None:
    # batch 2 repeats an id (the unique constraint refuses it whole); batch 3 is never sent
    rows = [_award(0), _award(1), _award(2), _award(2), _award(4), _award(5)]
    with pytest.raises(Conflict):
        write_batches(seeded, queries.MERGE_ASSERTIONS, rows, size=2, record=feed.AWARDS)
    assert _landed(seeded) == ["a0", "a1"]
    assert seeded.read("MATCH (e:FeedEntry) RETURN count(e) AS n") == [{"n": 1}]


def test_a_value_refused_before_sending_stops_the_rest(seeded: GraphStore) -> None:
    rows = [_award(0), _award(1), _award(2), _award(3, score=float("nan")), _award(4), _award(5)]
    with pytest.raises(InvalidInput):
        write_batches(seeded, queries.MERGE_ASSERTIONS, rows, size=2)
    assert _landed(seeded) == ["a0", "a1"]
