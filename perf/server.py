"""A real ``colearn serve`` process for benchmarks and the soak: started, timed to ready, measured, stopped.

The server runs as a child process (``python -m colearn.cli serve``) on
127.0.0.1 and a free port, with its own environment (data directory, graph,
rate limits off). It is ready when every uvicorn worker has logged
"Application startup complete" (each has built its recommender) and
``/health`` answers 200.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from colearn.ports import free_port

#: Printed by uvicorn when a worker's lifespan startup has finished.
_STARTED = "Application startup complete"


def rss_bytes(pids: list[int]) -> int:
    """Resident memory of ``pids`` added up (processes that are gone count 0).

    Each process's proportional set size (PSS: a page shared by n processes
    counts 1/n in each) where the system gives it (Linux), so that workers
    sharing a forked model are not counted once per worker; else its RSS.
    """
    import psutil

    total = 0
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            try:
                total += proc.memory_full_info().pss
            except (AttributeError, psutil.AccessDenied):
                total += proc.memory_info().rss
        except psutil.Error:
            continue
    return total


@dataclass
class ServeProcess:
    """``colearn serve`` in a child process.

    Args:
        data_dir: ``COLEARN_DATA_DIR`` (an embedded FalkorDB already running for it is reused).
        graph_name: ``COLEARN_GRAPH_NAME``.
        workers: uvicorn worker processes.
        env: more environment variables.
        log_path: where the server's output goes (default: inside ``data_dir``).

    Attributes:
        port: the port it listens on.
        ready_s: seconds from start to ready.
    """

    data_dir: Path
    graph_name: str
    workers: int = 1
    env: Mapping[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    port: int = 0
    ready_s: float | None = None
    _proc: subprocess.Popen | None = field(default=None, repr=False)
    _lines: list[str] = field(default_factory=list, repr=False)

    @property
    def base(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 300.0) -> float:
        """Start the server and wait until it is ready.

        Returns:
            Seconds from starting the process to ready.

        Raises:
            RuntimeError: it exited or was not ready within ``timeout_s`` (its log is quoted).
        """
        import httpx

        self.port = free_port()
        env = {**os.environ, "COLEARN_DATA_DIR": str(self.data_dir), "COLEARN_GRAPH_NAME": self.graph_name,
               "COLEARN_HOST": "127.0.0.1", "COLEARN_PORT": str(self.port),
               "COLEARN_WORKERS": str(self.workers), "COLEARN_RATE_LIMIT_PER_MINUTE": "0", **self.env}
        log_path = self.log_path or Path(self.data_dir) / f"serve-{self.port}.log"
        self.log_path = log_path
        start = time.perf_counter()
        self._proc = subprocess.Popen([sys.executable, "-m", "colearn.cli", "serve"], env=env,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True, start_new_session=True)
        log = open(log_path, "w", encoding="utf-8")

        def pump() -> None:
            assert self._proc is not None and self._proc.stdout is not None
            for line in self._proc.stdout:
                self._lines.append(line)
                log.write(line)
                log.flush()
            log.close()

        threading.Thread(target=pump, daemon=True).start()
        deadline = start + timeout_s
        while True:
            if self._proc.poll() is not None:
                raise RuntimeError(f"colearn serve exited with {self._proc.returncode}:\n{self.tail()}")
            if time.perf_counter() > deadline:
                self.stop()
                raise RuntimeError(f"colearn serve was not ready in {timeout_s:.0f} s:\n{self.tail()}")
            started = sum(_STARTED in line for line in list(self._lines))
            if started >= self.workers:
                try:
                    if httpx.get(f"{self.base}/health", timeout=5).status_code < 500:
                        break
                except httpx.HTTPError:
                    pass
            time.sleep(0.05)
        self.ready_s = time.perf_counter() - start
        return self.ready_s

    def tail(self, n: int = 40) -> str:
        """The last ``n`` lines the server printed."""
        return "".join(self._lines[-n:])

    def pids(self) -> list[int]:
        """The server's processes: the main one and its children (uvicorn workers)."""
        import psutil

        if self._proc is None:
            return []
        try:
            main = psutil.Process(self._proc.pid)
            return [main.pid] + [c.pid for c in main.children(recursive=True)]
        except psutil.Error:
            return []

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the workers, or the main process when it serves alone
        (the embedded store, a child of the main process, is not one)."""
        import psutil

        pids = self.pids()
        workers = []
        for pid in pids[1:]:
            try:
                if "redis-server" not in psutil.Process(pid).name():
                    workers.append(pid)
            except psutil.Error:
                continue
        return workers or pids[:1]

    def rss(self) -> dict[str, Any]:
        """Resident memory: ``total`` over all the server's processes, and ``per_worker``."""
        workers = self.worker_pids()
        return {"total": rss_bytes(self.pids()), "per_worker": [rss_bytes([p]) for p in workers]}

    def stop(self, timeout_s: float = 30.0) -> None:
        """SIGTERM the server's process group and wait; SIGKILL if it does not go."""
        if self._proc is None or self._proc.poll() is not None:
            return
        try:
            os.killpg(self._proc.pid, signal.SIGTERM)
            self._proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait(timeout=10)
        except ProcessLookupError:
            pass

    def __enter__(self) -> "ServeProcess":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
