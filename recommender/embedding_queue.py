"""Text embeddings for new and edited badges and opportunities, made off the request path.

A catalogue write that changes a badge's or an opportunity's text calls
``EmbeddingQueue.request()``; one worker thread then runs
``text.embed_catalogue`` (which embeds only texts whose stored vector is
missing or was made from other text) and stores the vectors, recording an
``embeddings`` change in the feed, so every serving process rebuilds with
them. Requests made while it works are merged into one more run. Without the
MiniLM model installed nothing is queued (TF-IDF needs no stored vectors),
and a city that never stored vectors (``colearn ingest embeddings``) is left
on TF-IDF by choice.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from colearn.errors import ColearnError

log = logging.getLogger(__name__)


def city_uses_vectors(store: Any) -> bool:
    """Whether any badge has a stored MiniLM vector (``colearn ingest embeddings`` was
    run): only then would a badge or opportunity without one make the whole city fall
    back to TF-IDF, so only then are new texts embedded (by this queue for the API's
    writes, by ``colearn ingest catalogue`` for a file's)."""
    from colearn.graph import queries
    from colearn.graph.schema import Label
    from colearn.recommender.text import MINILM

    badges = int(store.read(queries.count_nodes(Label.BADGE))[0]["n"])
    without = int(store.read(queries.NODES_WITHOUT_VECTORS, {"model": MINILM})[0]["badges"])
    return without < badges


class EmbeddingQueue:
    """One background worker that stores missing MiniLM vectors on request.

    Args:
        store: the graph.

    Attributes:
        runs: completed runs; embedded: vectors stored in all; last_error: the
            last failure's message (None when the last run worked).
    """

    def __init__(self, store: Any) -> None:
        self.store = store
        self.runs = 0
        self.embedded = 0
        self.last_error: str | None = None
        self._wanted = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @staticmethod
    def available() -> bool:
        """Whether the MiniLM model is installed (only its vectors are stored)."""
        from colearn.recommender.text import minilm_available

        return minilm_available()

    def request(self) -> bool:
        """Ask for a run (returns at once). Returns False when MiniLM is not installed."""
        if not self.available():
            return False
        with self._lock:
            self._wanted.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="embedding-queue", daemon=True)
                self._thread.start()
        return True

    def wait(self, timeout: float = 120.0) -> bool:
        """Wait until no run is wanted or running (tests). Returns False on timeout."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def stop(self) -> None:
        """Stop after the current run."""
        self._stop.set()
        self._wanted.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=60)

    def _city_uses_vectors(self) -> bool:
        return city_uses_vectors(self.store)

    def _run(self) -> None:
        from colearn.recommender.text import embed_catalogue

        while True:
            with self._lock:
                if self._stop.is_set() or not self._wanted.is_set():
                    self._thread = None
                    return
                self._wanted.clear()
            try:
                if not self._city_uses_vectors():
                    continue
                done = embed_catalogue(self.store, "minilm")
                self.embedded += sum(done.values())
                self.runs += 1
                self.last_error = None
            except (ColearnError, OSError, RuntimeError) as exc:
                self.last_error = str(exc)
                log.warning("text embeddings not stored: %s", exc)
