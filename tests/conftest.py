"""Shared fixtures: one FalkorDB server and one Neo4j server per test process (the
session, or each pytest-xdist worker of it), a fresh graph per test.

Engines. ``any_store`` (the contract suite) and ``store`` (the API- and
ingest-level tests) run every test on FalkorDB and on Neo4j 5.26; a module that
tests FalkorDB itself sets ``pytestmark = pytest.mark.falkordb_only`` and runs on
FalkorDB alone. Neo4j comes from ``tests/neo4j`` (see ``tests/neo4j_launcher.py``):
built once per machine with Maven, started once per session on a free loopback
port with its own data folder and a random password, stopped by process id at the
end. Without ``java`` or ``mvn`` the Neo4j cases are skipped, unless ``CI=true``
or ``COLEARN_REQUIRE_NEO4J=1``, where that is a failure.

A database of your own instead: set ``NEO4J_URI`` (``NEO4J_USER``,
``NEO4J_PASSWORD``, ``NEO4J_DATABASE``). The suite deletes every node of it
between tests, so it refuses (exits before any test) unless that database carries
the test marker, a schema index named ``colearn_test_marker`` that only this suite
creates. To give it a database for testing the first time, set
``COLEARN_TEST_NEO4J_ALLOW_CLEAR=1``: the suite then creates the marker. Either way
``NEO4J_*`` is removed from the environment the tests see, so no test (nor any
``colearn`` command a test runs) opens that database by itself.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore
from colearn.graph.store import GraphStore
from tests import neo4j_launcher

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"

ENGINES = ("falkordb", "neo4j")
#: A schema index that marks a Neo4j database as one the tests may erase.
TEST_MARKER = "colearn_test_marker"
_MARKER_DDL = f"CREATE INDEX {TEST_MARKER} IF NOT EXISTS FOR (n:ColearnTestMarker) ON (n.id)"

# Taken out of the environment at import, before any test builds a Settings().
_NEO4J_ENV = {k: os.environ.pop(k) for k in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE",
                                              "COLEARN_NEO4J_URI", "COLEARN_NEO4J_USER",
                                              "COLEARN_NEO4J_PASSWORD", "COLEARN_NEO4J_DATABASE")
              if k in os.environ}


def _neo4j_required() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1") or os.environ.get("COLEARN_REQUIRE_NEO4J") == "1"


@dataclass
class Neo4jTarget:
    """Where the tests' Neo4j is: a launcher this session started, or a marked database."""

    uri: str
    user: str
    password: str
    database: str = "neo4j"
    launcher: neo4j_launcher.Neo4jLauncher | None = None
    schema_applied: bool = False

    def open(self) -> GraphStore:
        from colearn.graph.neo4j_store import Neo4jStore

        return Neo4jStore(self.uri, user=self.user, password=self.password, database=self.database)


def _external_target() -> Neo4jTarget | None:
    uri = _NEO4J_ENV.get("NEO4J_URI") or _NEO4J_ENV.get("COLEARN_NEO4J_URI")
    if not uri:
        return None
    return Neo4jTarget(
        uri,
        _NEO4J_ENV.get("NEO4J_USER") or _NEO4J_ENV.get("COLEARN_NEO4J_USER") or "neo4j",
        _NEO4J_ENV.get("NEO4J_PASSWORD") or _NEO4J_ENV.get("COLEARN_NEO4J_PASSWORD") or "neo4j",
        _NEO4J_ENV.get("NEO4J_DATABASE") or _NEO4J_ENV.get("COLEARN_NEO4J_DATABASE") or "neo4j")


def _has_marker(store: GraphStore) -> bool:
    rows = store.read(f"SHOW INDEXES YIELD name WHERE name = '{TEST_MARKER}' RETURN count(*) AS c")
    return rows[0]["c"] == 1


def check_external_database(target: Neo4jTarget) -> None:
    """Exit the session unless ``target`` carries the test marker (or may get it).

    Raises:
        pytest.exit: the database is not marked as a test database.
    """
    store = target.open()
    try:
        if _has_marker(store):
            return
        if os.environ.get("COLEARN_TEST_NEO4J_ALLOW_CLEAR") == "1":
            store.write(_MARKER_DDL)
            return
    finally:
        store.close()
    pytest.exit(
        f"refusing to run: NEO4J_URI={target.uri} (database {target.database!r}) is not a test database. "
        f"The tests delete every node of the Neo4j database they use, and this one has no "
        f"'{TEST_MARKER}' index, which only this test suite creates. Unset NEO4J_URI to let the suite "
        f"start its own Neo4j, or, if this database is only for tests, run once with "
        f"COLEARN_TEST_NEO4J_ALLOW_CLEAR=1 to mark it.", returncode=4)


_launcher: neo4j_launcher.Neo4jLauncher | None = None
_launcher_error: str | None = None


