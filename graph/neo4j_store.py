"""The production backend: Neo4j 5 through the official ``neo4j`` driver.

Engine differences kept here: unique ids are ``CREATE CONSTRAINT ... IF NOT
EXISTS`` (which also gives the index), extra indexes use ``IF NOT EXISTS``.
"""

from __future__ import annotations

from typing import Any

import neo4j
from neo4j import GraphDatabase
from neo4j.exceptions import ConstraintError, Neo4jError, ServiceUnavailable, SessionExpired

from colearn.errors import ColearnError, Conflict, StoreUnavailable
from colearn.graph.schema import INDEXES, UNIQUE_ID_LABELS
from colearn.graph.store import Row


def _plain(value: Any) -> Any:
    if isinstance(value, (neo4j.graph.Node, neo4j.graph.Relationship)):
        return dict(value.items())
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class Neo4jStore:
    """``GraphStore`` on Neo4j 5.

    Args:
        uri: e.g. ``neo4j://localhost:7687``.
        user: user name.
        password: password.
        database: the database to use (``neo4j`` on Community edition).

    Raises:
        StoreUnavailable: the server does not answer.
    """

    backend = "neo4j"

    def __init__(self, uri: str, *, user: str, password: str, database: str = "neo4j") -> None:
        self.database = database
        self._driver = GraphDatabase.driver(uri, auth=(user, password))
        try:
            self._driver.verify_connectivity()
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            raise StoreUnavailable(f"Neo4j at {uri} is not reachable: {exc}") from exc

    def _run(self, query: str, params: dict[str, Any] | None, read_only: bool) -> list[Row]:
        def work(tx: neo4j.ManagedTransaction) -> list[Row]:
            return [{k: _plain(v) for k, v in rec.items()} for rec in tx.run(query, params or {})]

        try:
            with self._driver.session(database=self.database) as session:
                if read_only:
                    return session.execute_read(work)
                return session.execute_write(work)
        except ConstraintError as exc:
            raise Conflict(f"uniqueness violated: {exc.message}") from exc
        except (ServiceUnavailable, SessionExpired) as exc:
            raise StoreUnavailable(f"Neo4j is not reachable: {exc}") from exc
        except Neo4jError as exc:
            raise ColearnError(f"Neo4j rejected the query: {exc.message}") from exc

    def read(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        """Run ``query`` in a read transaction."""
        return self._run(query, params, read_only=True)

    def write(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        """Run ``query`` in a write transaction (atomic, retried on transient errors)."""
        return self._run(query, params, read_only=False)

    def apply_schema(self) -> None:
        """Unique-id constraints for every label and the extra indexes; idempotent."""
        for label in UNIQUE_ID_LABELS:
            self._run(
                f"CREATE CONSTRAINT {label.lower()}_id IF NOT EXISTS "
                f"FOR (n:{label}) REQUIRE n.id IS UNIQUE", None, read_only=False)
        for label, prop in INDEXES:
            self._run(
                f"CREATE INDEX {label.lower()}_{prop} IF NOT EXISTS FOR (n:{label}) ON (n.{prop})",
                None, read_only=False)

    def clear(self) -> None:
        """Delete every node in batches (keeps the schema)."""
        self._clear_batched()

    def _clear_batched(self) -> None:
        while True:
            rows = self._run("MATCH (n) WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS c",
                             None, read_only=False)
            if not rows or rows[0]["c"] == 0:
                return

    def drop(self) -> None:
        """Same as ``clear`` (a Community server has one database)."""
        self._clear_batched()

    def close(self) -> None:
        """Close the driver."""
        self._driver.close()
