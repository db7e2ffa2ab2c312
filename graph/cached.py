"""A ``GraphStore`` that keeps the opportunities of each badge for a while, so "what next" needs no read for them.

Every "what next" answer lists the opportunities that award each recommended
badge (``BADGE_OPPORTUNITIES``). The answer for a badge changes only when an
opportunity, or what it awards, offers or where it is, changes; reading it
again on every request was the largest single cost of the request (a fifth
of the API's CPU at S, measured with py-spy: FalkorDB's client parses the
maps in Python). ``CachedStore`` wraps the store the service uses and:

- answers ``BADGE_OPPORTUNITIES`` per badge from a cache
  (``colearn.caching.ExpiringCache``), reading only the badges it does not
  hold or holds for longer than ``ttl_s``; the cache holds
  every opportunity of a badge, ended ones too, and each answer leaves out
  those ended at its own ``$now`` as the statement does;
- forgets the whole cache when a write through it touches opportunities
  (its statement names ``Opportunity``, ``AWARDS``, ``OFFERS``,
  ``LOCATED_IN``, ``WITHIN`` or ``DEFINES``: each answer names the badge's issuer), so this process sees its own changes at once; other
  processes (uvicorn workers, replicas, the CLI) see them within ``ttl_s``;
- passes every other statement straight to the store (portfolios, awards and
  all writes are never cached).

``preload`` reads every badge's opportunities at once (the service does it at
start: in the parent of forked workers, which then share the maps), so that no
learner's first "what next" waits for that read; the service keeps them for
longer when it follows the change feed, which names every catalogue change
(``service.app``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from colearn.caching import ExpiringCache
from colearn.graph import queries
from colearn.graph.schema import Label, Rel
from colearn.graph.store import GraphStore, Row, write_each

#: Statement fragments whose writes can change a badge's opportunities.
_TOUCHES_OPPORTUNITIES = (f":{Label.OPPORTUNITY}", f":{Rel.AWARDS}", f":{Rel.OFFERS}", f":{Rel.LOCATED_IN}",
                          f":{Rel.WITHIN}", f":{Rel.DEFINES}")

#: The most badges whose opportunities are kept (the least recently asked go first).
MAX_BADGES = 200_000

#: Badges per ``BADGE_OPPORTUNITIES`` read in ``preload``.
PRELOAD_CHUNK = 1_000

#: ``$now`` that keeps every opportunity, ended ones too (the cache filters per answer).
_EVERY = -(2**62)  # the same as colearn.recommender.opportunities.ANY_TIME (graph imports no recommender)


class CachedStore:
    """``GraphStore`` with a per-badge cache of ``BADGE_OPPORTUNITIES`` (see the module docstring).

    Args:
        store: the store to wrap.
        ttl_s: how long a badge's opportunities are reused; 0 turns the cache off.
        opportunities: a cache already filled (``preload`` of another ``CachedStore`` over
            the same graph: the parent of forked workers hands its own to each); default
            a new, empty one. Its time to live is its own.

    Attributes:
        hits: badges answered from the cache (for measurements).
        misses: badges read from the store.
    """

    def __init__(self, store: GraphStore, ttl_s: float = 30.0,
                 opportunities: ExpiringCache[str, list[dict[str, Any]]] | None = None) -> None:
        self.inner = store
        self.ttl_s = ttl_s if opportunities is None else opportunities.ttl_s
        self.backend = store.backend
        self.where = store.where
        self._opportunities: ExpiringCache[str, list[dict[str, Any]]] = (
            ExpiringCache(ttl_s, MAX_BADGES) if opportunities is None else opportunities)
        self.hits = 0
        self.misses = 0
        self._generation = 0  # bumped by ``forget``: a read it overtook is not kept

    def read(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        """Run a read; ``BADGE_OPPORTUNITIES`` is answered from the cache where it can be."""
        if (query is queries.BADGE_OPPORTUNITIES or query == queries.BADGE_OPPORTUNITIES) and self.ttl_s > 0 \
                and params is not None:
            return self._badge_opportunities(list(params["badge_ids"]), params["now"])
        return self.inner.read(query, params)

    @property
    def opportunities(self) -> ExpiringCache[str, list[dict[str, Any]]]:
        """The cache itself: ``{badge id: every opportunity map of the badge}`` (to hand to
        another ``CachedStore``; read its maps, do not change them)."""
        return self._opportunities

    def preload(self, badge_ids: Sequence[str]) -> int:
        """Read and keep the opportunities of every badge of ``badge_ids`` (ended ones too),
        ``PRELOAD_CHUNK`` badges a read; nothing when the cache is off.

        Returns:
            The number of opportunity maps kept (an opportunity of several badges counts
            once per badge).

        Raises:
            The errors of the wrapped store's ``read``.
        """
        if self.ttl_s <= 0:
            return 0
        kept = 0
        for start in range(0, len(badge_ids), PRELOAD_CHUNK):
            kept += sum(len(v) for v in self._fetch(list(badge_ids[start:start + PRELOAD_CHUNK])).values())
        return kept

    def _fetch(self, badge_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Read every opportunity of ``badge_ids`` (``[]`` for a badge without) and keep them,
        unless ``forget`` ran while they were read (they may be what it forgot)."""
        generation = self._generation
        found = {r["badge_id"]: list(r["opportunities"] or [])
                 for r in self.inner.read(queries.BADGE_OPPORTUNITIES, {"badge_ids": badge_ids, "now": _EVERY})}
        out = {b: found.get(b, []) for b in badge_ids}
        if generation == self._generation:
            for b, got in out.items():
                self._opportunities.put(b, got)
        return out

    def _badge_opportunities(self, badge_ids: list[str], at: int) -> list[Row]:
        known = self._opportunities.get_many(badge_ids)
        missing = [b for b, hit in known.items() if hit is None]
        if missing:
            known.update(self._fetch(missing))
        self.hits += len(badge_ids) - len(missing)
        self.misses += len(missing)
        # The statement's shape: one row per badge that has opportunities. The lists
        # are copies; the opportunity maps in them are shared (read them, do not change them).
        out = []
        for b, hit in known.items():
            current = [o for o in (hit or []) if o.get("ends_on") is None or o["ends_on"] > at]
            if current:
                out.append({"badge_id": b, "opportunities": current})
        return out

    def write(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        """Run a write; one that touches opportunities empties the cache (after it ran)."""
        try:
            return self.inner.write(query, params)
        finally:
            if any(fragment in query for fragment in _TOUCHES_OPPORTUNITIES):
                self.forget()

    def write_many(self, query: str, params: Iterable[dict[str, Any]]) -> int:
        """``graph.store.write_each`` on the wrapped store; one that touches opportunities empties
        the cache (after it ran)."""
        try:
            return write_each(self.inner, query, params)
        finally:
            if any(fragment in query for fragment in _TOUCHES_OPPORTUNITIES):
                self.forget()

    def forget(self) -> None:
        """Empty the cache."""
        self._generation += 1
        self._opportunities.clear()

    def apply_schema(self) -> None:
        """The wrapped store's ``apply_schema``."""
        self.inner.apply_schema()

    def clear(self) -> None:
        """The wrapped store's ``clear``, and the cache emptied."""
        self.inner.clear()
        self.forget()

    def close(self) -> None:
        """The wrapped store's ``close``."""
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        # Anything else a backend offers (``drop``, ``graph_name``) is the wrapped store's.
        return getattr(self.inner, name)
