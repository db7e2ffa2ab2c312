"""``colearn soak``: minutes of mixed traffic at a steady rate against a live ``colearn serve``.

A synthetic city is generated and loaded into a fresh data directory, a real
server is started (``--workers``), and a load process sends, at ``rate``
requests a second (open loop: requests leave on schedule whether or not the
last ones have answered), a fixed mix:

==========  =====  ==========================================================
kind        share  request
==========  =====  ==========================================================
next         50%   ``GET /learners/{id}/next?limit=10``
pathways     15%   ``GET /learners/{id}/pathways`` (``GET /pathways`` if absent)
catalogue    20%   ``GET /badges?theme=...``, ``GET /opportunities?offset=...``, ``GET /badges/{id}``
award        10%   ``POST /organisations/{org}/badges/{badge}/assertions`` (new idempotency key)
accept        5%   ``POST /assertions/{id}/accept`` of an award made about a second earlier
==========  =====  ==========================================================

After a warm-up (not counted) the resident memory of the server's processes
is sampled every 10 s. It passes with no 5xx answer and memory at the end at
most 10% above memory at the start of the measured run.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from colearn.graph.issuing import assertion_id_for
from colearn.ingest.synthetic import City, generate_city, write_city
from colearn.perf.bench import GRAPH, MiB, run_load
from colearn.perf.server import ServeProcess

#: Largest growth of resident memory that passes.
MAX_RSS_GROWTH = 0.10
#: How many requests after an award its acceptance is sent.
_ACCEPT_AFTER = 60


def requests_mix(city: City, n: int, *, pathways_route: bool, seed: int = 23, tag: str = "soak") -> list[dict[str, Any]]:
    """``n`` requests in the soak's mix (see the module docstring), in order, seeded.

    Args:
        city: the city the server holds.
        n: how many.
        pathways_route: whether the server has ``GET /learners/{id}/pathways``.
        seed: the mix's seed.
        tag: prefix of the idempotency keys (a new tag makes new awards).
    """
    rng = random.Random(seed)
    learners = [lr["id"] for lr in city.learners]
    badges = city.badges
    themes = [t["id"] for t in city.themes]
    out: list[dict[str, Any]] = []
    pending: list[tuple[int, str]] = []
    for i in range(n):
        r = rng.random()
        if r < 0.05 and pending and pending[0][0] <= i:
            _, assertion_id = pending.pop(0)
            out.append({"kind": "accept", "method": "POST", "path": f"/assertions/{assertion_id}/accept"})
        elif r < 0.05:
            out.append({"kind": "next", "path": f"/learners/{rng.choice(learners)}/next?limit=10"})
        elif r < 0.15:
            badge = rng.choice(badges)
            key = f"{tag}-{i}"
            out.append({"kind": "award", "method": "POST",
                        "path": f"/organisations/{badge['issuer']}/badges/{badge['id']}/assertions",
                        "json": {"learner_id": rng.choice(learners)}, "headers": {"Idempotency-Key": key}})
            pending.append((i + _ACCEPT_AFTER, assertion_id_for(badge["issuer"], key)))
        elif r < 0.35:
            pick = rng.randrange(3)
            path = (f"/badges?theme={rng.choice(themes)}&limit=20" if pick == 0 else
                    f"/opportunities?limit=20&offset={rng.randrange(0, max(1, len(city.opportunities) - 20))}"
                    if pick == 1 else f"/badges/{rng.choice(badges)['id']}")
            out.append({"kind": "catalogue", "path": path})
        elif r < 0.50:
            path = f"/learners/{rng.choice(learners)}/pathways" if pathways_route else "/pathways?limit=20"
            out.append({"kind": "pathways", "path": path})
        else:
            out.append({"kind": "next", "path": f"/learners/{rng.choice(learners)}/next?limit=10"})
    return out


def soak(size: str = "M", seed: int = 1, *, minutes: float = 5.0, rate: float = 50.0, workers: int = 2,
         warmup_s: float = 30.0, progress: Any = None) -> dict[str, Any]:
    """Run the soak and return its numbers (``passed`` says whether it met its bar).

    Args:
        size: the synthetic city's size.
        seed: its seed.
        minutes: the measured run's length.
        rate: requests a second.
        workers: uvicorn workers of the server.
        warmup_s: traffic before the measured run, not counted.
        progress: a callable taking a message, told what is running.
    """
    import httpx

    from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore
    from colearn.ingest.awards import ingest_awards
    from colearn.ingest.catalogue import ingest_catalogue
    from colearn.service.auth import create_key

    say = progress or (lambda msg: None)
    root = Path(tempfile.mkdtemp(prefix=f"colearn-soak-{size}-"))
    server = None
    try:
        say(f"soak: generating and loading city {size}")
        city = generate_city(size, seed)
        folder = write_city(city, root / "city")
        server = EmbeddedFalkorDB.for_data_dir(root / "store")
        store = FalkorDBStore(server.host, server.port, GRAPH, server=server)
        store.apply_schema()
        ingest_catalogue(store, folder)
        ingest_awards(store, folder)
        key = create_key(store, "admin", name="soak").secret
        store.close()
        say(f"soak: starting colearn serve --workers {workers}")
        with ServeProcess(root / "store", GRAPH, workers=workers) as serve:
            paths = httpx.get(f"{serve.base}/openapi.json", timeout=30).json().get("paths", {})
            has_pathways = "/learners/{learner_id}/pathways" in paths
            common = {"base": serve.base, "headers": {"X-API-Key": key}, "concurrency": 50, "rate": rate,
                      "sample_s": 10.0}
            say(f"soak: warming up for {warmup_s:.0f} s")
            run_load({**common, "duration_s": warmup_s,
                      "requests": requests_mix(city, int(rate * warmup_s) + 10, pathways_route=has_pathways,
                                               seed=seed + 1, tag="warm")}, root)
            say(f"soak: {minutes:g} minutes at {rate:g} requests/s")
            duration = minutes * 60.0
            started = time.time()
            out = run_load({**common, "duration_s": duration, "rss_pids": serve.pids(),
                            "requests": requests_mix(city, int(rate * duration) + 10, pathways_route=has_pathways,
                                                     seed=seed, tag="soak")}, root, timeout_s=duration + 600)
            rss = [r for _, r in out["rss_samples"] if r]
            growth = (rss[-1] - rss[0]) / rss[0] if len(rss) >= 2 else None
            res = {
                "size": size, "seed": seed, "workers": workers, "rate": rate, "minutes": minutes,
                "started": started, "requests": out["overall"]["count"], "achieved_rps": out["overall"]["rps"],
                "server_errors": out["server_errors"], "statuses": out["overall"]["statuses"],
                "errors": out["errors"], "dropped": out["dropped"],
                "p50_ms": out["overall"]["p50_ms"], "p99_ms": out["overall"]["p99_ms"],
                "max_ms": out["overall"]["max_ms"], "kinds": out["kinds"],
                "rss_start_mib": rss[0] / MiB if rss else None, "rss_end_mib": rss[-1] / MiB if rss else None,
                "rss_max_mib": max(rss) / MiB if rss else None, "rss_growth": growth,
                "rss_samples_mib": [(t, (r or 0) / MiB) for t, r in out["rss_samples"]],
            }
            res["passed"] = (res["server_errors"] == 0 and not res["errors"] and growth is not None
                             and growth <= MAX_RSS_GROWTH)
            return res
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


def rows(res: dict[str, Any]) -> list[tuple[str, str]]:
    """The soak's table: ``(measure, value)``."""
    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:+.1%}"

    out = [
        ("city / server", f"size {res['size']}, {res['workers']} workers"),
        ("traffic", f"{res['rate']:g} requests/s for {res['minutes']:g} min: {res['requests']:,} requests "
                    f"({res['achieved_rps']:,.1f}/s achieved, {res['dropped']} not sent while 50 were in flight)"),
        ("5xx answers", f"{res['server_errors']} (statuses {res['statuses']})"),
        ("transport errors", str(res["errors"] or 0)),
        ("latency p50 / p99 / max (ms)", f"{res['p50_ms']} / {res['p99_ms']} / {res['max_ms']}"),
    ]
    for kind, k in res["kinds"].items():
        out.append((f"  {kind}: n, p50 / p99 (ms)", f"{k['count']:,}, {k['p50_ms']} / {k['p99_ms']}  {k['statuses']}"))
    out += [
        ("resident memory start / end / max (MiB)",
         f"{res['rss_start_mib']:,.0f} / {res['rss_end_mib']:,.0f} / {res['rss_max_mib']:,.0f}"),
        ("resident memory growth (at most +10%)", pct(res["rss_growth"])),
        ("verdict", "PASS" if res["passed"] else "FAIL"),
    ]
    return out
