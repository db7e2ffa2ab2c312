"""``colearn serve`` as a real process for lifecycle, fault and chaos tests: start it on
a data folder, find its workers and its store, wait for health, check nothing is left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore
from colearn.ports import port_bindable
from colearn.service.auth import create_key
from tests.live import free_port
from tests.openbadges_builders import seed_issuing_city


def seed(data_dir: Path, learners: int = 0) -> str:
    """The issuing city (and ``learners`` learners ``l0``...) in ``data_dir``'s store; an admin key.
    The store is stopped cleanly afterwards, so that ``colearn serve`` starts its own."""
    server = EmbeddedFalkorDB.for_data_dir(data_dir, fsync="everysec")
    store = FalkorDBStore(server.host, server.port, "colearn", server=server)
    try:
        store.apply_schema()
        seed_issuing_city(store)
        if learners:
            store.write("UNWIND $ids AS id MERGE (:Learner {id: id})", {"ids": [f"l{i}" for i in range(learners)]})
        return create_key(store, "admin", name="lifecycle").secret
    finally:
        store.close()
        server.stop()


def start_serve(data_dir: Path, workers: int = 1, port: int | None = None, fsync: str = "everysec",
                timeout: float = 120.0, env: dict[str, str] | None = None,
                own_group: bool = False) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``colearn serve`` (with ``env`` added to this process's environment; leading a
    process group of its own when ``own_group``, as a shell starts a command that a terminal's
    Ctrl-C then signals, workers and all) and wait until ``/health`` answers 200;
    ``(process, base URL)``. Its output goes to ``serve-<port>.log`` in ``data_dir``, quoted
    when it fails to start."""
    port = port or free_port()
    env = {**os.environ, "COLEARN_DATA_DIR": str(data_dir), "COLEARN_RATE_LIMIT_PER_MINUTE": "0",
           "COLEARN_FSYNC": fsync, **(env or {})}
    log = open(data_dir / f"serve-{port}.log", "ab")
    proc = subprocess.Popen([str(Path(sys.executable).with_name("colearn")), "serve", "--port", str(port),
                             "--workers", str(workers)], env=env, stdout=log, stderr=subprocess.STDOUT,
                            process_group=0 if own_group else None)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"colearn serve exited with {proc.returncode}: "
                               f"{(data_dir / f'serve-{port}.log').read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("colearn serve did not answer in time")
        time.sleep(0.2)


def store_pid(data_dir: Path) -> int:
    """The pid of the embedded store serving ``data_dir`` (its state file)."""
    return int(json.loads((data_dir / "falkordb.json").read_text())["pid"])


def children(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (Linux ``/proc``)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def wait_children(pid: int, n: int, timeout: float = 30.0) -> list[int]:
    """``children(pid)`` once there are ``n`` or more, or at ``timeout`` seconds (a forked
    worker may start after another one already answers ``/health``)."""
    deadline = time.monotonic() + timeout
    kids = children(pid)
    while len(kids) < n and time.monotonic() < deadline:
        time.sleep(0.1)
        kids = children(pid)
    return kids


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pids: list[int], timeout: float = 30.0) -> list[int]:
    """Wait until none of ``pids`` runs; the ones still running after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


def port_free(port: int) -> bool:
    """Whether a new server could bind ``port`` on 127.0.0.1 now."""
    return port_bindable(port)


def kill_all(pids: list[int]) -> None:
    """SIGKILL whatever of ``pids`` still runs (a test's last resort)."""
    for p in pids:
        if alive(p):
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
