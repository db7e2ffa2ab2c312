"""A claim code redeemed while the organisation awards the same badge to the same
learner directly, at the same moment, on both engines: the redeem's one write checks
whether the learner holds the badge live under the lock a direct award takes, and
records the claim only with the award it makes (``learner_queries.REDEEM_CLAIM_CODE``);
and a redeem whose write fails leaves no claim behind."""

from __future__ import annotations

from typing import Any

import pytest

from colearn.domain import awards, claim_codes
from colearn.errors import StoreUnavailable
from colearn.graph import access
from colearn.graph import learner_queries as lq
from colearn.graph import queries
from colearn.graph.schema import Label, Rel
from colearn.graph.store import GraphStore
from tests.integration.test_completion_races import _live_of, _together

PEPPER = b"race-pepper"
NOW = 1_800_000_000
BASE = "https://colearn.example"


def _city(store: GraphStore, learners: list[str]) -> dict[str, Any]:
    """Organisation ``org`` defining badge ``b``, which its opportunity ``club`` awards;
    ``learners``; a claim code for ``b`` at ``club`` enough for all. Returns the code."""
    store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [
        {"id": "org", "props": {"name": "Org", "email": "o@example.org"}}]})
    store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": "b", "props": {"name": "B"}}]})
    store.write(queries.set_links(Label.BADGE, Rel.DEFINES, Label.ORGANISATION, outgoing=False), {"rows": [
        {"id": "b", "targets": [{"id": "org", "props": {}}]}]})
    store.write(queries.merge_nodes(Label.OPPORTUNITY), {"rows": [{"id": "club", "props": {"name": "Club"}}]})
    store.write(queries.set_links(Label.OPPORTUNITY, Rel.OFFERS, Label.ORGANISATION, outgoing=False), {"rows": [
        {"id": "club", "targets": [{"id": "org", "props": {}}]}]})
    store.write(queries.set_links(Label.OPPORTUNITY, Rel.AWARDS, Label.BADGE), {"rows": [
        {"id": "club", "targets": [{"id": "b", "props": {}}]}]})
    store.write(queries.merge_nodes(Label.LEARNER), {"rows": [{"id": lid, "props": {}} for lid in learners]})
    made = access.create_claim_code(store, "org", badge_id="b", opportunity_id="club", valid_from=NOW - 10,
                                    valid_until=NOW + 3600, max_claims=100, now=NOW - 10)
    return access.find_claim_code(store, made.code)


def test_a_redeem_racing_a_direct_award_makes_one_live_copy(store: GraphStore) -> None:
    """30 learners, each redeeming the code while the organisation awards them the badge
    directly: each ends with one live copy, the call that made none answers the other's
    copy, and a redeem that made none leaves the code unused by that learner."""
    learners = [f"r{i}" for i in range(30)]
    code = _city(store, learners)

    def redeem(lid: str) -> Any:
        return lambda: claim_codes.redeem(store, code, lid, pepper=PEPPER, base_url=BASE, now=NOW)

    def direct(lid: str) -> Any:
        return lambda: awards.award(store, "org", awards.AwardRequest(
            "b", awards.Recipient("url", f"{BASE}/learners/{lid}"), learner_id=lid), pepper=PEPPER, now=NOW)

    results = _together([(redeem(lid), direct(lid)) for lid in learners])
    assert _live_of(store, "b") == {lid: 1 for lid in learners}
    for lid, (got, made) in zip(learners, results):
        assert isinstance(got, claim_codes.Redemption) and isinstance(made, awards.Award), (lid, got, made)
        assert got.created != made.created and got.assertion_id == made.id, (lid, got, made)
        claimed = store.read(lq.LEARNER_CLAIM, {"id": code["id"], "learner_id": lid})
        assert bool(claimed) == got.created, (lid, got, claimed)
    assert access.get_claim_code(store, code["id"])["claims"] == sum(got.created for got, _ in results)



def test_a_redeem_whose_award_write_fails_leaves_the_code_unused(store: GraphStore, monkeypatch) -> None:
    """The store fails the statement that writes the award (a lost connection, a crash):
    no claim is left recorded and the code's claims count is unchanged, so the learner's
    retry gets the badge. (Redeeming was two writes: the claim, then the award; a failure
    of the second left the code used up by a learner with no award, and the retry was
    refused as "already claimed".)"""
    code = _city(store, ["r0"])
    real_write = store.write

    def failing_award(statement: str, params: Any = None) -> Any:
        if f"MERGE (a:{Label.ASSERTION}" in statement:  # the award's write, whatever else it writes
            raise StoreUnavailable("connection lost")
        return real_write(statement, params)

    monkeypatch.setattr(store, "write", failing_award)
    with pytest.raises(StoreUnavailable):
        claim_codes.redeem(store, code, "r0", pepper=PEPPER, base_url=BASE, now=NOW)
    monkeypatch.setattr(store, "write", real_write)
    assert store.read(lq.LEARNER_CLAIM, {"id": code["id"], "learner_id": "r0"}) == []
    assert access.get_claim_code(store, code["id"])["claims"] == 0
    assert _live_of(store, "b") == {}
    got = claim_codes.redeem(store, code, "r0", pepper=PEPPER, base_url=BASE, now=NOW + 1)
    assert got.created and _live_of(store, "b") == {"r0": 1}
    assert store.read(lq.LEARNER_CLAIM, {"id": code["id"], "learner_id": "r0"}) == [
        {"on": NOW + 1, "assertion_id": got.assertion_id}]
    assert access.get_claim_code(store, code["id"])["claims"] == 1
