"""Revoking is idempotent in effect: revoking (or withdrawing) a revoked award again
finishes the completions a failed first revoke left live, keeping the first reason and
``revoked_on``; and ``now=0`` (1970-01-01, a time in range) is stamped as given, not
replaced by the current time. Both engines."""

from __future__ import annotations

import pytest

from colearn.domain import awards
from colearn.errors import StoreUnavailable
from colearn.graph import queries
from colearn.graph.issuing import get_assertion
from colearn.graph.schema import Label, Rel
from colearn.graph.store import GraphStore

NOW = 1_800_000_000
BASE = "https://colearn.example"


def _completed(store: GraphStore) -> str:
    """Learner ``l1`` holds ``step`` (award ``a-step``), the one step of published pathway
    ``p``, whose completion badge ``done`` is awarded to them. Returns the completion's id."""
    store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [
        {"id": "org", "props": {"name": "Org", "email": "o@example.org"}}]})
    store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": b, "props": {"name": b.title()}}
                                                            for b in ("step", "done")]})
    store.write(queries.set_links(Label.BADGE, Rel.DEFINES, Label.ORGANISATION, outgoing=False), {"rows": [
        {"id": b, "targets": [{"id": "org", "props": {}}]} for b in ("step", "done")]})
    store.write(queries.merge_nodes(Label.DESTINATION), {"rows": [{"id": "employment", "props": {}}]})
    store.write(queries.pathway_upsert(create=True), {
        "id": "p", "props": {"title": "P", "description": "", "status": "published", "kind": "recommended"},
        "organisation": "org", "destination": "employment", "completion_badge": "done",
        "steps": [{"id": "p.s1", "order": 1, "props": {"title": "Step", "required": 1, "optional": False},
                   "badges": ["step"]}]})
    store.write(queries.MERGE_ASSERTIONS, {"rows": [
        {"id": "a-step", "organisation_id": "org", "badge_id": "step", "learner_id": "l1", "learner_props": {},
         "props": {"status": "accepted", "issued_on": NOW - 100}}]})
    [done] = awards.complete_after_award(store, "l1", "step", base_url=BASE)
    assert done.assertion_id and get_assertion(store, done.assertion_id).status == "issued"
    return done.assertion_id


def _fail_once(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``revoke_stale_completions`` raises ``StoreUnavailable`` on its first call, as a store
    gone after the revoke's status write; later calls run. Returns the failures seen."""
    real, failed = awards.revoke_stale_completions, []

    def once(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not failed:
            failed.append("down")
            raise StoreUnavailable("the store went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(awards, "revoke_stale_completions", once)
    return failed


def test_revoking_again_finishes_the_completions_a_failed_revoke_left(
        store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    completion = _completed(store)
    failed = _fail_once(monkeypatch)
    with pytest.raises(StoreUnavailable):
        awards.revoke(store, "a-step", "in error", now=NOW)
    assert failed and get_assertion(store, "a-step").status == "revoked"
    assert get_assertion(store, completion).status == "issued"  # the failure left it live, its step unmet
    again = awards.revoke(store, "a-step", "second reason", now=NOW + 60)
    assert (again.status, again.props["revocation_reason"], again.props["revoked_on"]) == ("revoked", "in error", NOW)
    done = get_assertion(store, completion)
    assert (done.status, done.props.get("revoked_on")) == ("revoked", NOW + 60)
    assert done.props["revocation_reason"] == "the learner no longer holds Step, a step of its pathway"


def test_withdrawing_after_a_failed_revoke_revokes_its_completions(
        store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    completion = _completed(store)
    _fail_once(monkeypatch)
    with pytest.raises(StoreUnavailable):
        awards.withdraw(store, "a-step", "in error", now=NOW)
    awards.withdraw(store, "a-step", "", now=NOW + 60)
    assert get_assertion(store, "a-step").withdrawn
    assert get_assertion(store, completion).status == "revoked"


def test_revoking_at_epoch_zero_stamps_zero(store: GraphStore) -> None:
    completion = _completed(store)
    after = awards.revoke(store, "a-step", "in error", now=0)
    assert after.props["revoked_on"] == 0
    assert get_assertion(store, completion).props["revoked_on"] == 0
