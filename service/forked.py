"""Several API workers that share one recommender: built once, then ``fork``.

uvicorn's own ``--workers`` starts each worker as a fresh interpreter
(``spawn``), so each builds its own recommender from the graph: at L that is
N times the build time and N times the memory of its matrices. Here the
parent process builds it once (``Recommender.from_store``), binds the
listening socket, freezes the garbage collector's view of what exists
(``gc.freeze``, so that collections do not write to the model's pages) and
forks the workers; each runs ``uvicorn.Server`` on the inherited socket with
its own store connection. The model's arrays are shared copy-on-write (the
kernel accepts connections on the one socket for all of them), and so is every
badge's opportunities, read by the parent before it forks
(``service.app.preload_opportunities``).

A worker's young-generation collection threshold is raised to
``WORKER_GC_THRESHOLD`` allocations (CPython's default is 700): each worker
keeps learners' portfolios and answers as they are asked, and with the
default its collector's full passes over them paused requests for 100 to
400 ms every few seconds at L (py-spy, first visits at 300 requests/s).

Each worker follows the graph's change feed from the head read before the
build (``recommender.follower``), so a change made through any worker, or any
other process, reaches every worker; a worker that rebuilds holds its own
copy from then on.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

#: Allocations between a worker's young-generation collections (``gc.set_threshold``'s first
#: value; CPython's default 700). Older generations keep CPython's default ratios.
WORKER_GC_THRESHOLD = 20_000
#: A worker logs (WARNING) every garbage collection that pauses it at least this long (ms).
LONG_GC_MS = 50.0


def log_long_collections(threshold_ms: float = LONG_GC_MS) -> Callable[[str, dict[str, int]], None]:
    """Log, at WARNING, each garbage collection of this process that takes ``threshold_ms`` or
    more (``gc.callbacks``): a collection stops every request of a worker while it runs.

    The message gives the generation, the milliseconds, and the objects collected and found
    uncollectable (the callback's ``info``, https://docs.python.org/3/library/gc.html#gc.callbacks).

    Returns:
        The callback added to ``gc.callbacks`` (remove it from there to stop).
    """
    started: list[float] = [0.0]

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        ms = (time.perf_counter() - started[0]) * 1000.0
        if ms >= threshold_ms:
            log.warning("garbage collection paused worker %s for %.0f ms (generation %s, %s collected, "
                        "%s uncollectable)", os.getpid(), ms, info.get("generation"), info.get("collected"),
                        info.get("uncollectable"))

    gc.callbacks.append(callback)
    return callback


def serve(settings: Any, host: str, port: int, workers: int,
          announce: Callable[[str], None] | None = None) -> None:
    """Serve the API as ``serve_forked`` does, with the embedded store started (or a
    running one reused) first when no Neo4j is configured, so that every worker
    shares it and it outlives any one of them (a reused store is taken over by this
    process, not by a worker, once its owner is gone: ``graph/falkordb_owner.py``);
    on return that store, if this process started it or took it over, is stopped
    (its append-only file compacted first).

    Raises:
        StoreUnavailable: the store cannot be started or reached.
        CannotListen: the address cannot be bound (an ``OSError``).
    """
    server = None
    if not settings.neo4j_uri:
        from colearn.graph.falkordb_store import EmbeddedFalkorDB

        server = EmbeddedFalkorDB.for_data_dir(settings.data_dir, settings.fsync)
    try:
        serve_forked(settings, host, port, workers, announce)
    finally:
        if server is not None:
            server.stop()


class CannotListen(OSError):
    """The address ``colearn serve`` was given cannot be bound: in use, not this machine's, or
    a port this user may not take. ``errno`` is the system's; ``strerror`` names the address.

    Attributes:
        host, port: the address.
    """

    def __init__(self, host: str, port: int, cause: OSError) -> None:
        super().__init__(cause.errno, f"cannot serve on {host}:{port}: {cause.strerror or cause}")
        self.host, self.port = host, port


class WorkerStopped(BaseException):
    """A worker was told to stop (SIGINT or SIGTERM), raised by ``_stop_worker`` outside
    uvicorn's own handling of them: a clean stop, not a failure. A ``BaseException``, as
    ``KeyboardInterrupt`` is, so that no ``except Exception`` on the way takes it."""


def _stop_worker(signum: int, _frame: Any) -> None:
    """A worker's handler of SIGINT and SIGTERM (``serve_forked``): stop once, ignoring any
    further stop signal (Ctrl-C reaches a worker from the terminal and, as SIGTERM, from the
    supervisor).

    Raises:
        WorkerStopped: always.
    """
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    raise WorkerStopped(signum)


def _bound(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port``, not listening yet (connections are refused until
    it listens, so none waits on a server still building).

    Raises:
        CannotListen: the address cannot be bound.
    """
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise CannotListen(host, port, exc) from exc
    return sock


def serve_forked(settings: Any, host: str, port: int, workers: int,
                 announce: Callable[[str], None] | None = None) -> None:
    """Build the recommender, then serve the API from ``workers`` forked processes until signalled.

    The address is bound first, so that one in use is refused before the build;
    ``announce`` is told the base URL (``http://127.0.0.1:8000``) once the socket
    listens, after the build: from then on requests wait in its queue until a
    worker takes them.

    SIGTERM or SIGINT to this process (a terminal's Ctrl-C: SIGINT to the
    process group, workers included) sends SIGTERM to every worker; it
    returns when they have all exited. A worker takes SIGINT as it takes SIGTERM
    (``WorkerStopped``): uvicorn's graceful shutdown, then exit status 0 with nothing
    logged as failed. Each worker asks the kernel for SIGTERM
    when this process dies (``exit_with_parent``), even by SIGKILL.

    Raises:
        StoreUnavailable: the store cannot be reached.
        CannotListen: the address cannot be bound (an ``OSError``).
    """
    import uvicorn

    from colearn.graph.falkordb_server import exit_with_parent
    from colearn.graph.feed import feed_head
    from colearn.graph.store import open_store
    from colearn.recommender.recommend import Recommender, ranker_path
    from colearn.graph.cached import CachedStore
    from colearn.service.app import catalogue_cache_ttl, create_app, preload_opportunities
    from colearn.service import access_log
    from colearn.service.limits import BucketTable

    sock = _bound(host, port)  # before the build: an address in use is said at once
    try:
        store = open_store(settings)
    except BaseException:
        sock.close()
        raise
    try:
        head = feed_head(store)  # before the build: each worker applies every change after it
        recommender = Recommender.from_store(store, ranker_file=ranker_path(settings.data_dir))
        cached = CachedStore(store, catalogue_cache_ttl(settings))
        preload_opportunities(cached, recommender)
    except BaseException:
        sock.close()
        raise
    finally:
        store.close()
    recommender.store_ = None
    sock.listen(2048)
    sock.set_inheritable(True)
    if announce is not None:
        announce(f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}")
    buckets = BucketTable()  # made before the fork: the workers share one allowance per caller
    gc.collect()
    gc.freeze()
    children: list[int] = []
    supervisor = os.getpid()
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # a worker
            code = 0
            try:
                exit_with_parent(supervisor)  # a killed supervisor leaves no worker holding the port
                for sig in (signal.SIGINT, signal.SIGTERM):  # uvicorn puts these back, and raises them, when it stops
                    signal.signal(sig, _stop_worker)
                _, older, oldest = gc.get_threshold()
                gc.set_threshold(WORKER_GC_THRESHOLD, older, oldest)
                log_long_collections()
                app = create_app(settings, recommender=recommender, feed_position=head, opportunities=cached.opportunities,
                                 buckets=buckets)
                config = uvicorn.Config(app, log_level="info", log_config=access_log.log_config())
                uvicorn.Server(config).run(sockets=[sock])
            except WorkerStopped:
                pass  # a normal stop (before uvicorn ran, or uvicorn's shutdown done)
            except BaseException:  # noqa: BLE001 - a worker reports and exits, never returns to the parent's code
                log.exception("worker %s failed", os.getpid())
                code = 1
            finally:
                os._exit(code)  # no atexit handlers: the parent owns the embedded store
        children.append(pid)
    sock.close()

    def forward(_signum: int, _frame: Any) -> None:
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for child in children:
        while True:
            try:
                os.waitpid(child, 0)
                break
            except ChildProcessError:
                break
            except InterruptedError:  # pragma: no cover - PEP 475 retries for us
                continue
