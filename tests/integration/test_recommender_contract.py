"""Contract tests for the recommender's statements (stored text embeddings), on FalkorDB
and on Neo4j when NEO4J_URI is set."""

from __future__ import annotations

from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from tests.integration.test_contract import covers


@covers("node_texts", "set_embeddings")
def test_embeddings_are_stored_and_read_back(any_store: GraphStore) -> None:
    any_store.write(queries.merge_nodes(Label.BADGE), {"rows": [
        {"id": "b2", "props": {"name": "Two", "description": "second"}},
        {"id": "b1", "props": {"name": "One"}}]})
    before = any_store.read(queries.node_texts(Label.BADGE))
    assert [(r["id"], r["name"], r["description"], r["vector"], r["model"]) for r in before] == [
        ("b1", "One", None, None, None), ("b2", "Two", "second", None, None)]
    any_store.write(queries.set_embeddings(Label.BADGE), {"rows": [
        {"id": "b2", "vector": [0.25, -0.5, 1.0], "model": "m", "hash": "h2"},
        {"id": "missing", "vector": [1.0], "model": "m", "hash": "hx"}]})
    after = {r["id"]: r for r in any_store.read(queries.node_texts(Label.BADGE))}
    assert set(after) == {"b1", "b2"}  # a missing id is skipped, not created
    assert after["b2"]["vector"] == [0.25, -0.5, 1.0] and after["b2"]["hash"] == "h2"
    assert after["b1"]["vector"] is None
