"""The feed follower (recommender/follower.py) against a real store: incremental
awards equal a fresh build; a gap, a long lag, a catalogue change or enough
changes make it rebuild in the background and swap; pruning keeps what live
readers need. And the award lifecycle's side effects: an import marked
unverified counts toward no pathway completion."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from colearn.config import Settings
from colearn.domain import awards, catalogue
from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore
from colearn.graph import feed, queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.recommender.follower import BATCH, FeedFollower
from colearn.recommender.rebuild import PacedRelease, recommender_in_child
from colearn.recommender.recommend import Recommender
from colearn.service.auth import create_key, revoke_key
from tests.openbadges_builders import BASE
from tests.integration.test_contract import _seed


def _follower(store: GraphStore, **kw) -> FeedFollower:
    head = feed.feed_head(store)
    rec = Recommender.from_store(store, now=1_800_000_000)
    return FeedFollower(store, lambda: Recommender.from_store(store, now=1_800_000_000), recommender=rec,
                        position=head, **kw)


def _award(id_: str, learner: str, badge: str, issued: int, expires: int | None = None) -> dict:
    """One accepted award row for ``MERGE_ASSERTIONS``."""
    return {"id": id_, "organisation_id": "org", "badge_id": badge, "learner_id": learner, "learner_props": {},
            "props": {"status": "accepted", "issued_on": issued, "expires_on": expires}}


def _stream(store: GraphStore, n: int, seed: int = 3, start: int = 0) -> list[dict]:
    """``n`` accepted awards of random seeded learners and badges, one recorded statement each."""
    rng = random.Random(seed)
    rows = []
    for i in range(start, start + n):
        badge = f"b{rng.randrange(8)}"
        row = _award(f"s{i}", f"l{rng.randrange(45)}", badge, 1_700_000_000 + i)
        store.write(feed.recorded(queries.MERGE_ASSERTIONS), {"rows": [row], "feed": feed.award_change([row])})
        rows.append(row)
    return rows


def _same_as_fresh(store: GraphStore, rec: Recommender) -> None:
    fresh = Recommender.from_store(store, now=1_800_000_000)
    assert np.array_equal(rec.signals_["popularity"].holders_, fresh.signals_["popularity"].holders_)
    for learner in sorted({r["learner_id"] for r in store.read(queries.PORTFOLIO_AWARDS, {"now": 1_800_000_000})}):
        got = [(r.badge_id, round(r.score, 9)) for r in rec.recommend(learner, limit=8)]
        assert got == [(r.badge_id, round(r.score, 9)) for r in fresh.recommend(learner, limit=8)], learner


def test_awards_and_revokes_are_applied_incrementally(store: GraphStore) -> None:
    _seed(store)
    follower = _follower(store)
    rows = _stream(store, 60)
    for row in rows[:10]:
        awards.revoke(store, row["id"], "a test revocation")
    assert follower.poll() == 70
    assert follower.stats.position == feed.feed_head(store) and follower.stats.rebuilds == 0
    assert follower.stats.applied > 0
    _same_as_fresh(store, follower.recommender)
    assert follower.poll() == 0  # nothing new: nothing applied twice


def test_a_gap_makes_it_rebuild_and_swap(store: GraphStore) -> None:
    _seed(store)
    follower = _follower(store)
    old = follower.recommender
    _stream(store, 5)
    store.write(feed.PRUNE_ENTRIES, {"floor": feed.feed_head(store), "limit": 100})
    _stream(store, 3, start=5)
    assert follower.poll() == 0
    assert follower.wait_idle(60)
    assert follower.stats.rebuilds == 1 and follower.stats.last_reason.startswith("gap")
    assert follower.recommender is not old and follower.stats.position == feed.feed_head(store)
    _same_as_fresh(store, follower.recommender)


def test_a_key_revoked_in_entries_a_gap_passed_over_still_clears_the_key_cache(store: GraphStore) -> None:
    """A ``keys`` entry the poll never read (pruned under it: a gap) came in by the rebuild
    alone, so ``on_keys`` was never called and a revoked key stayed trusted for the cache's
    whole TTL. Now the swap after such a rebuild clears it whole, once; a key revoked later is
    told by its entry."""
    _seed(store)
    cleared: list[list[str]] = []
    follower = _follower(store, on_keys=cleared.append)
    revoke_key(store, create_key(store, "admin").id)
    store.write(feed.PRUNE_ENTRIES, {"floor": feed.feed_head(store), "limit": 100})
    _stream(store, 2)
    assert follower.poll() == 0 and cleared == []
    assert follower.wait_idle(60) and follower.stats.last_reason.startswith("gap")
    assert cleared == [[]]  # any key may have changed: the cache is cleared whole
    later = create_key(store, "admin")
    revoke_key(store, later.id)
    assert follower.poll() == 1
    assert cleared == [[], [later.id]] and follower.stats.rebuilds == 1


def test_a_long_lag_or_many_changes_rebuild(store: GraphStore) -> None:
    _seed(store)
    lagging = _follower(store, max_lag=4)
    compacting = _follower(store, compact_after=6)
    _stream(store, 5)
    lagging.poll()
    assert lagging.wait_idle(60) and "behind" in lagging.stats.last_reason
    compacting.poll()
    assert compacting.wait_idle(60) and compacting.stats.rebuilds == 0
    _stream(store, 20, seed=9, start=5)
    compacting.poll()
    assert compacting.wait_idle(60)
    assert compacting.stats.rebuilds >= 1 and "compaction" in compacting.stats.last_reason
    for f in (lagging, compacting):
        assert f.wait_idle(60)  # the lagging one is 20 behind again: it rebuilds again
        assert f.stats.position == feed.feed_head(store)
        _same_as_fresh(store, f.recommender)


def test_entries_reach_the_live_recommender_while_it_rebuilds(store: GraphStore) -> None:
    _seed(store)
    started, release = threading.Event(), threading.Event()

    def slow_build() -> Recommender:
        rec = Recommender.from_store(store, now=1_800_000_000)
        started.set()
        assert release.wait(120)
        return rec

    head = feed.feed_head(store)
    follower = FeedFollower(store, slow_build, recommender=Recommender.from_store(store, now=1_800_000_000),
                            position=head, compact_after=1, record_latency=True)
    live = follower.recommender
    _stream(store, 1)
    assert follower.poll() == 1 and started.wait(120)  # a compaction is building
    n = BATCH + 60  # more than one batch: most of the replay runs without the follower's lock
    _stream(store, n, seed=5, start=1)
    assert follower.poll() == n and follower.recommender is live  # applied to the live one meanwhile
    _same_as_fresh(store, live)
    release.set()
    assert follower.wait_idle(120)
    assert follower.recommender is not live and follower.stats.rebuilds == 1
    assert follower.stats.position == feed.feed_head(store)
    _same_as_fresh(store, follower.recommender)  # the build caught up with what came during it
    seqs = [seq for seq, _ in follower.stats.latencies_ms]
    assert sorted(seqs) == list(range(head + 1, head + n + 2))  # each entry counted once, when first seen
    assert len(follower.stats.phases_ms) == len(seqs)


def test_a_ranker_entry_makes_it_rebuild_and_the_build_reads_the_file_anew(store: GraphStore) -> None:
    _seed(store)
    saved = ["old"]  # stands for the ranker file, which Recommender.from_store reads first

    def build() -> Recommender:
        loaded = saved[0]
        rec = Recommender.from_store(store, now=1_800_000_000)
        rec.loaded_ = loaded  # type: ignore[attr-defined]
        return rec

    follower = FeedFollower(store, build, recommender=build(), position=feed.feed_head(store))
    saved[0] = "new"
    store.write(feed.RANKER_CHANGED, {"feed": feed.change(feed.RANKER, ids=["hash-new"])})
    assert follower.poll() == 1
    assert follower.wait_idle(60)
    assert follower.stats.rebuilds == 1 and follower.stats.last_reason == "ranker hash-new"
    assert follower.recommender.loaded_ == "new"
    assert follower.poll() == 0 and follower.wait_idle(60) and follower.stats.rebuilds == 1  # once


def test_what_needs_a_build_during_a_build_is_built_after_it(store: GraphStore) -> None:
    """A build reads the graph and the ranker file before a ranker saved and a badge created
    while it runs; the poll applies their entries to the live recommender first (it cannot ask
    for a build while one runs), so the build's replay must ask for the next build."""
    _seed(store)
    saved = ["old"]
    started, release = threading.Event(), threading.Event()

    def build() -> Recommender:
        loaded = saved[0]
        rec = Recommender.from_store(store, now=1_800_000_000)
        rec.loaded_ = loaded  # type: ignore[attr-defined]
        if loaded == "old":
            started.set()
            assert release.wait(120)
        return rec

    follower = FeedFollower(store, build, recommender=Recommender.from_store(store, now=1_800_000_000),
                            position=feed.feed_head(store), compact_after=1)
    _stream(store, 1)
    assert follower.poll() == 1 and started.wait(120)  # a compaction is building, with the old file
    saved[0] = "new"
    store.write(feed.RANKER_CHANGED, {"feed": feed.change(feed.RANKER, ids=["hash-new"])})
    assert catalogue.write_node(store, Label.BADGE, {"id": "new-badge", "props": {"name": "New"},
                                                      "l0": ["org"], "l1": ["knowledge.engagement"], "l2": []},
                                create=True)
    assert follower.poll() == 2  # applied to the live recommender while the build waits
    release.set()
    assert follower.wait_idle(120)
    assert follower.stats.rebuilds == 2
    assert follower.recommender.loaded_ == "new" and "new-badge" in follower.recommender.badges.ids
    _same_as_fresh(store, follower.recommender)


