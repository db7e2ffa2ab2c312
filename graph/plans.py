"""Have Neo4j plan colearn's statements at start-up, before their first call.

Neo4j plans a statement the first time it sees its text and keeps the plan in
its query cache (Neo4j Cypher Manual, "Query caches"). Measured on the test
server (Neo4j 5.26, this machine): a statement's first call took 261 ms
(median of 20), its second 4 ms; after ``EXPLAIN`` of it (146 ms: planned, not
run), its first call took 28 ms. The API's first requests after a start were
the slow ones (0.5 to 1.5 s each under load). ``warm_plans`` sends ``EXPLAIN``
for every constant statement of ``graph/queries/`` in a daemon thread while
the recommender builds; statements built per call (``merge_nodes(label)``
...) are left to their first call.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import threading
import time

from colearn.graph import queries
from colearn.graph.store import GraphStore

log = logging.getLogger(__name__)


def constant_statements() -> dict[str, str]:
    """Every constant statement of ``graph/queries/``: ``{NAME: Cypher}`` (UPPER_CASE string
    constants of the package's modules whose names do not start with ``_``)."""
    found: dict[str, str] = {}
    for info in pkgutil.iter_modules(queries.__path__):
        module = importlib.import_module(f"{queries.__name__}.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, str) and name.isupper() and not name.startswith("_"):
                found[name] = value
    return found


def warm_plans(store: GraphStore) -> threading.Thread | None:
    """Plan ``constant_statements()`` on ``store`` in a daemon thread (Neo4j only: a store
    without ``plan``, such as FalkorDB, gets ``None``; a ``CachedStore`` is seen through).
    Logs how many were planned, in how long, and the names of any refused: at DEBUG when
    all were planned, at WARNING when any was refused (it would fail on its first call);
    an error of the store (it went away) is logged (WARNING) and ends the thread."""
    target = getattr(store, "inner", store)
    plan = getattr(target, "plan", None)
    if not callable(plan):
        return None

    def run() -> None:
        started = time.perf_counter()
        statements = constant_statements()
        try:
            refused = plan(statements)
        except Exception as exc:  # a warm-up never takes the service down
            log.warning("planning colearn's statements on Neo4j stopped: %s", exc)
            return
        # Routine when every statement was planned (DEBUG); a refused one will fail on its first
        # call, which an operator must see (WARNING: ``colearn serve`` shows warnings, not INFO).
        log.log(logging.WARNING if refused else logging.DEBUG,
                "Neo4j planned %d of colearn's statements in %.1f s%s", len(statements) - len(refused),
                time.perf_counter() - started, f" (refused: {', '.join(refused)})" if refused else "")

    thread = threading.Thread(target=run, name="colearn-neo4j-plans", daemon=True)
    thread.start()
    return thread
