"""``colearn bench``: speed and memory at city scale, measured on a synthetic city, one table per size.

For each size (``ingest.synthetic.SIZES``) the benchmark, in a fresh data
directory with its own embedded FalkorDB:

1. generates the city and writes its files;
2. ingest: loads them with the readers (``ingest_catalogue`` then
   ``ingest_awards``: parse, validate, write) and reports assertions/s end to
   end; then, on a scratch graph, the award statement alone
   (``ingest.awards.AWARD_STATEMENT``, the one ``ingest_awards`` runs) batched (5,000
   rows a statement) over every award, and one statement per row over a sample;
3. "what next" in-process: ``Recommender.from_store`` (timed), then
   ``recommend(learner, 10)`` for 1,000 learners drawn at random (seeded),
   after a warm-up, p50/p95/p99;
4. starts a real ``colearn serve`` (``--workers``) and times it to ready
   (every worker has built its recommender and ``/health`` answers); resident
   memory of its processes;
5. "what next" over HTTP from 50 concurrent clients (asyncio, in another
   process) asking for random learners, warm: flat out (requests/s, and the
   CPU a request costs the API, FalkorDB and the client), then at 300
   requests/s offered (p50/p99);
6. award to changed recommendations: for 20 learners, award over HTTP the
   badge ranked first for them, accept it, and ask again until the answer
   changes; the time from sending the award to that answer.

Targets (issue 7) hold at L on a 2-core machine; each row says whether the
number meets its target and by how much it misses. Results are also written
as JSON to ``reports/bench-<size>.json``.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.ingest.awards import AWARD_STATEMENT
from colearn.ingest.synthetic import City, generate_city, write_city
from colearn.perf.load import percentile, summarise
from colearn.perf.server import ServeProcess, rss_bytes

GRAPH = "bench"
SCRATCH = "bench-scratch"
MiB = 1024 * 1024


#: The graph the engine's own time for the batched statement is measured in (``perf.engine``).
ENGINE_GRAPH = "bench-engine"


def _award_rows(city: City, prefix: str = "") -> list[dict[str, Any]]:
    """``AWARD_STATEMENT`` rows for the city's awards (the rows ``ingest_awards`` writes; props
    ``AWARD_PROPS``)."""
    from datetime import UTC, datetime

    out = []
    for a in city.awards:
        on = int(datetime.strptime(a["issued_on"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())
        out.append({"id": prefix + a["id"], "organisation_id": a["organisation"], "badge_id": a["badge"],
                    "learner_id": a["learner"], "learner_props": {"source": "synthetic"},
                    "props": {"status": a["status"], "issued_on": on, "expires_on": None, "source": "synthetic"}})
    return out


def _issuers(store: Any, city: City) -> None:
    """Write the city's organisations and badges (what ``AWARD_STATEMENT`` matches)."""
    from colearn.ingest.common import write_batches

    store.write(queries.merge_nodes(Label.ORGANISATION),
                {"rows": [{"id": o["id"], "props": {}} for o in city.organisations]})
    write_batches(store, queries.merge_nodes(Label.BADGE),
                  [{"id": b["id"], "props": {"name": b["name"]}} for b in city.badges], progress=False)


