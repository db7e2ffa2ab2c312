"""Two `colearn serve` processes over one store stay consistent through the change
feed (issue 11): a change made through one process, or by `colearn ingest awards`,
reaches the other's recommender (a bound on liveness here, ``tests.live.VISIBLE_WITHIN_S``: the
1 s target is a speed, measured by `colearn bench-feed`); after a stream of awards both
answer "what next?" exactly as a recommender freshly built from the graph.

Both engines: the embedded FalkorDB, started by this test process (the servers
reuse it, as they would a server started by `colearn serve --workers N`), and the
session's Neo4j 5.26 (``tests/conftest.py``), which the servers and `colearn
ingest awards` reach through ``NEO4J_URI``, ``NEO4J_USER``, ``NEO4J_PASSWORD`` and
``NEO4J_DATABASE``. The store holds the demo city."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore
from colearn.graph.store import GraphStore
from colearn.ingest.awards import ingest_awards
from colearn.ingest.catalogue import demo_city_path, ingest_catalogue
from colearn.graph.enrolments import published_pathways
from colearn.recommender.recommend import Recommender
from colearn.service.auth import create_key
from tests.conftest import ENGINES, _neo4j_store
from tests.live import free_port, wait_until

pytestmark = pytest.mark.slow

COLEARN = str(Path(sys.executable).with_name("colearn"))


@dataclass
class City:
    store: GraphStore
    data_dir: Path
    env: dict[str, str]
    a: httpx.Client
    b: httpx.Client


def _serve(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([COLEARN, "serve", "--port", str(port)], env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def _wait_up(client: httpx.Client, proc: subprocess.Popen, log: Path, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"colearn serve exited: {log.read_text()[-2000:]}")
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"colearn serve did not answer: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """The engine the module's two servers share (``tests/conftest.py`` counts and starts it by this name)."""
    return str(request.param)


@pytest.fixture(scope="module")
def city(engine: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    data_dir = tmp_path_factory.mktemp("feed-city")
    env = {**os.environ, "COLEARN_DATA_DIR": str(data_dir), "COLEARN_RATE_LIMIT_PER_MINUTE": "0",
           "COLEARN_FSYNC": "everysec", "COLEARN_CATALOGUE_CACHE_SECONDS": "30"}
    server: EmbeddedFalkorDB | None = None
    opened: Iterator[GraphStore] | None = None
    store: GraphStore
    if engine == "neo4j":
        target = request.getfixturevalue("neo4j_target")
        opened = _neo4j_store(target)  # cleared, schema applied; closed below
        store = next(opened)
        env.update(NEO4J_URI=target.uri, NEO4J_USER=target.user, NEO4J_PASSWORD=target.password,
                   NEO4J_DATABASE=target.database)
    else:
        server = EmbeddedFalkorDB.for_data_dir(data_dir, fsync="everysec")
        store = FalkorDBStore(server.host, server.port, "colearn", server=server)
        store.apply_schema()
    ingest_catalogue(store, demo_city_path())
    ingest_awards(store, demo_city_path())
    admin = create_key(store, "admin").secret
    procs, clients = [], []
    try:
        for name in ("a", "b"):
            port = free_port()
            log = data_dir / f"serve-{name}.log"
            procs.append(_serve(port, env, log))
            clients.append(httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": admin},
                                        timeout=30))
            _wait_up(clients[-1], procs[-1], log)
        yield City(store, data_dir, env, clients[0], clients[1])
    finally:
        for c in clients:
            c.close()
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        if opened is not None:
            opened.close()  # closes the Neo4j store
        else:
            store.close()
        if server is not None:
            server.stop()


def _next(client: httpx.Client, learner: str) -> list[str]:
    r = client.get(f"/learners/{learner}/next", params={"limit": 10})
    assert r.status_code == 200, r.text
    return [i["badge_id"] for i in r.json()["items"]]


def _steps_met(client: httpx.Client, learner: str) -> dict[str, int]:
    r = client.get(f"/learners/{learner}/pathways")
    assert r.status_code == 200, r.text
    return {p["pathway_id"]: p["steps_met"] for p in r.json()["data"]}


def _head(client: httpx.Client) -> int:
    return client.get("/health").json()["feed_head"]


def _caught_up(client: httpx.Client, seq: int) -> bool:
    return client.get("/health").json()["feed_position"] >= seq


def _issuer(store: GraphStore, badge: str) -> str:
    return store.read("MATCH (o:Organisation)-[:DEFINES]->(b:Badge {id: $id}) RETURN o.id AS id",
                      {"id": badge})[0]["id"]


