"""A pathway's completion racing a direct award of its completion badge, or the pathway's
delete, on both engines: the completion's write checks what it decides on itself, under
the locks the other writes take (``queries.AWARD_PATHWAY_COMPLETION``)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from colearn.domain import awards, catalogue
from colearn.errors import NotFound
from colearn.graph import queries
from colearn.graph.schema import Label, Rel
from colearn.graph.store import GraphStore
from tests.openbadges_builders import BASE

PEPPER = b"race-pepper"
NOW = 1_800_000_000


def _city(store: GraphStore, learners: list[str], pathways: list[str]) -> None:
    """Organisation ``org`` defining badges ``step`` and ``done``; each of ``pathways``
    published with one step (``step``) and completed with ``done``; each of ``learners``
    holding ``step`` accepted, so that every pathway is complete for them."""
    store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [
        {"id": "org", "props": {"name": "Org", "email": "o@example.org"}}]})
    store.write(queries.merge_nodes(Label.DESTINATION), {"rows": [{"id": "work", "props": {"name": "Work"}}]})
    store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": b, "props": {"name": b}} for b in ("step", "done")]})
    store.write(queries.set_links(Label.BADGE, Rel.DEFINES, Label.ORGANISATION, outgoing=False), {"rows": [
        {"id": b, "targets": [{"id": "org", "props": {}}]} for b in ("step", "done")]})
    for pid in pathways:
        store.write(queries.pathway_upsert(create=True), {
            "id": pid, "props": {"title": pid, "description": "", "status": "published", "kind": "recommended"},
            "organisation": "org", "destination": "work", "completion_badge": "done",
            "steps": [{"id": f"{pid}.step-1", "order": 1, "props": {"title": "One", "required": 1, "optional": False},
                       "badges": ["step"]}]})
    store.write(queries.MERGE_ASSERTIONS, {"rows": [
        {"id": f"s-{lid}", "organisation_id": "org", "badge_id": "step", "learner_id": lid, "learner_props": {},
         "props": {"status": "accepted", "issued_on": NOW - 100, "recipient_type": "email",
                   "recipient_hash": "sha256$00", "recipient_salt": "s"}} for lid in learners]})


def _pathway(store: GraphStore, pathway_id: str) -> dict[str, Any]:
    return store.read(queries.PATHWAY_GET, {"id": pathway_id})[0]["record"]


def _together(pairs: list[tuple[Callable[[], Any], Callable[[], Any]]]) -> list[tuple[Any, Any]]:
    """Run each pair's two calls at the same moment (a barrier each), four pairs at a
    time; each call's result, or the exception it raised."""
    def call(f: Callable[[], Any], start: threading.Barrier) -> Any:
        start.wait()
        try:
            return f()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test reads
            return exc

    def pair(fs: tuple[Callable[[], Any], Callable[[], Any]]) -> tuple[Any, Any]:
        start = threading.Barrier(2)
        with ThreadPoolExecutor(2) as two:
            first, second = (two.submit(call, f, start) for f in fs)
            return first.result(), second.result()

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(pair, pairs))


def _live_of(store: GraphStore, badge: str) -> Counter[str]:
    """How many live awards of ``badge`` each learner holds."""
    return Counter(r["learner"] for r in store.read(
        f"MATCH (l:{Label.LEARNER})<-[:{Rel.TO}]-(a:{Label.ASSERTION})-[:{Rel.OF}]->(:{Label.BADGE} {{id: $b}}) "
        "WHERE a.status IN ['issued', 'accepted'] RETURN l.id AS learner", {"b": badge}))


def test_a_completion_racing_a_direct_award_makes_one_live_copy(store: GraphStore) -> None:
    """30 learners, each completing the pathway while the organisation awards them its
    completion badge directly, at the same moment: each ends with one live copy, and
    the call that made none answers the copy the other made."""
    learners = [f"r{i}" for i in range(30)]
    _city(store, learners, ["path"])
    pathway = _pathway(store, "path")

    def complete(lid: str) -> Callable[[], Any]:
        return lambda: awards.award_completion(store, pathway, lid, base_url=BASE, now=NOW)

    def direct(lid: str) -> Callable[[], Any]:
        return lambda: awards.award(store, "org", awards.AwardRequest(
            "done", awards.Recipient("url", f"https://colearn.example/learners/{lid}"), learner_id=lid),
            pepper=PEPPER, now=NOW)

    results = _together([(complete(lid), direct(lid)) for lid in learners])
    assert _live_of(store, "done") == {lid: 1 for lid in learners}
    for lid, (done, made) in zip(learners, results):
        assert isinstance(done, awards.Completion) and isinstance(made, awards.Award), (done, made)
        assert done.awarded and done.created != made.created, (lid, done, made)
        assert done.assertion_id == made.id, (lid, done, made)


def test_two_pathways_with_one_completion_badge_racing_make_one_live_copy(store: GraphStore) -> None:
    """Two pathways completed by the same badge, each completed for the same learner at
    the same moment: one completion is awarded, the other answers it."""
    learners = [f"r{i}" for i in range(30)]
    _city(store, learners, ["path-a", "path-b"])
    a, b = _pathway(store, "path-a"), _pathway(store, "path-b")
    results = _together([(lambda lid=lid: awards.award_completion(store, a, lid, base_url=BASE, now=NOW),
                          lambda lid=lid: awards.award_completion(store, b, lid, base_url=BASE, now=NOW)) for lid in learners])
    assert _live_of(store, "done") == {lid: 1 for lid in learners}
    for one, other in results:
        assert one.created != other.created and one.assertion_id == other.assertion_id, (one, other)


def test_a_pathway_deleted_while_it_is_completed(store: GraphStore) -> None:
    """30 pathways, each deleted while a learner completes it: either the completion
    lands first (the delete is refused, naming it) or the delete does (the completion
    finds no pathway): never a pathway deleted under a live completion award."""
    pathways = [f"p{i}" for i in range(30)]
    _city(store, [f"r-{pid}" for pid in pathways], pathways)  # a learner of each: one completion badge
    records = {pid: _pathway(store, pid) for pid in pathways}
    results = _together([(lambda pid=pid: awards.award_completion(store, records[pid], f"r-{pid}", base_url=BASE, now=NOW),
                          lambda pid=pid: catalogue.delete_pathway(store, pid)) for pid in pathways])
    left = {r["id"] for r in store.read(f"MATCH (p:{Label.PATHWAY}) RETURN p.id AS id")}
    live = {r["pathway"]: r["id"] for r in store.read(
        f"MATCH (a:{Label.ASSERTION}) WHERE a.pathway_id IS NOT NULL AND a.status IN ['issued', 'accepted'] "
        "RETURN a.pathway_id AS pathway, a.id AS id")}
    for pid, (done, deleted) in zip(pathways, results):
        if isinstance(done, awards.Completion):  # the completion landed: the pathway stays
            assert done.created and deleted == {"deleted": False, "completions": 1, "named": [done.assertion_id]}
            assert pid in left and live[pid] == done.assertion_id
        else:  # the delete landed: the completion found no pathway, and made nothing
            assert isinstance(done, NotFound) and f"pathway '{pid}' does not exist" in done.message, done
            assert deleted["deleted"] and pid not in left and pid not in live
    assert set(live) <= left
