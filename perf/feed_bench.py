"""``colearn bench-feed``: change-to-visible latency across processes, and memory after a long stream of awards.

In a fresh data directory with its own embedded FalkorDB:

1. a synthetic city (``ingest.synthetic``, size ``S``/``M``/``L``) is generated and ingested;
2. ``followers`` child processes each build a recommender from the graph and
   follow the change feed (``recommender.follower.FeedFollower``, polling every
   0.2 s, compaction at its defaults unless ``compact_after`` is given), as
   every ``colearn serve`` process does;
3. this process streams ``awards`` new accepted awards (random learners and
   badges of the city) through the feed-recording award statement, ``batch``
   awards a statement, as fast as the store takes them (the "stream" phase);
   then ``quiet`` single awards, one every 50 ms (the "quiet" phase);
4. each follower reports, per feed entry, the time from the writer's clock
   when the statement was sent to the moment the entry was applied in that
   process (p50, p99, max per phase), its rebuilds, and, once idle, its
   resident memory and its top 10 for 100 sampled learners; and where each
   entry's time went: from the writer's clock to the follower's read of it
   (the write, the poll interval, waiting on the store) and from that read to
   applied, and the latency of the entries that arrived during a rebuild;
5. a fresh child process builds a recommender from the same graph and
   reports its resident memory and top 10 for the same learners.

Memory is compared child against child (same imports, same graph): the
issue's bound is the followers' RSS within 5% of the fresh build's.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from colearn.perf.load import percentile

GRAPH = "feed-bench"
MiB = 1024 * 1024


def _store(data_dir: Path) -> Any:
    from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore

    server = EmbeddedFalkorDB.for_data_dir(data_dir, "everysec")
    return FalkorDBStore(server.host, server.port, GRAPH, server=server), server


def _rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def child(mode: str, data_dir: Path, out: Path, stop_file: Path, sample: list[str],
          compact_after: int | None) -> None:
    """A child process: ``follow`` (build, follow until ``stop_file`` exists, then report)
    or ``fresh`` (build once and report). Writes JSON to ``out``."""
    from colearn.recommender.follower import COMPACT_AFTER, FeedFollower
    from colearn.graph.feed import feed_head
    from colearn.config import Settings
    from colearn.recommender.rebuild import recommender_in_child, release_memory
    from colearn.recommender.recommend import Recommender

    store, _ = _store(data_dir)
    res: dict[str, Any] = {"mode": mode}
    t = time.perf_counter()
    if mode == "fresh":
        rec = Recommender.from_store(store)
        res["build_s"] = time.perf_counter() - t
    else:
        head = feed_head(store)
        rec = Recommender.from_store(store)
        res["build_s"] = time.perf_counter() - t
        settings = Settings(data_dir=data_dir, graph_name=GRAPH, fsync="everysec")
        follower = FeedFollower(store, lambda: Recommender.from_store(store), recommender=rec, position=head,
                                build_quiet=lambda: recommender_in_child(settings, store),
                                record_latency=True, compact_after=compact_after or COMPACT_AFTER).start()
        del rec
        (out.with_suffix(".ready")).write_text("ready")
        while not stop_file.exists():
            time.sleep(0.1)
        follower.wait_idle(timeout=600)
        follower.stop()
        rec = follower.recommender
        s = follower.stats
        res.update(position=s.position, head=s.head, rebuilds=s.rebuilds, last_rebuild_s=s.last_rebuild_s,
                   applied_since_build=s.applied, latencies=s.latencies_ms, phases=s.phases_ms)
    release_memory()
    res["rss"] = _rss()
    res["top10"] = {lr: [r.badge_id for r in rec.recommend(lr, limit=10)] for lr in sample}
    out.write_text(json.dumps(res))


def _spawn(mode: str, data_dir: Path, out: Path, stop_file: Path, sample: list[str],
           compact_after: int | None) -> subprocess.Popen:
    args = [sys.executable, "-m", "colearn.perf.feed_bench", mode, str(data_dir), str(out), str(stop_file),
            json.dumps(sample), str(compact_after or 0)]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=(out.with_suffix(".log")).open("w"))


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0, "p50": float("nan"), "p99": float("nan"), "max": float("nan")}
    ordered = sorted(values)
    return {"n": len(values), "p50": percentile(ordered, 50), "p99": percentile(ordered, 99), "max": ordered[-1]}


def feed_bench(size: str = "M", seed: int = 1, *, awards: int = 100_000, batch: int = 50, quiet: int = 200,
               followers: int = 2, compact_after: int | None = None,
               progress: Any = None) -> dict[str, Any]:
    """Run the benchmark (see the module docstring) and return its numbers.

    Returns:
        ``{size, awards, batch, stream_s, stream_per_s, followers: [{stream, quiet, rebuilds, rss_mib}],
        fresh_rss_mib, rss_vs_fresh: [ratio], same_top10: [bool], ...}``.
    """
    from colearn.graph import feed, queries
    from colearn.ingest.awards import AWARD_STATEMENT, ingest_awards
    from colearn.ingest.catalogue import ingest_catalogue
    from colearn.ingest.synthetic import generate_city, write_city

    say = progress or (lambda msg: None)
    root = Path(tempfile.mkdtemp(prefix=f"colearn-feed-bench-{size}-"))
    server = None
    procs: list[subprocess.Popen] = []
    res: dict[str, Any] = {"size": size, "seed": seed, "awards": awards, "batch": batch}
    try:
        say(f"{size}: generating and ingesting the city")
        city = generate_city(size, seed)
        folder = write_city(city, root / "city")
        data_dir = root / "store"
        store, server = _store(data_dir)
        store.apply_schema()
        ingest_catalogue(store, folder)
        ingest_awards(store, folder)
        rng = random.Random(seed)
        learners = [lr["id"] for lr in city.learners]
        sample = rng.sample(learners, min(100, len(learners)))
        badges = [(b["id"], b["issuer"]) for b in city.badges]
        stop_file = root / "stop"
        outs = [root / f"follower-{i}.json" for i in range(followers)]
        say(f"{size}: starting {followers} followers")
        procs = [_spawn("follow", data_dir, o, stop_file, sample, compact_after) for o in outs]
        deadline = time.monotonic() + 600
        while not all(o.with_suffix(".ready").exists() for o in outs):
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError("a follower did not start: " + " ".join(
                    o.with_suffix(".log").read_text()[-800:] for o in outs))
            time.sleep(0.2)
        statement = feed.recorded(AWARD_STATEMENT)  # what ingest_awards runs
        now = int(time.time())

        def rows(n: int, start: int) -> list[dict[str, Any]]:
            out = []
            for i in range(start, start + n):
                badge, org = rng.choice(badges)
                out.append({"id": f"fb-{i}", "organisation_id": org, "badge_id": badge,
                            "learner_id": rng.choice(learners), "learner_props": {"source": "feed-bench"},
                            "props": {"status": "accepted", "issued_on": now + i, "source": "feed-bench"}})
            return out

        say(f"{size}: streaming {awards:,} awards, {batch} a statement")
        first_seq = feed.feed_head(store) + 1
        t = time.perf_counter()
        for start in range(0, awards, batch):
            chunk = rows(min(batch, awards - start), start)
            store.write(statement, {**queries.assertion_groups(chunk), "feed": feed.award_change(chunk)})
        res["stream_s"] = time.perf_counter() - t
        res["load_during_stream"] = os.getloadavg()[0]
        res["stream_per_s"] = awards / res["stream_s"]
        quiet_seq = feed.feed_head(store) + 1
        say(f"{size}: {quiet} single awards, one every 50 ms")
        for i in range(quiet):
            chunk = rows(1, awards + i)
            store.write(statement, {**queries.assertion_groups(chunk), "feed": feed.award_change(chunk)})
            time.sleep(0.05)
        res["load_end"] = os.getloadavg()[0]
        stop_file.write_text("stop")
        for p in procs:
            p.wait(timeout=900)
        say(f"{size}: a fresh build for comparison")
        fresh_out = root / "fresh.json"
        fresh = _spawn("fresh", data_dir, fresh_out, stop_file, sample, None)
        procs.append(fresh)
        fresh.wait(timeout=900)
        got = json.loads(fresh_out.read_text())
        res["fresh_rss_mib"] = got["rss"] / MiB
        res["fresh_build_s"] = got["build_s"]
        res["followers"] = []
        for o in outs:
            f = json.loads(o.read_text())
            lat = f.pop("latencies")
            phases = f.pop("phases")
            in_stream = [p for p in phases if first_seq <= p[0] < quiet_seq]
            res["followers"].append({
                "stream_ms": _summary([ms for seq, ms in lat if first_seq <= seq < quiet_seq]),
                "stream_read_ms": _summary([p[1] for p in in_stream]),
                "stream_apply_ms": _summary([p[2] for p in in_stream]),
                "stream_building_ms": _summary([p[1] + p[2] for p in in_stream if p[3]]),
                "stream_not_building_ms": _summary([p[1] + p[2] for p in in_stream if not p[3]]),
                "quiet_ms": _summary([ms for seq, ms in lat if seq >= quiet_seq]),
                "rebuilds": f["rebuilds"], "applied_since_build": f["applied_since_build"],
                "rss_mib": f["rss"] / MiB, "rss_vs_fresh": f["rss"] / got["rss"],
                "same_top10": f["top10"] == got["top10"], "caught_up": f["position"] >= f["head"]})
        res["entries"] = feed.feed_head(store) - first_seq + 1
        return res
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _fmt(s: dict[str, float]) -> str:
    return f"p50 {s['p50']:.0f}  p99 {s['p99']:.0f}  max {s['max']:.0f}  (n {s['n']})"


def table_rows(res: dict[str, Any]) -> list[tuple[str, str]]:
    """``(measure, value)`` rows for printing."""
    out = [("load average (1 min)", f"{res['load_during_stream']:.1f} after the stream, "
                                    f"{res['load_end']:.1f} at the end"),
           ("awards streamed", f"{res['awards']:,} in {res['entries']:,} feed entries ({res['batch']} a statement)"),
           ("stream write rate", f"{res['stream_per_s']:,.0f} awards/s"),
           ("fresh build", f"{res['fresh_build_s']:.2f} s, RSS {res['fresh_rss_mib']:.0f} MiB")]
    for i, f in enumerate(res["followers"]):
        s, q = f["stream_ms"], f["quiet_ms"]
        out += [(f"follower {i}: latency, stream (ms)", f"p50 {s['p50']:.0f}  p99 {s['p99']:.0f}  max {s['max']:.0f}"),
                (f"follower {i}: latency, quiet (ms)", f"p50 {q['p50']:.0f}  p99 {q['p99']:.0f}  max {q['max']:.0f}"),
                *[(f"follower {i}: stream, {what} (ms)", _fmt(f[key])) for what, key in (
                    ("written to read", "stream_read_ms"), ("read to applied", "stream_apply_ms"),
                    ("during a rebuild", "stream_building_ms"), ("no rebuild", "stream_not_building_ms"))],
                (f"follower {i}: rebuilds", f"{f['rebuilds']} ({f['applied_since_build']:,} changes since the last)"),
                (f"follower {i}: RSS", f"{f['rss_mib']:.0f} MiB = {f['rss_vs_fresh']:.3f} x fresh"),
                (f"follower {i}: top 10 of 100 learners", "same as fresh" if f["same_top10"] else "DIFFERENT")]
    return out


if __name__ == "__main__":  # a child process: see ``_spawn``
    mode, data_dir, out, stop_file, sample, compact = sys.argv[1:7]
    child(mode, Path(data_dir), Path(out), Path(stop_file), json.loads(sample), int(compact) or None)
