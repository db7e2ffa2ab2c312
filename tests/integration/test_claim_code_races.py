"""A claim code redeemed while the organisation awards the same badge to the same
learner directly, at the same moment, on both engines: the claim's write checks
whether the learner holds the badge live under the lock a direct award takes
(``learner_queries.CLAIM_WITH_CODE``), and an award landing after the claim makes
the redeem answer that copy and give the code back (``domain.claim_codes.redeem``)."""

from __future__ import annotations

from typing import Any

from colearn.domain import awards, claim_codes
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