def test_a_recommender_built_in_a_child_process_answers_like_a_fresh_one(tmp_path: Path) -> None:
    server = EmbeddedFalkorDB.for_data_dir(tmp_path, fsync="everysec")
    store = FalkorDBStore(server.host, server.port, "child", server=server)
    try:
        store.apply_schema()
        _seed(store)
        rec = recommender_in_child(Settings(data_dir=tmp_path, graph_name="child", fsync="everysec"), store)
        fresh = Recommender.from_store(store)
        assert rec.store_ is store
        learners = sorted({r["learner_id"] for r in store.read(queries.PORTFOLIO_AWARDS, {"now": 1_800_000_000})})
        for learner in learners:
            assert [r.badge_id for r in rec.recommend(learner, limit=8)] == \
                [r.badge_id for r in fresh.recommend(learner, limit=8)], learner
        assert rec.add_award(learners[0], "b7", 1_750_000_000) == fresh.add_award(learners[0], "b7", 1_750_000_000)
    finally:
        store.close()
        server.stop()


def test_swaps_in_a_burst_share_paced_collections_and_the_last_still_runs(store: GraphStore) -> None:
    """Each swap asks to release the old recommender's memory with a full collection, which
    pauses the process: collections start at least ``took / share`` apart, so a burst of
    catalogue changes costs fewer collections than swaps, and the one asked for by the
    last swap still runs, on its own timer (with no poll thread running, as with
    ``COLEARN_FEED_POLL_SECONDS=0``: only ``sync`` applies the feed)."""
    _seed(store)
    follower = _follower(store)
    collected: list[float] = []
    swaps: list[float] = []

    def release() -> None:  # 0.1 s at 2%: starts at least 5.1 s apart
        collected.append(time.monotonic())
        time.sleep(0.1)

    follower.release = PacedRelease(0.02, release=release)
    follower.on_swap = lambda rec: swaps.append(time.monotonic())
    for i in range(6):
        assert catalogue.write_node(store, Label.BADGE, {
            "id": f"burst-{i}", "props": {"name": f"Burst {i}"}, "l0": ["org"],
            "l1": ["knowledge.engagement"], "l2": []}, create=True)
        follower.sync()
        assert follower.wait_idle(60)
    deadline = time.monotonic() + 30
    while follower.release.wanted and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(swaps) >= 6 and "burst-5" in follower.recommender.badges.ids
    assert not follower.release.wanted and collected[-1] >= swaps[-1]
    assert all(b - a >= 5.1 - 1e-3 for a, b in zip(collected, collected[1:])), collected
    assert len(collected) < len(swaps)