def batched_ingest(store: Any, city: City) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Write the city's organisations and badges, then time ``AWARD_STATEMENT`` (the award
    statement ``ingest_awards`` runs, without its change-feed entry) over
    every award row in batches of ``write_batches``' default size.

    Returns:
        ``({batched_s, ingest_batched_per_s}, the award rows written)``.
    """
    from colearn.ingest.common import write_batches

    _issuers(store, city)
    rows = _award_rows(city)
    t = time.perf_counter()
    write_batches(store, AWARD_STATEMENT, rows, progress=False, batch_params=queries.assertion_groups)
    took = time.perf_counter() - t
    return {"batched_s": took, "ingest_batched_per_s": len(rows) / took}, rows


def _ingest(store: Any, server: Any, city: City, folder: Path, per_row_sample: int) -> dict[str, Any]:
    from colearn.graph.falkordb_store import FalkorDBStore
    from colearn.ingest.awards import ingest_awards
    from colearn.ingest.catalogue import ingest_catalogue

    res: dict[str, Any] = {}
    t = time.perf_counter()
    ingest_catalogue(store, folder)
    res["catalogue_s"] = time.perf_counter() - t
    t = time.perf_counter()
    ingest_awards(store, folder)
    res["awards_e2e_s"] = time.perf_counter() - t
    res["ingest_e2e_per_s"] = len(city.awards) / res["awards_e2e_s"]

    scratch = FalkorDBStore(server.host, server.port, SCRATCH, server=server)
    try:
        scratch.apply_schema()
        batched, rows = batched_ingest(scratch, city)
        res.update(batched)
        res.update(_engine(server, city, rows))
        res["engine_header_us"] = res["engine_header_cpu_s"] / res["engine_rows"] * 1e6
        sample = [{**r, "id": "row-" + r["id"]} for r in random.Random(7).sample(rows, min(per_row_sample, len(rows)))]
        del rows
        t = time.perf_counter()
        for r in sample:
            scratch.write(AWARD_STATEMENT, queries.assertion_groups([r]))
        res["per_row_s"] = time.perf_counter() - t
        res["per_row_sample"] = len(sample)
        res["ingest_per_row_per_s"] = len(sample) / res["per_row_s"]
        n = scratch.read(queries.COUNT_ASSERTION_PATHS)[0]["assertions"]
        res["scratch_assertions"] = n
    finally:
        scratch.drop()
        scratch.close()
    return res


def _engine(server: Any, city: City, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """``perf.engine.engine_ceiling`` for ``AWARD_STATEMENT`` over the same rows, in the same order,
    into an empty graph holding only the city's organisations and badges: the engine's own time
    for exactly the end-to-end batched run's work."""
    from colearn.graph.falkordb_store import FalkorDBStore
    from colearn.perf.engine import engine_ceiling

    engine = FalkorDBStore(server.host, server.port, ENGINE_GRAPH, server=server)
    try:
        engine.apply_schema()
        _issuers(engine, city)
        return engine_ceiling(server.host, server.port, ENGINE_GRAPH, AWARD_STATEMENT, rows,
                              batch_params=queries.assertion_groups, password=server.password)
    finally:
        engine.drop()
        engine.close()


def _inprocess(store: Any, learners: list[str], n: int) -> dict[str, Any]:
    from colearn.recommender.recommend import Recommender

    t = time.perf_counter()
    rec = Recommender.from_store(store)
    build_s = time.perf_counter() - t
    rng = random.Random(11)
    for lid in rng.sample(learners, min(50, len(learners))):
        rec.recommend(lid, 10)
    chosen = [rng.choice(learners) for _ in range(n)]
    times = []
    for lid in chosen:
        t = time.perf_counter()
        rec.recommend(lid, 10)
        times.append((time.perf_counter() - t) * 1000.0)
    s = summarise(times)
    return {"build_s": build_s, "store_inproc_p50_ms": s["p50_ms"], "store_inproc_p95_ms": s["p95_ms"],
            "store_inproc_p99_ms": s["p99_ms"], "store_inproc_max_ms": s["max_ms"], "store_inproc_n": len(times)}


