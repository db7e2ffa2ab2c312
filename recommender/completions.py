"""Pathway completion badges in a learner's answers: when one is offered, and why.

A completion badge is awarded once, by completing its pathway
(``domain.completions``): it is never a step of an interest pathway, and "what
next" offers it only as the end of a pathway the learner has started. The rule,
in one place (``Completions.open``): a completion badge is offered when one of
its pathways is

- published (an archived or draft pathway completes nobody while it is so);
- started: the learner meets at least one of its non-optional steps
  (``graph.enrolments.steps_met``; a visitor meets none). A pathway not started is
  offered as a pathway (``GET /learners/{id}/pathways``), its first step as
  "what next", never its last award;
- not spent: its completion was never made for this learner. A completion is
  made once, ever, under an id derived from pathway and learner
  (``graph.issuing.completion_assertion_id``): one revoked (a step badge was
  revoked), declined or withdrawn (which leaves it no link to the learner) is
  never awarded again (``queries.AWARD_PATHWAY_COMPLETION`` finds it by that id).

An offered completion badge's first reason names its pathway and the
learner's progress (``CompletionRoute.reason``).

Whether a badge can ever be earned (``never_earnable``) is another question: a draft
or archived pathway completes nobody now, but either may be published (again) by its
organisation (``service.authoring.set_status``: archived -> published is allowed), so
a pathway of any status whose completion was not made for the learner is still a
route to its badge. A completion made and still awaiting the learner's answer
(``issued``) is theirs to accept; one revoked, declined, withdrawn (or accepted and
expired) is spent: ``completion_limits``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from colearn.caching import ExpiringCache
from colearn.graph import queries
from colearn.graph.enrolments import steps_met
from colearn.graph.issuing import completion_assertion_id
from colearn.graph.schema import AssertionStatus, PathwayStatus


@dataclass(frozen=True)
class CompletionRoute:
    """One pathway that awards a completion badge, as it stands for one learner.

    Attributes:
        pathway_id, title, badge_id: the pathway and its completion badge.
        published: the pathway is published (only then is it completed).
        met, total: its non-optional steps the learner meets, and in all.
        spent: its completion was made for this learner already (any state).
    """

    pathway_id: str
    title: str
    badge_id: str
    published: bool
    met: int
    total: int
    spent: bool = False

    @property
    def open(self) -> bool:
        """Whether this pathway can still award its badge to the learner and they started it."""
        return self.published and self.met > 0 and not self.spent

    def reason(self) -> str:
        """``"Earned by completing the pathway Digital Careers: you have met 1 of its 4 steps"``."""
        return f"Earned by completing the pathway {self.title}: you have met {self.met} of its {self.total} steps"


@dataclass(frozen=True)
class Completions:
    """Every completion badge's pathways for one learner (or visitor): ``{badge_id: [routes]}``."""

    routes: Mapping[str, tuple[CompletionRoute, ...]]

    def closed(self) -> set[str]:
        """The completion badges not to offer: none of their pathways is ``open``."""
        return {b for b, rs in self.routes.items() if not any(r.open for r in rs)}

    def best(self, badge_id: str) -> CompletionRoute | None:
        """The open pathway of ``badge_id`` the learner is furthest along (share of steps met,
        then steps met, then pathway id); None for a badge no open pathway completes."""
        open_ = [r for r in self.routes.get(badge_id, ()) if r.open]
        return min(open_, key=lambda r: (-r.met / max(r.total, 1), -r.met, r.pathway_id), default=None)


#: The backstop: kept completion pathways are read again after this long whatever the feed says.
KEPT_TTL_S = 60.0


class KeptPathways:
    """``COMPLETION_PATHWAYS`` as last read, kept for a recommender whose feed follower drops it
    (``portfolio_cache.give_cache``, ``forget_portfolios`` and any catalogue entry: a pathway,
    its steps or a badge changed), so that "what next" reads it once, not per request (that read
    took "what next" from about 6 to 9 ms a request on the demo city). A read that a drop
    overtook is not kept; whatever the feed says, it is read again after ``ttl_s`` seconds.

    Args:
        ttl_s: the backstop, in seconds.
        timer: the clock for ``ttl_s`` (``time.monotonic``; tests pass their own).
    """

    def __init__(self, ttl_s: float = KEPT_TTL_S, timer: Callable[[], float] = time.monotonic) -> None:
        self._kept: ExpiringCache[str, list[dict[str, Any]]] = ExpiringCache(ttl_s, 1, timer)
        self._lock = threading.Lock()
        self._epoch = 0

    def read(self, store: Any) -> list[dict[str, Any]]:
        """The pathways as kept, else read from ``store`` (and kept unless dropped meanwhile)."""
        got = self._kept.get("")
        if got is not None:
            return got
        with self._lock:
            epoch = self._epoch
        rows = [r["record"] for r in store.read(queries.COMPLETION_PATHWAYS)]
        with self._lock:
            if self._epoch == epoch:
                self._kept.put("", rows)
        return rows

    def forget(self) -> None:
        """Drop what is kept (the next ``read`` reads the graph)."""
        with self._lock:
            self._epoch += 1
            self._kept.clear()


def completion_pathways(store: Any, kept: KeptPathways | None = None) -> list[dict[str, Any]]:
    """Every pathway with a completion badge, any status (``queries.COMPLETION_PATHWAYS`` records),
    from ``kept`` when given; none without a store."""
    if store is None:
        return []
    if kept is not None:
        return kept.read(store)
    return [r["record"] for r in store.read(queries.COMPLETION_PATHWAYS)]