def test_a_new_badge_is_known_after_the_rebuild_it_asks_for(store: GraphStore) -> None:
    _seed(store)
    follower = _follower(store)
    swapped = []
    follower.on_swap = swapped.append
    assert catalogue.write_node(store, Label.BADGE, {"id": "new-badge", "props": {"name": "New"},
                                                      "l0": ["org"], "l1": ["knowledge.engagement"], "l2": []},
                                create=True)
    _stream(store, 1, start=100)
    store.write(feed.recorded(queries.MERGE_ASSERTIONS), {
        "rows": [{"id": "nb", "organisation_id": "org", "badge_id": "new-badge", "learner_id": "l1",
                  "learner_props": {}, "props": {"status": "accepted", "issued_on": 1_750_000_000}}],
        "feed": feed.change(feed.AWARDS, pairs=[("l1", "new-badge")])})
    follower.poll()
    assert follower.wait_idle(60)
    assert swapped and swapped[-1] is follower.recommender
    assert "new-badge" in follower.recommender.badges.ids
    assert follower.recommender.signals_["popularity"].holders_[follower.recommender.badges.get("new-badge")] == 1
    _same_as_fresh(store, follower.recommender)


def test_a_build_that_fails_is_reported_by_health_until_one_succeeds(store: GraphStore, tmp_path: Path) -> None:
    """A build that fails (here a node another application made without an id) is retried every
    second while the last recommender serves; ``/health`` says ``degraded`` and why, where it said
    ``ok`` while the log filled with one traceback a second; once the node is gone, ``ok`` again."""
    from fastapi.testclient import TestClient

    from colearn.service.app import create_app

    _seed(store)

    def health_until(client: TestClient, status: str) -> dict:
        deadline = time.monotonic() + 60
        while (said := client.get("/health").json())["status"] != status:
            assert time.monotonic() < deadline, said
            time.sleep(0.05)
        return said

    with TestClient(create_app(Settings(data_dir=tmp_path, anonymous_role="partner"), store=store)) as client:
        assert health_until(client, "ok")["build_error"] is None
        served = client.app.state.recommender  # type: ignore[attr-defined]
        store.write(f"CREATE (:{Label.BADGE} {{name: 'Made elsewhere'}})")
        store.write(feed.RANKER_CHANGED, {"feed": feed.change(feed.RANKER, ids=["hash-new"])})
        said = health_until(client, "degraded")
        assert said["build_error"].startswith(store.where) and "a Badge node has no id" in said["build_error"]
        assert client.app.state.recommender is served  # type: ignore[attr-defined]
        assert client.get("/learners/l1/next").status_code == 200
        store.write(f"MATCH (b:{Label.BADGE}) WHERE b.id IS NULL DELETE b")
        said = health_until(client, "ok")
        assert said["build_error"] is None and said["rebuilds"] == 1