def run_load(spec: dict[str, Any], workdir: Path, timeout_s: float = 1_900.0) -> dict[str, Any]:
    """Run ``colearn.perf.load`` on ``spec`` in another process and return its results."""
    path = workdir / f"load-{time.monotonic_ns()}.json"
    path.write_text(json.dumps(spec))
    done = subprocess.run([sys.executable, "-m", "colearn.perf.load", str(path)], capture_output=True, text=True,
                          timeout=timeout_s, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def _cpu_s(pids: list[int]) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system
        except psutil.Error:
            continue
    return total


def _http(serve: ServeProcess, key: str, learners: list[str], total: int, workdir: Path,
          store_pid: int, rate: float = 300.0, rate_s: float = 20.0) -> dict[str, Any]:
    """Three runs of "what next" from 50 clients.

    Saturation: each client sends its next request when its last one answered
    (closed loop), ``total`` requests: the most requests a second, and the
    CPU each request cost the server, FalkorDB and the client. At the target
    rate: ``rate`` requests a second leave on schedule (open loop, at most 50
    in flight) for ``rate_s`` seconds: the latency a client sees at that load.
    With 50 clients and no pause, latency is 50 / throughput by Little's law,
    so the p99 target is read at the target rate, not at saturation.
    Both cycle through 2,000 requests for learners drawn at random (seeded): after the
    first pass each asks again, which per-learner caches (answers, portfolios) serve.
    The third, at the rate too, asks learners not asked before, once each (first visits).
    """
    rng = random.Random(13)
    reqs = [{"kind": "next", "path": f"/learners/{rng.choice(learners)}/next?limit=10"} for _ in range(2_000)]
    base = {"base": serve.base, "headers": {"X-API-Key": key}, "requests": reqs, "concurrency": 50}
    pids = serve.pids()
    cpu0, store0 = _cpu_s(pids), _cpu_s([store_pid])
    # Bounded in time too: at L a slow server would take many minutes for 3,000 requests.
    sat = run_load({**base, "total": total, "warmup": min(500, total // 4), "max_s": 180}, workdir)
    n = sat["overall"]["count"] + min(500, total // 4)
    server_ms, store_ms = (_cpu_s(pids) - cpu0) / n * 1000, (_cpu_s([store_pid]) - store0) / n * 1000
    at = run_load({**base, "rate": rate, "duration_s": rate_s, "sample_s": rate_s}, workdir)
    unasked = sorted({f"/learners/{lr}/next?limit=10" for lr in learners} - {r["path"] for r in reqs})
    fresh = [{"kind": "next", "path": p} for p in rng.sample(unasked, min(len(unasked), int(rate * rate_s * 1.2)))]
    cpu0 = _cpu_s(pids)
    new = run_load({**base, "requests": fresh, "rate": rate, "duration_s": rate_s, "sample_s": rate_s}, workdir)
    o, a, f = sat["overall"], at["overall"], new["overall"]
    return {"http_sat_p50_ms": o["p50_ms"], "http_sat_p99_ms": o["p99_ms"], "http_rps": o["rps"],
            "http_sat_n": o["count"], "http_statuses": o["statuses"],
            "http_rate": rate, "http_p50_ms": a["p50_ms"], "http_p95_ms": a["p95_ms"], "http_p99_ms": a["p99_ms"],
            "http_rate_achieved": a["rps"], "http_rate_n": a["count"], "http_rate_dropped": at["dropped"],
            "http_rate_statuses": a["statuses"], "http_fresh_p50_ms": f["p50_ms"], "http_fresh_p99_ms": f["p99_ms"],
            "http_fresh_statuses": f["statuses"], "http_fresh_slowest": new["slowest"],
            "cpu_server_fresh_ms": (_cpu_s(pids) - cpu0) / max(1, f["count"]) * 1000,
            "cpu_server_ms": server_ms, "cpu_store_ms": store_ms, "cpu_client_ms": sat["client_cpu_s"] / max(1, o["count"]) * 1000}


def _award_to_change(serve: ServeProcess, key: str, city: City, n: int = 20) -> dict[str, Any]:
    """Award each learner's first recommendation, accept it, and ask until the answer changes."""
    import httpx

    issuer = {b["id"]: b["issuer"] for b in city.badges}
    rng = random.Random(17)
    times: list[float] = []
    failures = 0
    with httpx.Client(base_url=serve.base, headers={"X-API-Key": key}, timeout=30) as client:
        for lid in rng.sample([lr["id"] for lr in city.learners], n):
            before = client.get(f"/learners/{lid}/next?limit=10").json()["items"]
            if not before:
                continue
            badge = before[0]["badge_id"]
            t = time.perf_counter()
            made = client.post(f"/organisations/{issuer[badge]}/badges/{badge}/assertions",
                               json={"learner_id": lid}, headers={"Idempotency-Key": f"bench-{lid}-{badge}"})
            made.raise_for_status()
            client.post(f"/assertions/{made.json()['id']}/accept").raise_for_status()
            deadline = t + 10.0
            while time.perf_counter() < deadline:
                after = client.get(f"/learners/{lid}/next?limit=10").json()["items"]
                if [i["badge_id"] for i in after] != [i["badge_id"] for i in before]:
                    times.append((time.perf_counter() - t) * 1000.0)
                    break
            else:
                failures += 1
    return {"award_to_change_p50_ms": percentile(times, 50), "award_to_change_max_ms": max(times) if times else None,
            "award_to_change_n": len(times), "award_to_change_unchanged": failures,
            "award_to_change_ms": [round(x, 1) for x in times]}


def bench_size(size: str, seed: int = 1, *, workers: int = 2, http_requests: int = 3_000,
               inproc_learners: int = 1_000, per_row_sample: int = 2_000, keep: Path | None = None,
               progress: Any = None, ranker: Any = None) -> dict[str, Any]:
    """Run every measurement for one size.

    Args:
        size: ``S``, ``M`` or ``L``.
        seed: the city's seed.
        workers: uvicorn workers of the server under test.
        http_requests: measured requests over HTTP (after a warm-up).
        inproc_learners: learners asked in-process.
        per_row_sample: rows written one statement each.
        keep: a folder to keep the data directory in (default: a temporary one, removed).
        progress: a callable taking a message, told what is running.
        ranker: a fitted ``LearnedRanker`` whose path is timed in-process
            too (``perf.inproc.run``), or ``None``.

    Returns:
        Every number, flat (keys as in ``bench_table.TARGETS`` and more).
    """
    from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore
    from colearn.service.auth import create_key

    say = progress or (lambda msg: None)
    root = Path(tempfile.mkdtemp(prefix=f"colearn-bench-{size}-")) if keep is None else keep
    root.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {"size": size, "seed": seed, "workers": workers}
    server = None
    try:
        say(f"{size}: generating the city")
        t = time.perf_counter()
        city = generate_city(size, seed)
        folder = write_city(city, root / "city")
        res["generate_s"] = time.perf_counter() - t
        res.update({f"n_{k}": v for k, v in city.summary().items()})
        learners = [lr["id"] for lr in city.learners]

        server = EmbeddedFalkorDB.for_data_dir(root / "store")
        store = FalkorDBStore(server.host, server.port, GRAPH, server=server)
        store.apply_schema()
        say(f"{size}: ingesting {len(city.awards):,} awards")
        res.update(_ingest(store, server, city, folder, per_row_sample))
        say(f"{size}: what next, in-process (store reads included)")
        res.update(_inprocess(store, learners, inproc_learners))
        from colearn.perf.inproc import run as side_by_side

        res.update(side_by_side(size, seed, learners=inproc_learners, progress=say, ranker=ranker))
        key = create_key(store, "admin", name="bench").secret
        store.close()

        say(f"{size}: starting colearn serve --workers {workers}")
        with ServeProcess(root / "store", GRAPH, workers=workers) as serve:
            res["ready_s"] = serve.ready_s
            rss = serve.rss()
            res["rss_ready_mib"] = rss["total"] / MiB
            say(f"{size}: what next over HTTP, 50 clients")
            res.update(_http(serve, key, learners, http_requests, root, _store_pid(root / "store")))
            say(f"{size}: award to changed recommendations")
            res.update(_award_to_change(serve, key, city))
            rss = serve.rss()
            res["rss_mib"] = rss["total"] / MiB
            res["rss_per_worker_mib"] = [r / MiB for r in rss["per_worker"]]
            res["store_rss_mib"] = rss_bytes([_store_pid(root / "store")]) / MiB
        return res
    finally:
        if server is not None:
            server.stop()
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)


def _store_pid(data_dir: Path) -> int:
    try:
        return int(json.loads((data_dir / "falkordb.json").read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return -1


def write_report(res: dict[str, Any], folder: Path = Path("reports")) -> Path:
    """Write ``reports/bench-<size>.json`` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"bench-{res['size']}.json"
    path.write_text(json.dumps(res, indent=2, default=str) + "\n")
    return path