def completion_badge_ids(store: Any, kept: KeptPathways | None = None) -> set[str]:
    """The ids of every pathway's completion badge, whatever the pathway's status."""
    return {p["completion_badge"] for p in completion_pathways(store, kept) if p.get("completion_badge")}


def made_completions(store: Any, learner_id: str, pathway_ids: Iterable[str]) -> dict[str, str]:
    """``{pathway_id: status}``: those of ``pathway_ids`` whose completion was already made
    for the learner, each with the status of that completion now (``issued``, ``accepted``,
    ``revoked``, ...). A completion is made once, ever, so a pathway here never makes it
    again, whatever its status. One ``COMPLETIONS_MADE`` read of the ids
    ``completion_assertion_id`` derives; none for no pathway."""
    ids = {completion_assertion_id(p, learner_id): p for p in pathway_ids}
    rows = store.read(queries.COMPLETIONS_MADE, {"ids": sorted(ids)}) if ids else []
    return {ids[r["id"]]: r["status"] for r in rows}


def _unheld(pathways: Iterable[Mapping[str, Any]], held: set[str]) -> list[Mapping[str, Any]]:
    """Those of ``pathways`` with a completion badge not in ``held``."""
    return [p for p in pathways if p.get("completion_badge") and p["completion_badge"] not in held]


def _spent(made: Mapping[str, str], pathways: Iterable[Mapping[str, Any]]) -> set[str]:
    """The ids of ``pathways`` whose completion was made (``made``) and is not awaiting the
    learner's answer: spent (see the module docstring)."""
    return {p["id"] for p in pathways if made.get(p["id"], AssertionStatus.ISSUED) != AssertionStatus.ISSUED}


def completions_for(store: Any, learner_id: str | None, held_ids: Iterable[str],
                    kept: KeptPathways | None = None) -> Completions:
    """Each completion badge's pathways as they stand for a learner holding ``held_ids``
    (``learner_id`` None: a visitor, for whom no completion was ever made).

    Two reads at most: ``COMPLETION_PATHWAYS`` (none when ``kept`` holds it), then
    ``COMPLETIONS_MADE`` for the published pathways the learner has started (only
    those could be offered). Nothing without a store.
    """
    held = set(held_ids)
    routes: list[CompletionRoute] = []
    for p in completion_pathways(store, kept):
        met = steps_met(p, held)
        routes.append(CompletionRoute(p["id"], p.get("title") or p["id"], p["completion_badge"],
                                      p.get("status") == PathwayStatus.PUBLISHED, sum(met), len(met)))
    if learner_id is not None:
        made = set(made_completions(store, learner_id, [r.pathway_id for r in routes if r.open]))
        routes = [CompletionRoute(**{**vars(r), "spent": r.pathway_id in made}) for r in routes]
    by_badge: dict[str, list[CompletionRoute]] = {}
    for r in routes:
        by_badge.setdefault(r.badge_id, []).append(r)
    return Completions({b: tuple(rs) for b, rs in by_badge.items()})


def completion_limits(store: Any, learner_id: str, held_ids: Iterable[str], badge_ids: Iterable[str],
                      pathways: Iterable[Mapping[str, Any]] = (),
                      kept: KeptPathways | None = None) -> tuple[dict[str, tuple[str, ...]], set[str]]:
    """What the learner's spent completions rule out: which of ``badge_ids`` they can never
    earn, and which of ``pathways`` can never award them their own completion badge.

    A completion is spent when it was made for the learner (once, ever) and is neither held
    (``held_ids``) nor awaiting their answer (``issued``): revoked, declined, withdrawn, or
    accepted and expired. A badge of ``badge_ids`` can never be earned when it is a completion
    badge not held whose every pathway, of any status, spent its completion for them. A draft
    or archived pathway that made none is still a route, as either may be published (again):
    see the module docstring.

    Args:
        badge_ids: the badges asked about (e.g. every badge of the steps shown).
        pathways: records with ``id`` and ``completion_badge`` (e.g. the pathways shown).
        kept: the completion pathways (``KeptPathways``), else read.

    Returns:
        ``(never, spent)``: ``never`` ``{badge_id: (title of each pathway that made it, ...)}``,
        titles in pathway id order; ``spent`` the ids of those of ``pathways`` whose completion
        is spent. One ``COMPLETION_PATHWAYS`` read (none when ``kept`` holds it or every asked
        badge is held) and one
        ``COMPLETIONS_MADE`` read for both (none when no completion badge is in question);
        nothing without a store.
    """
    held = set(held_ids)
    wanted = set(badge_ids) - held
    routes = [p for p in completion_pathways(store, kept) if p.get("completion_badge") in wanted] if wanted else []
    shown = _unheld(pathways, held)
    made = made_completions(store, learner_id, {p["id"] for p in routes + shown}) if store is not None else {}
    spent_routes = _spent(made, routes)
    by_badge: dict[str, list[Mapping[str, Any]]] = {}
    for p in routes:
        by_badge.setdefault(p["completion_badge"], []).append(p)
    never = {b: tuple(p.get("title") or p["id"] for p in sorted(ps, key=lambda p: p["id"]))
             for b, ps in by_badge.items() if all(p["id"] in spent_routes for p in ps)}
    return never, _spent(made, shown)


def never_earnable(store: Any, learner_id: str, held_ids: Iterable[str], badge_ids: Iterable[str],
                   kept: KeptPathways | None = None) -> dict[str, tuple[str, ...]]:
    """Which of ``badge_ids`` the learner can never earn: ``completion_limits``' ``never``."""
    return completion_limits(store, learner_id, held_ids, badge_ids, (), kept)[0]
