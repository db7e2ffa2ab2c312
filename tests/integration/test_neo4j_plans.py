"""How Neo4j plans colearn's statements right after a city's first bulk load: nothing reads
every assertion or every learner once per input row. Found by profiling the slow Neo4j
tests: planned on index samples taken when the graph was empty, ``feed.HELD_PAIRS`` joined
each (learner, badge) pair against a scan of all accepted assertions (23.7 s for 1,000
pairs of the demo city, which the feed follower reads after every award batch), and
``AWARD_PATHWAY_COMPLETION`` scanned an index of every assertion for each completion. A
bulk write now has the store refresh its statistics (``graph.store.refresh_statistics``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from colearn.graph import feed
from colearn.graph.neo4j_store import Neo4jStore
from colearn.graph.plans import constant_statements
from colearn.ingest.awards import ingest_awards
from colearn.ingest.catalogue import demo_city_path, ingest_catalogue
from tests.conftest import Neo4jTarget

#: The labels that grow with a city's people and awards (the catalogue's stay small).
GROWING = ("Assertion", "Learner", "FeedEntry", "AccessToken")
SCANS = ("NodeByLabelScan", "NodeIndexScan", "AllNodesScan", "NodeIndexContainsScan", "NodeIndexEndsWithScan")


@pytest.fixture
def city(neo4j_target: Neo4jTarget) -> Iterator[Neo4jStore]:
    """The demo city's catalogue and award history, loaded just now (as a city's first import)."""
    store = neo4j_target.open()
    store.clear()
    store.apply_schema()
    try:
        ingest_catalogue(store, demo_city_path())
        ingest_awards(store, demo_city_path())
        yield store
    finally:
        store.clear()
        store.close()


def _operators(plan: dict[str, Any], per_row: bool = False) -> Iterator[tuple[bool, str, str]]:
    """(runs once per row of an outer input, operator, details) of every operator of ``plan``:
    an Apply's right-hand side runs once per row of its left."""
    op = plan["operatorType"].split("@")[0]
    yield per_row, op, str(plan.get("args", {}).get("Details", ""))
    for i, child in enumerate(plan.get("children", [])):
        yield from _operators(child, per_row or ("Apply" in op and i == 1))


def _db_hits(profile: dict[str, Any]) -> int:
    """Database hits of a profiled plan (the driver's ``ResultSummary.profile``), children included."""
    return int(profile.get("dbHits", 0)) + sum(_db_hits(c) for c in profile.get("children", []))


def test_no_statement_scans_what_grows_with_the_city_once_per_row(city: Neo4jStore) -> None:
    bad = []
    with city._session() as session:
        for name, statement in sorted(constant_statements().items()):
            plan = session.run("EXPLAIN " + statement).consume().plan
            bad += [f"{name}: {op} {details[:120]}" for per_row, op, details in _operators(plan)
                    if per_row and op in SCANS and any(f":{label}" in details for label in GROWING)]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("n", [100, 1000])
def test_held_pairs_reads_from_each_learner(city: Neo4jStore, n: int) -> None:
    """What the feed follower reads after an award batch costs in proportion to the learners'
    own awards, not to the city's (database hits per pair; the scan was about 5,000 a pair)."""
    pairs: dict[tuple[str, str], None] = {}
    for entry in city.read(feed.FEED_SINCE, {"after": 0, "limit": 200}):
        if entry["kind"] == feed.AWARDS:
            pairs.update(dict.fromkeys(zip(entry["learners"] or [], entry["badges"] or [])))
    asked = [{"learner_id": learner, "badge_id": badge} for learner, badge in list(pairs)[:n]]
    assert len(asked) == n
    with city._session() as session:
        result = session.run("PROFILE " + feed.HELD_PAIRS, {"pairs": asked, "now": 1_800_000_000})
        rows = list(result)
        profile = result.consume().profile
    assert len(rows) > 0.8 * n  # the demo city's pairs are held, a few not (declined, expired)
    assert _db_hits(profile) / n < 200, _db_hits(profile) / n


def test_a_refused_refresh_leaves_the_bulk_write_landed_and_warns_once(
        neo4j_target: Neo4jTarget, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A user without the right to call the procedure, then a server gone, as the driver
    raises them: the rows have landed, so each write reports them, and the two failures
    are one warning in all (no other log line at WARNING)."""
    from neo4j.exceptions import ClientError, ServiceUnavailable

    from colearn.graph import queries
    from colearn.graph.schema import Label
    from colearn.ingest.common import REFRESH_ROWS, write_batches

    store = neo4j_target.open()
    store.clear()
    refusals = iter([ClientError("Executing procedure is not allowed for user"), ServiceUnavailable("gone")])
    real_session = store._session

    class Refusing:
        """A driver session that refuses the refresh and runs everything else."""

        def __init__(self) -> None:
            self.session = real_session()

        def __enter__(self) -> "Refusing":
            self.session.__enter__()
            return self

        def __exit__(self, *exc: Any) -> None:
            self.session.__exit__(*exc)

        def run(self, statement: str, *args: Any, **kwargs: Any) -> Any:
            if "prepareForReplanning" in statement:
                raise next(refusals)
            return self.session.run(statement, *args, **kwargs)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.session, name)

    monkeypatch.setattr(store, "_session", Refusing)
    try:
        with caplog.at_level("WARNING"):
            for start in (0, REFRESH_ROWS):
                rows = [{"id": f"l{i}", "props": {}} for i in range(start, start + REFRESH_ROWS)]
                assert write_batches(store, queries.merge_nodes(Label.LEARNER), rows) == REFRESH_ROWS
        assert next(refusals, None) is None, "both writes asked for a refresh"
        assert store.read(queries.count_nodes(Label.LEARNER)) == [{"n": 2 * REFRESH_ROWS}]
        warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert len(warned) == 1 and "not allowed" in warned[0] and "planner statistics" in warned[0], warned
    finally:
        monkeypatch.undo()
        store.clear()
        store.close()


def test_only_a_write_of_refresh_rows_or_more_asks_for_a_refresh_through_the_api_cache(store) -> None:
    """The refresh is asked of the store a ``CachedStore`` (the API's) wraps, after a call of
    ``REFRESH_ROWS`` rows or more, once per call."""
    from colearn.graph import queries
    from colearn.graph.cached import CachedStore
    from colearn.graph.schema import Label
    from colearn.ingest.common import REFRESH_ROWS, write_batches

    asked: list[int] = []
    store.refresh_statistics = lambda: asked.append(1) or True  # type: ignore[attr-defined]
    cached = CachedStore(store)
    for n in (REFRESH_ROWS - 1, REFRESH_ROWS, 3):
        write_batches(cached, queries.merge_nodes(Label.LEARNER), [{"id": f"n{n}-{i}", "props": {}} for i in range(n)])
    assert asked == [1]
