"""Live HTTP servers for tests: the API under uvicorn in a thread, and plain pages on another port.

Each server binds 127.0.0.1 on a free port, is waited for until it answers,
and is stopped by the context manager.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import uvicorn
from fastapi import FastAPI

from colearn.ports import free_port


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
