"""Contract tests of the change feed's statements (graph/feed.py), on FalkorDB and on
Neo4j when NEO4J_URI is set: gap-free sequences under concurrent writers, entries
that commit (and roll back) with their write, held pairs against numbers computed
in Python, readers and pruning."""

from __future__ import annotations

import threading

import pytest

from colearn.errors import Conflict
from colearn.graph import feed, queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from tests.integration.test_contract import NOW, _seed, covers

COVERED_FEED: set[str] = set()


def covers_feed(*names: str):
    COVERED_FEED.update(names)
    return covers()


def _badge_write(store: GraphStore, badge_id: str) -> list[dict]:
    return store.write(feed.recorded(queries.merge_nodes(Label.BADGE)), {
        "rows": [{"id": badge_id, "props": {"name": badge_id}}],
        "feed": feed.change(feed.CATALOGUE, label=str(Label.BADGE), ids=[badge_id])})


@covers_feed("recorded", "change", "FEED_HEAD", "FEED_SINCE", "feed_head")
def test_concurrent_writers_get_a_gap_free_sequence(any_store: GraphStore) -> None:
    writers, each = 4, 40
    errors: list[BaseException] = []

    def work(w: int) -> None:
        try:
            for i in range(each):
                _badge_write(any_store, f"w{w}-{i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    total = writers * each
    assert feed.feed_head(any_store) == total
    entries = any_store.read(feed.FEED_SINCE, {"after": 0, "limit": 10_000})
    assert [e["seq"] for e in entries] == list(range(1, total + 1))
    # every entry names the badge its own statement wrote, and each badge exists once
    assert sorted(i for e in entries for i in e["ids"]) == sorted(f"w{w}-{i}" for w in range(writers)
                                                                 for i in range(each))
    assert any_store.read(queries.count_nodes(Label.BADGE)) == [{"n": total}]
    assert [e["seq"] for e in any_store.read(feed.FEED_SINCE, {"after": total - 3, "limit": 2})] == \
        [total - 2, total - 1]


@covers_feed("recorded")
def test_a_failed_write_records_nothing(any_store: GraphStore) -> None:
    create = feed.recorded(queries.catalogue_upsert(Label.THEME, create=True))
    params = {"id": "t1", "props": {"name": "One", "kind": "civic"}, "l0": [],
              "feed": feed.change(feed.CATALOGUE, label=str(Label.THEME), ids=["t1"])}
    any_store.write(create, params)
    assert feed.feed_head(any_store) == 1
    with pytest.raises(Conflict):
        any_store.write(create, params)
    assert feed.feed_head(any_store) == 1
    assert [e["seq"] for e in any_store.read(feed.FEED_SINCE, {"after": 0, "limit": 10})] == [1]


@covers_feed("HELD_PAIRS", "award_change")
def test_held_pairs_follow_the_portfolio_rule(any_store: GraphStore) -> None:
    awards = _seed(any_store)["awards"]
    # an import marked unverified counts for nothing, though accepted
    any_store.write("MATCH (a:Assertion {id: 'a0'}) SET a.status = 'accepted', a.expires_on = null, "
                    "a.verified = false")
    awards[0]["props"].update(status="accepted", expires_on=None, verified=False)
    earliest: dict[tuple[str, str], int] = {}
    for a in awards:
        p = a["props"]
        held = p["status"] == "accepted" and (p["expires_on"] is None or p["expires_on"] > NOW) \
            and p.get("verified", True)
        key = (a["learner_id"], a["badge_id"])
        if held:
            earliest[key] = min(earliest.get(key, p["issued_on"]), p["issued_on"])
    pairs = sorted({(a["learner_id"], a["badge_id"]) for a in awards} | {("nobody", "b0"), ("l1", "nope")})
    rows = any_store.read(feed.HELD_PAIRS, {"pairs": [{"learner_id": lr, "badge_id": b} for lr, b in pairs],
                                            "now": NOW})
    assert {(r["learner_id"], r["badge_id"]): r["issued_on"] for r in rows} == earliest
    assert feed.award_change(awards[:3])["learners"] == [a["learner_id"] for a in awards[:3]]


@covers_feed("EXPIRED_BETWEEN")
def test_expired_between_names_the_accepted_awards_whose_expiry_fell_in_the_interval(any_store: GraphStore) -> None:
    awards = _seed(any_store)["awards"]
    for since, now in ((NOW - 20, NOW), (NOW - 10, NOW + 10), (NOW - 11, NOW - 10), (NOW, NOW + 9), (0, NOW + 100)):
        want = {(a["learner_id"], a["badge_id"]) for a in awards
                if a["props"]["status"] == "accepted" and a["props"]["expires_on"] is not None
                and since < a["props"]["expires_on"] <= now}
        rows = any_store.read(feed.EXPIRED_BETWEEN, {"since": since, "now": now})
        assert len(rows) == len(want), (since, now)
        assert {(r["learner_id"], r["badge_id"]) for r in rows} == want, (since, now)
    assert any_store.read(feed.EXPIRED_BETWEEN, {"since": NOW - 20, "now": NOW})  # the seed has some


@covers_feed("RANKER_CHANGED", "change")
def test_a_ranker_entry_is_recorded_alone(any_store: GraphStore) -> None:
    """``colearn train``'s entry: the next sequence number, kind ``ranker`` naming the training
    hash, and nothing else written (its statement has no write of its own)."""
    _badge_write(any_store, "b1")
    assert any_store.write(feed.RANKER_CHANGED, {"feed": feed.change(feed.RANKER, ids=["hash-1"])}) == [
        {"recorded": 1}]
    assert any_store.write(feed.RANKER_CHANGED, {"feed": feed.change(feed.RANKER)}) == [{"recorded": 1}]
    assert feed.feed_head(any_store) == 3
    entries = any_store.read(feed.FEED_SINCE, {"after": 1, "limit": 10})
    assert [(e["seq"], e["kind"], e["label"], e["ids"], e["learners"]) for e in entries] == [
        (2, "ranker", "", ["hash-1"], []), (3, "ranker", "", [], [])]
    assert any_store.read("MATCH (n) RETURN labels(n)[0] AS label, count(n) AS n ORDER BY label") == [
        {"label": str(Label.BADGE), "n": 1}, {"label": str(Label.FEED_COUNTER), "n": 1},
        {"label": str(Label.FEED_ENTRY), "n": 3}]


@covers_feed("READER_HEARTBEAT", "FEED_READERS", "PRUNE_ENTRIES", "PRUNE_READERS", "READER_LEAVE")
def test_readers_and_pruning(any_store: GraphStore) -> None:
    for i in range(30):
        _badge_write(any_store, f"b{i}")
    assert any_store.read(feed.FEED_READERS, {"stale": 100}) == [
        {"head": 30, "floor": None, "live": 0, "stale_readers": 0}]
    any_store.write(feed.READER_HEARTBEAT, {"id": "r1", "seq": 12, "now": 1_000, "info": "a"})
    any_store.write(feed.READER_HEARTBEAT, {"id": "r2", "seq": 20, "now": 1_000, "info": "b"})
    any_store.write(feed.READER_HEARTBEAT, {"id": "old", "seq": 3, "now": 10, "info": "c"})
    assert any_store.read(feed.FEED_READERS, {"stale": 100}) == [
        {"head": 30, "floor": 12, "live": 2, "stale_readers": 1}]
    assert any_store.write(feed.PRUNE_ENTRIES, {"floor": 12, "limit": 5}) == [{"pruned": 5}]
    assert any_store.write(feed.PRUNE_ENTRIES, {"floor": 12, "limit": 100}) == [{"pruned": 7}]
    assert [e["seq"] for e in any_store.read(feed.FEED_SINCE, {"after": 0, "limit": 100})] == list(range(13, 31))
    assert any_store.write(feed.PRUNE_READERS, {"stale": 100}) == [{"removed": 1}]
    any_store.write(feed.READER_LEAVE, {"id": "r1"})
    assert any_store.read(feed.FEED_READERS, {"stale": 100}) == [
        {"head": 30, "floor": 20, "live": 1, "stale_readers": 0}]
    # the counter survives pruning every entry: the next write continues the sequence
    any_store.write(feed.PRUNE_ENTRIES, {"floor": 30, "limit": 100})
    _badge_write(any_store, "later")
    assert [e["seq"] for e in any_store.read(feed.FEED_SINCE, {"after": 0, "limit": 100})] == [31]


@covers("NODES_WITHOUT_VECTORS", "set_embeddings", "node_texts")
def test_nodes_without_vectors(any_store: GraphStore) -> None:
    _seed(any_store)
    assert any_store.read(queries.NODES_WITHOUT_VECTORS, {"model": "m"}) == [{"badges": 8, "opportunities": 1}]
    any_store.write(queries.set_embeddings(Label.BADGE), {"rows": [
        {"id": "b1", "vector": [0.5, 0.5], "model": "m", "hash": "h"},
        {"id": "b2", "vector": [0.5, 0.5], "model": "other", "hash": "h"}]})
    assert any_store.read(queries.NODES_WITHOUT_VECTORS, {"model": "m"}) == [{"badges": 7, "opportunities": 1}]
    by_id = {r["id"]: r for r in any_store.read(queries.node_texts(Label.BADGE))}
    assert by_id["b1"]["model"] == "m" and by_id["b3"]["vector"] is None


def test_every_feed_statement_is_covered() -> None:
    """Like ``test_every_query_is_covered_by_the_contract_suite``, for graph/feed.py."""
    import inspect

    public = {name for name, value in vars(feed).items()
              if not name.startswith("_") and (isinstance(value, str) and name.isupper() and " " in value
                                               or inspect.isfunction(value) and value.__module__ == feed.__name__)}
    missing = public - COVERED_FEED
    assert not missing, f"feed statements without a contract test: {sorted(missing)}"
