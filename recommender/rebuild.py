"""Read a recommender's projection of the graph in a child process, so the serving process never holds the read's temporaries.

Measured (city M, 100k awards, this machine): rebuilding in the serving
process left resident memory 11% above a fresh build after two rebuilds
(197 -> 219 MiB): the rows read from the graph and the old recommender's
objects leave the heap fragmented. Reading the projection in a child and
unpickling it here kept it at the fresh build's level (196 -> 190 MiB).
The child costs an interpreter start (a few seconds), so the feed follower
uses it for the rebuilds nobody waits on (compaction, a lag, a gap) and
builds in-process when a catalogue change must show within a second.

Run as ``python -m colearn.recommender.rebuild``: reads pickled ``Settings``
on stdin, writes the pickled ``Projection`` on stdout.
"""

from __future__ import annotations

import pickle
import subprocess
import sys

from colearn.config import Settings
from colearn.errors import StoreUnavailable
from colearn.recommender.projections import Projection


def projection_in_child(settings: Settings, timeout_s: float = 3_600.0) -> Projection:
    """``Projection.from_store`` of the store ``settings`` select, read by a child process.

    Raises:
        StoreUnavailable: the child failed (its error output is in the message) or timed out.
    """
    try:
        done = subprocess.run([sys.executable, "-m", "colearn.recommender.rebuild"], input=pickle.dumps(settings),
                              capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise StoreUnavailable(f"reading the projection took longer than {timeout_s:.0f} s") from exc
    if done.returncode != 0:
        raise StoreUnavailable("reading the projection in a child process failed: "
                               + done.stderr.decode("utf-8", "replace")[-1500:])
    return pickle.loads(done.stdout)


def _main() -> None:
    from colearn.graph.store import open_store

    settings = pickle.loads(sys.stdin.buffer.read())
    store = open_store(settings)
    try:
        projection = Projection.from_store(store)
    finally:
        store.close()
    sys.stdout.buffer.write(pickle.dumps(projection, protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    _main()