def test_awards_that_expire_leave_the_signals_as_their_time_passes(store: GraphStore) -> None:
    """No write marks an expiry, so no feed entry does: the follower reads the awards whose
    ``expires_on`` passed since its last read and drops them (a learner holding the badge through
    another award keeps it). At NOW the state equals a fresh build at NOW, where before the
    expired awards counted until the next rebuild (up to an hour)."""
    from tests.integration.test_contract import NOW

    seeded = _seed(store)["awards"]
    assert any(a["props"]["expires_on"] == NOW - 10 and a["props"]["status"] == "accepted" for a in seeded)
    rec = Recommender.from_store(store, now=NOW - 20)  # before any of the seeded expiries
    follower = FeedFollower(store, lambda: Recommender.from_store(store, now=NOW), recommender=rec,
                            position=feed.feed_head(store), expiry_every_s=0.0)
    before = rec.signals_["popularity"].holders_.copy()
    assert follower.expire(now=NOW) > 0
    rec.now_ = NOW  # the clock has moved on: portfolios are read at NOW too
    assert follower.stats.rebuilds == 0
    assert not np.array_equal(rec.signals_["popularity"].holders_, before)
    _same_as_fresh(store, rec)
    assert follower.expire(now=NOW) == 0  # nothing new in (NOW, NOW]


