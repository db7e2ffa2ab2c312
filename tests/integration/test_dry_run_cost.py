"""What a bulk award's dry run costs the store: a few batch reads, each doing work in
proportion to the rows asked about, never to the city.

A 1,000-row dry run once took the service down: its read of the pairs' live awards
(``queries.LIVE_AWARDS_OF_PAIRS``) started each pair, on FalkorDB, from the index on
``Assertion.status``, so it read every live award of the city once per row
(12 s for 1,000 rows on the demo city; the service's store timeout is 5 s).
"""

from __future__ import annotations

from typing import Any

import pytest

from colearn.domain import awards
from colearn.domain.awards import AwardRequest, Recipient
from colearn.graph import queries
from colearn.graph.falkordb_store import FalkorDBStore
from colearn.graph.store import Row
from colearn.perf.dry_run import CountingStore
from colearn.perf.engine import profile_ops
from tests.integration.test_issuing_contract import _seed

PEPPER = b"test-pepper"
#: Live awards already in the city: far more than the rows of a dry run.
CITY_AWARDS = 600


class ProfilingStore(CountingStore):
    """Counts statements (``CountingStore``) and keeps FalkorDB's profile of each read:
    the most records any one operation of its plan produced."""

    def __init__(self, store: FalkorDBStore) -> None:
        super().__init__(store)
        self.most_records: list[tuple[int, str]] = []

    def read(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        """The read, after ``GRAPH.PROFILE`` of the same statement (a read: it changes nothing)."""
        ops = profile_ops(self.store._graph.profile(query, params or {}).plan)
        self.most_records.append((max((o["records"] for o in ops), default=0), query[:80]))
        return super().read(query, params)


def _city(store: FalkorDBStore) -> None:
    _seed(store)
    # learners l0 to l199 hold b1 and b2; l0, l3, l6 and l9 hold b0 too
    held = [(f"l{i % 200}", f"b{i % 2 + 1}") for i in range(CITY_AWARDS)] + [(f"l{i}", "b0") for i in (0, 3, 6, 9)]
    rows = [{"id": f"city-{i}", "organisation_id": "org", "badge_id": badge, "learner_id": learner,
             "learner_props": {"source": "test"}, "props": {"status": "issued", "issued_on": 1_700_000_000 + i}}
            for i, (learner, badge) in enumerate(held)]
    store.write(queries.MERGE_ASSERTIONS, {"rows": rows})


@pytest.mark.falkordb_only
def test_a_dry_run_is_a_few_reads_each_in_proportion_to_its_rows(store: FalkorDBStore) -> None:
    """60 rows (50 new recipients, 10 learners who hold 3 or 4 awards, 4 of them this
    badge) are previewed in 5 reads and no write, and no operation of any read produces
    more records than twice the rows (before: 36,000 and more, every live award of the city for each row)."""
    _city(store)
    reqs = [AwardRequest("b0", Recipient("email", f"new{i}@example.org")) for i in range(50)]
    reqs += [AwardRequest("b0", Recipient("url", f"https://ex.org/learners/l{i}"), learner_id=f"l{i}") for i in range(10)]
    profiled = ProfilingStore(store)
    report = awards.award_many(profiled, "org", reqs, pepper=PEPPER, dry_run=True)
    assert report.dry_run and report.refused == [] and len(report.awards) == 60
    assert [a.would_create for a in report.awards].count(True) == 50 + 10 - 4  # l0, l3, l6, l9 hold b0
    assert [kind for kind, _, _ in profiled.calls] == ["read"] * 5, profiled.calls
    assert max(profiled.most_records)[0] <= 2 * len(reqs), profiled.most_records


def test_a_dry_run_sends_as_many_statements_for_many_rows_as_for_few(store) -> None:
    """The statements a dry run sends do not grow with its rows: 10 rows and 1,000 rows
    are each a handful of reads and no write (one read per 5,000 pairs of live awards)."""
    _city(store)
    sent = []
    for n in (10, 1000):
        counting = CountingStore(store)
        reqs = [AwardRequest("b0", Recipient("email", f"r{i}@example.org")) for i in range(n)]
        report = awards.award_many(counting, "org", reqs, pepper=PEPPER, dry_run=True)
        assert report.would_create == n
        sent.append([kind for kind, _, _ in counting.calls])
    assert sent[0] == sent[1] and set(sent[0]) == {"read"} and len(sent[0]) <= 5, sent


def test_an_award_with_withdrawn_keys_reads_them_once_and_writes_once_per_batch(any_store) -> None:
    """A bulk award whose keys name two withdrawn awards, with a repeated pair, answers
    those two as withdrawn from the one read of the keys (``ASSERTION_ENDPOINTS``) and
    writes only the rest: one award statement per batch, no other read of the awards."""
    _seed(any_store)
    old = [AwardRequest("b0", Recipient("email", f"w{i}@example.org"), idempotency_key=f"w{i}") for i in range(2)]
    made = awards.award_many(any_store, "org", old, pepper=PEPPER)
    for a in made.awards:
        awards.withdraw(any_store, a.id, "awarded in error", organisation_id="org")
    new = [AwardRequest("b0", Recipient("email", f"n{i}@example.org"), idempotency_key=f"n{i}") for i in range(5)]
    again = AwardRequest("b0", Recipient("email", "n0@example.org"), idempotency_key="n0-again")
    counting = CountingStore(any_store)
    report = awards.award_many(counting, "org", [old[0], *new[:3], old[1], *new[3:], again], pepper=PEPPER,
                               batch_size=2)
    assert report.refused == [] and len(report.awards) == 8
    by_key = {r.idempotency_key: a for r, a in zip(report.requests, report.awards, strict=True)}
    assert {k: (by_key[k].id, by_key[k].status, by_key[k].badge_id) for k in ("w0", "w1")} == {
        f"w{i}": (made.awards[i].id, "revoked", None) for i in range(2)}
    assert [by_key[f"n{i}"].created for i in range(5)] == [True] * 5
    assert by_key["n0-again"].id == by_key["n0"].id and by_key["n0-again"].created is False
    endpoints = [q for kind, _, q in counting.calls if q == queries.ASSERTION_ENDPOINTS]
    writes = [q for kind, _, q in counting.calls if kind == "write"]
    assert len(endpoints) == 1 and len(writes) == 3, counting.calls  # 5 new rows in batches of 2
    assert all(queries.AWARD_ASSERTIONS in q for q in writes), writes
