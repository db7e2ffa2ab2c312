"""Live HTTP servers for tests: the API under uvicorn in a thread, and plain pages on another port.

Each server binds 127.0.0.1 on a free port, is waited for until it answers,
and is stopped by the context manager. Also the suite's one bound on waiting for a
change to become visible (``VISIBLE_WITHIN_S``, ``wait_until``).
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import uvicorn
from fastapi import FastAPI

from colearn.ports import free_port

#: How long a test waits for a change to become visible (an award applied by another process's
#: feed follower, a rebuild swapped in, a ranker served after `colearn train`) before it fails.
#: A bound on liveness, not on speed: the feed's speed is a benchmark's to measure
#: (`colearn bench-feed`, README "Many processes, one graph"). On a shared 2-core CI runner
#: with two test workers, single Neo4j statements took up to 4 s (first plans on a starved JVM)
#: and one check of three requests 11.8 s, where the same change is seen within 0.6 s when
#: quiet. A follower that never applies a change, or only at its next compaction (an hour),
#: still fails.
VISIBLE_WITHIN_S = 60.0


def wait_until(check: Callable[[], bool], what: str, limit_s: float = VISIBLE_WITHIN_S) -> float:
    """Call ``check`` every 20 ms until it returns true; returns the seconds that took.

    Raises:
        AssertionError: naming ``what``, when ``check`` is still false after ``limit_s``.
    """
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > limit_s:
            raise AssertionError(f"{what}: not visible after {time.monotonic() - start:.2f} s; "
                                 f"this process's feed threads: {_feed_threads()}")
        time.sleep(0.02)
    return time.monotonic() - start


def _feed_threads() -> str:
    """Where each feed follower and rebuild thread of this process is (its innermost frames):
    what a liveness failure needs to tell a follower stuck on a statement from one that missed
    an entry."""
    frames = sys._current_frames()
    out = []
    for t in threading.enumerate():
        if t.name.startswith("feed-") and t.ident in frames:
            where = traceback.format_stack(frames[t.ident])[-3:]
            out.append(f"{t.name} at " + " <- ".join(line.strip().replace("\n", " ") for line in reversed(where)))
    return "; ".join(out) or "none"


@contextmanager
def live_api(app: FastAPI, timeout_s: float = 30.0, port: int | None = None) -> Iterator[str]:
    """Serve ``app`` (lifespan included) and yield its base URL, ``http://127.0.0.1:<port>``
    (``port``: a given one, e.g. the port in the app's ``base_url``; default a free one)."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError("the API server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def live_page(render: Callable[[], str], host: str = "127.0.0.1") -> Iterator[str]:
    """Serve the HTML ``render()`` returns at ``/`` and yield the page's origin."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = render().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    httpd = ThreadingHTTPServer((host, free_port()), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@dataclass
class Relay:
    """What ``tcp_relay`` yields: ``address`` (``"127.0.0.1:PORT"``), ``cut()`` (the
    listener and every relayed connection closed: a stopped server, whose new
    connections are refused) and ``freeze()`` (nothing relayed any more either way,
    connections left open and new ones accepted: a server frozen mid-statement)."""

    address: str
    cut: Callable[[], None]
    freeze: Callable[[], None]


@contextmanager
def tcp_relay(host: str, port: int) -> Iterator[Relay]:
    """A TCP relay to ``host:port`` on a free local port (see ``Relay``); cut on exit."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    open_socks: list[socket.socket] = []
    lock = threading.Lock()
    state = {"cut": False, "frozen": False}

    def pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                if not state["frozen"]:
                    dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def accept() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection((host, port))
            with lock:
                if state["cut"]:
                    client.close()
                    upstream.close()
                    return
                open_socks.extend((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=pump, args=(a, b), daemon=True).start()

    def cut() -> None:
        with lock:
            state["cut"] = True
            socks = list(open_socks)
        listener.close()
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def freeze() -> None:
        state["frozen"] = True

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield Relay(f"127.0.0.1:{listener.getsockname()[1]}", cut, freeze)
    finally:
        cut()
