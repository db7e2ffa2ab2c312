"""The production backend: Neo4j 5 through the official ``neo4j`` driver.

Engine differences kept here: unique ids are ``CREATE CONSTRAINT ... IF NOT
EXISTS`` (which also gives the index), extra indexes use ``IF NOT EXISTS``, and
``apply_schema`` waits until every index is populated (``db.awaitIndexes``:
Neo4j builds indexes in the background, so DDL returns before they serve).

Consistency: every session of a store shares one bookmark manager
(``GraphDatabase.bookmark_manager()``), so on a cluster a read that follows a
write of the same process sees that write (causal consistency; Neo4j Operations
Manual, "Causal consistency"). Transactions are read-committed: a statement that
reads a value and then decides on it must lock the node first (see
``graph/queries/_fragments.py``, "Lock before read").
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Literal
from urllib.parse import urlsplit

import neo4j
from neo4j import GraphDatabase
from neo4j.exceptions import (
    AuthError,
    ConfigurationError,
    ConnectionAcquisitionTimeoutError,
    ConstraintError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from colearn.errors import ColearnError, Conflict, InvalidInput, StoreUnavailable
from colearn.graph.schema import INDEXES, UNIQUE_ID_LABELS
from colearn.graph.store import Row

#: Status codes of queries Neo4j rejected because of the values they were given
#: (a wrong type, an out-of-range argument, a division by zero), not their text.
_INPUT_CODES = (
    "Neo.ClientError.Statement.TypeError",
    "Neo.ClientError.Statement.ArgumentError",
    "Neo.ClientError.Statement.ArithmeticError",
    "Neo.ClientError.Statement.PropertyNotFound",
)
#: A parameter of the wrong type, when Neo4j sees it while planning (``$x[0]`` with
#: ``x`` an integer), comes as a SyntaxError with this message (measured on 5.26):
#: a value, not the statement's text, so it is an input error too.
_PARAMETER_TYPE = "type mismatch for parameter"
log = logging.getLogger(__name__)

#: The most statements a store with ``silence_s`` runs at once (its worker threads): more
#: wait for a thread, within the same bound, so a frozen server holds at most this many.
CALL_THREADS = 32


def _not_a_retry(record: logging.LogRecord) -> bool:
    """Drop the driver's "Transaction failed and will be retried" warning: a transient error
    (two ingests deadlocking) that a retry clears is no news, and its text (lock ids, the
    statement's resources) filled a command's output; one that outlasts the retries is
    ``StoreUnavailable`` with the driver's words (``_translate``)."""
    return "will be retried" not in str(record.msg)


logging.getLogger("neo4j.session").addFilter(_not_a_retry)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: Seconds ``apply_schema`` waits for index population before giving up.
INDEX_WAIT_S = 300
#: Seconds ``refresh_statistics`` waits for the resample: it follows a bulk write that someone
#: waits on (an ingest command), and a resample slower than this is left to Neo4j's own
#: background sampling rather than added to that wait.
REFRESH_WAIT_S = 10
#: Nodes deleted per transaction by ``clear``.
CLEAR_BATCH = 10_000


def _plain(value: Any) -> Any:
    if isinstance(value, (neo4j.graph.Node, neo4j.graph.Relationship)):
        return dict(value.items())
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def check_params(value: Any, where: str = "params") -> None:
    """Refuse what the FalkorDB backend refuses, so both engines keep the same
    values: a NUL character (U+0000) or an unpaired surrogate in a text or a map
    key, an integer outside int64, a NaN or infinite float.

    Raises:
        InvalidInput: naming the parameter's dotted path as the field.
    """
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidInput("a text holds a NUL character (U+0000), which is not accepted", field=where)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidInput("a text is not valid Unicode (it holds an unpaired surrogate)", field=where) from exc
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise InvalidInput(f"the integer {value} is outside the store's 64-bit range", field=where)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(f"not a finite number: {value}", field=where)
    elif isinstance(value, dict):
        for k, v in value.items():
            check_params(k, f"{where} key")
            check_params(v, f"{where}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            check_params(v, f"{where}.{i}")


class Neo4jStore:
    """``GraphStore`` on Neo4j 5.

    Args:
        uri: e.g. ``neo4j://localhost:7687`` (a cluster) or ``bolt://host:7687``.
        user: user name.
        password: password.
        database: the database to use (``neo4j`` on Community edition).
        max_retry_s: how long the driver retries a transaction that failed with a
            transient error or a lost connection (seconds; the driver's default,
            30, when None).
        connect_timeout_s: how long opening a connection, or waiting for one from the
            pool, may take (seconds; the driver's defaults, 30 and 60, when None). The
            API gives both its
            ``store_timeout_seconds`` (``open_store``), so that a request finds a
            stopped server out in seconds, not after the driver's minute.
        silence_s: with a value, ``read``/``write`` wait at most this many seconds
            without a record from the server (``StoreUnavailable`` "did not answer"),
            as the embedded store's socket timeout does: a server frozen mid-statement
            (a stopped JVM, a network that drops packets) otherwise held the caller
            until the server's ``connection.recv_timeout_seconds`` hint (Bolt 4.3+,
            120 s by default, and never without the hint). The statement runs on a
            worker thread of the store (at most ``CALL_THREADS`` at once); one given up on keeps its
            thread until the driver gives up on the connection, and a write given up
            on may still commit, as after any lost answer. None (batch commands):
            statements run on the caller's thread, unbounded. ``apply_schema`` and
            ``clear`` are never bounded (waiting for indexes can take minutes).

    Raises:
        StoreUnavailable: ``uri`` is not a usable Bolt address (``BOLT_SCHEMES``), or the
            server does not answer, or refuses the credentials.

    Errors of ``read``/``write``: ``Conflict`` on a uniqueness violation;
    ``StoreUnavailable`` when the server cannot be reached, refuses the
    credentials, or a transient error (deadlock, lock wait timeout, leader
    switch) persists after the driver's retries (``max_retry_s``);
    ``InvalidInput`` for a value ``check_params`` refuses (before sending) or
    one Neo4j rejects (codes in ``_INPUT_CODES``, or a parameter of the wrong
    type found while planning, ``_PARAMETER_TYPE``); ``ColearnError`` for any
    other rejected query (a bug). Neo4j's own message, which quotes the
    statement, is logged, not raised.
    """

    backend = "neo4j"

    def __init__(self, uri: str, *, user: str, password: str, database: str = "neo4j",
                 max_retry_s: float | None = None, connect_timeout_s: float | None = None,
                 silence_s: float | None = None) -> None:
        self.database = database
        self.silence_s = silence_s
        self._calls = None if silence_s is None else ThreadPoolExecutor(CALL_THREADS, "neo4j-call")
        self.uri = uri
        self.where = f"the Neo4j database '{database}' at {uri} (NEO4J_DATABASE, NEO4J_URI)"
        retry: dict[str, Any] = {} if max_retry_s is None else {"max_transaction_retry_time": max_retry_s}
        if connect_timeout_s is not None:
            retry["connection_timeout"] = connect_timeout_s
            retry["connection_acquisition_timeout"] = connect_timeout_s
        scheme = urlsplit(uri).scheme if "://" in uri else ""
        if scheme not in BOLT_SCHEMES:
            raise StoreUnavailable(f"NEO4J_URI '{uri}' is not a Bolt address: give "
                                   f"{' or '.join(f'{s}://host:7687' for s in ('bolt', 'neo4j'))} "
                                   "(or their +s, +ssc forms for TLS)")
        # Notifications (e.g. "this property key does not exist yet" on an empty
        # graph) are planner hints, logged by the driver as warnings: off.
        try:
            self._driver = GraphDatabase.driver(uri, auth=(user, password), notifications_min_severity="OFF",
                                                **retry)
        except (ConfigurationError, ValueError) as exc:
            raise StoreUnavailable(f"NEO4J_URI '{uri}' is not usable: {one_line(exc)}") from exc
        self._bookmarks = GraphDatabase.bookmark_manager()
        self._refresh_refused = False  # refresh_statistics warns once
        try:
            self._driver.verify_connectivity()
        except AuthError as exc:
            self._driver.close()
            raise StoreUnavailable(f"Neo4j at {uri} refused the credentials of user '{user}': "
                                   f"check NEO4J_USER and NEO4J_PASSWORD") from exc
        except (ServiceUnavailable, SessionExpired, ConnectionAcquisitionTimeoutError, OSError) as exc:
            self._driver.close()
            raise StoreUnavailable(f"Neo4j at {uri} is not reachable: {one_line(exc)}") from exc

    def _session(self) -> neo4j.Session:
        return self._driver.session(database=self.database, bookmark_manager=self._bookmarks)

    def _run(self, query: str, params: dict[str, Any] | None, read_only: bool,
             heard: list[float] | None = None) -> list[Row]:
        """Run ``query`` in a managed transaction; ``heard[0]`` is set to ``time.monotonic()``
        at each record received (the watch of ``_bounded``)."""
        def work(tx: neo4j.ManagedTransaction) -> list[Row]:
            rows = []
            for rec in tx.run(query, params or {}):
                rows.append({k: _plain(v) for k, v in rec.items()})
                if heard is not None:
                    heard[0] = time.monotonic()
            return rows

        for name, value in (params or {}).items():
            check_params(value, name)
        with _ErrorMap(self.uri, self.database):
            with self._session() as session:
                if read_only:
                    return session.execute_read(work)
                return session.execute_write(work)

    def _bounded(self, query: str, params: dict[str, Any] | None, read_only: bool) -> list[Row]:
        """``_run`` on a worker thread, given up after ``silence_s`` without a record
        (see ``silence_s`` in the class docstring)."""
        if self._calls is None or self.silence_s is None:
            return self._run(query, params, read_only)
        heard = [time.monotonic()]
        future: Future[list[Row]] = self._calls.submit(self._run, query, params, read_only, heard)
        while True:
            left = heard[0] + self.silence_s - time.monotonic()
            try:
                return future.result(timeout=max(left, 0.0))
            except FutureTimeout:
                if heard[0] + self.silence_s <= time.monotonic():
                    future.cancel()
                    raise StoreUnavailable(f"Neo4j at {self.uri} did not answer within {self.silence_s:g} s "
                                           "(store_timeout_seconds)") from None

    def read(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        """Run ``query`` in a read transaction (retried on transient errors)."""
        return self._bounded(query, params, read_only=True)

    def write(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        """Run ``query`` in a write transaction (atomic, retried on transient errors)."""
        return self._bounded(query, params, read_only=False)

    def plan(self, statements: Mapping[str, str]) -> list[str]:
        """Have the server plan each statement (``EXPLAIN``: planned and cached, nothing run or
        written), one autocommit call each; returns the names of those it refused (logged with
        Neo4j's code). Unbounded by ``silence_s`` (a start-up job, ``graph.plans``).

        Raises:
            StoreUnavailable: the server cannot be reached.
        """
        refused = []
        with _ErrorMap(self.uri, self.database), self._session() as session:
            for name, statement in statements.items():
                try:
                    session.run("EXPLAIN " + statement).consume()
                except Neo4jError as exc:
                    log.warning("Neo4j could not plan %s (%s)", name, exc.code)
                    refused.append(name)
        return refused

    def apply_schema(self) -> None:
        """Unique-id constraints for every label and the extra indexes, then wait
        until all indexes are online; idempotent.

        Raises:
            StoreUnavailable: the indexes were not populated within ``INDEX_WAIT_S``.
            Conflict: the database holds what colearn's schema cannot be made over
                (another application's data: two nodes of a label with one id, or an
                index of its own on a property colearn constrains), named.
        """
        # one read of what is there first: each schema statement is a transaction of its own
        # (about 0.25 s for the whole schema when it all exists, against 2 reads)
        constraints = {r["name"] for r in self._run("SHOW CONSTRAINTS YIELD name RETURN name", None, read_only=True)}
        indexes = {r["name"]: r["state"] for r in self._run(
            "SHOW INDEXES YIELD name, state RETURN name, state", None, read_only=True)}
        made = False
        for label in UNIQUE_ID_LABELS:
            if (name := f"{label.lower()}_id") not in constraints:
                self._schema(f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE",
                             label, "id")
                made = True
        for label, prop in INDEXES:
            if (name := f"{label.lower()}_{prop}") not in indexes:
                self._schema(f"CREATE INDEX {name} IF NOT EXISTS FOR (n:{label}) ON (n.{prop})", label, prop)
                made = True
        if made or any(state != "ONLINE" for state in indexes.values()):
            self._await_indexes()

    def _schema(self, statement: str, label: str, prop: str) -> None:
        """Run one schema statement; what stands in its way becomes a ``Conflict`` naming it."""
        try:
            self._run(statement, None, read_only=False)
        except ColearnError as exc:
            code = getattr(exc.__cause__, "code", None)
            ours = f"colearn needs a Neo4j database of its own (NEO4J_DATABASE, now '{self.database}')"
            if code == _CONSTRAINT_FAILED:
                ids = [r["id"] for r in self._run(
                    f"MATCH (n:{label}) WITH n.id AS id, count(*) AS c WHERE c > 1 RETURN id ORDER BY id LIMIT 3",
                    None, read_only=True)]
                raise Conflict(f"Neo4j holds two or more {label} nodes with one id ({', '.join(map(repr, ids))}), so "
                               f"colearn's unique-id constraint on {label}.id cannot be made: {ours}") from exc
            if code == _INDEX_EXISTS:
                names = [r["name"] for r in self._run(
                    "SHOW INDEXES YIELD name, labelsOrTypes, properties WHERE labelsOrTypes = [$label] "
                    "AND properties = [$prop] RETURN name", {"label": label, "prop": prop}, read_only=True)]
                raise Conflict(f"Neo4j has an index of its own on {label}.{prop} ({', '.join(names)}) where colearn "
                               f"makes its schema: drop it, or give colearn a database of its own "
                               f"(NEO4J_DATABASE, now '{self.database}')") from exc
            raise

    def _await_indexes(self) -> None:
        try:
            self._run("CALL db.awaitIndexes($s)", {"s": INDEX_WAIT_S}, read_only=True)
        except ColearnError as exc:
            raise StoreUnavailable(f"Neo4j indexes not online after {INDEX_WAIT_S} s: {exc}") from exc

    def refresh_statistics(self) -> bool:
        """Resample the indexes and drop the cached plans (``CALL db.prepareForReplanning``:
        it waits for the resample, at most ``REFRESH_WAIT_S``), so the statements after a bulk
        write are planned on the data now there (Neo4j samples indexes in the background
        and replans a cached statement only when the statistics have moved far enough).

        Returns whether it was done. Never raises: the write it follows has landed, so any
        failure (a server or user that refuses the procedure, a resample slower than
        ``REFRESH_WAIT_S``, a server gone) is one WARNING per store, and statements are
        then planned on Neo4j's background samples.
        """
        try:
            with self._session() as session:
                session.run("CALL db.prepareForReplanning($s)", {"s": REFRESH_WAIT_S}).consume()
            return True
        except Exception as exc:  # noqa: BLE001 - an optimisation after a write that landed
            if not self._refresh_refused:
                self._refresh_refused = True
                log.warning("Neo4j did not refresh its planner statistics after a bulk write (%s); "
                            "statements are planned on its background samples", one_line(exc))
            return False

    def clear(self) -> None:
        """Delete every node and relationship, ``CLEAR_BATCH`` nodes a transaction
        (keeps the schema)."""
        while True:
            rows = self._run("MATCH (n) WITH n LIMIT $batch DETACH DELETE n RETURN count(*) AS c",
                             {"batch": CLEAR_BATCH}, read_only=False)
            if not rows or rows[0]["c"] < CLEAR_BATCH:
                return

    def drop(self) -> None:
        """Same as ``clear`` (a Community server has one database)."""
        self.clear()

    def close(self) -> None:
        """Close the driver; statements still waiting for a worker thread are dropped, and the
        threads of ones given up on are not waited for."""
        if self._calls is not None:
            self._calls.shutdown(wait=False, cancel_futures=True)
        self._driver.close()


#: The URI schemes of a Bolt server (the official driver's; ``http`` would be its query API).
BOLT_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")

#: The status code of a statement sent to a database the server does not have.
_NO_DATABASE = "Neo.ClientError.Database.DatabaseNotFound"
#: A unique constraint that existing nodes break (two with one value).
_CONSTRAINT_FAILED = "Neo.DatabaseError.Schema.ConstraintCreationFailed"
#: An index (under another name) already covers what a schema statement would index.
_INDEX_EXISTS = "Neo.ClientError.Schema.IndexAlreadyExists"


def one_line(exc: BaseException) -> str:
    """The driver's text of ``exc`` on one line (its messages wrap), so that a log or a
    terminal shows the error whole."""
    return " ".join(str(exc).split())


class _ErrorMap:
    """Context manager turning driver exceptions into colearn's (see ``Neo4jStore``)."""

    def __init__(self, uri: str, database: str) -> None:
        self.uri = uri
        self.database = database

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> Literal[False]:
        if exc is None:
            return False
        if isinstance(exc, ConstraintError):
            raise Conflict(f"uniqueness violated: {exc.message}") from exc
        if isinstance(exc, AuthError):
            raise StoreUnavailable(f"Neo4j at {self.uri} refused the credentials: {exc.message}") from exc
        if isinstance(exc, TransientError):
            raise StoreUnavailable(f"Neo4j kept failing after retries ({exc.code}): {exc.message}") from exc
        if isinstance(exc, (ServiceUnavailable, SessionExpired, ConnectionAcquisitionTimeoutError, OSError)):
            raise StoreUnavailable(f"Neo4j at {self.uri} is not reachable: {one_line(exc)}") from exc
        if isinstance(exc, Neo4jError) and exc.code == _NO_DATABASE:
            raise StoreUnavailable(f"Neo4j at {self.uri} has no database '{self.database}': check "
                                   "NEO4J_DATABASE (Community edition has one, 'neo4j')") from exc
        if isinstance(exc, Neo4jError):
            # Neo4j's message quotes the statement: logged here, never answered.
            log.warning("Neo4j rejected a statement (%s): %s", exc.code, exc.message)
            if exc.code in _INPUT_CODES or _PARAMETER_TYPE in (exc.message or "").lower():
                raise InvalidInput(f"the store rejected a value ({exc.code})") from exc
            raise ColearnError(f"the store rejected a statement ({exc.code})") from exc
        return False
