"""The Neo4j backend itself, on the session's Neo4j 5.26 (tests/neo4j): driver
errors mapped to colearn's, one bookmark manager per store, schema indexes
online when ``apply_schema`` returns, and the suite's refusal to erase a
database that is not marked for testing."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import neo4j
import pytest

from colearn.errors import StoreUnavailable
from colearn.graph import queries
from colearn.graph.neo4j_store import Neo4jStore
from colearn.graph.schema import INDEXES, Label
from tests.conftest import TEST_MARKER, Neo4jTarget, check_external_database


@pytest.fixture
def neo(neo4j_target: Neo4jTarget) -> Iterator[Neo4jStore]:
    store = neo4j_target.open()
    store.clear()
    try:
        yield store
    finally:
        store.close()


def test_wrong_password_is_store_unavailable(neo4j_target: Neo4jTarget) -> None:
    with pytest.raises(StoreUnavailable, match="refused the credentials"):
        Neo4jStore(neo4j_target.uri, user=neo4j_target.user, password="not-the-password")


def test_unreachable_server_is_store_unavailable() -> None:
    from tests.live import free_port

    with pytest.raises(StoreUnavailable, match="not reachable"):
        Neo4jStore(f"bolt://127.0.0.1:{free_port()}", user="neo4j", password="whatever1")


@pytest.mark.parametrize("uri", ["127.0.0.1:7687", "http://127.0.0.1:7474", "https://db.example:7473"])
def test_a_uri_that_is_no_bolt_address_names_neo4j_uri(uri: str) -> None:
    """No scheme, or the HTTP one (which the driver takes for its query API, needing a package
    colearn does not install): one line naming NEO4J_URI and the forms it takes, not a trace."""
    with pytest.raises(StoreUnavailable) as info:
        Neo4jStore(uri, user="neo4j", password="whatever1")
    assert "NEO4J_URI" in info.value.message and "bolt://host:7687" in info.value.message
    assert "\n" not in info.value.message


def test_a_database_the_server_lacks_names_neo4j_database(neo4j_target: Neo4jTarget) -> None:
    store = Neo4jStore(neo4j_target.uri, user=neo4j_target.user, password=neo4j_target.password, database="nosuch")
    try:
        with pytest.raises(StoreUnavailable, match="has no database 'nosuch': check NEO4J_DATABASE"):
            store.read("RETURN 1 AS one")
    finally:
        store.close()


def test_an_unreachable_servers_error_is_one_line() -> None:
    from tests.live import free_port

    with pytest.raises(StoreUnavailable) as info:
        Neo4jStore(f"bolt://127.0.0.1:{free_port()}", user="neo4j", password="whatever1")
    assert "\n" not in info.value.message


def test_exhausted_retries_are_store_unavailable(neo4j_target: Neo4jTarget, neo: Neo4jStore) -> None:
    """Another transaction holds the node's lock past the server's lock timeout
    (5 s in tests/neo4j): the driver retries the TransientError, then gives up."""
    neo.write(queries.merge_nodes(Label.LEARNER), {"rows": [{"id": "held", "props": {}}]})
    impatient = Neo4jStore(neo4j_target.uri, user=neo4j_target.user, password=neo4j_target.password,
                           max_retry_s=0.5)
    holder = neo4j.GraphDatabase.driver(neo4j_target.uri, auth=(neo4j_target.user, neo4j_target.password))
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        with holder.session(database=neo4j_target.database) as session, session.begin_transaction() as tx:
            tx.run("MATCH (l:Learner {id: 'held'}) SET l.x = 1").consume()
            locked.set()
            release.wait(30)
            tx.rollback()

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert locked.wait(30)
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="LockAcquisitionTimeout"):
            impatient.write("MATCH (l:Learner {id: 'held'}) SET l.x = 2")
        assert time.monotonic() - started < 25
    finally:
        release.set()
        t.join()
        impatient.close()
        holder.close()


def test_a_server_that_stops_is_found_out_within_the_api_timeout(neo4j_target: Neo4jTarget) -> None:
    """The API opens the store with its ``store_timeout_seconds`` (``open_store``, 5 s): when the
    server stops answering, a read gives up within it, where the driver's defaults retried for 30 s a
    statement and ``/health`` took over a minute to answer 503; and the retries of a failing
    transaction stop after ``NEO4J_RETRY_S`` (1 s), where retrying for the whole 5 s made each
    request take 6 to 8 s (the driver's backoff sleeps 1, 2, 4 s). The server is reached through a
    relay that is then cut, as a stopped server looks to its clients."""
    from urllib.parse import urlsplit

    from colearn.config import Settings
    from colearn.graph.store import open_store
    from tests.live import tcp_relay

    where = urlsplit(neo4j_target.uri)
    with tcp_relay(where.hostname or "127.0.0.1", where.port or 7687) as relay:
        settings = Settings(neo4j_uri=f"bolt://{relay.address}", neo4j_user=neo4j_target.user,
                            neo4j_password=neo4j_target.password, neo4j_database=neo4j_target.database)
        store = open_store(settings, timeout=settings.store_timeout_seconds)
        try:
            assert store.read("RETURN 1 AS one") == [{"one": 1}]
            relay.cut()
            started = time.monotonic()
            with pytest.raises(StoreUnavailable, match="not reachable"):
                store.read("RETURN 1 AS one")
            took = time.monotonic() - started
        finally:
            store.close()
    # the backoff's sleeps (1 s then 2 s, each +-20%) bound it, whatever the load: 5.0 s or more before
    assert took < 4.0, f"a read on a stopped server took {took:.1f} s"


def test_a_server_frozen_mid_statement_is_given_up_on_within_the_api_timeout(neo4j_target: Neo4jTarget) -> None:
    """A server that stops answering without closing its connections (a stopped JVM, a
    network dropping packets): the API's store gives up on a read after
    ``store_timeout_seconds`` without a record, where the driver waited for the
    server's ``connection.recv_timeout_seconds`` hint (120 s by default) or for ever
    without it. The statement is sent, then the relay in front of the server freezes;
    a second read, on a new connection, is given up on as well. The store still closes."""
    from urllib.parse import urlsplit

    from colearn.config import Settings
    from colearn.graph.store import open_store
    from tests.live import tcp_relay

    where = urlsplit(neo4j_target.uri)
    with tcp_relay(where.hostname or "127.0.0.1", where.port or 7687) as relay:
        settings = Settings(neo4j_uri=f"bolt://{relay.address}", neo4j_user=neo4j_target.user,
                            neo4j_password=neo4j_target.password, neo4j_database=neo4j_target.database,
                            store_timeout_seconds=2)
        store = open_store(settings, timeout=settings.store_timeout_seconds)
        took = []
        try:
            assert store.read("RETURN 1 AS one") == [{"one": 1}]
            relay.freeze()
            # the first on the open connection; the second on a new one, whose handshake gets
            # no answer either (the driver's connect timeout, also 2 s, may name it first)
            for expected in ("did not answer within 2 s", "did not answer within 2 s|not reachable"):
                started = time.monotonic()
                with pytest.raises(StoreUnavailable, match=expected):
                    store.read("UNWIND range(1, 3) AS i RETURN i")
                took.append(time.monotonic() - started)
        finally:
            closing = time.monotonic()
            store.close()
            closed_in = time.monotonic() - closing
    assert all(1.9 < t < 3.5 for t in took), f"reads on a frozen server took {took}"
    assert closed_in < 3.0, f"closing the store took {closed_in:.1f} s"


def test_one_bookmark_manager_carries_every_write(neo: Neo4jStore) -> None:
    """Each statement runs in its own session; the store's bookmark manager hands
    the bookmark of each write to the next session (read-your-writes on a cluster)."""
    neo.write(queries.merge_nodes(Label.LEARNER), {"rows": [{"id": "l1", "props": {}}]})
    first = set(neo._bookmarks.get_bookmarks())
    assert len(first) == 1
    neo.write(queries.merge_nodes(Label.LEARNER), {"rows": [{"id": "l2", "props": {}}]})
    second = set(neo._bookmarks.get_bookmarks())
    assert len(second) == 1 and second != first
    assert neo.read(queries.count_nodes(Label.LEARNER)) == [{"n": 2}]


def test_apply_schema_returns_with_indexes_online(neo4j_target: Neo4jTarget, neo: Neo4jStore) -> None:
    """Index DDL returns before the index is built; apply_schema waits for it."""
    label, prop = INDEXES[0]
    name = f"{label.lower()}_{prop}"
    neo.write(f"DROP INDEX {name} IF EXISTS")
    try:
        neo.write(f"UNWIND range(1, 60000) AS i CREATE (:{label} {{id: 'x' + i, {prop}: 'issued'}})")
        neo.apply_schema()
        rows = neo.read(f"SHOW INDEXES YIELD name, state, populationPercent WHERE name = '{name}' "
                        "RETURN state, populationPercent")
        assert rows == [{"state": "ONLINE", "populationPercent": 100.0}]
    finally:
        neo.clear()
        neo.apply_schema()


def test_apply_schema_sends_only_what_is_missing(neo: Neo4jStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every start and every test applies the schema; one schema statement is a transaction of
    its own, so what exists is read first and only what is missing is sent (and waited for)."""
    sent: list[str] = []
    real = neo._schema
    monkeypatch.setattr(neo, "_schema", lambda statement, label, prop: (sent.append(statement),
                                                                       real(statement, label, prop)))
    neo.apply_schema()
    assert sent == []
    label, prop = INDEXES[-1]
    neo.write(f"DROP INDEX {label.lower()}_{prop} IF EXISTS")
    neo.write("DROP CONSTRAINT badge_id IF EXISTS")
    neo.apply_schema()
    assert sorted(sent) == sorted(["CREATE CONSTRAINT badge_id IF NOT EXISTS FOR (n:Badge) REQUIRE n.id IS UNIQUE",
                                   f"CREATE INDEX {label.lower()}_{prop} IF NOT EXISTS FOR (n:{label}) ON (n.{prop})"])
    names = {r["name"]: r["state"] for r in neo.read("SHOW INDEXES YIELD name, state RETURN name, state")}
    assert names[f"{label.lower()}_{prop}"] == "ONLINE" and names["badge_id"] == "ONLINE"


def test_another_applications_data_in_the_way_of_the_schema_is_named(neo: Neo4jStore) -> None:
    """Two nodes of a label with one id, or an index of another application's on a property colearn
    indexes, stop ``apply_schema`` with a ``Conflict`` naming the label, the ids or the index and
    NEO4J_DATABASE, where before they were "the store rejected a statement" (a 500, as if colearn's
    Cypher were wrong)."""
    from colearn.errors import Conflict

    try:
        neo.write("DROP CONSTRAINT badge_id IF EXISTS")
        neo.write("CREATE (:Badge {id: 'same'}), (:Badge {id: 'same'}), (:Badge {id: 'other'})")
        with pytest.raises(Conflict) as info:
            neo.apply_schema()
        assert "two or more Badge nodes with one id ('same')" in info.value.message
        assert "NEO4J_DATABASE" in info.value.message
        neo.clear()
        neo.write("CREATE INDEX foreign_badge_id IF NOT EXISTS FOR (n:Badge) ON (n.id)")
        with pytest.raises(Conflict, match=r"an index of its own on Badge\.id \(foreign_badge_id\)"):
            neo.apply_schema()
    finally:
        neo.write("DROP INDEX foreign_badge_id IF EXISTS")
        neo.clear()
        neo.apply_schema()
    assert neo.read("SHOW CONSTRAINTS YIELD name WHERE name = 'badge_id' RETURN count(*) AS c") == [{"c": 1}]


def test_the_suite_refuses_an_unmarked_database(neo4j_target: Neo4jTarget, neo: Neo4jStore,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A NEO4J_URI database without the marker index is not touched: the session exits."""
    neo.write(queries.merge_nodes(Label.LEARNER), {"rows": [{"id": "precious", "props": {}}]})
    neo.write(f"DROP INDEX {TEST_MARKER}")
    try:
        monkeypatch.delenv("COLEARN_TEST_NEO4J_ALLOW_CLEAR", raising=False)
        with pytest.raises(pytest.exit.Exception, match="refusing to run.*not a test database"):
            check_external_database(neo4j_target)
        assert neo.read(queries.count_nodes(Label.LEARNER)) == [{"n": 1}]
        # the explicit test-only setting marks it
        monkeypatch.setenv("COLEARN_TEST_NEO4J_ALLOW_CLEAR", "1")
        check_external_database(neo4j_target)
        assert neo.read(f"SHOW INDEXES YIELD name WHERE name = '{TEST_MARKER}' RETURN count(*) AS c") == [{"c": 1}]
    finally:
        neo.write(f"CREATE INDEX {TEST_MARKER} IF NOT EXISTS FOR (n:ColearnTestMarker) ON (n.id)")
    assert os.environ.get("NEO4J_URI") is None, "conftest hides NEO4J_URI from the tests"


def test_every_constant_statement_is_planned_and_nothing_is_written(neo: Neo4jStore) -> None:
    """``graph.plans`` has Neo4j plan each constant statement of ``graph/queries/`` (``EXPLAIN``)
    at start-up: none is refused, and planning the writes among them writes nothing."""
    from colearn.graph.plans import constant_statements

    statements = constant_statements()
    assert len(statements) > 40 and "MERGE_ASSERTIONS" in statements
    neo.write(queries.merge_nodes(Label.LEARNER), {"rows": [{"id": "l1", "props": {}}]})
    before = neo.read("MATCH (n) RETURN count(n) AS n, count { ()-[]->() } AS r")
    assert neo.plan(statements) == []
    assert neo.read("MATCH (n) RETURN count(n) AS n, count { ()-[]->() } AS r") == before
    assert neo.plan({"BROKEN": "MATCH (n:Learner RETURN n"}) == ["BROKEN"]


def test_the_api_plans_in_the_background_on_neo4j_only(neo: Neo4jStore, caplog: pytest.LogCaptureFixture) -> None:
    """``warm_plans`` runs in a daemon thread on a Neo4j store (seen through the API's
    ``CachedStore``) and logs how many statements were planned; a store without ``plan``
    (FalkorDB) gets no thread."""
    import logging

    from colearn.graph.cached import CachedStore
    from colearn.graph.plans import constant_statements, warm_plans

    class Plain:  # a store without plan(), as FalkorDBStore
        backend = "falkordb"

    assert warm_plans(Plain()) is None  # type: ignore[arg-type]
    with caplog.at_level(logging.DEBUG, logger="colearn.graph.plans"):
        thread = warm_plans(CachedStore(neo))
        assert thread is not None and thread.daemon
        thread.join(timeout=120)
    assert f"Neo4j planned {len(constant_statements())} of colearn's statements" in caplog.text


def test_the_planning_line_is_debug_when_routine_and_a_warning_when_a_statement_is_refused(
        neo: Neo4jStore, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """The summary of the start-up planning was logged at INFO, which ``colearn serve`` does not
    show, even when Neo4j refused a statement (which then fails on its first call). All planned:
    routine, DEBUG. Any refused: WARNING, naming it, so that an operator sees it."""
    import logging

    from colearn.graph import plans

    def summary() -> logging.LogRecord:
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="colearn.graph.plans"):
            thread = plans.warm_plans(neo)
            assert thread is not None
            thread.join(timeout=120)
        [line] = [r for r in caplog.records if r.name == "colearn.graph.plans" and "Neo4j planned" in r.getMessage()]
        return line

    monkeypatch.setattr(plans, "constant_statements", lambda: {"GOOD": "MATCH (n:Learner) RETURN n.id AS id"})
    assert summary().levelno == logging.DEBUG
    monkeypatch.setattr(plans, "constant_statements", lambda: {"GOOD": "MATCH (n:Learner) RETURN n.id AS id",
                                                               "BROKEN": "MATCH (n:Learner RETURN n"})
    line = summary()
    assert line.levelno == logging.WARNING and "refused: BROKEN" in line.getMessage()
