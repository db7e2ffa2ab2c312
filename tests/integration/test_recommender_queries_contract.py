"""Contract tests of graph/recommender_queries.py, on FalkorDB and on Neo4j when NEO4J_URI is set."""

from __future__ import annotations

from colearn.graph import queries, recommender_queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.recommender.projections import Projection
from tests.integration.test_contract import NOW, _seed


def test_theme_names_reach_the_projection(any_store: GraphStore) -> None:
    _seed(any_store)
    any_store.write(queries.merge_nodes(Label.THEME), {"rows": [
        {"id": "digital", "props": {"kind": "sector", "name": "Digital making"}},
        {"id": "unnamed", "props": {"kind": "civic"}}]})
    rows = any_store.read(recommender_queries.THEME_NAMES)
    assert rows == [{"id": "digital", "name": "Digital making"}, {"id": "unnamed", "name": None}]
    projection = Projection.from_store(any_store, now=NOW)
    assert projection.themes is not None and projection.theme_names is not None
    assert dict(zip(projection.themes, projection.theme_names))["digital"] == "Digital making"


def test_destination_names_reach_the_projection(any_store: GraphStore) -> None:
    """DESTINATION_NAMES: a destination whose id is not its name is said by its name."""
    _seed(any_store)  # b0 -> digital -> employment
    any_store.write(queries.merge_nodes(Label.DESTINATION), {"rows": [
        {"id": "employment", "props": {"name": "A paid job"}}, {"id": "tst_unnamed", "props": {}}]})
    rows = any_store.read(recommender_queries.DESTINATION_NAMES)
    assert rows == [{"id": "employment", "name": "A paid job"}, {"id": "tst_unnamed", "name": None}]
    projection = Projection.from_store(any_store, now=NOW)
    assert projection.destinations is not None and projection.destination_names is not None
    assert dict(zip(projection.destinations, projection.destination_names)) == {"employment": "A paid job"}


def test_every_statement_is_covered() -> None:
    public = {n for n, v in vars(recommender_queries).items() if n.isupper() and isinstance(v, str)}
    assert public == {"THEME_NAMES", "DESTINATION_NAMES"}, "a new statement needs a contract test here"
