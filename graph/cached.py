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
  ``LOCATED_IN`` or ``WITHIN``), so this process sees its own changes at once; other
  processes (uvicorn workers, replicas, the CLI) see them within ``ttl_s``;
- passes every other statement straight to the store (portfolios, awards and
  all writes are never cached).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from colearn.caching import ExpiringCache
from colearn.graph import queries
from colearn.graph.schema import Label, Rel
from colearn.graph.store import GraphStore, Row, write_each

#: Statement fragments whose writes can change a badge's opportunities.
_TOUCHES_OPPORTUNITIES = (f":{Label.OPPORTUNITY}", f":{Rel.AWARDS}", f":{Rel.OFFERS}", f":{Rel.LOCATED_IN}",
                          f":{Rel.WITHIN}")

#: The most badges whose opportunities are kept (the least recently asked go first).
MAX_BADGES = 200_000

#: ``$now`` that keeps every opportunity, ended ones too (the cache filters per answer).
_EVERY = -(2**62)  # the same as colearn.recommender.opportunities.ANY_TIME (graph imports no recommender)


class CachedStore:
    """``GraphStore`` with a per-badge cache of ``BADGE_OPPORTUNITIES`` (see the module docstring).

    Args:
        store: the store to wrap.
        ttl_s: how long a badge's opportunities are reused; 0 turns the cache off.

    Attributes:
        hits: badges answered from the cache (for measurements).
        misses: badges read from the store.
    """

    def __init__(self, store: GraphStore, ttl_s: float = 30.0) -> None:
        self.inner = store
        self.ttl_s = ttl_s
        self.backend = store.backend
        self._opportunities: ExpiringCache[str, list[dict[str, Any]]] = ExpiringCache(ttl_s, MAX_BADGES)
        self.hits = 0
        self.misses = 0

    def read(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        """Run a read; ``BADGE_OPPORTUNITIES`` is answered from the cache where it can be."""
        if (query is queries.BADGE_OPPORTUNITIES or query == queries.BADGE_OPPORTUNITIES) and self.ttl_s > 0 \
                and params is not None:
            return self._badge_opportunities(list(params["badge_ids"]), params["now"])
        return self.inner.read(query, params)

    def _badge_opportunities(self, badge_ids: list[str], at: int) -> list[Row]:
        known = self._opportunities.get_many(badge_ids)
        missing = [b for b, hit in known.items() if hit is None]
        if missing:
            found = {r["badge_id"]: list(r["opportunities"] or [])
                     for r in self.inner.read(queries.BADGE_OPPORTUNITIES, {"badge_ids": missing,
                                                                            "now": _EVERY})}
            for b in missing:
                got = known[b] = found.get(b, [])
                self._opportunities.put(b, got)
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