def test_when_the_earlier_of_two_awards_expires_the_badge_counts_from_the_later(store: GraphStore) -> None:
    """A renewal: learner x holds b0 through an award that expires and a later one that stands. The
    recommender's history must date b0 from the later award, as a fresh build does (the order of a
    learner's badges feeds the transition and sequence signals); before, ``add_award`` found b0 held
    and kept the expired award's date. The same holds when the earlier award is revoked."""
    from colearn.recommender.recommend import ranker_signals
    from tests.integration.test_contract import NOW

    _seed(store)
    store.write(queries.MERGE_ASSERTIONS, {"rows": [
        _award("x1", "x", "b0", 1_500_000_000, NOW - 10), _award("x2", "x", "b0", 1_790_000_000),
        _award("x3", "x", "b1", 1_700_000_000), _award("z1", "z", "b2", 1_500_000_000),
        _award("z2", "z", "b2", 1_780_000_000), _award("z3", "z", "b3", 1_600_000_000)]})
    rec = Recommender.from_store(store, now=NOW - 20, signals=ranker_signals())
    assert rec.profile("x").held_on.tolist() == [1_500_000_000, 1_700_000_000]
    follower = FeedFollower(store, lambda: None, recommender=rec, position=feed.feed_head(store),
                            expiry_every_s=0.0)
    follower.expire(now=NOW)
    awards.revoke(store, "z1", "a renewal replaced it")
    follower.poll()
    rec.now_ = NOW
    fresh = Recommender.from_store(store, now=NOW, signals=ranker_signals())
    for learner in ("x", "z"):
        got, want = rec.profile(learner), fresh.profile(learner)
        assert [rec.badges.id(int(b)) for b in got.held] == [fresh.badges.id(int(b)) for b in want.held], learner
        assert got.held_on.tolist() == want.held_on.tolist(), learner
    assert rec.profile("x").held_on.tolist() == [1_700_000_000, 1_790_000_000]
    for held in (["b0"], ["b1", "b0"], ["b3", "b2"]):
        assert [r.badge_id for r in rec.recommend_for_badges(held, limit=8)] == \
            [r.badge_id for r in fresh.recommend_for_badges(held, limit=8)], held


def test_expiries_are_read_again_when_applying_them_fails(store: GraphStore) -> None:
    """The watch moves on only once the expiries it read are applied: a store error while the
    follower reconciles them (the second read) leaves them to the next read, where before they
    were lost until the next rebuild."""
    from colearn.errors import StoreUnavailable
    from tests.integration.test_contract import NOW

    _seed(store)
    rec = Recommender.from_store(store, now=NOW - 20)
    failing = {"left": 1}

    class Flaky:
        def __getattr__(self, name: str):
            return getattr(store, name)

        def read(self, query: str, params: dict | None = None) -> list[dict]:
            if query == feed.HELD_PAIRS and failing["left"]:
                failing["left"] -= 1
                raise StoreUnavailable("the store went away")
            return store.read(query, params)

    follower = FeedFollower(Flaky(), lambda: None, recommender=rec, position=feed.feed_head(store),
                            expiry_every_s=0.0)
    before = rec.signals_["popularity"].holders_.copy()
    with pytest.raises(StoreUnavailable):
        follower.expire(now=NOW)
    assert np.array_equal(rec.signals_["popularity"].holders_, before)
    assert follower.expire(now=NOW) > 0
    rec.now_ = NOW
    _same_as_fresh(store, rec)


