"""How long the embedded store takes to restart on its own data, by history length.

``python -m colearn.perf.reload --single 100000 --batched 1000000`` builds, in a
fresh data directory each, a graph by one of two histories, then restarts the
store on it and prints the times:

* ``single``: N awards, one write statement each (as an API that awards one at
  a time writes them), ``appendfsync everysec``;
* ``batched``: N awards in ``UNWIND`` statements of 5,000 rows (bulk imports).

For each history it measures the reload (start until the server answers, as
``colearn serve`` waits for it) after a crash (SIGKILL: the append-only file
as the automatic rewrites left it) and after a clean stop (``stop`` rewrites
it first: a snapshot and nothing after it), with the append-only file's size
each time. The store is configured as ``graph/falkordb_server.py`` starts it.
"""

from __future__ import annotations

import argparse
import os
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

import redis

from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore, params_header
from colearn.graph.store import BATCH_SIZE

_BADGES, _LEARNERS = 200, 20_000
_AWARD = ("MATCH (b:Badge {id: $b}) MATCH (l:Learner {id: $l}) "
          "CREATE (a:Assertion {id: $id, status: 'issued', issued_on: $t, source: 'bench'}) "
          "CREATE (a)-[:OF]->(b) CREATE (a)-[:TO]->(l)")
_AWARDS = ("UNWIND $rows AS r MATCH (b:Badge {id: r.b}) MATCH (l:Learner {id: r.l}) "
           "CREATE (a:Assertion {id: r.id, status: 'issued', issued_on: r.t, source: 'bench'}) "
           "CREATE (a)-[:OF]->(b) CREATE (a)-[:TO]->(l)")


def _aof_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in (path / "appendonlydir").glob("*") if f.is_file())


def _restart(path: Path, port: int, password: str) -> tuple[float, Any]:
    started = time.monotonic()
    proc = EmbeddedFalkorDB._launch(path, port, "everysec", password)
    return time.monotonic() - started, proc


def run(kind: str, n: int, progress: Any = print) -> dict[str, Any]:
    """Build a graph of ``n`` awards by the ``kind`` history, restart it twice; the numbers."""
    path = Path(tempfile.mkdtemp(prefix=f"colearn-reload-{kind}-"))
    server = EmbeddedFalkorDB.for_data_dir(path, fsync="everysec")
    store = FalkorDBStore(server.host, server.port, "colearn", server=server)
    store.apply_schema()
    store.write("UNWIND range(0, $n - 1) AS i CREATE (:Badge {id: 'b' + toString(i)})", {"n": _BADGES})
    store.write("UNWIND range(0, $n - 1) AS i CREATE (:Learner {id: 'l' + toString(i)})", {"n": _LEARNERS})
    started = time.monotonic()
    if kind == "single":
        # One statement per award, as the API writes them, sent 500 at a time in a
        # pipeline (the wait per round trip is not what is measured here): each is
        # still its own write, logged as its own effect.
        client = redis.Redis(host=server.host, port=server.port, password=server.password)
        for lo in range(0, n, 500):
            pipe = client.pipeline(transaction=False)
            for i in range(lo, min(n, lo + 500)):
                header = params_header({"b": f"b{i % _BADGES}", "l": f"l{(i * 7) % _LEARNERS}", "id": f"a{i}",
                                        "t": i})
                pipe.execute_command("GRAPH.QUERY", "colearn", f"{header}{_AWARD}", "--compact")
            pipe.execute()
            if lo and lo % 20_000 == 0:
                progress(f"  {lo:,} single awards, {lo / (time.monotonic() - started):,.0f}/s", flush=True)
        client.close()
    else:
        for lo in range(0, n, BATCH_SIZE):
            store.write(_AWARDS, {"rows": [{"b": f"b{i % _BADGES}", "l": f"l{(i * 7) % _LEARNERS}", "id": f"a{i}",
                                            "t": i} for i in range(lo, min(n, lo + BATCH_SIZE))]})
    wrote = time.monotonic() - started
    port, proc, password = server.port, server.process, server.password
    assert proc is not None and password is not None
    server._stopping.set()  # no watcher restarts: this benchmark restarts by hand
    time.sleep(1.5)  # everysec: the last second reaches the file
    aof_crash = _aof_bytes(path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    crash_s, proc = _restart(path, port, password)
    count = FalkorDBStore("127.0.0.1", port, "colearn", password=password).read("MATCH (a:Assertion) RETURN count(a) AS n")[0]["n"]
    assert count == n, f"{count} awards after the crash reload, expected {n}"
    clean = EmbeddedFalkorDB(data_dir=path, port=port, owned=True, process=proc, fsync="everysec", password=password)
    clean.stop()  # compacts the append-only file, then SIGTERM
    aof_clean = _aof_bytes(path)
    clean_s, proc = _restart(path, port, password)
    proc.send_signal(signal.SIGTERM)
    proc.wait()
    result = {"history": kind, "awards": n, "write_s": round(wrote, 1), "aof_mb_before_crash": aof_crash / 1e6,
              "reload_after_crash_s": round(crash_s, 2), "aof_mb_after_clean_stop": aof_clean / 1e6,
              "reload_after_clean_stop_s": round(clean_s, 2)}
    progress(str(result), flush=True)
    return result


def main() -> None:
    """Command line: ``--single N --batched N`` (0 skips one)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=100_000)
    parser.add_argument("--batched", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    for kind, n in (("single", args.single), ("batched", args.batched)):
        if n:
            run(kind, n)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