def _award_and_accept(client: httpx.Client, store: GraphStore, learner: str, badge: str, *,
                      held_ok: bool = False) -> str:
    """Award ``badge`` to ``learner`` and accept it; with ``held_ok``, a learner already holding it
    live gets no second copy (200, ``created`` false), and that award's id is returned as it is."""
    r = client.post(f"/organisations/{_issuer(store, badge)}/badges/{badge}/assertions",
                    json={"learner_id": learner})
    if held_ok and r.status_code == 200 and r.json()["created"] is False:
        return str(r.json()["id"])
    assert r.status_code == 201, r.text
    accepted = client.post(f"/assertions/{r.json()['id']}/accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted", accepted.text
    return r.json()["id"]


def _learners(store: GraphStore) -> list[str]:
    return [r["id"] for r in store.read(
        "MATCH (l:Learner)<-[:TO]-(a:Assertion {status: 'accepted'}) RETURN DISTINCT l.id AS id ORDER BY id")]


def _pick(city: City) -> tuple[str, str, str]:
    """A learner, a badge in their top 10 on B, and a published pathway whose step
    (required 1) that badge alone would meet."""
    pathways = published_pathways(city.store)
    for learner in _learners(city.store)[:80]:
        held = {r["badge_id"] for r in city.store.read(
            "MATCH (:Learner {id: $id})<-[:TO]-(a:Assertion {status: 'accepted'})-[:OF]->(b:Badge) "
            "RETURN b.id AS badge_id", {"id": learner})}
        for badge in _next(city.b, learner):
            for p in pathways:
                for s in p["steps"]:
                    if badge in s["badges"] and not s["optional"] and int(s["required"] or 1) == 1 \
                            and not held & set(s["badges"]):
                        return learner, badge, p["id"]
    raise AssertionError("the demo city has no learner with a next badge that meets a pathway step")


def test_changes_through_one_process_reach_the_other(city: City) -> None:
    learner, badge, pathway = _pick(city)
    before_met = _steps_met(city.b, learner)[pathway]

    # an award accepted through A: B's next list and B's pathway progress
    assertion = _award_and_accept(city.a, city.store, learner, badge)
    seq = _head(city.a)
    wait_until(lambda: _caught_up(city.b, seq) and badge not in _next(city.b, learner)
               and _steps_met(city.b, learner)[pathway] == before_met + 1, "accept through A, seen by B")

    # a badge and a pathway created through A: B counts the learner's holding of the new badge
    cell = city.store.read("MATCH (c:SpineCell) RETURN c.id AS id ORDER BY id LIMIT 1")[0]["id"]
    org = _issuer(city.store, badge)
    r = city.a.post("/badges", json={"id": "feed-new-badge", "name": "Feed test badge", "issuer": org,
                                     "cells": [cell], "description": "Made while the city was serving."})
    assert r.status_code == 201, r.text
    r = city.a.post("/pathways", json={
        "id": "feed-new-pathway", "title": "Feed test pathway", "organisation": org, "destination": "employment",
        "status": "published", "steps": [{"title": "New", "badges": ["feed-new-badge"]},
                                         {"title": "Old", "badges": [badge]}]})
    assert r.status_code == 201, r.text
    _award_and_accept(city.a, city.store, learner, "feed-new-badge")
    seq = _head(city.a)
    wait_until(lambda: _caught_up(city.b, seq) and _steps_met(city.b, learner).get("feed-new-pathway") == 2,
               "a badge and a pathway created through A, counted by B")
    # A made the changes, and rebuilds for the new badge in the background like B: the same bound
    wait_until(lambda: _steps_met(city.a, learner).get("feed-new-pathway") == 2,
               "a badge and a pathway created through A, counted by A")

    # `colearn ingest awards` while both serve
    other = next(lr for lr in _learners(city.store)[80:] if _next(city.a, lr))
    wanted = _next(city.a, other)[0]
    folder = city.data_dir / "more-awards"
    folder.mkdir()
    (folder / "award_history.csv").write_text(
        "id,learner,badge,organisation,issued_on,status,expires_on\n"
        f"feed-cli-1,{other},{wanted},{_issuer(city.store, wanted)},2026-11-30,accepted,\n")
    done = subprocess.run([COLEARN, "ingest", "awards", str(folder)], env=city.env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    seq = city.store.read("MATCH (c:FeedCounter) RETURN c.seq AS seq")[0]["seq"]
    for name, client in (("A", city.a), ("B", city.b)):
        wait_until(lambda: _caught_up(client, seq) and wanted not in _next(client, other),
                   f"colearn ingest awards, seen by {name}")

    # a revoke through B: A's pathway progress drops back
    r = city.b.post(f"/assertions/{assertion}/revoke", json={"reason": "awarded by mistake"})
    assert r.status_code == 200 and r.json()["status"] == "revoked", r.text
    seq = _head(city.b)
    wait_until(lambda: _caught_up(city.a, seq) and _steps_met(city.a, learner)[pathway] == before_met,
               "revoke through B, seen by A")


def test_both_processes_answer_like_a_fresh_build_after_a_stream_of_awards(city: City) -> None:
    rng = random.Random(11)
    learners = _learners(city.store)
    badges = [r["id"] for r in city.store.read(
        "MATCH (o:Organisation)-[:DEFINES]->(b:Badge) RETURN b.id AS id ORDER BY id")]
    for i in range(120):
        client = city.a if i % 2 else city.b
        _award_and_accept(client, city.store, rng.choice(learners), rng.choice(badges), held_ok=True)
    seq = city.store.read("MATCH (c:FeedCounter) RETURN c.seq AS seq")[0]["seq"]
    for client in (city.a, city.b):
        wait_until(lambda: _caught_up(client, seq), "the stream of awards")
    fresh = Recommender.from_store(city.store)
    sample = rng.sample(learners, 100)
    for learner in sample:
        want = [r.badge_id for r in fresh.recommend(learner, limit=10)]
        assert _next(city.a, learner) == want, learner
        assert _next(city.b, learner) == want, learner
