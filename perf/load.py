"""An HTTP load generator (asyncio, keep-alive HTTP/1.1), run in its own process so it does not share the API's interpreter.

``python -m colearn.perf.load SPEC.json`` reads a spec, sends the requests to
a server on the loopback address, and prints one JSON object with the
results. Two shapes of load:

- closed loop (``concurrency`` clients, each sending its next request when the
  last one answered) for ``requests`` requests in all: the benchmark's
  "50 concurrent clients";
- open loop (``rate`` requests a second, at most ``concurrency`` in flight)
  for ``duration_s`` seconds: the soak's steady traffic.

Every loop is bounded in count and time, and every URL must be on
127.0.0.0/8 or ``localhost``: this tool is for measuring our own server.

Spec (JSON)::

    {"base": "http://127.0.0.1:8123", "headers": {"X-API-Key": "..."},
     "requests": [{"kind": "next", "method": "GET", "path": "/learners/x/next?limit=10"},
                  {"kind": "award", "method": "POST", "path": "...", "json": {...},
                   "headers": {"Idempotency-Key": "..."}}, ...],
     "concurrency": 50, "total": 3000, "warmup": 200,      # closed loop
     "rate": 40, "duration_s": 300, "sample_s": 10,         # open loop (instead of total)
     "rss_pids": [123, 124]}                                # sampled every sample_s (open loop)

Requests are taken in order, cycling. Results: per kind and overall, the
count, the status counts, p50/p95/p99/max latency in ms, requests a second,
the slowest 1% with when each was sent (``slowest``), and (open loop)
resident memory samples of ``rss_pids``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

from colearn.perf.server import rss_bytes

#: The longest a run may take, whatever the spec says (a guard on bounded loops).
MAX_RUN_S = 1_800.0
#: Per-request timeout.
TIMEOUT_S = 30.0


def percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) of ``values`` by the nearest-rank method; None when empty."""
    if not values:
        return None
    s = sorted(values)
    rank = max(1, min(len(s), int(-(-q * len(s) // 100))))
    return s[rank - 1]


def summarise(latencies_ms: list[float], wall_s: float | None = None) -> dict[str, Any]:
    """Count, p50/p95/p99/max (ms) and, given the wall time, requests a second."""
    out: dict[str, Any] = {"count": len(latencies_ms)}
    for q in (50, 95, 99):
        v = percentile(latencies_ms, q)
        out[f"p{q}_ms"] = None if v is None else round(v, 2)
    out["max_ms"] = round(max(latencies_ms), 2) if latencies_ms else None
    if wall_s:
        out["rps"] = round(len(latencies_ms) / wall_s, 1)
    return out


def check_loopback(url: str) -> None:
    """Refuse any URL whose host is not a loopback address.

    Raises:
        ValueError: the host is not 127.0.0.0/8, ``::1`` or ``localhost``.
    """
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return
    try:
        if ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(f"refusing to send load to {host!r}: only loopback addresses are allowed")


@dataclass
class _Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    errors: Counter = field(default_factory=Counter)
    sent: list[tuple[float, float]] = field(default_factory=list)  # (sent at, perf_counter s; ms)
    t0: float = field(default_factory=time.perf_counter)

    def record(self, kind: str, status: int | str, ms: float, sent_at: float) -> None:
        self.latencies[kind].append(ms)
        self.statuses[kind][str(status)] += 1
        self.sent.append((sent_at, ms))

    def result(self, wall_s: float) -> dict[str, Any]:
        every = [v for vs in self.latencies.values() for v in vs]
        statuses: Counter = Counter()
        for c in self.statuses.values():
            statuses.update(c)
        return {
            "overall": {**summarise(every, wall_s), "statuses": dict(statuses)},
            "kinds": {k: {**summarise(v, wall_s), "statuses": dict(self.statuses[k])}
                      for k, v in sorted(self.latencies.items())},
            "errors": dict(self.errors), "wall_s": round(wall_s, 2),
            "server_errors": sum(n for s, n in statuses.items() if s.startswith("5")),
            "slowest": self.slowest(),
        }

    def slowest(self) -> list[tuple[float, float]]:
        """The slowest 1% of requests (at least one) as ``(sent, s after the tally began; ms)``,
        in the order sent: whether a tail is one pause (sent close together) or spread out."""
        top = sorted(self.sent, key=lambda e: -e[1])[:max(1, len(self.sent) // 100)]
        return [(round(at - self.t0, 3), round(ms, 1)) for at, ms in sorted(top)]


class _Connection:
    """One keep-alive HTTP/1.1 connection on asyncio streams.

    A minimal client: it costs about a tenth of the CPU httpx does per
    request (measured here: httpx spent 5.7 ms of CPU a request, more than
    the server it measured), which matters when the client shares two cores
    with the server. It speaks only what ``colearn serve`` answers:
    ``Content-Length`` or chunked bodies.
    """

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.base_headers = "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"{host}:{port}", **headers}.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: Any = None,
                      headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """Send one request; return ``(status, body)``. Reconnects once if the server closed the connection."""
        payload = b"" if body is None else json.dumps(body).encode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        if body is not None:
            extra += "Content-Type: application/json\r\n"
        head = f"{method} {path} HTTP/1.1\r\n{self.base_headers}{extra}Content-Length: {len(payload)}\r\n\r\n"
        for attempt in (0, 1):
            if self.writer is None:
                await self._open()
            assert self.reader is not None and self.writer is not None
            try:
                self.writer.write(head.encode() + payload)
                return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt:
                    raise
        raise ConnectionError("unreachable")  # pragma: no cover

    async def _response(self) -> tuple[int, bytes]:
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if fields.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            data = b"".join(chunks)
        else:
            data = await self.reader.readexactly(int(fields.get("content-length", "0")))
        if fields.get("connection", "").lower() == "close":
            self.close()
        return status, data


class _Pool:
    """Up to ``size`` connections, each used by one request at a time."""

    def __init__(self, base: str, headers: dict[str, str], size: int) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.headers = headers
        self.free: list[_Connection] = []
        self.size = size

    async def request(self, req: dict[str, Any]) -> int:
        conn = self.free.pop() if self.free else _Connection(self.host, self.port, self.headers)
        try:
            status, _ = await asyncio.wait_for(
                conn.request(req.get("method", "GET"), req["path"], req.get("json"), req.get("headers")), TIMEOUT_S)
        except BaseException:
            conn.close()
            raise
        self.free.append(conn)
        return status

    def close(self) -> None:
        for conn in self.free:
            conn.close()
        self.free.clear()


async def _one(pool: _Pool, req: dict[str, Any], tally: _Tally | None) -> None:
    start = time.perf_counter()
    try:
        status: int | str = await pool.request(req)
    except Exception as exc:  # a refused or timed-out request is a result, not a crash
        status = type(exc).__name__
        if tally is not None:
            tally.errors[status] += 1
    if tally is not None:
        tally.record(req.get("kind", "request"), status, (time.perf_counter() - start) * 1000.0, start)


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the load a spec describes (see the module docstring) and return its results."""
    check_loopback(spec["base"])
    reqs: list[dict[str, Any]] = spec["requests"]
    concurrency = int(spec.get("concurrency", 50))
    pool = _Pool(spec["base"], spec.get("headers") or {}, concurrency)
    try:
        if "rate" in spec:
            return await _open_loop(pool, spec, reqs, concurrency)
        return await _closed_loop(pool, spec, reqs, concurrency)
    finally:
        pool.close()


async def _closed_loop(pool: _Pool, spec: dict[str, Any], reqs: list[dict[str, Any]],
                       concurrency: int) -> dict[str, Any]:
    total, warmup = int(spec.get("total", 1000)), int(spec.get("warmup", 0))
    deadline = time.monotonic() + min(MAX_RUN_S, float(spec.get("max_s", MAX_RUN_S)))
    tally = _Tally()
    cursor = 0

    async def worker(measured: _Tally | None, count: int) -> None:
        nonlocal cursor
        while cursor < count and time.monotonic() < deadline:
            req = reqs[cursor % len(reqs)]
            cursor += 1
            await _one(pool, req, measured)

    await asyncio.gather(*(worker(None, warmup) for _ in range(concurrency)))
    cursor = 0
    cpu0, start = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(tally, total) for _ in range(concurrency)))
    wall = time.perf_counter() - start
    out = tally.result(wall)
    out["client_cpu_s"] = round(time.process_time() - cpu0, 2)
    out["concurrency"] = concurrency
    return out


async def _open_loop(pool: _Pool, spec: dict[str, Any], reqs: list[dict[str, Any]],
                     concurrency: int) -> dict[str, Any]:
    rate = float(spec["rate"])
    duration = min(MAX_RUN_S, float(spec.get("duration_s", 60)))
    sample_s = float(spec.get("sample_s", 10))
    pids = [int(p) for p in spec.get("rss_pids", [])]
    tally = _Tally()
    slots = asyncio.Semaphore(concurrency)
    tasks: set[asyncio.Task] = set()
    samples: list[tuple[float, int | None]] = []
    dropped = 0
    start = time.perf_counter()
    next_sample = 0.0
    n = 0

    async def fire(req: dict[str, Any]) -> None:
        try:
            await _one(pool, req, tally)
        finally:
            slots.release()

    while True:
        now = time.perf_counter() - start
        if now >= duration:
            break
        if now >= next_sample:
            samples.append((round(now, 1), rss_bytes(pids)))
            next_sample += sample_s
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if slots.locked():
            dropped += 1  # the server is behind: count it rather than queue without bound
        else:
            await slots.acquire()
            task = asyncio.create_task(fire(reqs[n % len(reqs)]))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        n += 1
    if tasks:
        await asyncio.wait(tasks, timeout=TIMEOUT_S)
    wall = time.perf_counter() - start
    samples.append((round(wall, 1), rss_bytes(pids)))
    out = tally.result(wall)
    out.update({"rate": rate, "duration_s": duration, "dropped": dropped, "rss_samples": samples})
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m colearn.perf.load SPEC.json``: print the results as JSON."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m colearn.perf.load SPEC.json", file=sys.stderr)
        return 2
    with open(args[0], encoding="utf-8") as fh:
        spec = json.load(fh)
    print(json.dumps(asyncio.run(run(spec))))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
