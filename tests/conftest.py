"""Shared fixtures: one FalkorDB server per test session, a fresh graph per test.

Set ``NEO4J_URI`` (with ``NEO4J_USER``/``NEO4J_PASSWORD``) to run the tests
marked ``neo4j`` against Neo4j as well (see README, "Using Neo4j").
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore
from colearn.graph.store import GraphStore

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"


@pytest.fixture(scope="session")
def falkordb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedFalkorDB]:
    """A FalkorDB server for the whole session, stopped at the end."""
    # Flushed once a second: the suite crashes no machine, and fsync on every write
    # (the service's default) would slow it; tests/integration/test_durability.py
    # runs its own stores with the default.
    server = EmbeddedFalkorDB.for_data_dir(tmp_path_factory.mktemp("falkordb"), fsync="everysec")
    yield server
    server.stop()


def _falkordb_store(server: EmbeddedFalkorDB) -> Iterator[FalkorDBStore]:
    store = FalkorDBStore(server.host, server.port, f"test-{uuid.uuid4().hex[:12]}", server=server)
    store.apply_schema()
    try:
        yield store
    finally:
        store.drop()
        store.close()


def _neo4j_store() -> Iterator[GraphStore]:
    from colearn.graph.neo4j_store import Neo4jStore

    store = Neo4jStore(os.environ["NEO4J_URI"], user=os.environ.get("NEO4J_USER", "neo4j"),
                       password=os.environ.get("NEO4J_PASSWORD", "neo4j"),
                       database=os.environ.get("NEO4J_DATABASE", "neo4j"))
    store.clear()
    store.apply_schema()
    try:
        yield store
    finally:
        store.clear()
        store.close()


def _backends() -> list[str]:
    return ["falkordb", "neo4j"] if os.environ.get("NEO4J_URI") else ["falkordb"]


@pytest.fixture
def store(falkordb_server: EmbeddedFalkorDB) -> Iterator[GraphStore]:
    """A fresh, empty FalkorDB graph with the schema applied."""
    yield from _falkordb_store(falkordb_server)


@pytest.fixture(params=_backends())
def any_store(request: pytest.FixtureRequest, falkordb_server: EmbeddedFalkorDB) -> Iterator[GraphStore]:
    """The contract suite's store: FalkorDB always, Neo4j too when ``NEO4J_URI`` is set."""
    if request.param == "falkordb":
        yield from _falkordb_store(falkordb_server)
    else:
        yield from _neo4j_store()
