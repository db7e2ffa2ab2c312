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


if __name__ == "__main__":
    _main()