def test_a_running_follower_drops_an_award_when_it_expires(store: GraphStore) -> None:
    """The same on the wall clock, in the follower's own thread: an award that expires two seconds
    from now leaves the badge's holders within a few of the watch's reads."""
    import time

    _seed(store)
    expires = int(time.time()) + 2
    row = _award("short", "newcomer", "b3", expires - 100, expires)
    store.write(feed.recorded(queries.MERGE_ASSERTIONS), {"rows": [row], "feed": feed.award_change([row])})
    rec = Recommender.from_store(store)
    col = rec.badges.row("b3")
    held = int(rec.signals_["popularity"].holders_[col])
    follower = FeedFollower(store, lambda: Recommender.from_store(store), recommender=rec,
                            position=feed.feed_head(store), expiry_every_s=0.2).start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and follower.recommender.signals_["popularity"].holders_[col] == held:
            time.sleep(0.1)
        assert follower.recommender.signals_["popularity"].holders_[col] == held - 1
        assert int(time.time()) >= expires and follower.stats.rebuilds == 0
    finally:
        follower.stop()


def test_pruning_keeps_what_live_readers_need(store: GraphStore) -> None:
    _seed(store)
    slow, fast = _follower(store), _follower(store)
    _stream(store, 10)
    slow.heartbeat()  # still at 0
    fast.poll()
    fast.heartbeat()
    assert fast.prune()["pruned"] == 0
    slow.poll()
    slow.heartbeat()
    assert fast.prune() == {"pruned": 10, "removed": 0, "floor": 10}
    slow.stop()  # leaves: the next prune goes by the live reader alone
    fast.stop()
    _stream(store, 4, start=10)
    assert fast.prune()["pruned"] == 4


def test_an_unverified_import_completes_no_pathway(store: GraphStore) -> None:
    _seed(store)
    store.write("MATCH (o:Organisation {id: 'org'}) SET o.email = 'org@example.org'")
    assert store.write(queries.pathway_upsert(create=True), {
        "id": "p1", "props": {"title": "P", "status": "published", "kind": "recommended"}, "organisation": "org",
        "destination": "employment", "completion_badge": "b7",
        "steps": [{"id": "p1-1", "order": 1, "props": {"title": "One", "required": 1, "optional": False},
                   "badges": ["b6"]}]})
    store.write(queries.merge_nodes(Label.LEARNER), {"rows": [{"id": "newbie", "props": {}}]})
    imported = {"id": "imp", "organisation_id": "org", "badge_id": "b6", "learner_id": "newbie", "learner_props": {},
                "props": {"status": "accepted", "issued_on": 1_750_000_000, "source": "import", "verified": False}}
    store.write(queries.MERGE_ASSERTIONS, {"rows": [imported]})
    assert awards.complete_after_award(store, "newbie", "b6", base_url=BASE) == []
    assert store.read(queries.LEARNER_VERIFIED_PORTFOLIO, {"learner_id": "newbie", "now": 1_800_000_000}) == []
    rec = Recommender.from_store(store, now=1_800_000_000)
    assert "newbie" not in rec.learners_  # the projection leaves it out, as HELD_PAIRS does
    store.write("MATCH (a:Assertion {id: 'imp'}) SET a.verified = true")
    done = awards.complete_after_award(store, "newbie", "b6", base_url=BASE)
    assert [(c.pathway_id, c.badge_id, c.created) for c in done] == [("p1", "b7", True)]
    assert awards.complete_after_award(store, "newbie", "b6", base_url=BASE) == []  # once, ever
