"""Contract tests for the insight statements (both engines), checked against
numbers computed in Python from the rows written."""

from __future__ import annotations

from colearn.graph import queries
from colearn.graph.schema import Label, Rel
from colearn.graph.store import GraphStore

from tests.integration.test_contract import covers


def _badges_with_issuers(store: GraphStore) -> None:
    store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [{"id": o, "props": {}} for o in ("o1", "o2")]})
    store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": b, "props": {}} for b in ("b1", "b2", "b3")]})
    store.write(queries.set_links(Label.BADGE, Rel.DEFINES, Label.ORGANISATION, outgoing=False), {"rows": [
        {"id": "b1", "targets": [{"id": "o1", "props": {}}]}, {"id": "b2", "targets": [{"id": "o2", "props": {}}]}]})


@covers("BADGE_ISSUERS")
def test_badge_issuers(any_store: GraphStore) -> None:
    _badges_with_issuers(any_store)
    rows = any_store.read(queries.BADGE_ISSUERS, {"badge_ids": ["b1", "b2", "b3", "zz"]})
    assert sorted((r["badge_id"], r["issuer_id"]) for r in rows) == [("b1", "o1"), ("b2", "o2")]
