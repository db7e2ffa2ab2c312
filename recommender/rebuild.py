"""Read a recommender's projection of the graph in a child process, so the serving process never holds the read's temporaries.

Measured (city M, 100k awards, this machine): rebuilding in the serving
process left resident memory 11% above a fresh build after two rebuilds
(197 -> 219 MiB): the rows read from the graph and the old recommender's
objects leave the heap fragmented. Reading the projection in a child and
unpickling it here kept it at the fresh build's level (196 -> 190 MiB).
The child costs an interpreter start (a few seconds), so the feed follower
uses it for the rebuilds nobody waits on (compaction, a lag, a gap) and
builds in-process when a catalogue change must show within a second.

The fit can move too (``recommender_in_child``): the child builds the whole
``Recommender`` and this process only unpickles it, so the build's CPU (the
read, the co-occurrence products, the signals' statistics; tens of seconds
at M on a loaded machine) never holds this process's GIL while its feed
follower and its requests need it. Unpickling is memory copies. Locks are
pickled as new locks (``_LockAwarePickler``); the store is left behind and
set again here.

Run as ``python -m colearn.recommender.rebuild``: reads a pickled
``(what, Settings, ranker file)`` on stdin (``what`` is ``"projection"`` or
``"recommender"``), writes the pickled result on stdout.
"""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from colearn.config import Settings
from colearn.errors import StoreUnavailable
from colearn.recommender.projections import Projection

if TYPE_CHECKING:
    from colearn.graph.store import GraphStore
    from colearn.recommender.recommend import Recommender

_LOCK = type(threading.Lock())
_RLOCK = type(threading.RLock())


class _LockAwarePickler(pickle.Pickler):
    """Pickles a ``threading`` lock as a new, unlocked lock of its kind (a lock cannot
    travel between processes; the objects that hold one only need one of their own)."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _RLOCK):
            return threading.RLock, ()
        if isinstance(obj, _LOCK):
            return threading.Lock, ()
        return NotImplemented


def _in_child(what: str, settings: Settings, ranker_file: Path | str | None, timeout_s: float) -> bytes:
    try:
        done = subprocess.run([sys.executable, "-m", "colearn.recommender.rebuild"],
                              input=pickle.dumps((what, settings, ranker_file)),
                              capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise StoreUnavailable(f"building the {what} took longer than {timeout_s:.0f} s") from exc
    if done.returncode != 0:
        raise StoreUnavailable(f"building the {what} in a child process failed: "
                               + done.stderr.decode("utf-8", "replace")[-1500:])
    return done.stdout


def projection_in_child(settings: Settings, timeout_s: float = 3_600.0) -> Projection:
    """``Projection.from_store`` of the store ``settings`` select, read by a child process.

    Raises:
        StoreUnavailable: the child failed (its error output is in the message) or timed out.
    """
    projection: Projection = pickle.loads(_in_child("projection", settings, None, timeout_s))
    return projection


def recommender_in_child(settings: Settings, store: "GraphStore", *, ranker_file: Path | str | None = None,
                         timeout_s: float = 3_600.0) -> "Recommender":
    """``Recommender.from_store(store, ranker_file=ranker_file)``, built by a child process on
    the store ``settings`` select and unpickled here, using ``store`` from then on.

    Raises:
        StoreUnavailable: the child failed (its error output is in the message) or timed out.
    """
    rec: Recommender = pickle.loads(_in_child("recommender", settings, ranker_file, timeout_s))
    rec.store_ = store
    return rec


def _main() -> None:
    from colearn.graph.store import open_store
    from colearn.recommender.recommend import Recommender

    asked = pickle.loads(sys.stdin.buffer.read())
    # a bare Settings: a parent started before this module learned to build recommenders
    what, settings, ranker_file = ("projection", asked, None) if isinstance(asked, Settings) else asked
    store = open_store(settings, take_over=False)  # a store owner gone is the serving parent's to replace
    try:
        built: Any
        if what == "recommender":
            built = Recommender.from_store(store, ranker_file=ranker_file)
            built.store_ = None  # the parent sets its own
        else:
            built = Projection.from_store(store)
    finally:
        store.close()
    out = io.BytesIO()
    _LockAwarePickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(built)
    sys.stdout.buffer.write(out.getvalue())


def release_memory() -> None:
    """After a recommender is swapped for a new one: collect the old one's cycles and hand
    freed heap back to the system (glibc ``malloc_trim``; elsewhere a no-op), so resident
    memory follows what is live rather than the peak of two recommenders side by side."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class PacedRelease:
    """Runs ``release_memory`` after recommender swaps, paced so its pauses take at most
    ``share`` of the process's time.

    A full collection walks every object the collector tracks and holds the GIL while it
    does, so every request of the process waits for it. Measured (a test process of
    about 310,000 tracked objects, Neo4j, one in-process rebuild per catalogue write):
    57 collections took 13.2 s (median about 0.23 s), a third of the test's time. A
    swap asks (``request``); the collection runs at once if the one before has been
    paid back (``took / share`` seconds have passed since it ended), else one run is
    scheduled for when it has (``schedule``: a daemon timer), so many swaps in a burst
    cost one collection at the end of it, and the last swap's is never dropped.

    Args:
        share: the greatest fraction of wall time spent collecting, in ``(0, 1]``.
        release: what to run (``release_memory``; a test passes its own).
        clock: monotonic seconds (``time.monotonic``; a test passes its own).
        schedule: ``schedule(delay_s, fn)`` calls ``fn`` once after ``delay_s`` seconds
            (default: a daemon ``threading.Timer``; a test passes its own).

    Raises:
        ValueError: ``share`` outside ``(0, 1]``.
    """

    def __init__(self, share: float = 0.05, *, release: Callable[[], None] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 schedule: Callable[[float, Callable[[], None]], None] | None = None) -> None:
        if not 0 < share <= 1:
            raise ValueError(f"share must be in (0, 1], got {share}")
        self.share = share
        self.release = release or release_memory
        self.clock = clock
        self.schedule = schedule or _daemon_timer
        self.wanted = False
        self.runs = 0
        self._next = float("-inf")
        self._lock = threading.Lock()  # held while collecting
        self._scheduling = threading.Lock()
        self._scheduled = False

    def request(self) -> bool:
        """Ask for a collection; returns whether it ran now (else one is scheduled)."""
        self.wanted = True
        if self.run_if_due():
            return True
        with self._scheduling:
            if not self._scheduled:
                self._scheduled = True
                self.schedule(max(0.0, self._next - self.clock()), self._deferred)
        return False

    def _deferred(self) -> None:
        with self._scheduling:
            self._scheduled = False
        if not self.run_if_due() and self.wanted:
            self.request()  # another collection moved the pace meanwhile: wait for it again

    def run_if_due(self) -> bool:
        """Collect if one was asked for and the pace allows; returns whether it ran.
        Never waits: a collection running in another thread makes this a no-op."""
        if not self.wanted or self.clock() < self._next or not self._lock.acquire(blocking=False):
            return False
        try:
            if not self.wanted or self.clock() < self._next:  # another thread collected meanwhile
                return False
            self.wanted = False
            started = self.clock()
            self.release()
            ended = self.clock()
            self._next = ended + (ended - started) / self.share
            self.runs += 1
            return True
        finally:
            self._lock.release()


def _daemon_timer(delay_s: float, fn: Callable[[], None]) -> None:
    timer = threading.Timer(delay_s, fn)
    timer.daemon = True
    timer.start()


if __name__ == "__main__":
    _main()
