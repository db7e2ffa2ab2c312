"""Contract test for the statement that finds pathways a new award may complete."""

from __future__ import annotations

from colearn.graph import queries
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue import demo_city_path, ingest_catalogue, read_catalogue

from tests.integration.test_contract import covers


@covers("PATHWAYS_COMPLETED_BY_BADGE")
def test_pathways_completed_by_badge(any_store: GraphStore) -> None:
    ingest_catalogue(any_store, demo_city_path())
    catalogue = read_catalogue(demo_city_path())
    pathways = [e.value for e in catalogue.pathways]
    badges = {b for p in pathways for s in p.steps for b in s.badges}
    for badge in sorted(badges):
        expected = sorted(p.id for p in pathways if p.status == "published" and p.completion_badge
                          and any(badge in s.badges for s in p.steps))
        got = [r["id"] for r in any_store.read(queries.PATHWAYS_COMPLETED_BY_BADGE, {"badge_id": badge})]
        assert got == expected, badge
    assert any_store.read(queries.PATHWAYS_COMPLETED_BY_BADGE, {"badge_id": "no-such-badge"}) == []
