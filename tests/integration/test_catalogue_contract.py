"""Contract tests (FalkorDB, and Neo4j when NEO4J_URI is set) for the catalogue's statements in
graph/queries/pathways.py and catalogue.py: ``DELETE_STALE_STEPS``, ``DETACH_BADGE`` (its effect counted with
``tests.graph_checks.count_relationships``), ``property_values``, ``PLACES_WITHIN`` and ``missing_refs`` (with ``graph.references.missing``, which reads it)."""

from __future__ import annotations

from colearn.graph import learner_queries, queries
from colearn.graph.schema import Label, Rel
from colearn.graph.references import missing
from colearn.graph.store import GraphStore
from tests.integration.test_contract import covers
from tests.graph_checks import count_relationships


def _pathway(store: GraphStore, pathway: str, n_steps: int) -> list[str]:
    steps = [f"{pathway}.step-{i}" for i in range(1, n_steps + 1)]
    store.write(queries.merge_nodes(Label.PATHWAY), {"rows": [{"id": pathway, "props": {"title": pathway}}]})
    store.write(queries.merge_nodes(Label.STEP), {"rows": [{"id": s, "props": {}} for s in steps]})
    store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": f"{s}-badge", "props": {}} for s in steps]})
    store.write(queries.set_links(Label.PATHWAY, Rel.HAS_STEP, Label.STEP),
                {"rows": [{"id": pathway, "targets": [{"id": s, "props": {"order": i + 1}}
                                                      for i, s in enumerate(steps)]}]})
    store.write(queries.set_links(Label.STEP, Rel.ACCEPTS, Label.BADGE),
                {"rows": [{"id": s, "targets": [{"id": f"{s}-badge", "props": {}}]} for s in steps]})
    return steps


@covers("DELETE_STALE_STEPS")
def test_delete_stale_steps_keeps_listed_steps_and_other_pathways(any_store: GraphStore) -> None:
    a = _pathway(any_store, "a", 4)
    b = _pathway(any_store, "b", 2)
    assert any_store.read(count_relationships(Rel.HAS_STEP)) == [{"n": 6}]
    assert any_store.read(count_relationships(Rel.ACCEPTS)) == [{"n": 6}]
    assert any_store.read(count_relationships(Rel.TOWARDS)) == [{"n": 0}]
    for _ in range(2):  # idempotent
        any_store.write(queries.DELETE_STALE_STEPS, {"rows": [{"id": "a", "step_ids": a[:2]}]})
        left = any_store.read("MATCH (s:Step) RETURN s.id AS id ORDER BY id")
        assert [r["id"] for r in left] == sorted(a[:2] + b)
        assert any_store.read(count_relationships(Rel.HAS_STEP)) == [{"n": 4}]
        assert any_store.read(count_relationships(Rel.ACCEPTS)) == [{"n": 4}]
    # Badges accepted by the deleted steps stay (only the steps go).
    assert any_store.read(queries.count_nodes(Label.BADGE)) == [{"n": 6}]


@covers("property_values")
def test_property_values_lists_each_value_once_in_order(any_store: GraphStore) -> None:
    """What a list filter on an enum-like property (a place's ``kind``, a cell's
    ``layer``) may take: the values the city's nodes have, each once, sorted; a node
    without the property adds nothing."""
    any_store.write(queries.merge_nodes(Label.PLACE), {"rows": [
        {"id": "p1", "props": {"kind": "venue"}}, {"id": "p2", "props": {"kind": "district"}},
        {"id": "p3", "props": {"kind": "venue"}}, {"id": "p4", "props": {"name": "no kind"}}]})
    assert any_store.read(queries.property_values(Label.PLACE, "kind")) == [{"value": "district"}, {"value": "venue"}]
    assert any_store.read(queries.property_values(Label.BADGE, "kind")) == []


@covers("PLACES_WITHIN")
def test_places_within_lists_every_link_once(any_store: GraphStore) -> None:
    """The ``WITHIN`` links the cycle check reads: each place and the one it lies
    within, by id; a place that lies within nothing has no row."""
    any_store.write(queries.merge_nodes(Label.PLACE), {"rows": [
        {"id": p, "props": {"kind": "place"}} for p in ("room-1", "library", "centre", "park")]})
    any_store.write(queries.set_links(Label.PLACE, Rel.WITHIN, Label.PLACE), {"rows": [
        {"id": "room-1", "targets": [{"id": "library", "props": {}}]},
        {"id": "library", "targets": [{"id": "centre", "props": {}}]}]})
    assert any_store.read(queries.PLACES_WITHIN) == [{"id": "library", "within": "centre"},
                                                     {"id": "room-1", "within": "library"}]


