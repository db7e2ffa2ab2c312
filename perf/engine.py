"""The engine's own time for the batched award statement: FalkorDB's ceiling beside colearn's end to end.

``colearn bench`` times the award statement (``ingest.awards.AWARD_STATEMENT``) end to end (the client writes
each 5,000-row batch's parameters, the statement runs, the reply is read).
Here the same statement, over the same kind of rows, is sent again through
the ``falkordb`` client and each reply's "Query internal execution time" (the
server's own measure of executing the query, without the network or the
client; https://docs.falkordb.com/commands/graph.query.html) is added up:
rows / engine seconds is the most the engine can take for this statement on
one core, whatever the client does. The same statements are also timed at the
client from sending to reply, already written out (the whole server side:
parsing the statement and its ``CYPHER`` parameter header, executing, the
append-only file, the loopback socket): rows / those seconds is the most the
server can take for it, what an end-to-end run can at best reach.
``GRAPH.EXPLAIN`` of one batch times the parsing and planning alone.
``GRAPH.PROFILE`` on one more batch
(https://docs.falkordb.com/commands/graph.profile.html) gives each operation
of the plan its records and milliseconds, so the table can say where the
engine's time goes.

The rows are written as given, in the order given, into an empty graph (the
bench passes every row of its end-to-end run): the engine does exactly the
end-to-end run's work, learner creations included. (Rows rewritten under
fresh ids, as before, gave a sample whose share of new learners differed
from the end-to-end run's; creating a learner costs the engine about four
times a matched one, so that "ceiling" was not the same statement's work.)
The profiled batch is the first ``batch`` rows once more under fresh
assertion ids, their learners matched.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from colearn.graph.falkordb_store import params_header
from colearn.ingest.common import rows_param

#: Rows per batch: ``ingest.common.BATCH_SIZE``'s default, the one the end-to-end run uses.
BATCH = 5_000

_OP = re.compile(r"^\s*(?P<name>[^|]+?)\s*\|.*?Records produced:\s*(?P<records>\d+),\s*"
                 r"Execution time:\s*(?P<ms>[0-9.]+)\s*ms")


def _fresh(rows: Sequence[dict[str, Any]], prefix: str | None) -> list[dict[str, Any]]:
    return list(rows) if prefix is None else [{**r, "id": f"{prefix}-{r['id']}"} for r in rows]


def profile_ops(plan_lines: Sequence[str]) -> list[dict[str, Any]]:
    """The operations of a ``GRAPH.PROFILE`` answer, slowest first: ``[{op, records, ms}]``.

    Each line reads like ``"Merge | Records produced: 5000, Execution time: 12.3 ms"``
    (indented by its depth in the plan); lines of another shape are skipped.
    """
    out = []
    for line in plan_lines:
        m = _OP.match(line if isinstance(line, str) else line.decode())
        if m:
            out.append({"op": m["name"], "records": int(m["records"]), "ms": float(m["ms"])})
    return sorted(out, key=lambda o: -o["ms"])


def engine_ceiling(host: str, port: int, graph: str, query: str, rows: Sequence[dict[str, Any]],
                   batch: int = BATCH, prefix: str | None = None,
                   batch_params: Callable[[Sequence[dict[str, Any]]], dict[str, Any]] = rows_param,
                   password: str | None = None) -> dict[str, Any]:
    """Time ``query`` (a statement over a batch of rows) on ``rows`` by the engine's own clock, then profile it.

    Args:
        host, port: the FalkorDB server.
        graph: the graph to write into (a scratch graph: the rows stay).
        query: the statement, e.g. ``ingest.awards.AWARD_STATEMENT`` (what the bench times end to end).
        rows: the statement's rows; written as given (or under assertion ids ``<prefix>-<id>``), and
            their first ``batch`` once more under ``<prefix or "engine">-profile-<id>`` for
            the profile. Their organisations and badges must exist in ``graph``.
        batch: rows per statement.
        prefix: the id prefix (keeps these rows apart from any written before).
        batch_params: the statement's parameters for one batch of rows, as
            ``ingest.common.write_batches`` takes it; default ``rows_param``: ``{"rows": batch}``.
        password: the server's (``EmbeddedFalkorDB.password``), if it asks for one.

    Returns:
        ``{engine_rows, engine_s (sum of the server's internal execution
        times), engine_wall_s (the same batches, already written out, timed at the
        client from sending to reply: the server's full time), engine_header_cpu_s
        (CPU seconds of writing their parameters: ``params_header``, the client's share of
        the end-to-end time), engine_per_s (rows / engine_s: the execution ceiling),
        engine_server_per_s (rows / engine_wall_s: the server's ceiling), engine_parse_ms
        (wall ms of ``GRAPH.EXPLAIN`` of one batch: parsing its statement and parameters, and
        planning), engine_ops: [{op, records, ms}] of one profiled batch, slowest first}``.

    Raises:
        redis.exceptions.ResponseError: the server refused the statement.
    """
    from falkordb import FalkorDB

    g = FalkorDB(host=host, port=port, password=password).select_graph(graph)
    engine_ms, wall, header_cpu = 0.0, 0.0, 0.0
    for start in range(0, len(rows), batch):
        part = _fresh(rows[start:start + batch], prefix)
        c = time.thread_time()
        text = (params_header(batch_params(part)) or "") + query
        header_cpu += time.thread_time() - c
        t = time.perf_counter()
        result = g.query(text)
        wall += time.perf_counter() - t
        engine_ms += float(result.run_time_ms)
    sample = (params_header(batch_params(_fresh(rows[:batch], f"{prefix or 'engine'}-profile"))) or "") + query
    t = time.perf_counter()
    g.execute_command("GRAPH.EXPLAIN", graph, sample)
    parse_ms = (time.perf_counter() - t) * 1000.0
    plan = g.execute_command("GRAPH.PROFILE", graph, sample)
    engine_s = engine_ms / 1000.0
    return {"engine_rows": len(rows), "engine_s": engine_s, "engine_wall_s": wall, "engine_header_cpu_s": header_cpu,
            "engine_per_s": len(rows) / engine_s if engine_s > 0 else None,
            "engine_server_per_s": len(rows) / wall if wall > 0 else None, "engine_parse_ms": parse_ms,
            "engine_ops": profile_ops(plan)}
