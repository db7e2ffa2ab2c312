"""``colearn serve`` as a process: SIGTERM or SIGINT stops its workers and the store it
started, for any worker count; a SIGKILLed supervisor leaves no worker on the port and
no store; a frozen store answers 503 within the store timeout (``/health`` too) and the
API recovers when it thaws; a crashed store is restarted and the API recovers by itself."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.serve_helpers import (children, kill_all, port_free, seed, start_serve, store_pid,
                                 wait_children, wait_gone)


@pytest.mark.parametrize("workers, sig", [(1, signal.SIGTERM), (2, signal.SIGTERM), (2, signal.SIGINT)])
def test_a_signal_stops_workers_and_store(tmp_path: Path, workers: int, sig: int) -> None:
    seed(tmp_path)
    proc, base = start_serve(tmp_path, workers=workers)
    port = int(base.rsplit(":", 1)[1])
    store, kids = store_pid(tmp_path), wait_children(proc.pid, workers + 1)  # the store and each worker
    everything = [proc.pid, store, *kids]
    try:
        assert store in kids and (workers == 1 or len(kids) >= workers + 1)
        said = " ".join((tmp_path / f"serve-{port}.log").read_text().split())  # rich wraps long lines
        assert f"serving on {base} (OpenAPI docs at {base}/docs) with {workers} worker" in said
        # without COLEARN_BASE_URL, what is published names the address served (not port 8000)
        for _ in range(2 * workers):
            issuer = httpx.get(f"{base}/ob/v2/issuers/college", timeout=10).json()
            assert issuer["id"] == f"{base}/ob/v2/issuers/college", issuer
        os.kill(proc.pid, sig)
        assert proc.wait(timeout=60) == 0
        assert wait_gone(everything) == []
        assert port_free(port)
        assert not (tmp_path / "falkordb.json").exists()
        assert_stopped_cleanly((tmp_path / f"serve-{port}.log").read_text())
    finally:
        kill_all(everything)


def assert_stopped_cleanly(log: str) -> None:
    """A normal stop logged no ERROR and no traceback (a worker that got SIGINT logged
    ``ERROR colearn.service.forked: worker N failed`` and a KeyboardInterrupt traceback)."""
    assert "Traceback" not in log and not any("ERROR" in line for line in log.splitlines()), log[-3000:]


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_stops_cleanly(tmp_path: Path, workers: int) -> None:
    """A terminal's Ctrl-C sends SIGINT to the whole process group, the supervisor and every
    worker at once: the workers stop as on SIGTERM, and ``colearn serve`` exits 0 without an
    ERROR or a traceback in its output (each worker logged ``worker N failed`` and a
    KeyboardInterrupt traceback after uvicorn's normal shutdown)."""
    seed(tmp_path)
    proc, base = start_serve(tmp_path, workers=workers, own_group=True)
    port = int(base.rsplit(":", 1)[1])
    store, kids = store_pid(tmp_path), wait_children(proc.pid, workers + 1)
    everything = [proc.pid, store, *kids]
    try:
        for _ in range(2 * workers):
            assert httpx.get(f"{base}/health", timeout=10).status_code == 200
        time.sleep(1)  # every worker past its start (one may still be starting when another answers)
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=60) == 0
        assert wait_gone(everything) == []
        assert port_free(port)
        assert_stopped_cleanly((tmp_path / f"serve-{port}.log").read_text())
    finally:
        kill_all(everything)


