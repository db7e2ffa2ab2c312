"""A process's place among the change feed's readers (``graph/feed.py``).

Each process that follows the feed keeps a ``FeedReader`` node with the lowest
entry it still needs (``heartbeat``, every ``HEARTBEAT_S``) and removes it when it
stops (``leave``). Entries that every live reader has passed are deleted, and
readers not seen for ``READER_TTL_S`` are removed (``prune``, every
``PRUNE_EVERY_S``): a removed reader that comes back finds a gap in the feed and
rebuilds. The feed follower (``recommender.follower``) keeps one per serving process.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid

from colearn.errors import ColearnError
from colearn.graph import feed
from colearn.graph.store import GraphStore

log = logging.getLogger(__name__)

#: Heartbeat period and the time after which a silent reader counts as gone.
HEARTBEAT_S = 5.0
READER_TTL_S = 60.0
#: How often the feed is pruned, and the most entries deleted per statement.
PRUNE_EVERY_S = 30.0
PRUNE_LIMIT = 10_000


class FeedReader:
    """One process's reader of the change feed (see the module docstring).

    Args:
        store: the graph.
        ttl_s: how long a reader may stay silent before ``prune`` removes it.

    Attributes:
        id: the reader node's id, ``<host>:<pid>:<8 hex digits>`` (unique per reader).
    """

    def __init__(self, store: GraphStore, ttl_s: float = READER_TTL_S) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def heartbeat(self, position: int) -> None:
        """Record ``position`` (the lowest feed sequence this reader still needs) and that it
        is alive now. Raises ``StoreUnavailable`` when the store cannot be reached."""
        self.store.write(feed.READER_HEARTBEAT, {"id": self.id, "seq": position, "now": int(time.time()),
                                                 "info": f"{socket.gethostname()} pid {os.getpid()}"})

    def leave(self) -> None:
        """Remove this reader's node, so pruning no longer keeps entries for it (a failure is
        logged, not raised: ``prune`` removes the reader once it has been silent ``ttl_s``)."""
        try:
            self.store.write(feed.READER_LEAVE, {"id": self.id})
        except ColearnError as exc:
            log.info("feed reader %s not removed: %s", self.id, exc)

    def prune(self) -> dict[str, int]:
        """Delete entries every live reader has passed (at most ``PRUNE_LIMIT``), and readers
        silent for ``ttl_s``.

        Returns:
            ``{"pruned": entries deleted, "removed": readers removed, "floor": position pruned to}``.

        Raises:
            StoreUnavailable: the store cannot be reached.
        """
        stale = int(time.time() - self.ttl_s)
        row = self.store.read(feed.FEED_READERS, {"stale": stale})[0]
        floor = int(row["floor"]) if row["floor"] is not None else int(row["head"])
        pruned = self.store.write(feed.PRUNE_ENTRIES, {"floor": floor, "limit": PRUNE_LIMIT})[0]["pruned"]
        removed = self.store.write(feed.PRUNE_READERS, {"stale": stale})[0]["removed"]
        return {"pruned": int(pruned), "removed": int(removed), "floor": floor}
