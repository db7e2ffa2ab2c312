"""The store interface every backend implements, and the factory that picks one.

A ``GraphStore`` runs one parameterised Cypher statement per call, in a read or
a write transaction. One statement is the unit of atomicity in both engines
(FalkorDB has no multi-statement transactions), so every operation that must
land whole is written as one statement (``UNWIND $rows`` for batches).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

from colearn.config import Settings

Row = dict[str, Any]

#: Rows per batched write (one ``UNWIND $rows`` statement each): every reader in
#: ``ingest/`` and the award operations write in batches of this size. 5,000
#: measured fastest on FalkorDB (FALKORDB.md).
BATCH_SIZE = 5_000


@runtime_checkable
class GraphStore(Protocol):
    """A graph database reachable with openCypher.

    Rows come back as ``dict`` keyed by the ``RETURN`` aliases; values are
    plain Python (str, int, float, bool, None, list, dict), never engine nodes.

    Errors of ``read`` and ``write``: ``StoreUnavailable`` when the engine cannot
    be reached; ``Conflict`` on a uniqueness violation; ``InvalidInput`` when a
    parameter value is refused, before it is sent (one the store cannot keep
    exactly: a NUL character, an unpaired surrogate, an integer outside int64,
    NaN or infinity) or by the engine (a wrong type, a bad argument, a division
    by zero, a map as a property value); a plain ``ColearnError`` (HTTP 500) for
    any other statement the engine rejects, such as a syntax error or a write in
    a read transaction: a fault in the statement, not in the input. The engine's
    own message quotes the statement and is logged, never raised.
    """

    backend: str
    #: Which graph this is, for messages about its data (``"the Neo4j database 'neo4j' at bolt://..."``).
    where: str

    def read(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        """Run ``query`` in a read transaction and return its rows."""
        ...

    def write(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        """Run ``query`` in a write transaction (atomic) and return its rows."""
        ...

    def apply_schema(self) -> None:
        """Create the unique-id constraints and indexes of ``graph.schema``; idempotent."""
        ...

    def clear(self) -> None:
        """Delete every node and relationship of this graph (tests, re-seeding)."""
        ...

    def close(self) -> None:
        """Release connections. An embedded FalkorDB server keeps running: it stops when
        the process that started it exits (``EmbeddedFalkorDB.stop``)."""
        ...


def refresh_statistics(store: GraphStore) -> None:
    """After a bulk write: have the engine plan its next statements with statistics of the
    data now there (``refresh_statistics`` of the store, or of the store a ``CachedStore``
    wraps; an engine without one, FalkorDB, needs nothing). Measured on Neo4j 5.26 right
    after loading the demo city: the feed follower's ``HELD_PAIRS`` for 1,000 pairs took
    23.7 s, planned on an index sample taken when the graph was empty (a scan of every
    accepted assertion per pair), and 0.3 s planned after the refresh."""
    refresh = getattr(getattr(store, "inner", store), "refresh_statistics", None)
    if callable(refresh):
        refresh()


def write_each(store: GraphStore, query: str, params: Iterable[dict[str, Any]]) -> int:
    """Run ``query`` once per parameter map, in order, one statement at a time.

    A store that offers ``write_many(query, params)`` (FalkorDB: it sends the next
    statement while the engine runs the current one, each guarded so that it runs
    only if all before it landed: ``graph.falkordb_pipeline``) runs them; any other
    gets one ``write`` each.

    Args:
        store: the graph.
        query: the statement.
        params: its parameter maps, consumed in order.

    Returns:
        The number of statements run.

    Raises:
        The errors of ``GraphStore.write``, for the first statement that fails: the
        statements before it have landed, none after it.
    """
    many = getattr(store, "write_many", None)
    if many is not None:
        return int(many(query, params))
    sent = 0
    for p in params:
        store.write(query, p)
        sent += 1
    return sent


#: With a ``timeout``, how long a failing Neo4j transaction is retried (seconds): long enough
#: for a transient error (a deadlock, a cluster's leader changing) to clear once or twice.
NEO4J_RETRY_S = 1.0


def open_store(settings: Settings, *, timeout: float | None = None, take_over: bool = True) -> GraphStore:
    """Open the store the settings select and apply the schema.

    Args:
        settings: Neo4j is used when ``settings.neo4j_uri`` is set, otherwise
            the embedded FalkorDB under ``settings.data_dir``.
        timeout: seconds one call to the store may wait for the server before
            ``StoreUnavailable`` (on Neo4j: without a record, and how long a
            connection may take to open; the API passes
            ``settings.store_timeout_seconds``); a failing
            Neo4j transaction is then retried for at most ``NEO4J_RETRY_S`` of it
            (a server that refuses connections answers 503 in about a second, not
            after the driver's backoff has slept through the whole timeout). None,
            for batch commands: no limit on the embedded store, the driver's
            defaults (30 s of retries) on Neo4j.
        take_over: on the embedded store, whether this process takes a store it
            reuses over once its owner is gone (``EmbeddedFalkorDB.for_data_dir``).

    Returns:
        A ready ``GraphStore``.

    Raises:
        StoreUnavailable: the engine could not be reached or started.
    """
    if settings.neo4j_uri:
        from colearn.graph.neo4j_store import Neo4jStore

        store: GraphStore = Neo4jStore(
            settings.neo4j_uri,
            user=settings.neo4j_user,
            password=settings.neo4j_password.get_secret_value(),
            database=settings.neo4j_database,
            max_retry_s=None if timeout is None else min(timeout, NEO4J_RETRY_S),
            connect_timeout_s=timeout,
            silence_s=timeout,
        )
    else:
        from colearn.graph.falkordb_server import EmbeddedFalkorDB
        from colearn.graph.falkordb_store import FalkorDBStore

        server = EmbeddedFalkorDB.for_data_dir(settings.data_dir, settings.fsync, take_over=take_over)
        store = FalkorDBStore(server.host, server.port, settings.graph_name, server=server, timeout=timeout)
    store.apply_schema()
    return store
