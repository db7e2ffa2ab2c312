"""Who owns the embedded FalkorDB server of a data directory, and what a taker checks.

``falkordb.json`` in the data directory records the server (``EmbeddedFalkorDB`` in
``graph/falkordb_server.py``): its pid, port, directory and password, and its owner,
the process that started it and alone restarts it when it crashes (``owner``, the
owner's pid, and ``owner_start``, its start time in clock ticks since boot, so that a
pid used again by another process after a reboot is not taken for the owner). A
process that reuses the server checks the owner; once the owner is gone (stopped,
killed), one of them takes the server over under the directory's lock
(``dir_lock``): it waits until the last server has exited (``clear_last_store``:
there is never a second server writing into one append-only file), starts a new
one, preferably on the same port (``port_or_free``), and records itself as owner.

A record written by a colearn from before owners were recorded names no owner: the
server's parent process (``/proc``) is taken for it while the server runs.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from colearn.errors import StoreUnavailable
from colearn.files import write_whole
from colearn.ports import free_port, port_bindable
from colearn.processes import executable, gone, parent_pid, start_ticks, working_dir

if TYPE_CHECKING:
    from colearn.graph.falkordb_server import EmbeddedFalkorDB

log = logging.getLogger(__name__)

STATE_FILE = "falkordb.json"
LOCK_FILE = "falkordb.lock"
#: How long a taker waits for the last server to exit on its own (it gets SIGTERM when
#: its owner dies, and then flushes its files) before sending it SIGTERM itself, and
#: then again before giving up for this round.
EXIT_WAIT_S = 10.0
#: How often a process reusing another's server checks that its owner still runs.
OWNER_POLL_S = 0.2


@dataclass(frozen=True)
class Owner:
    """The process that owns a server: ``pid`` and its start time (``start_ticks``; None unknown)."""

    pid: int
    start: int | None = None

    def alive(self) -> bool:
        """Whether this very process still runs (not another one given its pid since)."""
        if gone(self.pid):
            return False
        now = start_ticks(self.pid)
        return self.start is None or now is None or now == self.start


@dataclass(frozen=True)
class State:
    """What ``falkordb.json`` says: the server's ``pid``, ``port``, ``dir`` (None in the
    oldest records), ``password`` (None before passwords) and ``owner`` (None: no owner
    is known to run)."""

    pid: int
    port: int
    dir: str | None
    password: str | None
    owner: Owner | None


def record_state(data_dir: Path, pid: int, port: int, password: str) -> None:
    """Write ``falkordb.json`` (``{"pid", "port", "dir", "password", "owner", "owner_start"}``,
    ``dir`` the resolved ``data_dir`` the server serves, ``owner`` this process) in
    ``data_dir`` whole or not at all (``files.write_whole``), so that no reader sees half
    of it, with mode 0600 from its first byte: the password lets whoever reads it into
    the graph."""
    me = os.getpid()
    state = {"pid": pid, "port": port, "dir": str(data_dir), "password": password,
             "owner": me, "owner_start": start_ticks(me)}
    write_whole(data_dir / STATE_FILE, json.dumps(state).encode(), mode=0o600)


def read_state(data_dir: Path) -> State | None:
    """``data_dir``'s ``falkordb.json``, or None when it is missing or unreadable.

    A record without ``owner`` (an older colearn) names the server's parent process as
    owner while the server runs and its parent is not ``init`` (an orphaned server's
    owner is gone); otherwise no owner.
    """
    try:
        raw = json.loads((data_dir / STATE_FILE).read_text())
        pid, port, recorded, password = int(raw["pid"]), int(raw["port"]), raw.get("dir"), raw.get("password")
        owner_pid, owner_start = raw.get("owner"), raw.get("owner_start")
        owner = None if owner_pid is None else Owner(int(owner_pid), None if owner_start is None else int(owner_start))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if owner is None and not gone(pid):
        parent = parent_pid(pid) or 1
        owner = Owner(parent, start_ticks(parent)) if parent > 1 else None
    return State(pid, port, recorded, password, owner)


@contextmanager
def dir_lock(data_dir: Path) -> Iterator[None]:
    """Hold ``data_dir``'s ``falkordb.lock`` (``flock``, exclusive) for the block: whoever
    starts a server for the directory holds it while it decides and starts."""
    with open(data_dir / LOCK_FILE, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def serves_dir(pid: int, data_dir: Path) -> bool:
    """Whether ``pid`` is a ``redis-server`` working in ``data_dir`` (its ``dir`` setting is
    its working directory; ``/proc``), so that a pid used again by another process is left
    alone. (Its command line cannot say: the server rewrites it to its address.)"""
    program, cwd = executable(pid), working_dir(pid)
    if program is None or cwd is None or not program.name.startswith("redis-server"):
        return False
    try:
        return os.path.samefile(cwd, data_dir)
    except OSError:
        return False


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def clear_last_store(state: State | None, data_dir: Path) -> None:
    """Return once the server ``state`` records for ``data_dir`` no longer runs: it is
    waited for ``EXIT_WAIT_S`` (it shuts itself down when its owner dies), then sent
    SIGTERM (a clean shutdown) and waited for as long again.

    Raises:
        StoreUnavailable: it still runs (try again later).
    """
    if state is None or gone(state.pid) or not serves_dir(state.pid, data_dir):
        return
    if _wait_gone(state.pid, EXIT_WAIT_S):
        return
    try:
        os.kill(state.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if not _wait_gone(state.pid, EXIT_WAIT_S):
        raise StoreUnavailable(f"the last FalkorDB of {data_dir} (pid {state.pid}) has not exited")


def port_or_free(port: int) -> int:
    """``port`` when a server could bind it on 127.0.0.1 now, else a free one (``free_port``)."""
    return port if port_bindable(port) else free_port()


def watch_owner(server: "EmbeddedFalkorDB") -> None:
    """Take ``server`` (reused, not owned) over once its owner is gone (or has stopped it
    cleanly, removing ``falkordb.json``, and runs on), then watch it as
    its owner: the reuser's watcher thread, checking every ``OWNER_POLL_S`` until
    ``server.stop``. ``server._watch`` (restarts) runs on in this same thread, which must
    outlive the new server: it gets SIGTERM when the thread that started it ends."""
    while not server._stopping.wait(OWNER_POLL_S):
        if server.owner is not None and server.owner.alive() and (server.data_dir / STATE_FILE).exists():
            continue  # the owner looks after it (a clean stop removes the record)
        try:
            with dir_lock(server.data_dir):
                take_over(server)
        except StoreUnavailable as exc:
            log.error("FalkorDB of %s not taken over (trying again): %s", server.data_dir, exc)
        if server.owned:
            server._watch()
            return


def take_over(server: "EmbeddedFalkorDB") -> None:
    """Under the directory's lock: follow the owner ``falkordb.json`` names if it runs
    (another reuser took over first), or else start a server (``clear_last_store`` first,
    on ``server``'s port and password when it can) and make ``server`` its owner.

    Raises:
        StoreUnavailable: the last server has not exited, or the new one did not start.
    """
    path = server.data_dir
    state = read_state(path)
    if state is not None and state.dir == str(path) and state.owner is not None and state.owner.alive():
        server.owner, server.port, server.password = state.owner, state.port, state.password
        return
    clear_last_store(state, path)
    port, password = port_or_free(server.port), server.password or secrets.token_urlsafe(32)
    server.process = server._launch(path, port, server.fsync, password)
    log.warning("took over FalkorDB of %s, its owner (pid %s) gone: now pid %s on port %s", path,
                None if server.owner is None else server.owner.pid, server.process.pid, port)
    server.port, server.password, server.owner, server.owned = port, password, None, True
    if server._stopping.is_set():  # this process is exiting: no server left behind
        server.stop()
