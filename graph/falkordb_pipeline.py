"""Batched writes on FalkorDB with two statements in flight: ``FalkorDBStore.write_many``.

Sent one at a time, each batch waits for the one before to answer, and the
server then waits for the client to send the next (a 5,000-row award batch is
about a megabyte of ``CYPHER`` header): the engine idles between batches. Here
batch ``k + 1`` is written out and sent on the same connection before batch
``k``'s reply is read, so it is already in the server's input when ``k``
finishes; at most two are in flight. The server runs one client's commands in
order, so the batches still run in order, one at a time.

What ``write_many`` promises is kept: batches land in order, each whole or not
at all, and on the first failing batch none after it lands. With two in
flight, batch ``k + 1`` has been sent before batch ``k`` is known to have
landed, so every batch is guarded. A guard node ``(:_WriteGuard {id: <token>,
landed: 0})`` is created first; batch ``k`` (from 0) runs as::

    OPTIONAL MATCH (_guard:_WriteGuard {id: $colearn_guard})
    WITH _guard, 1 / (CASE WHEN _guard.landed = $colearn_guard_batch THEN 1 ELSE 0 END) AS _guard_ok
    SET _guard.landed = _guard.landed + 1
    WITH count(_guard_ok) AS _write_guarded
    <the statement>

and fails with a division by zero before writing anything unless every batch
before it landed (the guard counted it, in the same atomic statement). That
failure is read and dropped, and the earlier batch's own error is raised. When
no earlier batch failed (another client deleted or changed the guard node), a
``Conflict`` that names the guard is raised instead of the division by zero.
An error, not zero rows, because a statement carrying a change-feed entry
(``graph.feed.recorded``) has an aggregation in front (``WITH count(e)``): zero
rows in would still give one row out, and the write would run. The guard node is deleted at the end,
after a failure too; if the server cannot be reached then, the node is left
behind, and the first call made a day later deletes it (``STALE_GUARD_S``).

A call with one statement, or a statement holding ``UNION`` (the guard would
cover only its first part), runs its statements one at a time instead.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import TYPE_CHECKING, Any

import redis.exceptions
from falkordb.query_result import QueryResult

from colearn.errors import ColearnError, Conflict

if TYPE_CHECKING:
    from colearn.graph.falkordb_store import FalkorDBStore

__all__ = ["GUARD_BATCH_PARAM", "GUARD_LABEL", "GUARD_PARAM", "STALE_GUARD_S", "guarded", "write_pipelined"]

log = logging.getLogger(__name__)

#: The label of the guard nodes (none outlives a ``write_pipelined`` call that could reach the server).
GUARD_LABEL = "_WriteGuard"
#: The parameters a guarded statement takes besides its own: the guard's token, the batch's number.
GUARD_PARAM, GUARD_BATCH_PARAM = "colearn_guard", "colearn_guard_batch"

_GUARD = (
    f"OPTIONAL MATCH (_guard:{GUARD_LABEL} {{id: ${GUARD_PARAM}}}) "
    f"WITH _guard, 1 / (CASE WHEN _guard.landed = ${GUARD_BATCH_PARAM} THEN 1 ELSE 0 END) AS _guard_ok "
    "SET _guard.landed = _guard.landed + 1 "
    "WITH count(_guard_ok) AS _write_guarded "
)
#: How old a guard node must be (seconds) before the next ``write_pipelined`` call deletes
#: it: one left behind by a call that could not reach the server at its end. A longer call's
#: guard is never this old while in use (a million awards take under a minute).
STALE_GUARD_S = 24 * 3600
#: Delete guards made before ``$before`` (epoch s), then make this call's.
#: Params: ``id`` (the token), ``now`` (epoch s), ``before`` (epoch s). Returns no rows.
CREATE_GUARD = (
    f"OPTIONAL MATCH (old:{GUARD_LABEL}) WHERE old.at < $before DELETE old "
    f"WITH count(*) AS _ CREATE (:{GUARD_LABEL} {{id: $id, landed: 0, at: $now}})"
)
#: Params: ``id``. Returns ``{landed}`` (batches the guard counted), no row when it is gone.
GUARD_COUNT = f"MATCH (g:{GUARD_LABEL} {{id: $id}}) RETURN g.landed AS landed"
#: Params: ``id``. Returns no rows.
DELETE_GUARD = f"MATCH (g:{GUARD_LABEL} {{id: $id}}) DELETE g"

#: Most statements sent and not yet answered.
IN_FLIGHT = 2


def guarded(statement: str) -> str:
    """``statement`` run only if its guard says every batch before it landed (module docstring).

    Args:
        statement: one write statement not using the names ``_guard``, ``_guard_ok``,
            ``_write_guarded`` and the parameters ``GUARD_PARAM``, ``GUARD_BATCH_PARAM``.

    Returns:
        The guarded statement: the statement's parameters plus ``GUARD_PARAM`` (the
        guard node's id) and ``GUARD_BATCH_PARAM`` (int, the batch's number from 0);
        its rows are the statement's. It fails with a division by zero, writing
        nothing, when the guard node is missing or has counted another number of
        batches than ``GUARD_BATCH_PARAM``.
    """
    return _GUARD + statement


def write_pipelined(store: FalkorDBStore, query: str, params: Iterable[dict[str, Any]]) -> int:
    """Run ``query`` once per parameter map, in order, at most two statements in flight.

    Args:
        store: the FalkorDB store (its connection pool, graph and timeout are used).
        query: the statement.
        params: its parameter maps, consumed as statements go out (the next map is
            built and written out while the server runs the statement before).

    Returns:
        The number of statements run.

    Raises:
        ValueError: a parameter map already holding ``GUARD_PARAM`` or ``GUARD_BATCH_PARAM``.
        The errors of ``FalkorDBStore.write`` (``StoreUnavailable``, ``Conflict``,
        ``InvalidInput``, ``ColearnError``) for the first statement that fails, or whose
        parameters are refused: the statements before it have landed, none after it.
    """
    items = iter(params)
    head = [p for p in (next(items, None), next(items, None)) if p is not None]
    if len(head) < 2 or "UNION" in query.upper():
        sent = 0
        for p in chain(head, items):
            store.write(query, p)
            sent += 1
        return sent
    token = uuid.uuid4().hex
    now = int(time.time())
    store.write(CREATE_GUARD, {"id": token, "now": now, "before": now - STALE_GUARD_S})
    try:
        return _pipeline(store, guarded(query), token, chain(head, items))
    finally:
        try:
            store.write(DELETE_GUARD, {"id": token})
        except ColearnError as exc:  # the write's own outcome (or error) is what the caller needs
            log.warning("could not delete the write guard %s (harmless, never read): %s", token, exc)


def _statement(store: FalkorDBStore, query: str, params: dict[str, Any]) -> str:
    """``query`` with its parameters in the ``CYPHER`` header (``params_header``, else the client's)."""
    from colearn.graph.falkordb_store import params_header

    header = params_header(params)
    if header is None:
        header = store._graph._build_params_header(params)
    return header + query


def _pipeline(store: FalkorDBStore, query: str, token: str, params: Iterator[dict[str, Any]]) -> int:
    """Send the guarded statements on one connection, reading each reply once the next is sent.

    Returns the number of statements sent; raises the first failed statement's error
    once every reply sent for has been read (a later one's is its guard's, dropped).
    """
    from colearn.graph.falkordb_store import _CALL_ERRORS, store_error

    pool = store._db.connection.connection_pool
    conn = pool.get_connection()
    pending: deque[int] = deque()  # batch numbers sent, not yet answered
    failed: list[ColearnError] = []  # the first failure, raised once every reply is read
    failed_batch: list[int] = []  # its batch number, when the server answered it with an error

    def read_one() -> None:
        batch = pending.popleft()
        try:
            QueryResult(store._graph, conn.read_response())
        except _CALL_ERRORS as exc:
            if not failed:
                error = store_error(exc, store.timeout)
                error.__cause__ = exc
                failed.append(error)
                if isinstance(exc, redis.exceptions.ResponseError):
                    failed_batch.append(batch)
            if not isinstance(exc, redis.exceptions.ResponseError):  # no reply will come on it
                pending.clear()
                conn.disconnect()

    sent = 0
    try:
        for batch, p in enumerate(params):
            if GUARD_PARAM in p or GUARD_BATCH_PARAM in p:
                raise ValueError(f"the parameters {GUARD_PARAM!r} and {GUARD_BATCH_PARAM!r} are the write guard's")
            text = _statement(store, query, {**p, GUARD_PARAM: token, GUARD_BATCH_PARAM: batch})
            try:
                conn.send_command("GRAPH.QUERY", store.graph_name, text, "--compact")
            except _CALL_ERRORS as exc:
                raise store_error(exc, store.timeout) from exc
            pending.append(batch)
            sent += 1
            if len(pending) >= IN_FLIGHT:
                read_one()
            if failed:
                break
        while pending:
            read_one()
    except BaseException:
        while pending:  # a batch sent before this failure may have failed first: its error
            read_one()
        if failed:
            raise failed[0] from failed[0].__cause__
        raise
    finally:
        if pending:  # replies left unread: the connection is out of step
            conn.disconnect()
        pool.release(conn)
    if failed:
        if failed_batch:
            _raise_if_guard_refused(store, token, failed_batch[0], failed[0])
        raise failed[0] from failed[0].__cause__
    return sent


def _raise_if_guard_refused(store: FalkorDBStore, token: str, batch: int, error: ColearnError) -> None:
    """Raise a ``Conflict`` naming the guard when ``batch`` failed on its guard, not on its statement.

    A batch whose statement fails is rolled back whole, its guard's count with it, so the
    guard still reads ``batch``; a guard that is gone or counted another number means the
    batch was refused by its guard with no earlier batch failing: another client deleted or
    changed the guard node. Returns when the guard reads ``batch`` or cannot be read.
    """
    try:
        rows = store.read(GUARD_COUNT, {"id": token})
    except ColearnError:
        return
    if rows and rows[0]["landed"] == batch:
        return
    state = "is gone" if not rows else f"counted {rows[0]['landed']} batches"
    landed = "no batch landed" if batch == 0 else f"batches 0 to {batch - 1} landed"
    raise Conflict(f"batch {batch} was not run: its write guard {GUARD_LABEL} {token} {state} (another "
                   f"client deleted or changed it); {landed}") from error
