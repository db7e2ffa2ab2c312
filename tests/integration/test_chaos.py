"""Chaos: awards stream into a live ``colearn serve`` while its store is frozen
(SIGSTOP/SIGCONT), killed (and restarted by the API's process), and the API itself
is killed and started again. Afterwards every acknowledged award is in the graph
exactly once, and no request waited past the store timeout (plus a margin)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx

from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore
from tests.serve_helpers import alive, children, kill_all, seed, start_serve, store_pid, wait_gone

LEARNERS = 40
#: The store timeout (5 s) plus time for the API to answer on a busy machine.
LONGEST_S = 12.0


def test_acknowledged_awards_survive_freezes_kills_and_restarts(tmp_path: Path) -> None:
    key = seed(tmp_path, learners=LEARNERS)
    proc, base = start_serve(tmp_path, fsync="always")  # fsync always: an acknowledged award is on disk
    port = int(base.rsplit(":", 1)[1])
    everything = [proc.pid, *children(proc.pid)]
    acked: dict[str, str] = {}
    slow: list[str] = []
    unexpected: list[str] = []
    stop = threading.Event()

    def stream(client_no: int) -> None:
        i = 0
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=LONGEST_S + 10) as client:
            while not stop.is_set():
                k = f"chaos-{client_no}-{i}"  # resent with the same key until acknowledged
                started = time.monotonic()
                try:
                    r = client.post("/organisations/college/badges/web/assertions", json={"learner_id": f"l{i % LEARNERS}"},
                                    headers={"Idempotency-Key": k})
                except httpx.HTTPError:
                    r = None
                took = time.monotonic() - started
                if took > LONGEST_S:
                    slow.append(f"{k}: {took:.1f} s ({r.status_code if r is not None else 'no answer'})")
                if r is not None and r.status_code in (200, 201):
                    acked[k] = r.json()["id"]
                    i += 1
                    continue
                if r is not None and r.status_code != 503:
                    unexpected.append(f"{r.status_code} {r.text[:200]}")
                time.sleep(0.1)

    def acked_grows(seconds: float) -> None:
        before = len(acked)
        deadline = time.monotonic() + seconds
        while len(acked) == before and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(acked) > before, "no award was acknowledged"

    clients = [threading.Thread(target=stream, args=(c,)) for c in range(3)]
    try:
        for t in clients:
            t.start()
        acked_grows(20)
        store = store_pid(tmp_path)
        os.kill(store, signal.SIGSTOP)  # frozen: requests answer 503 after the timeout
        time.sleep(3)
        os.kill(store, signal.SIGCONT)
        acked_grows(30)
        os.kill(store, signal.SIGKILL)  # crashed: the API's process restarts it
        acked_grows(40)
        everything.append(store_pid(tmp_path))
        os.kill(proc.pid, signal.SIGKILL)  # the API dies; its store gets SIGTERM from the kernel
        proc.wait(timeout=10)
        assert wait_gone(everything) == []
        proc, _ = start_serve(tmp_path, port=port, fsync="always")
        everything += [proc.pid, *children(proc.pid)]
        acked_grows(30)
    finally:
        stop.set()
        for t in clients:
            t.join(timeout=60)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        finally:
            kill_all(everything)
    assert not [p for p in everything if alive(p)]
    assert not unexpected, unexpected[:5]
    assert not slow, slow[:5]

    server = EmbeddedFalkorDB.for_data_dir(tmp_path)
    store = FalkorDBStore(server.host, server.port, "colearn", server=server)
    try:
        # an acknowledged award is the one its key made, or the live award of that badge the
        # learner already held (no second copy is made): either way it is there, whole
        rows = store.read("MATCH (a:Assertion) WHERE a.id IN $ids "
                          "RETURN a.id AS id, size([(a)-[:TO]->(l:Learner) | l]) AS learners, "
                          "size([(a)-[:OF]->(b:Badge) | b]) AS badges", {"ids": sorted(set(acked.values()))})
        live = store.read("MATCH (b:Badge {id: 'web'})<-[:OF]-(a:Assertion)-[:TO]->(l:Learner) "
                          "WHERE a.status IN ['issued', 'accepted'] RETURN l.id AS learner, count(a) AS n")
    finally:
        store.close()
        server.stop()
    found = {r["id"]: (r["learners"], r["badges"]) for r in rows}
    missing = [k for k, assertion_id in acked.items() if assertion_id not in found]
    assert not missing, f"{len(missing)} acknowledged awards lost, e.g. {missing[:3]}"
    assert set(found.values()) == {(1, 1)}
    assert all(r["n"] == 1 for r in live), live  # never two live copies of the badge, through the chaos
    assert len(acked) >= 4
