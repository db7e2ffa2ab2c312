"""Keeps one process's recommender current with the graph's change feed (``graph/feed.py``).

Every serving process holds a ``Recommender`` built from the graph. A ``FeedFollower`` polls
the feed every ``poll_s`` (0.2 s by default) in a background thread and:

- applies ``awards`` entries incrementally: it reads, for the (learner, badge) pairs named,
  whether the learner holds the badge now (``feed.HELD_PAIRS``, the portfolio's rule, with its
  earliest award's ``issued_on``) and calls ``hold`` (``add_award``, or a re-timed award) /
  ``remove_award`` of the recommender's history to match. Both are no-ops when the
  recommender already agrees, so an entry applied twice, or one whose write matched nothing,
  changes nothing;
- rebuilds from the graph (in a background thread, then swaps) when an entry
  changes the catalogue (a badge, opportunity, theme, destination, place,
  spine cell or organisation created, changed or deleted), stores embeddings
  or says the ranker file changed (``colearn train``: the build reads it
  anew); when the feed has a gap (entries it needed were pruned: it was
  away longer than ``reader_ttl_s``); when it is more than ``max_lag``
  entries behind; and, to bound memory, after ``compact_after`` incremental
  changes or ``compact_every_s`` seconds. Pathway entries need no build:
  pathways are read from the graph per request, but for the pathways with
  completion badges, kept until any catalogue entry (``completions.KeptPathways``);
- reconciles, every ``expiry_every_s``, the awards whose expiry passed
  (``expiries.ExpiryWatch``: no write marks one, so the feed cannot).

Rebuilds that nobody waits on (compaction, a lag, a gap) use ``build_quiet``
when given (the service builds the recommender in a child process then and
unpickles it, so this process's heap stays as compact as a fresh build's and
the build's CPU never holds this process's GIL: ``recommender.rebuild``); a
catalogue or ranker change uses ``build``, in this process, to show within a second.

A rebuild reads the feed's head first, builds, then re-applies every entry
after that head to the new recommender before it is swapped in, so nothing
written during the build is missed (an entry that needs a build asks for the
next one: the build may have read before its write); entries a gap or a lag passed over
come by the build, not one by one, so at its swap the caches entries clear (API keys, a
``CachedStore``'s opportunities) are cleared whole. While it builds and replays, the poll
keeps applying entries to the live recommender: only the last entries (at
most one ``BATCH`` behind the live position) are replayed under the lock,
just before the swap, so a rebuild never holds up what requests see.

A poll reads the entries after its position first (one round trip to the store while
entries flow), the head only when that read comes back empty (to find a gap) or full (to
measure the lag); it applies at most ``MAX_BATCHES_PER_POLL`` batches under its lock, then
lets requests in before it goes on.

Position and pruning: the follower keeps this process's ``FeedReader``
(``graph.feed_readers``) at its position (heartbeat every ``heartbeat_s``) and
prunes entries that every live reader has passed (every ``prune_every_s``).

``sync()`` polls once at once, from the caller's thread: a request that has just written
calls it, so its own process answers the next request with the change (read-your-writes);
other processes see it within one poll.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from colearn.errors import ColearnError, NotFound
from colearn.graph import feed
from colearn.graph.feed_readers import HEARTBEAT_S, PRUNE_EVERY_S, READER_TTL_S, FeedReader
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.recommender.expiries import EVERY_S as EXPIRY_EVERY_S, ExpiryWatch
from colearn.recommender.portfolio_cache import forget_pathways, forget_portfolios, give_cache
from colearn.recommender.rebuild import PacedRelease

log = logging.getLogger(__name__)

#: How often the feed is polled (the issue asks for at least every 500 ms).
POLL_S = 0.2
#: Entries read per round trip, and batches applied before a poll lets requests in.
BATCH = 200
MAX_BATCHES_PER_POLL = 5
#: A follower this many entries behind the head rebuilds instead of catching up.
MAX_LAG = 2_000
#: Rebuild (and swap) after this many incremental award changes, or this long: 50,000 keep the
#: incremental state's growth small beside a city's projection (``colearn bench feed``).
COMPACT_AFTER = 50_000
COMPACT_EVERY_S = 3_600.0

#: Catalogue labels whose changes need no rebuild (read from the graph per request).
_LIVE_LABELS = {str(Label.PATHWAY), str(Label.STEP)}


@dataclass
class FollowerStats:
    """What a follower has done (``/health`` reports it).

    Attributes:
        position: the last feed sequence applied.
        head: the feed's head at the last poll.
        applied: award changes applied incrementally since the last build.
        rebuilds: builds swapped in since start.
        last_rebuild_s: how long the last build took.
        last_reason: why the last build was made.
        build_error: why the builds asked for since the last swap fail (the error's message; it
            is retried every second, and the last recommender built serves meanwhile); None
            once one succeeds.
        latencies_ms: ``(seq, ms)``: change-to-visible latency of recent entries
            (the writer's clock to applied here; one machine's clock, or synced
            clocks), for benchmarks; at most ``keep`` kept. An entry counts
            once, when it first reaches a recommender that serves.
        phases_ms: ``(seq, read_ms, apply_ms, building)`` for the same entries:
            from the writer's clock to the poll's read of the entry (the write
            itself, the poll interval and waiting for the store), from that read
            to applied (``HELD_PAIRS`` and the recommender's updates, or the
            replay up to a swap), and whether a rebuild was under way.
    """

    position: int = 0
    head: int = 0
    applied: int = 0
    rebuilds: int = 0
    last_rebuild_s: float = 0.0
    last_reason: str = ""
    build_error: str | None = None
    latencies_ms: list[tuple[int, float]] = field(default_factory=list)
    phases_ms: list[tuple[int, float, float, bool]] = field(default_factory=list)
    keep: int = 200_000


class FeedFollower:
    """Follows the change feed for one process (see the module docstring).

    Args:
        store: the graph.
        build: makes a fresh recommender from the graph (``Recommender.from_store``).
        build_quiet: makes one for the rebuilds nobody waits on (compaction, a lag,
            a gap), e.g. building in a child process to keep this process's
            heap compact and its GIL free (``recommender.rebuild``); default ``build``.
        recommender: the recommender already built, and ``position``: the feed head
            read just before it was built. Without them the first poll builds one.
        on_swap: called with each new recommender as it is swapped in, under the lock that
            polls take (so no poll falls between the two swaps); it must be quick.
        on_catalogue: called with ``(label, ids)`` for each catalogue entry seen
            (e.g. to queue text embeddings).
        on_keys: called with the ids of each ``keys`` entry seen (API keys revoked); with none
            after a rebuild over entries passed over (a gap, a lag): any key may have changed.
        poll_s, heartbeat_s, reader_ttl_s, prune_every_s, max_lag, compact_after,
        compact_every_s, expiry_every_s: see the module constants (``feed_readers``'
            ``HEARTBEAT_S``, ``READER_TTL_S``, ``PRUNE_EVERY_S``; ``expiries.EVERY_S``).
        record_latency: keep change-to-visible latencies in ``stats``.
    """

    def __init__(self, store: GraphStore, build: Callable[[], Any], *, build_quiet: Callable[[], Any] | None = None,
                 recommender: Any = None,
                 position: int = 0, on_swap: Callable[[Any], None] | None = None, poll_s: float = POLL_S,
                 heartbeat_s: float = HEARTBEAT_S, reader_ttl_s: float = READER_TTL_S,
                 prune_every_s: float = PRUNE_EVERY_S, max_lag: int = MAX_LAG,
                 compact_after: int = COMPACT_AFTER, compact_every_s: float = COMPACT_EVERY_S,
                 record_latency: bool = False, expiry_every_s: float = EXPIRY_EVERY_S,
                 on_catalogue: Callable[[str, list[str]], None] | None = None,
                 on_keys: Callable[[list[str]], None] | None = None) -> None:
        self.store = store
        self.build = build
        self.build_quiet = build_quiet
        self.on_swap = on_swap
        self.on_catalogue = on_catalogue
        self.on_keys = on_keys
        self.poll_s = poll_s
        self.heartbeat_s = heartbeat_s
        self.prune_every_s = prune_every_s
        self.max_lag = max_lag
        self.compact_after = compact_after
        self.compact_every_s = compact_every_s
        self.record_latency = record_latency
        self.expiries = ExpiryWatch(store, expiry_every_s)
        self.release = PacedRelease()  # the old recommender's memory, after each swap
        self.reader = FeedReader(store, reader_ttl_s)
        self.stats = FollowerStats(position=position)
        self._rec = recommender
        self._built_at = time.monotonic()
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._builder: threading.Thread | None = None
        self._building = False
        self._urgent = False
        self._want_rebuild: str | None = None if recommender is not None else "start"
        self._pending_from: int | None = None
        self._seen = position  # the last entry applied to a serving recommender (side effects done)
        self._more = False
        self._skipped = False  # entries passed over (a gap, a lag): what they changed is unknown
        self._last_heartbeat = 0.0
        self._last_prune = 0.0
        self._caching = False  # from start(): each recommender served gets a PortfolioCache

    # ------------------------------------------------------------------ public

    @property
    def recommender(self) -> Any:
        """The current recommender (swapped after each rebuild)."""
        return self._rec

    def start(self) -> "FeedFollower":
        """Start polling in a daemon thread; returns ``self``."""
        self.heartbeat()  # registered before its first poll, so nobody prunes what it needs
        self._caching = True
        with self._lock:
            give_cache(self._rec)
        self._thread = threading.Thread(target=self._run, name="feed-follower", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop polling, wait for the thread and any build, and leave the readers."""
        self._stop.set()
        for t in (self._thread, self._builder):
            if t is not None:
                t.join(timeout=30)
        cache = getattr(self._rec, "portfolios_", None)
        if cache is not None:
            log.info("portfolio cache: %d hits, %d misses, %d learners kept", cache.hits, cache.misses, len(cache))
        self.reader.leave()

    def sync(self) -> None:
        """Poll once now, in the caller's thread (read-your-writes for this process)."""
        try:
            self.poll()
        except ColearnError as exc:
            log.warning("feed poll failed: %s", exc)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no build is running or wanted and the head is applied (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sync()
            if self._builder is None and self._want_rebuild is None and self.stats.position >= self.stats.head:
                return True
            time.sleep(0.02)
        return False

    # ------------------------------------------------------------------ loop

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
                self._housekeeping()
            except ColearnError as exc:
                log.warning("feed poll failed: %s", exc)
            except Exception:  # noqa: BLE001 - the thread must survive a bad entry; it is logged
                log.exception("feed follower error")
            if not self._more:
                self._stop.wait(self.poll_s)

    def poll(self) -> int:
        """Read and apply the entries after the position; start a build when one is needed.

        Returns:
            How many entries were applied.

        Raises:
            StoreUnavailable: the store cannot be reached.
        """
        with self._lock:
            applied = 0
            self._more = False
            for _ in range(MAX_BATCHES_PER_POLL):
                pos = self.stats.position
                if self._rec is None:
                    self.stats.head = feed_head = int(self.store.read(feed.FEED_HEAD)[0]["head"])
                    if feed_head > pos or self._want_rebuild:
                        self._request_rebuild("start", urgent=True)
                    break
                entries = self.store.read(feed.FEED_SINCE, {"after": pos, "limit": BATCH})
                read_at = time.time() * 1000
                # a short read ends at the head (entries commit in sequence order: graph/feed.py)
                short = 0 < len(entries) < BATCH
                head = int(entries[-1]["seq"]) if short else int(self.store.read(feed.FEED_HEAD)[0]["head"])
                self.stats.head = head
                lag = head - pos > self.max_lag
                if lag or not entries or int(entries[0]["seq"]) != pos + 1:
                    if head > pos:  # not following: nothing would drop the portfolios they change
                        forget_portfolios(self._rec)
                        self._skipped = True
                        self._request_rebuild(f"{head - pos} entries behind" if lag else f"gap after {pos}")
                    break
                self._apply(self._rec, entries, read_at=read_at)
                self.stats.position = int(entries[-1]["seq"])
                applied += len(entries)
                if len(entries) < BATCH:
                    break
            else:
                self._more = True  # more to read: the loop goes on without waiting, requests first
            self._maybe_compact()
            return applied

    def _apply(self, rec: Any, entries: list[dict[str, Any]], *, read_at: float) -> None:
        """Apply ``entries`` to ``rec``; an entry's side effects (the catalogue cache forgotten,
        ``on_catalogue``, a build asked for: that one again on a build's replay, whose reads may
        predate the entry) and its latency count once, when this process first applies it (a
        replay repeats what the live one has seen). ``read_at``: when they were read (epoch ms)."""
        pairs: dict[tuple[str, str], None] = {}
        new = [e for e in entries if int(e["seq"]) > self._seen]
        for e in entries:
            if e["kind"] == feed.AWARDS:
                pairs.update(dict.fromkeys(zip(e["learners"] or [], e["badges"] or [])))
        if any(e["kind"] in (feed.CATALOGUE, feed.EMBEDDINGS) and e["label"] not in _LIVE_LABELS for e in entries):
            forget_portfolios(rec)  # a badge deleted leaves portfolios too
        elif any(e["kind"] == feed.CATALOGUE for e in entries):
            forget_pathways(rec)  # a pathway or its steps changed: which completion badges are offered
        replaying = threading.current_thread() is self._builder
        for reason in filter(None, map(_build_reason, entries if replaying else new)):
            self._request_rebuild(reason, urgent=True)
        for e in new:
            if e["kind"] == feed.CATALOGUE and e["label"] not in _LIVE_LABELS:
                if hasattr(self.store, "forget"):
                    self.store.forget()  # a CachedStore's opportunities of badges
                if self.on_catalogue is not None:
                    self.on_catalogue(e["label"], list(e["ids"] or []))
            elif e["kind"] == feed.KEYS and self.on_keys is not None:
                self.on_keys(list(e["ids"] or []))
        if pairs:
            self._reconcile(rec, list(pairs))
        if new:
            self._seen = max(self._seen, int(new[-1]["seq"]))
        if new and self.record_latency:
            now_ms = time.time() * 1000
            building = self._building
            timed = [(int(e["seq"]), float(e["at"])) for e in new if e.get("at") is not None]
            self.stats.latencies_ms.extend((seq, now_ms - at) for seq, at in timed)
            self.stats.phases_ms.extend((seq, read_at - at, now_ms - read_at, building) for seq, at in timed)
            for kept in (self.stats.latencies_ms, self.stats.phases_ms):
                if len(kept) > self.stats.keep:
                    del kept[:len(kept) - self.stats.keep]

    def _reconcile(self, rec: Any, pairs: list[tuple[str, str]], now: int | None = None) -> None:
        """Make ``rec`` hold each (learner, badge) pair as the graph does at ``now`` (``HELD_PAIRS``),
        its cached portfolios of those learners dropped first."""
        if (cache := getattr(rec, "portfolios_", None)) is not None:
            cache.forget({learner for learner, _ in pairs})
        if now is None:
            now = rec.now_ if getattr(rec, "now_", None) is not None else int(time.time())
        held = {(r["learner_id"], r["badge_id"]): r["issued_on"] for r in self.store.read(
            feed.HELD_PAIRS, {"pairs": [{"learner_id": lr, "badge_id": b} for lr, b in pairs], "now": now})}
        for pair in pairs:
            try:
                if pair in held:  # its earliest award that counts, which may have moved (``hold``)
                    changed = rec.hold(pair[0], pair[1], int(held[pair] or 0))
                else:
                    changed = rec.remove_award(pair[0], pair[1])
            except NotFound:
                # a badge newer than this projection: the rebuild its catalogue entry asked for includes it
                self._request_rebuild(f"badge {pair[1]} not in the projection", urgent=True)
                continue
            self.stats.applied += int(bool(changed))

    # ------------------------------------------------------------------ rebuilds

    def _maybe_compact(self) -> None:
        if self._want_rebuild is not None or self._rec is None:
            return
        if self.stats.applied >= self.compact_after:
            self._request_rebuild(f"compaction after {self.stats.applied} changes")
        elif time.monotonic() - self._built_at >= self.compact_every_s:
            self._request_rebuild("compaction (age)")

    def _request_rebuild(self, reason: str, *, urgent: bool = False) -> None:
        """Ask for a build; ``urgent`` ones (a catalogue change, no recommender yet) use ``build``."""
        with self._lock:
            if self._building and threading.current_thread() is not self._builder:
                # the build under way re-applies every entry after the head it read, and asks
                # again itself for what it cannot apply: a request from a poll adds nothing
                return
            if self._want_rebuild is None:
                self._want_rebuild = reason
            self._urgent = self._urgent or urgent
            if self._builder is None:
                self._builder = threading.Thread(target=self._build_loop, name="feed-rebuild", daemon=True)
                self._builder.start()

    def _build_loop(self) -> None:
        while True:
            with self._lock:
                reason = self._want_rebuild
                if reason is None or self._stop.is_set():
                    self._builder = None
                    return
                self._want_rebuild = None
                self._building = True
                urgent, self._urgent = self._urgent, False
            try:
                self._rebuild(reason, self.build if urgent or self.build_quiet is None else self.build_quiet)
            except Exception as exc:  # noqa: BLE001 - logged; asked again below
                why = str(exc) or type(exc).__name__
                if self.stats.build_error != why:  # once per cause, not every second
                    log.exception("recommender rebuild failed (%s)", reason)
                with self._lock:
                    self.stats.build_error = why
                    self._building = False
                    self._pending_from = None
                    self._want_rebuild = self._want_rebuild or reason
                    self._urgent = self._urgent or urgent
                self._stop.wait(1.0)

    def _rebuild(self, reason: str, build: Callable[[], Any]) -> None:
        started, wall = time.monotonic(), int(time.time())
        head = int(self.store.read(feed.FEED_HEAD)[0]["head"])
        with self._lock:
            self._pending_from = head if self._pending_from is None else min(self._pending_from, head)
        rec = build()
        if self._caching:
            give_cache(rec)  # empty: nothing of the old one's carries over
        # entries written while building: apply them to the new one (state-based: repeats are
        # harmless). Those the live recommender has already applied are replayed without the
        # lock, so the poll goes on serving the live one; the last batch under the lock.
        pos = head
        while self.stats.position - pos > BATCH:
            entries = self.store.read(feed.FEED_SINCE, {"after": pos, "limit": BATCH})
            if not entries or int(entries[0]["seq"]) != pos + 1:
                break  # pruned under us: the locked loop below stops at the gap too
            self._apply(rec, entries, read_at=time.time() * 1000)
            pos = int(entries[-1]["seq"])
        with self._lock:
            while True:
                entries = self.store.read(feed.FEED_SINCE, {"after": pos, "limit": BATCH})
                if entries and int(entries[0]["seq"]) != pos + 1:
                    break  # pruned under us: keep what we have; the next poll finds the gap
                if not entries:
                    break
                self._apply(rec, entries, read_at=time.time() * 1000)  # visible from the swap on
                pos = int(entries[-1]["seq"])
            self._rec = rec
            self.stats.position = max(pos, head)
            self.stats.applied = 0
            self.stats.rebuilds += 1
            self.stats.last_rebuild_s = time.monotonic() - started
            self.stats.last_reason = reason
            self.stats.build_error = None
            self._built_at = time.monotonic()
            self._pending_from = None
            self._building = False
            self.expiries.rewind(wall - 1)  # expiries during the build: again
            if self._skipped:  # their keys revoked, their catalogue changes: cleared whole
                self._skipped = False
                if hasattr(self.store, "forget"):
                    self.store.forget()
                if self.on_keys is not None:
                    self.on_keys([])
            if self.on_swap is not None:
                # under the lock: a sync between the two swaps would update only the new
                # recommender while requests still read the old one's cached portfolios
                self.on_swap(rec)
        log.info("recommender rebuilt in %.2f s (%s)", self.stats.last_rebuild_s, reason)
        del rec
        self.release.request()

    # ------------------------------------------------------------------ readers and pruning

    def _housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._last_heartbeat >= self.heartbeat_s:
            self.heartbeat()
            self._last_heartbeat = now
        if now - self._last_prune >= self.prune_every_s:
            self.prune()
            self._last_prune = now
        self.expire()

    def expire(self, now: int | None = None) -> int:
        """Reconcile the awards whose expiry passed since the last read (``ExpiryWatch.due``, at most
        every ``expiry_every_s``; ``now``: epoch seconds, default now). Returns the pairs read.
        Raises ``StoreUnavailable`` when a read fails; the watch keeps its place for the next call."""
        with self._lock:  # a swap (which rewinds the watch) never falls between the read and the advance
            read = self.expiries.due(now) if self._rec is not None else None
            if read is None:
                return 0
            pairs, upto = read
            if pairs:
                self._reconcile(self._rec, pairs, now)
            self.expiries.advance(upto)  # not before: a failed reconcile reads the interval again
        return len(pairs)

    def heartbeat(self) -> None:
        """Record this reader's position (the lowest it still needs) and that it is alive."""
        with self._lock:
            pos = self.stats.position if self._pending_from is None else min(self.stats.position,
                                                                            self._pending_from)
        self.reader.heartbeat(pos)

    def prune(self) -> dict[str, int]:
        """Delete entries every live reader has passed, and readers silent for ``reader_ttl_s``
        (``FeedReader.prune``: ``{"pruned", "removed", "floor"}``)."""
        return self.reader.prune()


def _build_reason(entry: dict[str, Any]) -> str | None:
    """Why a feed entry needs a build, in words (``"catalogue Badge b1, b2"``): it changes what only a
    build reads (the catalogue but pathways, embeddings, the ranker file); None for awards and pathways."""
    kind, label = entry["kind"], entry["label"] or ""
    if kind in (feed.EMBEDDINGS, feed.RANKER) or (kind == feed.CATALOGUE and label not in _LIVE_LABELS):
        return " ".join(filter(None, (kind, label, ", ".join((entry["ids"] or [])[:3]))))
    return None