def test_other_commands_of_the_data_directory_publish_under_the_address_served(tmp_path: Path) -> None:
    """Without COLEARN_BASE_URL, ``colearn serve --port P`` publishes under port P, and so does a
    ``colearn issue`` run beside it in another process: the recipient URL it hashes into the award
    (``--learner``) and the links it prints. Before, that process used the default port 8000, so the
    learner's URL never matched the one the service checks on a claim."""
    seed(tmp_path)
    proc, base = start_serve(tmp_path, workers=1)
    everything = [proc.pid, *children(proc.pid)]
    try:
        env = {k: v for k, v in os.environ.items() if k != "COLEARN_BASE_URL"}
        env["COLEARN_DATA_DIR"] = str(tmp_path)
        done = subprocess.run([str(Path(sys.executable).with_name("colearn")), "issue", "web", "--org", "college",
                               "--learner", "se-1", "--json"], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        [award] = json.loads(done.stdout)["awards"]
        assert award["ob2"] == f"{base}/ob/v2/assertions/{award['id']}" and not base.endswith(":8000")
        hosted = httpx.get(award["ob2"], timeout=10).json()
        assert hosted["id"] == award["ob2"] and hosted["recipient"]["type"] == "url"
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
        kill_all([*everything, *wait_gone(everything)])


def test_other_commands_never_take_a_stopped_servers_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second ``colearn serve`` of a data directory overwrote ``served-base-url`` with its
    address and left it there when it stopped, so ``colearn issue`` (its settings without
    COLEARN_BASE_URL) built links to a dead server while the first still served. Stopping
    now puts back the address of the server still running, and an address whose server is
    gone (killed, so it could not tidy up) is not used: the default is."""
    from colearn.config import Settings

    monkeypatch.delenv("COLEARN_BASE_URL", raising=False)
    seed(tmp_path)
    first, one = start_serve(tmp_path)
    everything = [first.pid, *children(first.pid)]
    try:
        assert Settings(data_dir=tmp_path).base_url == one
        second, two = start_serve(tmp_path)
        everything += [second.pid, *children(second.pid)]
        assert Settings(data_dir=tmp_path).base_url == two != one
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
        assert Settings(data_dir=tmp_path).base_url == one
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert wait_gone([first.pid]) == []
        assert Settings(data_dir=tmp_path).base_url == "http://127.0.0.1:8000"
    finally:
        kill_all([*everything, *wait_gone(everything)])


def test_a_killed_supervisor_leaves_nothing_behind(tmp_path: Path) -> None:
    seed(tmp_path)
    proc, base = start_serve(tmp_path, workers=2)
    port = int(base.rsplit(":", 1)[1])
    everything = [proc.pid, *wait_children(proc.pid, 3)]
    try:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert wait_gone(everything) == []
        assert port_free(port)
        again, base = start_serve(tmp_path, workers=2, port=port)  # the port is free to serve again
        everything += [again.pid, *wait_children(again.pid, 3)]
        again.send_signal(signal.SIGTERM)
        again.wait(timeout=60)
        assert wait_gone(everything) == []
    finally:
        kill_all(everything)


def test_a_frozen_then_crashed_store_answers_503_in_time_and_the_api_recovers(tmp_path: Path) -> None:
    seed(tmp_path)
    proc, base = start_serve(tmp_path, workers=1)
    everything = [proc.pid, *children(proc.pid)]
    store = store_pid(tmp_path)
    try:
        os.kill(store, signal.SIGSTOP)
        started = time.monotonic()
        r = httpx.get(f"{base}/health", timeout=30)
        took = time.monotonic() - started
        assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["type"] == "/problems/store-unavailable"
        # the store's own words (its address) stay in the server's log
        assert r.json()["detail"].startswith("the graph store cannot be reached now") and "127.0.0.1" not in r.text
        assert took < 8, f"a frozen store held /health for {took:.1f} s"
        os.kill(store, signal.SIGCONT)
        assert _healthy_within(base, 15)
        os.kill(store, signal.SIGKILL)
        assert _healthy_within(base, 30), "the API did not recover after the store crashed"
        restarted = store_pid(tmp_path)
        assert restarted != store and restarted in children(proc.pid)
        everything.append(restarted)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        assert wait_gone(everything) == []
    finally:
        kill_all([*everything, store])


def _healthy_within(base: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=6).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False
