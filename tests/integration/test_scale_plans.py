"""Statements run on every request start from the node their id names, never from a scan that grows with the city.

FalkorDB's planner may start a pattern from any index it likes: with the
index on ``Assertion.status``, a learner's portfolio was read by filtering
every accepted assertion of the city (linear in the city's size). These
tests read FalkorDB's plans (``GRAPH.EXPLAIN``) for the per-request
statements and refuse label scans and scans of assertions.
"""

from __future__ import annotations

import pytest

from colearn.graph import learner_queries, queries
from colearn.graph.falkordb_store import FalkorDBStore
from colearn.graph.schema import Label

# FalkorDB only: reads FalkorDB's own query plans (GRAPH.EXPLAIN).
pytestmark = pytest.mark.falkordb_only

#: Statements on the request path, with parameters for EXPLAIN.
PER_REQUEST = {
    "LEARNER_PORTFOLIO": {"learner_id": "l1", "now": 1},
    "PORTFOLIO_BY_CELL": {"learner_id": "l1", "now": 1},
    "LEARNER_OTHER_ASSERTIONS": {"learner_id": "l1", "now": 1},
    "GET_LEARNER": {"learner_id": "l1"},
    "BADGE_OPPORTUNITIES": {"badge_ids": ["b1"], "now": 0},
    "GET_API_KEY": {"id": "k1"},
    # a bulk award's dry run (``domain.award_preview``): once every live award, for each pair
    "LIVE_AWARDS_OF_PAIRS": {"pairs": [{"learner_id": "l1", "badge_id": "b1"}], "now": 1},
    # every accept and decline ends the award's unused claim links; a sign-out, the learner's links
    "END_ACCESS_TOKENS": {"learner_id": "l1", "kinds": ["claim", "signin"], "now": 1},
}


def _seed(store: FalkorDBStore) -> None:
    store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [{"id": "o1", "props": {}}]})
    store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": f"b{i}", "props": {}} for i in range(3)]})
    rows = [{"id": f"a{i}", "organisation_id": "o1", "badge_id": f"b{i % 3}", "learner_id": f"l{i % 5}",
             "learner_props": {}, "props": {"status": "accepted", "issued_on": i}} for i in range(30)]
    store.write(queries.MERGE_ASSERTIONS, {"rows": rows})


@pytest.mark.parametrize("name", sorted(PER_REQUEST))
def test_per_request_statements_start_from_an_id(store: FalkorDBStore, name: str) -> None:
    if store.backend != "falkordb":  # pragma: no cover - the store fixture is FalkorDB
        pytest.skip("plans are FalkorDB's")
    _seed(store)
    statement = getattr(queries, name, None) or getattr(learner_queries, name)
    plan = [line.strip() for line in store._graph.explain(statement, PER_REQUEST[name]).plan]
    scans = [line for line in plan if "Scan" in line]
    assert scans, plan
    assert not [s for s in scans if "Label Scan" in s or "All Node Scan" in s], plan
    assert not [s for s in scans if f"(a:{Label.ASSERTION})" in s], plan


def test_the_expiry_watch_reads_from_the_expiry_index(store: FalkorDBStore) -> None:
    """``feed.EXPIRED_BETWEEN`` (every ten seconds in each serving process) reads the assertions
    whose expiry fell in the interval from the index on ``Assertion.expires_on``, not by scanning
    every assertion of the city."""
    from colearn.graph import feed

    if store.backend != "falkordb":  # pragma: no cover - the store fixture is FalkorDB
        pytest.skip("plans are FalkorDB's")
    _seed(store)
    plan = [line.strip() for line in store._graph.explain(feed.EXPIRED_BETWEEN, {"since": 0, "now": 10}).plan]
    scans = [line for line in plan if "Scan" in line]
    assert scans and all("Index Scan" in s for s in scans), plan
    assert not [s for s in scans if "Label Scan" in s or "All Node Scan" in s], plan


def test_unnamed_completions_are_read_from_the_source_index(store: FalkorDBStore) -> None:
    """``queries.UNNAMED_COMPLETIONS`` (``name_unnamed_completions``, at every start of the API)
    reads the completion awards from the index on ``Assertion.source``, not by scanning every
    assertion of the city."""
    from colearn.graph.issuing import COMPLETION_SOURCE

    if store.backend != "falkordb":  # pragma: no cover - the store fixture is FalkorDB
        pytest.skip("plans are FalkorDB's")
    _seed(store)
    plan = [line.strip() for line in store._graph.explain(queries.UNNAMED_COMPLETIONS,
                                                          {"source": COMPLETION_SOURCE}).plan]
    scans = [line for line in plan if "Scan" in line]
    assert scans and all("Index Scan" in s for s in scans), plan


def test_an_answer_reads_its_claim_links_from_an_index(store: FalkorDBStore) -> None:
    """``queries.ANSWER_ASSERTION`` (every accept and decline) starts from the assertion's id and
    finds the award's claim links through the index on ``AccessToken.assertion_id``, not by
    scanning every token of the city."""
    from colearn.graph import feed

    if store.backend != "falkordb":  # pragma: no cover - the store fixture is FalkorDB
        pytest.skip("plans are FalkorDB's")
    _seed(store)
    params = {"id": "a1", "from": ["issued"], "to": "accepted", "now": 1, "reason": None, "kind": "claim",
              "feed": feed.change(feed.AWARDS)}
    plan = [line.strip() for line in store._graph.explain(feed.recorded(queries.ANSWER_ASSERTION), params).plan]
    scans = [line for line in plan if "Scan" in line]
    assert f"Node By Index Scan | (t:{Label.ACCESS_TOKEN})" in scans, plan
    assert f"Node By Index Scan | (a:{Label.ASSERTION})" in scans, plan
    assert not [s for s in scans if "Label Scan" in s or "All Node Scan" in s], plan