def _wants_neo4j(items: list[pytest.Item]) -> bool:
    return any(_engine_of(item) == "neo4j" for item in items)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Check an external database, or build and start the launcher early (its start overlaps the FalkorDB tests)."""
    global _launcher, _launcher_error
    if not _wants_neo4j(items) or config.option.collectonly:
        return
    external = _external_target()
    if external is not None:
        check_external_database(external)
        return
    missing = neo4j_launcher.tools_missing()
    if missing:
        _launcher_error = f"{' and '.join(missing)} not found on PATH: Neo4j 5.26 cannot be started for the tests"
        return
    try:
        classpath = neo4j_launcher.build()
    except (neo4j_launcher.LauncherError, OSError) as exc:
        _launcher_error = str(exc)
        return
    home = Path(config._tmp_path_factory.mktemp("neo4j"))  # type: ignore[attr-defined]
    _launcher = neo4j_launcher.Neo4jLauncher(home, classpath)
    _launcher.start()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse to share a database of one's own (``NEO4J_URI``) between pytest-xdist workers:
    each empties it before every test, so their tests would erase each other's graphs.

    Raises:
        pytest.exit: ``NEO4J_URI`` is set and more than one worker would run.
    """
    workers = getattr(session.config.option, "numprocesses", None) or 0
    if _external_target() is not None and workers > 1:
        pytest.exit(f"NEO4J_URI is set: one database cannot serve {workers} test workers at once (each "
                    "empties it before every test); run with -n 0 (make test does when NEO4J_URI is set)",
                    returncode=4)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the Neo4j this session started (by its process id)."""
    if _launcher is not None:
        _launcher.stop()


@pytest.fixture(scope="session")
def neo4j_target() -> Neo4jTarget:
    """The session's Neo4j: skipped (or failed on CI) where it cannot run."""
    external = _external_target()
    if external is not None:
        return external
    if _launcher is None:
        reason = _launcher_error or "Neo4j launcher not started"
        if _neo4j_required():
            pytest.fail(f"{reason} (CI=true or COLEARN_REQUIRE_NEO4J=1: Neo4j must run)", pytrace=False)
        pytest.skip(reason)
    try:
        uri = _launcher.wait_ready()
    except neo4j_launcher.LauncherError as exc:
        pytest.fail(str(exc), pytrace=False)
    target = Neo4jTarget(uri, "neo4j", _launcher.password, launcher=_launcher)
    store = target.open()
    try:
        store.write(_MARKER_DDL)
    finally:
        store.close()
    return target


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


def _neo4j_store(target: Neo4jTarget) -> Iterator[GraphStore]:
    store = target.open()
    try:
        if not _has_marker(store):  # never erase a database the suite was not given
            pytest.fail(f"{target.uri} lost its {TEST_MARKER} index: not clearing it", pytrace=False)
        store.clear()
        if not target.schema_applied:
            store.apply_schema()
            target.schema_applied = True
        yield store
    finally:
        store.close()


def _engine_store(request: pytest.FixtureRequest, engine: str) -> Iterator[GraphStore]:
    if engine == "neo4j":
        yield from _neo4j_store(request.getfixturevalue("neo4j_target"))
    else:
        yield from _falkordb_store(request.getfixturevalue("falkordb_server"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that takes ``store`` on both engines, but in ``falkordb_only`` modules."""
    if "store" in metafunc.fixturenames and not metafunc.definition.get_closest_marker("falkordb_only"):
        metafunc.parametrize("store", ENGINES, indirect=True, scope="function")


@pytest.fixture
def store(request: pytest.FixtureRequest) -> Iterator[GraphStore]:
    """A fresh, empty graph with the schema applied, on the engine of the test's parameter (FalkorDB by default)."""
    yield from _engine_store(request, getattr(request, "param", "falkordb"))


@pytest.fixture(params=ENGINES)
def any_store(request: pytest.FixtureRequest) -> Iterator[GraphStore]:
    """The contract suite's store: a fresh, empty graph on FalkorDB, then on Neo4j."""
    yield from _engine_store(request, request.param)


# --- per-engine counts in the terminal summary (CI's log shows them) ---

_outcomes: dict[str, Counter[str]] = {engine: Counter() for engine in ENGINES}


def _engine_of(item: pytest.Item) -> str | None:
    """The engine a test runs on, for tests parametrised by engine (``any_store``, ``store``, or a
    module's own ``engine`` fixture) or using ``neo4j_target``."""
    spec = getattr(item, "callspec", None)
    for name in ("any_store", "store", "engine"):
        if spec is not None and spec.params.get(name) in ENGINES:
            return spec.params[name]
    return "neo4j" if "neo4j_target" in getattr(item, "fixturenames", ()) else None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    """Carry the engine of each engine-parametrised test on its reports (``user_properties``
    travel from a pytest-xdist worker to the controller, which tallies them)."""
    report = yield
    engine = _engine_of(item)
    if engine is not None:
        report.user_properties = [*report.user_properties, ("engine", engine)]  # not the item's list
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Tally each engine-parametrised test's outcome (failure in any phase counts once)."""
    engine = dict(report.user_properties).get("engine")
    if engine not in _outcomes:
        return
    if report.failed:
        _outcomes[engine]["failed" if report.when == "call" else "error"] += 1
    elif report.skipped:
        _outcomes[engine]["skipped"] += 1
    elif report.passed and report.when == "call":
        _outcomes[engine]["passed"] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print one line per engine, e.g. ``neo4j: 412 passed``, for the store-backed tests."""
    if not any(_outcomes.values()):
        return
    terminalreporter.section("store tests per engine")
    for engine in ENGINES:
        counts = _outcomes[engine]
        parts = [f"{counts[k]} {k}" for k in ("passed", "failed", "error", "skipped") if counts[k]]
        terminalreporter.write_line(f"{engine}: {', '.join(parts) or 'none run'}")
