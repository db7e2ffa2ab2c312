"""A process that reuses another's embedded store takes it over once that owner is gone.

Two ``colearn serve`` on one data directory: the first starts the store and owns it, the
second reuses it. When the owner stops (cleanly, or killed), the reuser starts the store
again and owns it from then on, so it keeps answering; while the owner runs, a crash of
the store is the owner's to restart.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from colearn.errors import StoreUnavailable
from colearn.graph import falkordb_owner
from colearn.graph.falkordb_owner import serves_dir
from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore
from colearn.ports import free_port
from colearn.processes import gone
from tests.serve_helpers import kill_all, seed, start_serve, wait_gone

pytestmark = pytest.mark.falkordb_only  # the embedded store has no Neo4j counterpart

#: A process that owns the store of argv[1] (it starts it), writes one learner, prints
#: the port and waits: it exits (its store stopped cleanly) when its standard input closes.
OWNER = textwrap.dedent("""
    import sys
    from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore
    server = EmbeddedFalkorDB.for_data_dir(sys.argv[1], fsync="everysec")
    FalkorDBStore(server.host, server.port, "g", server=server).write("CREATE (:Learner {id: 'before'})")
    print(server.port, server.owned, flush=True)
    sys.stdin.read()
""")
#: A process that reuses the store of argv[1]; on a line of input it reads the learners
#: (waiting up to 20 s for the store) and prints whether it owns the store (once its
#: taking over is done, if it took it over) and what it read; it exits when its
#: standard input closes.
REUSER = textwrap.dedent("""
    import json, os, sys, time
    from colearn.errors import StoreUnavailable
    from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore
    server = EmbeddedFalkorDB.for_data_dir(sys.argv[1], fsync="everysec")
    store = FalkorDBStore(server.host, server.port, "g", server=server, timeout=2)
    print(server.port, server.owned, flush=True)
    sys.stdin.readline()
    deadline = time.monotonic() + 20
    while True:
        try:
            ids = sorted(r["id"] for r in store.read("MATCH (l:Learner) RETURN l.id AS id"))
            break
        except StoreUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    owner = json.loads((server.data_dir / "falkordb.json").read_text())["owner"]
    while owner == os.getpid() and not server.owned:
        time.sleep(0.05)
    print(server.owned, ",".join(ids), flush=True)
    sys.stdin.read()
