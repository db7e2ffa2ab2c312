"""What one organisation key's bulk dry run costs a live server: its time, its answer's size,
the worker's peak memory, and how long ``/health`` waits meanwhile.

``python -m colearn.perf.bulk_dry_run [--rows 99999] [--at-once 1]`` loads Brackenford
(``colearn ingest demo``) into a fresh embedded FalkorDB in a temporary folder, makes an
organisation key for ``kiln-digital``, serves it (``colearn serve``, one worker; the rate
limit off), then sends ``--at-once`` copies of a ``--rows``-row CSV (``badge_id,email,key``,
new recipients of one badge) to ``POST /organisations/kiln-digital/assertions/csv?dry_run=true``
from one key at once, while ``/health`` is asked every 0.2 s and the worker's RSS sampled every
0.05 s. Prints one JSON object: each call's ``[status, seconds, answer bytes, Retry-After]``,
the worker's RSS before and at its peak (MB), and the slowest ``/health`` (s).

A CSV body holds at most 100,000 lines (``service.guard.MAX_CSV_LINES``), so 99,999 rows.
Before the bulk-award guard (2026-12-06, two shared cores), one such dry run took 34 s,
answered 80 MB, took the worker from 175 to 733 MB, and ``/health`` waited 10 s; after it,
26 s, 0.8 MB, 394 MB and 0.9 s (three at once: one answered, two 429 within 0.6 s).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

#: A badge ``kiln-digital`` defines in the demo city.
BADGE = "tech-workplace-taster"
ORGANISATION = "kiln-digital"


def _cli(env: dict[str, str], *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "colearn.cli", *args], env=env, check=True,
                          capture_output=True, text=True).stdout


def run(rows: int, at_once: int) -> dict[str, Any]:
    """Serve the demo city and send ``at_once`` dry runs of ``rows`` rows (see the module docstring).

    Returns:
        ``{rows, answers: {i: [status, s, bytes, retry_after]}, rss_before_mb, peak_rss_mb,
        health_max_s, health_n}``.

    Raises:
        subprocess.CalledProcessError: loading the city or making the key failed.
        RuntimeError: the server did not start (``ServeProcess.start``).
    """
    import httpx
    import psutil

    from colearn.perf.server import ServeProcess

    data = Path(tempfile.mkdtemp(prefix="bench-bulk-"))
    env = {**os.environ, "COLEARN_DATA_DIR": str(data), "COLEARN_GRAPH_NAME": "bench"}
    _cli(env, "ingest", "demo")
    key = next(w for w in _cli(env, "keys", "create", "--role", "organisation", "--organisation",
                               ORGANISATION).split() if w.startswith("col_"))
    csv = "badge_id,email,key\n" + "".join(f"{BADGE},b{i}@example.org,k{i}\n" for i in range(rows))
    with ServeProcess(data_dir=data, graph_name="bench", workers=1) as srv:
        pids = srv.worker_pids()
        rss_before = sum(psutil.Process(p).memory_info().rss for p in pids)
        peak, health, stop = [0], [0.0], threading.Event()
        checks = [0]

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], sum(psutil.Process(p).memory_info().rss for p in pids))
                time.sleep(0.05)

        def poll() -> None:
            while not stop.is_set():
                start = time.perf_counter()
                httpx.get(f"{srv.base}/health", timeout=300)
                health[0] = max(health[0], time.perf_counter() - start)
                checks[0] += 1
                time.sleep(0.2)

        answers: dict[int, list[Any]] = {}

        def dry_run(i: int) -> None:
            start = time.perf_counter()
            r = httpx.post(f"{srv.base}/organisations/{ORGANISATION}/assertions/csv?dry_run=true", content=csv,
                           headers={"X-API-Key": key, "Content-Type": "text/csv"}, timeout=900)
            answers[i] = [r.status_code, round(time.perf_counter() - start, 2), len(r.content),
                          r.headers.get("retry-after")]

        watchers = [threading.Thread(target=f, daemon=True) for f in (sample, poll)]
        for t in watchers:
            t.start()
        time.sleep(1)
        callers = [threading.Thread(target=dry_run, args=(i,)) for i in range(at_once)]
        for t in callers:
            t.start()
        for t in callers:
            t.join()
        time.sleep(0.5)
        stop.set()
        for t in watchers:
            t.join()
    return {"rows": rows, "answers": answers, "rss_before_mb": round(rss_before / 2**20),
            "peak_rss_mb": round(peak[0] / 2**20), "health_max_s": round(health[0], 2), "health_n": checks[0]}


def main(argv: list[str] | None = None) -> None:
    """``python -m colearn.perf.bulk_dry_run``: print ``run``'s result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=99_999)
    parser.add_argument("--at-once", type=int, default=1)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.rows, args.at_once)))


if __name__ == "__main__":
    main()
