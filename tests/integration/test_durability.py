"""Crash tests: the embedded store is killed with SIGKILL in the middle of work, then restarted from its files.

1. During a bulk ingest (``ingest_awards``, 5,000 rows a statement): after the
   restart the graph holds whole batches only (each statement is atomic and
   the append-only file replays whole commands), and running the ingest again
   completes it with no duplicate assertion or relationship.
2. During a stream of awards over the API (four clients, each award with an
   idempotency key): every award the API acknowledged (200/201) is in the
   graph after the restart, with its badge and learner; sending every award
   again with the same keys makes the missing ones and no second copy of any.

Both run the store with the service's default ``appendfsync always``; a
process crash loses nothing acknowledged under either policy (the OS holds
what was written), and ``always`` is what makes an acknowledged award survive
a crash of the machine too, which a test cannot stage.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from colearn.config import Settings
from colearn.errors import ColearnError
from colearn.domain import awards as issuing
from colearn.graph import queries
from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore
from colearn.graph.schema import Label, Rel
from colearn.ingest.awards import ingest_awards
from colearn.ingest.catalogue import ingest_catalogue
from colearn.ingest.synthetic import CitySize, generate_city, write_city
from colearn.service.app import create_app
from colearn.service.auth import create_key
from tests.live import live_api
from tests.graph_checks import count_relationships

pytestmark = pytest.mark.falkordb_only  # tests the embedded FalkorDB itself

CITY = CitySize("crash", learners=2_000, badges=60, opportunities=60, organisations=8, districts=3, venues=4,
                themes=4, pathways=2, assertions=20_000)
GRAPH = "crash"


def _open(data_dir: Path) -> tuple[EmbeddedFalkorDB, FalkorDBStore]:
    server = EmbeddedFalkorDB.for_data_dir(data_dir)
    store = FalkorDBStore(server.host, server.port, GRAPH, server=server)
    return server, store


def _kill(server: EmbeddedFalkorDB) -> None:
    """SIGKILL the server and keep it down until the test reopens it: the watcher
    that restarts a crashed server is told to stand down first, so that what the
    tests see does not depend on whether a statement was in flight or the client
    reconnected to a restarted server between two statements (on a loaded machine
    the ingest then finished instead of failing)."""
    assert server.process is not None
    server.stop_watching()
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=10)


def _counts(store: FalkorDBStore) -> tuple[int, int, int]:
    paths = store.read(queries.COUNT_ASSERTION_PATHS)[0]
    issued = store.read(count_relationships(Rel.ISSUED))[0]["n"]
    return paths["assertions"], paths["paths"], issued


def test_sigkill_during_bulk_ingest_then_a_rerun_completes_it_without_duplicates(tmp_path: Path) -> None:
    folder = write_city(generate_city(CITY, 1), tmp_path / "city")
    server, store = _open(tmp_path / "store")
    store.apply_schema()
    assert store._db.connection.config_get("appendfsync")["appendfsync"] == "always"
    ingest_catalogue(store, folder)
    failed: list[Exception] = []

    def ingest() -> None:
        try:
            ingest_awards(store, folder)
        except ColearnError as exc:
            failed.append(exc)

    worker = threading.Thread(target=ingest)
    worker.start()
    watcher = FalkorDBStore(server.host, server.port, GRAPH, password=server.password)
    deadline = time.monotonic() + 60
    while watcher.read(queries.count_nodes(Label.ASSERTION))[0]["n"] == 0:  # the first batch has landed
        assert time.monotonic() < deadline and worker.is_alive(), "no batch landed"
        time.sleep(0.005)
    _kill(server)
    worker.join(timeout=120)
    watcher.close()
    assert failed, "the ingest should have failed when its store died"

    server, store = _open(tmp_path / "store")
    try:
        assertions, paths, issued = _counts(store)
        assert 0 < assertions < CITY.assertions
        assert assertions % 5_000 == 0, "a batch landed in part"
        assert paths == issued == assertions, "an assertion lost its learner, badge or issuer"
        ingest_awards(store, folder)
        assert _counts(store) == (CITY.assertions,) * 3
        ingest_awards(store, folder)  # and again: still no duplicates
        assert _counts(store) == (CITY.assertions,) * 3
        # Writes are logged as their effects, which load fast on restart (replayed
        # MERGE queries ran without indexes: quadratic in the city's size).
        incr = b"".join(f.read_bytes() for f in (tmp_path / "store" / "appendonlydir").glob("*.incr.aof"))
        assert b"GRAPH.EFFECT" in incr and b"MERGE" not in incr
    finally:
        store.close()
        server.stop()


def test_sigkill_during_an_award_stream_keeps_every_acknowledged_award(tmp_path: Path) -> None:
    city = generate_city(CitySize("stream", learners=300, badges=40, opportunities=40, organisations=6, districts=2,
                                  venues=3, themes=3, pathways=1, assertions=1_500), 2)
    folder = write_city(city, tmp_path / "city")
    data_dir = tmp_path / "store"
    server, store = _open(data_dir)
    store.apply_schema()
    ingest_catalogue(store, folder)
    ingest_awards(store, folder)
    key = create_key(store, "admin", name="crash").secret
    issuer = {b["id"]: b["issuer"] for b in city.badges}
    learners = [lr["id"] for lr in city.learners]
    # Each client sends its own awards in order: (idempotency key, org, badge, learner).
    plans = [[(f"crash-{c}-{i}", issuer[b], b, learners[(c * 97 + i * 13) % len(learners)])
              for i, b in enumerate(sorted(issuer) * 10)] for c in range(4)]
    acked: dict[str, tuple[str, str, str]] = {}
    sent: list[tuple[str, str, str, str]] = []
    killed = threading.Event()
    unexpected: list[str] = []
    settings = Settings(data_dir=data_dir, rate_limit_per_minute=0)

    def stream(base: str, plan: list[tuple[str, str, str, str]]) -> None:
        failures = 0
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=10) as client:
            for k, org, badge, learner in plan:
                if failures >= 3 or time.monotonic() > stop_at:
                    return
                sent.append((k, org, badge, learner))
                try:
                    r = client.post(f"/organisations/{org}/badges/{badge}/assertions",
                                    json={"learner_id": learner}, headers={"Idempotency-Key": k})
                except httpx.HTTPError:
                    failures += killed.is_set()
                    continue
                if r.status_code in (200, 201):
                    acked[k] = (r.json()["id"], badge, learner)
                else:
                    if r.status_code != 503:  # the store is gone: unavailable, never a 500
                        unexpected.append(f"{r.status_code} {r.text[:200]}")
                    failures += 1

    stop_at = time.monotonic() + 60
    with live_api(create_app(settings, store=store)) as base:
        clients = [threading.Thread(target=stream, args=(base, plan)) for plan in plans]
        for t in clients:
            t.start()
        while len(acked) < 80:
            assert time.monotonic() < stop_at and any(t.is_alive() for t in clients)
            time.sleep(0.01)
        _kill(server)
        killed.set()
        for t in clients:
            t.join(timeout=90)
    assert not unexpected, unexpected
    assert len(sent) > len(acked), "the stream should have gone on past the kill"

    server, store = _open(data_dir)
    try:
        for k, (assertion_id, badge, learner) in acked.items():
            record = issuing.get_assertion(store, assertion_id)
            assert (record.badge_id, record.learner_id) == (badge, learner), k
        # an award to a learner holding the badge live answers that award (no second copy), so
        # the new nodes are the acknowledged ids the seeded city did not have
        seeded = {a["id"] for a in city.awards}
        before = store.read(queries.count_nodes(Label.ASSERTION))[0]["n"]
        assert before >= len(city.awards) + len({a for a, _, _ in acked.values()} - seeded)
        # Everything sent is sent again with the same keys: the missing are made, nothing twice.
        with live_api(create_app(settings, store=store)) as base, \
                httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=30) as client:
            answered: dict[str, str] = {}
            for k, org, badge, learner in sent:
                r = client.post(f"/organisations/{org}/badges/{badge}/assertions",
                                json={"learner_id": learner}, headers={"Idempotency-Key": k})
                assert r.status_code in (200, 201), r.text
                answered[k] = r.json()["id"]
                if k in acked:
                    assert r.status_code == 200 and r.json()["id"] == acked[k][0]
        made = set(answered.values()) - seeded
        assert store.read(queries.count_nodes(Label.ASSERTION))[0]["n"] == len(city.awards) + len(made)
        pairs = {(b, lr) for k, _, b, lr in sent if answered[k] in made}
        assert len(pairs) == len(made)  # one award a (badge, learner) pair, however many keys named it
        assertions, paths, issued = _counts(store)
        assert paths == issued == assertions
    finally:
        store.close()
        server.stop()