""")
COUNT = "MATCH (l:Learner) RETURN l.id AS id ORDER BY id"


def _spawn(code: str, data_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code, str(data_dir)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)


def _line(proc: subprocess.Popen[str]) -> list[str]:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, f"the process exited with {proc.wait()}"
    return line.split()


def _record(data_dir: Path) -> dict[str, object]:
    return dict(json.loads((data_dir / "falkordb.json").read_text()))


def stores_of(data_dir: Path) -> list[int]:
    """The pids of the FalkorDB servers running for ``data_dir`` (``/proc``)."""
    return [int(p.name) for p in Path("/proc").iterdir()
            if p.name.isdigit() and serves_dir(int(p.name), data_dir) and not gone(int(p.name))]


def _eventually(call: Callable[[], object], timeout: float = 20.0) -> object:
    """What ``call`` returns once it stops raising ``StoreUnavailable``, within ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except StoreUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def owner(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """A store owner process on ``tmp_path / "data"`` (one learner written)."""
    data_dir = (tmp_path / "data").resolve()
    proc = _spawn(OWNER, data_dir)
    try:
        assert _line(proc)[1] == "True"
        yield proc, data_dir
    finally:
        kill_all([proc.pid])
        proc.wait()


def _stop(proc: subprocess.Popen[str], how: str) -> None:
    """Stop a helper process: ``clean`` (its standard input closed: atexit stops its store),
    or ``kill`` (SIGKILL)."""
    if how == "kill":
        proc.kill()
    else:
        assert proc.stdin is not None
        proc.stdin.close()
    proc.wait(timeout=60)


@pytest.mark.parametrize("how, old_record", [("clean", False), ("kill", False), ("kill", True)])
def test_a_reuser_takes_the_store_over_when_its_owner_stops(
        owner: tuple[subprocess.Popen[str], Path], how: str, old_record: bool) -> None:
    proc, data_dir = owner
    record = _record(data_dir)
    if old_record:  # as an older colearn wrote it: no owner (its parent is taken for it)
        (data_dir / "falkordb.json").write_text(json.dumps({k: record[k] for k in ("pid", "port", "dir", "password")}))
    server = EmbeddedFalkorDB.for_data_dir(data_dir)
    try:
        assert not server.owned and server.port == record["port"]
        store = FalkorDBStore(server.host, server.port, "g", server=server, timeout=2)
        assert store.read(COUNT) == [{"id": "before"}]
        _stop(proc, how)
        started = time.monotonic()
        while not server.owned and time.monotonic() - started < 15:
            time.sleep(0.05)
        assert _eventually(lambda: store.read(COUNT)) == [{"id": "before"}]
        store.write("CREATE (:Learner {id: 'after'})")
        assert time.monotonic() - started < 15
        assert server.owned and server.port == record["port"]  # same port: clients need not move
        assert record.get("owner", proc.pid) == proc.pid and _record(data_dir)["owner"] == os.getpid()
        assert stores_of(data_dir) == [server.process.pid if server.process else -1]
        assert store.read(COUNT) == [{"id": "after"}, {"id": "before"}]
    finally:
        server.stop()
    assert stores_of(data_dir) == []  # the taker stopped it as an owner does
    assert not (data_dir / "falkordb.json").exists()


def test_clients_follow_the_store_to_another_port_when_its_own_is_taken(
        owner: tuple[subprocess.Popen[str], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    proc, data_dir = owner
    monkeypatch.setattr(falkordb_owner, "port_or_free", lambda port: free_port())  # the old port taken
    server = EmbeddedFalkorDB.for_data_dir(data_dir)
    try:
        old_port = server.port
        store = FalkorDBStore(server.host, server.port, "g", server=server, timeout=2)
        _stop(proc, "kill")
        deadline = time.monotonic() + 15
        while not server.owned and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.owned and server.port != old_port and _record(data_dir)["port"] == server.port
        assert _eventually(lambda: store.read(COUNT)) == [{"id": "before"}]
        assert store.where.endswith(f":{server.port}")
    finally:
        server.stop()


def test_two_reusers_racing_one_takes_over_and_the_other_follows(
        owner: tuple[subprocess.Popen[str], Path]) -> None:
    proc, data_dir = owner
    reusers = [_spawn(REUSER, data_dir) for _ in range(2)]
    try:
        assert all(_line(r)[1] == "False" for r in reusers)
        _stop(proc, "kill")
        deadline = time.monotonic() + 15
        while _record(data_dir).get("owner", proc.pid) == proc.pid and time.monotonic() < deadline:
            time.sleep(0.05)
        for r in reusers:
            assert r.stdin is not None
            r.stdin.write("go\n")
            r.stdin.flush()
        answers = [_line(r) for r in reusers]
        assert sorted(a[0] for a in answers) == ["False", "True"]
        assert all(a[1] == "before" for a in answers)
        taker, follower = (reusers[0], reusers[1]) if answers[0][0] == "True" else (reusers[1], reusers[0])
        assert _record(data_dir)["owner"] == taker.pid
        assert len(stores_of(data_dir)) == 1
        _stop(follower, "clean")
        _stop(taker, "clean")
        assert wait_gone(stores_of(data_dir), timeout=15) == []
    finally:
        kill_all([r.pid for r in reusers])
        for r in reusers:
            r.wait()


def test_a_store_that_crashes_is_restarted_by_its_living_owner_not_taken_over(
        owner: tuple[subprocess.Popen[str], Path]) -> None:
    proc, data_dir = owner
    server = EmbeddedFalkorDB.for_data_dir(data_dir)
    try:
        store = FalkorDBStore(server.host, server.port, "g", server=server, timeout=2)
        crashed = int(str(_record(data_dir)["pid"]))
        os.kill(crashed, signal.SIGKILL)
        assert _eventually(lambda: store.read(COUNT)) == [{"id": "before"}]
        record = _record(data_dir)
        assert record["pid"] != crashed and record["owner"] == proc.pid
        assert not server.owned and stores_of(data_dir) == [record["pid"]]
    finally:
        server.stop()
    assert proc.poll() is None and len(stores_of(data_dir)) == 1  # the owner's, still running


def test_colearn_serve_with_workers_keeps_serving_when_the_store_owner_is_killed(tmp_path: Path) -> None:
    data_dir = tmp_path.resolve()
    key = seed(data_dir)
    first = _spawn(OWNER, data_dir)  # stands for the first colearn serve: it starts the store
    second = None
    try:
        assert _line(first)[1] == "True"
        port = _record(data_dir)["port"]
        second, base = start_serve(data_dir, workers=2)
        first.kill()
        first.wait()
        deadline = time.monotonic() + 20
        status = 0
        while time.monotonic() < deadline and status != 200:
            time.sleep(0.2)
            try:
                status = httpx.get(f"{base}/badges", headers={"Authorization": f"Bearer {key}"}, timeout=5).status_code
            except httpx.HTTPError:
                status = 0
        assert status == 200
        assert httpx.get(f"{base}/health", timeout=5).status_code == 200
        record = _record(data_dir)
        assert record["owner"] == second.pid and record["port"] == port  # the supervisor owns it now
        assert len(stores_of(data_dir)) == 1
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
        assert wait_gone(stores_of(data_dir), timeout=15) == []
    finally:
        kill_all([first.pid] + ([second.pid] if second is not None else []))


def test_a_forked_worker_leaves_the_takeover_to_its_parent(
        owner: tuple[subprocess.Popen[str], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    # A worker of colearn serve is forked from the supervisor, which takes the store over
    # once its owner is gone; a worker that opens the store meanwhile must neither start
    # one of its own nor watch the owner itself.
    proc, data_dir = owner
    take_over = falkordb_owner.take_over

    def slow_take_over(server: EmbeddedFalkorDB) -> None:
        time.sleep(3)  # the worker below looks while the store is down
        take_over(server)

    monkeypatch.setattr(falkordb_owner, "take_over", slow_take_over)
    server = EmbeddedFalkorDB.for_data_dir(data_dir)
    try:
        store_pid = int(str(_record(data_dir)["pid"]))
        _stop(proc, "kill")
        assert wait_gone([store_pid], timeout=10) == []
        read_end, write_end = os.pipe()
        child = os.fork()
        if child == 0:  # the worker
            code = 1
            try:
                again = EmbeddedFalkorDB.for_data_dir(data_dir)
                os.write(write_end, f"{again is server} {again.owned}".encode())
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        _, status = os.waitpid(child, 0)
        with os.fdopen(read_end) as answer:
            assert (status, answer.read()) == (0, "True False")
        # the takeover may still be under way: making a store then is StoreUnavailable
        store = _eventually(lambda: FalkorDBStore(server.host, server.port, "g", server=server, timeout=2))
        assert isinstance(store, FalkorDBStore)
        assert _eventually(lambda: store.read(COUNT)) == [{"id": "before"}]
        assert _record(data_dir)["owner"] == os.getpid() and len(stores_of(data_dir)) == 1
    finally:
        server.stop()