@covers("missing_refs")
def test_missing_refs_names_every_unknown_id_of_every_label_in_one_read(any_store: GraphStore) -> None:
    """Several labels in one statement: each label's unknown ids, whatever the others
    hold; a label with no ids asked, or with every id known, answers an empty list and
    the labels after it are still read (an empty list unwound as no rows would end the row)."""
    any_store.write(queries.merge_nodes(Label.THEME), {"rows": [{"id": "digital", "props": {}}]})
    any_store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": "b1", "props": {}}, {"id": "b2", "props": {}}]})
    any_store.write(queries.merge_nodes(Label.PLACE), {"rows": [{"id": "digital", "props": {}}]})
    statement = queries.missing_refs([Label.THEME, Label.DESTINATION, Label.BADGE, Label.PLACE])
    rows = any_store.read(statement, {"Theme": ["digital", "zz", "b1"], "Destination": [],
                                      "Badge": ["b1", "b2"], "Place": ["nowhere", "digital"]})
    assert len(rows) == 1
    assert {k: sorted(v) for k, v in rows[0].items()} == {
        "Theme": ["b1", "zz"], "Destination": [], "Badge": [], "Place": ["nowhere"]}
    assert any_store.read(queries.missing_refs([Label.ORGANISATION]), {"Organisation": []}) == [{"Organisation": []}]
    assert missing(any_store, {Label.THEME: ["zz", "digital", "zz"], Label.BADGE: [], Label.PLACE: ["b1"]}) == {
        Label.THEME: {"zz"}, Label.BADGE: set(), Label.PLACE: {"b1"}}


def _awards(store: GraphStore) -> list[tuple[str, str]]:
    rows = store.read(f"MATCH (op:{Label.OPPORTUNITY})-[:{Rel.AWARDS}]->(b:{Label.BADGE}) RETURN op.id AS op, b.id AS b")
    return sorted((r["op"], r["b"]) for r in rows)


@covers("DETACH_BADGE")
def test_detach_badge_deletes_one_link_unless_a_live_code_grants_it_there(any_store: GraphStore) -> None:
    store = any_store
    store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [{"id": "college", "props": {"name": "C"}}]})
    store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": b, "props": {"name": b}} for b in ("a", "b")]})
    store.write(queries.merge_nodes(Label.OPPORTUNITY), {"rows": [{"id": o, "props": {"name": o}} for o in ("o1", "o2")]})
    store.write(queries.set_links(Label.BADGE, Rel.DEFINES, Label.ORGANISATION, outgoing=False),
                {"rows": [{"id": b, "targets": [{"id": "college", "props": {}}]} for b in ("a", "b")]})
    store.write(queries.set_links(Label.OPPORTUNITY, Rel.OFFERS, Label.ORGANISATION, outgoing=False),
                {"rows": [{"id": o, "targets": [{"id": "college", "props": {}}]} for o in ("o1", "o2")]})
    store.write(queries.set_links(Label.OPPORTUNITY, Rel.AWARDS, Label.BADGE), {"rows": [
        {"id": "o1", "targets": [{"id": "a", "props": {}}, {"id": "b", "props": {}}]},
        {"id": "o2", "targets": [{"id": "a", "props": {}}]}]})
    for code, badge, opp, revoked in (("live", "b", "o1", None), ("gone", "a", "o2", 5)):
        assert store.write(learner_queries.CREATE_CLAIM_CODE, {
            "id": code, "organisation_id": "college", "badge_id": badge, "opportunity_id": opp,
            "props": {"revoked_on": revoked, "organisation_id": "college"}})
    detach = lambda o, b: store.write(queries.DETACH_BADGE, {"opportunity_id": o, "badge_id": b})  # noqa: E731
    assert detach("o1", "a") == [{"detached": 1}]
    assert _awards(store) == [("o1", "b"), ("o2", "a")]  # the other opportunity's link to it stays
    assert detach("o1", "a") == []  # no such link any more
    assert detach("o1", "b") == []  # a live claim code grants b at o1
    assert detach("o2", "a") == [{"detached": 1}]  # a revoked one does not keep it
    assert detach("o9", "a") == [] and detach("o1", "z") == []
    assert _awards(store) == [("o1", "b")]
    assert store.read(queries.count_nodes(Label.BADGE)) == [{"n": 2}]  # only links go
