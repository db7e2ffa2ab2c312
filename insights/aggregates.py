"""The citywide insights: what is being learned, where, and by whom.

``Insights(store, min_learners=k)`` answers six questions, each as a plain
``dict`` ready for JSON (the API, ``colearn insights``, the notebooks and the
charts all use these):

* ``issued``: accepted awards per week or month, by theme, theme kind,
  destination, spine cell, place (the learner's home district) or issuing
  organisation, with the margins (per period, per group, overall);
* ``spine``: learners and awards per spine cell (a heat map);
* ``progression``: learners who moved up a layer within a domain, and the
  median days it took;
* ``pathways``: each recommended pathway's funnel;
* ``supply_demand``: opportunities and venues per theme and district against
  learners' stated interests;
* ``unseen_talent``: learners with sustained engagement and participation
  badges but none higher, by district and theme, with the opportunities that
  would move them up.

Privacy (see ``insights.privacy``): each insight's cells are built once over
the whole city and suppressed once; request parameters (``from``, ``to``, a
group, a domain, ...) only choose which cells are shown. The definitions
(``UNSEEN_MIN_BADGES``, ...) and k are fixed server-side, so no request can
change who is counted. Raw query rows (and the canonical tables built from
them) are cached for ``cache_seconds`` (``colearn.caching.ExpiringCache``).

The calendar (weeks, months, the ``from``/``to`` days) is ``insights.periods``;
an answer as flat rows or CSV is ``insights.tables``.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, date, datetime
from typing import Any

from colearn.caching import ExpiringCache
from colearn.errors import InvalidInput
from colearn.graph import queries
from colearn.graph.store import GraphStore
from colearn.insights.filters import district, districts_of, every, issued_group, known
from colearn.insights.issued import issued_table
from colearn.insights.periods import (INTERVALS, next_start, parse_day, period_of,
                                      period_start, shown_periods)
from colearn.insights.privacy import ALL, Cell, Line, grid, grid_lines, suppress, suppress_chain, with_privacy
from colearn.insights.tables import flatten, to_csv

# parse_day, flatten and to_csv are re-exported: the API's routers and older callers import them from here.
__all__ = ["DIMENSIONS", "INTERVALS", "Insights", "period_of", "UNSEEN_MIN_BADGES", "UNSEEN_MIN_DAYS",
           "UNSEEN_BELOW_LAYER", "flatten", "parse_day", "to_csv"]

#: What ``issued`` can break awards down by.
DIMENSIONS: tuple[str, ...] = queries.ISSUED_DIMENSIONS
#: The most query answers, and the most tables, an ``Insights`` keeps at once.
MAX_CACHED = 256
#: Dimensions whose cells are suppressed together (theme kinds and
#: destinations are unions of themes, so their lines join theme cells).
_FAMILY = {"theme": ("theme", "theme_kind", "destination"), "theme_kind": ("theme", "theme_kind", "destination"),
           "destination": ("theme", "theme_kind", "destination")}

#: Unseen talent: at least this many distinct badges, earned over at least this many days
#: (first to last), and none on a cell at this layer or above.
UNSEEN_MIN_BADGES, UNSEEN_MIN_DAYS, UNSEEN_BELOW_LAYER = 3, 90, "demonstration"

_DAY = 86400
#: What ``issued``'s ``groups_and_total`` says: they are not cut by ``from`` and ``to``.
ALL_TIME = ("all time, whatever from and to ask: from, to and group only choose which periods and groups "
            "are shown, so that no two answers can be subtracted to reveal a small group")
#: Group key of supply with no place: an online opportunity.
ONLINE = "online"


def _median_days(seconds: Iterable[int]) -> float:
    return round(statistics.median(seconds) / _DAY, 1)


class Insights:
    """Citywide insights over one graph, with small cells suppressed.

    Args:
        store: the graph.
        min_learners: k: a published cell counts at least this many learners.
        cache_seconds: how long raw query rows are reused (0: never).
        clock: the caches' clock in seconds (``time.monotonic``; tests pass their own).

    Raises ``InvalidInput`` for ``min_learners`` below 1.
    """

    def __init__(self, store: GraphStore, *, min_learners: int = 5, cache_seconds: float = 0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if min_learners < 1:
            raise InvalidInput("min_learners must be at least 1", field="min_learners")
        self.store = store
        self.k = min_learners
        self.cache_seconds = cache_seconds
        self._cache: ExpiringCache[tuple[str, str], list[dict[str, Any]]] = ExpiringCache(
            cache_seconds, MAX_CACHED, timer=clock)
        self._tables: ExpiringCache[tuple[str, ...], dict[Hashable, Cell]] = ExpiringCache(
            cache_seconds, MAX_CACHED, timer=clock)

    # ---- raw rows ----------------------------------------------------------

    def _read(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        key = (query, repr(sorted((params or {}).items())))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        rows = self.store.read(query, params)
        self._cache.put(key, rows)
        return rows

    def labels(self) -> dict[str, dict[str, dict[str, Any]]]:
        """``{kind: {id: {"name", "extra"}}}`` for themes, destinations, places, organisations, cells."""
        out: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for r in self._read(queries.INSIGHT_LABELS):
            out[r["kind"]][r["id"]] = {"name": r["name"], "extra": r["extra"]}
        return out

    def names(self) -> dict[str, dict[str, str]]:
        """Display names by the dimension answers name their groups with:
        ``{"theme": {id: name}, "place": ..., "destination": ..., "organisation": ..., "cell": ...}``."""
        labels = self.labels()
        kinds = {"theme": "Theme", "place": "Place", "destination": "Destination", "organisation": "Organisation",
                 "cell": "SpineCell"}
        return {dim: {i: v["name"] for i, v in labels[kind].items()} for dim, kind in kinds.items()}

    def districts(self) -> dict[str, str]:
        """``{place id: its district id}`` for every place (``filters.districts_of``): the
        groups that ``place`` counts in are the districts, the values of this mapping."""
        within = {r["id"]: r["within"] for r in self._read(queries.PLACES_WITHIN)}
        return districts_of(self.labels()["Place"], within)

    def check_group(self, by: str, group: str | None) -> None:
        """Refuse a ``group`` ``issued`` cannot show by ``by`` (``InvalidInput``; ``filters.issued_group``)."""
        issued_group(by, group, self.labels, self.districts)

    def check_place(self, place: str | None, *, online: bool = False) -> None:
        """Refuse a ``place`` filter that is not a district (nor ``online``, when ``online``).

        Raises:
            InvalidInput: naming ``place`` (``filters.district``: a venue is refused, naming its district).
        """
        district(place, self.districts(), "place", also=(ONLINE,) if online else ())

    def _spine(self) -> list[dict[str, Any]]:
        return self._read(queries.SPINE_CELLS)

    def _upper_rank(self) -> int:
        ranks = {c["layer"]: c["layer_rank"] for c in self._spine()}
        return ranks.get(UNSEEN_BELOW_LAYER, 2)

    @staticmethod
    def _label(labels: dict[str, dict[str, dict[str, Any]]], dimension: str, group: Any) -> str:
        if group is None:
            return "no home place recorded" if dimension == "place" else "(none)"
        kind = {"theme": "Theme", "destination": "Destination", "cell": "SpineCell", "place": "Place",
                "organisation": "Organisation"}.get(dimension)
        if kind is None:
            return str(group).replace("_", " ").capitalize()
        return labels[kind].get(group, {}).get("name") or str(group)

    def _named(self, labels: dict[str, dict[str, dict[str, Any]]], dimension: str, value: Any) -> str:
        """The display name beside a ``theme`` or ``place`` id in a row: ``all`` for a margin,
        ``online`` for supply with no place, else ``_label``'s."""
        if value == ALL or (dimension == "place" and value == ONLINE):
            return "all" if value == ALL else ONLINE
        return self._label(labels, dimension, value)

    # ---- issued over time ----------------------------------------------------

    def _issued_table(self, family: tuple[str, ...]) -> dict[Hashable, Cell]:
        """The canonical cells of ``family``'s dimensions over both intervals, suppressed
        (kept for ``cache_seconds``, like the rows they come from).

        Keys: ``(dim, interval, period, group)``; ``(ALL, interval, period, ALL)``
        per period; ``(dim, ALL, ALL, group)`` per group over all time;
        ``(ALL, ALL, ALL, ALL)`` for everything.
        """
        hit = self._tables.get(family)
        if hit is not None:
            return hit
        cells = issued_table(self._read, family, self.k)
        self._tables.put(family, cells)
        return cells

    def issued(self, by: str = "theme", interval: str = "month", *, start: date | None = None,
               end: date | None = None, group: str | None = None) -> dict[str, Any]:
        """Accepted awards per period and group, with margins.

        Args:
            by: one of ``DIMENSIONS``.
            interval: ``week`` (ISO) or ``month`` (the ISO weeks with a Thursday in it).
            start, end: show every period that overlaps this range of days (inclusive).
            group: show only this group.

        Returns:
            ``{"insight", "params", "privacy", "periods": [per period, all groups],
            "groups": [per group, all time], "total", "rows": [per period and group],
            "groups_and_total"}``; each cell ``{learners, assertions, suppressed}``. The
            periods run without a gap from ``start``'s (or the city's first with an award)
            to ``end``'s (or the last with an award or the current one, whichever is later),
            at most ``periods.MAX_PERIODS`` of them when ``start`` or ``end`` is given; a
            period or row with no award is a true 0 (``suppressed`` null: the table counts
            a missing cell as 0). ``groups`` and ``total`` are over all time, whatever
            ``start`` and ``end`` (``groups_and_total`` says so): a total over the days asked
            would be a number outside the canonical table, and two such subtracted could
            reveal a small group.

        Raises:
            InvalidInput: an unknown dimension or interval, a group that is none of the
                dimension's (``filters.groups_of``; by place, a place that is not a
                district: ``filters.district``), ``start`` after ``end``, or a range of
                more than ``periods.MAX_PERIODS`` periods (``periods.shown_periods``).
        """
        known(by, DIMENSIONS, "by", "dimension")
        period_of(0, interval)
        if start is not None and end is not None and start > end:
            raise InvalidInput("from is after to", field="from")
        cells = self._issued_table(_FAMILY.get(by, (by,)))

        self.check_group(by, group)
        labels = self.labels()
        today = datetime.now(UTC).date()

        def partial(p: str) -> bool:
            return next_start(date.fromisoformat(period_start(p, interval)), interval) > today

        periods = shown_periods(sorted(k[2] for k in cells if k[0] == ALL and k[1] == interval and k[3] == ALL),
                                interval, start, end, today)
        groups = sorted({k[3] for k in cells if k[0] == by and k[1] == ALL and (group is None or k[3] == group)},
                        key=str)
        zero = Cell(values={"assertions": 0})  # a period with no award: a true 0, not a hidden cell
        rows = [{"period": p, "start": period_start(p, interval), "partial": partial(p), "group": g,
                 "label": self._label(labels, by, g), **cells.get((by, interval, p, g), zero).publish()}
                for p in periods for g in groups]
        period_rows = [{"period": p, "start": period_start(p, interval), "partial": partial(p),
                        **cells.get((ALL, interval, p, ALL), zero).publish()} for p in periods]
        group_rows = [{"group": g, "label": self._label(labels, by, g), **cells[(by, ALL, ALL, g)].publish()}
                      for g in groups]
        total = cells.get((ALL, ALL, ALL, ALL), zero).publish()
        return with_privacy({
            "insight": "issued",
            "params": {"by": by, "interval": interval, "from": start.isoformat() if start else None,
                       "to": end.isoformat() if end else None, "group": group},
            "periods": period_rows, "groups": group_rows, "total": total, "rows": rows,
            "groups_and_total": ALL_TIME,
        }, self.k)

    # ---- the spine -----------------------------------------------------------

    def spine(self, *, domain: str | None = None, layer: str | None = None) -> dict[str, Any]:
        """Learners and accepted awards per spine cell, over all time (a heat map).

        The cells are the ``cell`` groups of ``issued`` (same numbers, same suppression).

        Returns:
            ``{"insight", "params", "privacy", "layers", "domains", "cells": [{cell,
            layer, domain, learners, assertions, suppressed}], "total"}``.

        Raises:
            InvalidInput: ``domain`` or ``layer`` is not one of the spine's (both named at
                once, ``InvalidInputs``, when both are unknown).
        """
        cells = self._issued_table(("cell",))
        grid_cells = self._spine()
        every(lambda: known(domain, {c["domain"] for c in grid_cells}, "domain"),
              lambda: known(layer, {c["layer"] for c in grid_cells}, "layer"))
        rows = []
        for c in grid_cells:
            if (domain is None or c["domain"] == domain) and (layer is None or c["layer"] == layer):
                cell = cells.get(("cell", ALL, ALL, c["id"]), Cell(values={"assertions": 0}))
                rows.append({"cell": c["id"], "layer": c["layer"], "domain": c["domain"], **cell.publish()})
        total = cells.get((ALL, ALL, ALL, ALL), Cell(values={"assertions": 0})).publish()
        return with_privacy({
            "insight": "spine",
            "params": {"domain": domain, "layer": layer},
            "layers": sorted({c["layer"] for c in grid_cells}, key=lambda x: next(
                c["layer_rank"] for c in grid_cells if c["layer"] == x)),
            "domains": sorted({c["domain"] for c in grid_cells}, key=lambda x: next(
                c["domain_rank"] for c in grid_cells if c["domain"] == x)),
            "cells": rows, "total": total,
        }, self.k)

    # ---- progression -----------------------------------------------------------

    def progression(self, *, domain: str | None = None) -> dict[str, Any]:
        """Learners who moved up a layer within a domain, and how long it took.

        A learner makes the step from layer r to r+1 in a domain when, after
        their first award at layer r there, they are awarded a badge at layer
        r+1 there (at the same time or later); the days taken are from the one
        to the first such. A learner "moved up" in a domain when they made at
        least one step there; their days are those of their first step.

        Returns:
            ``{"insight", "params", "privacy", "domains": [{domain, learners,
            median_days, suppressed, steps: [{from_layer, to_layer, learners,
            median_days, suppressed}]}]}``.

        Raises:
            InvalidInput: ``domain`` is not one of the spine's.
        """
        spine = self._spine()
        layer_of = {c["layer_rank"]: c["layer"] for c in spine}
        domains = sorted({c["domain"] for c in spine}, key=lambda x: next(
            c["domain_rank"] for c in spine if c["domain"] == x))
        known(domain, set(domains), "domain")
        times: dict[tuple[str, str], dict[int, list[int]]] = defaultdict(dict)
        for r in self._read(queries.LEARNER_LAYER_TIMES):
            times[(r["learner"], r["domain"])][r["layer_rank"]] = sorted(r["times"])
        steps: dict[tuple[str, int], dict[str, int]] = defaultdict(dict)
        first_step: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
        for (learner, dom), by_rank in times.items():
            for rank, ts in by_rank.items():
                later = [t for t in by_rank.get(rank + 1, []) if t >= ts[0]]
                if later:
                    steps[(dom, rank)][learner] = later[0] - ts[0]
                    arrival = (later[0], later[0] - ts[0])
                    if learner not in first_step[dom] or arrival < first_step[dom][learner]:
                        first_step[dom][learner] = arrival
        cells: dict[Hashable, Cell] = {}
        lines: list[Line] = []
        ranks = sorted(layer_of)
        for dom in domains:
            spent = first_step[dom]
            cells[(dom, ALL)] = Cell(frozenset(spent), {"median_days": _median_days(
                s for _, s in spent.values()) if spent else None})
            for rank in ranks[:-1]:
                took = steps[(dom, rank)]
                cells[(dom, rank)] = Cell(frozenset(took), {"median_days": _median_days(
                    took.values()) if took else None})
            lines.append(Line((dom, ALL), tuple((dom, r) for r in ranks[:-1])))
        suppress(cells, lines, self.k)
        out = []
        for dom in domains:
            if domain is not None and dom != domain:
                continue
            out.append({"domain": dom, **cells[(dom, ALL)].publish(), "steps": [
                {"from_layer": layer_of[r], "to_layer": layer_of[r + 1], **cells[(dom, r)].publish()}
                for r in ranks[:-1]]})
        return with_privacy({"insight": "progression", "params": {"domain": domain}, "domains": out}, self.k)

    # ---- pathway funnels ---------------------------------------------------------

    def pathways(self, *, pathway: str | None = None, viewer: str | None = "*") -> dict[str, Any]:
        """Each recommended pathway's funnel: learners who met steps 1..n in order.

        Stage n counts the learners who meet every one of the first n required
        steps (a step is met by ``required`` of its badges, in any order in
        time); ``completed`` is the last required stage. Optional steps follow
        as further stages (completed and met). Stages are suppressed as a chain.

        ``viewer`` is whose drafts are shown, as the pathway pages take it
        (``policy.draft_viewer``): ``'*'`` every draft (admin, the command line),
        an organisation id its own, None none. Returns ``{"insight", "params", "privacy",
        "pathways": [{pathway, title, status, stages: [{step, title, optional, learners,
        suppressed}], completed: {learners, suppressed} or None}]}``.

        Raises:
            InvalidInput: ``pathway`` (field ``pathway``) is not a recommended pathway
                ``viewer`` may see; the message lists those it may.
        """
        outline: dict[str, dict[str, Any]] = {}
        for r in self._read(queries.RECOMMENDED_PATHWAY_STEPS, {"viewer": viewer}):
            p = outline.setdefault(r["pathway_id"], {"title": r["title"], "status": r["status"], "steps": []})
            p["steps"].append(r)
        if pathway is not None and pathway not in outline:
            known(pathway, sorted(outline), "pathway", "recommended pathway")
        met: dict[tuple[str, int], frozenset[str]] = {
            (r["pathway_id"], r["step"]): frozenset(r["learners"])
            for r in self._read(queries.PATHWAY_STEP_LEARNERS)}
        out = []
        for pid, p in outline.items():
            ordered = [s for s in p["steps"] if not s["optional"]] + [s for s in p["steps"] if s["optional"]]
            stages: list[Cell] = []
            learners: frozenset[str] | None = None
            for s in ordered:
                here = met.get((pid, s["step"]), frozenset())
                learners = here if learners is None else learners & here
                stages.append(Cell(learners))
            suppress_chain(stages, self.k)
            if pathway is not None and pid != pathway:
                continue
            rows = [{"step": s["step"], "title": s["step_title"], "optional": bool(s["optional"]),
                     **c.publish()} for s, c in zip(ordered, stages)]
            n_required = sum(1 for s in ordered if not s["optional"])
            completed = rows[n_required - 1] if n_required else None
            out.append({"pathway": pid, "title": p["title"], "status": p["status"], "stages": rows,
                        "completed": {k: completed[k] for k in ("learners", "suppressed")} if completed else None})
        return with_privacy({"insight": "pathways", "params": {"pathway": pathway}, "pathways": out}, self.k)

    # ---- supply and demand --------------------------------------------------------

    def supply_demand(self, *, theme: str | None = None, place: str | None = None) -> dict[str, Any]:
        """Opportunities and venues per theme and district against learners' stated interests.

        Supply: opportunities in a theme located in the district (at a venue
        within it), or online (place ``online``). Demand: learners who state
        an interest in the theme and live in the district. Recommendations
        shown are not recorded by the service, so they are not counted here.

        Returns:
            ``{"insight", "params", "privacy", "rows": [{theme, theme_name, place, place_name,
            opportunities, venues, learners, suppressed}], "themes": [...], "places": [...],
            "total", "names": ``names()``, "recommendations_shown"}``; a margin's name is ``all``, a place with no district ``online``
            (supply) or ``no home place recorded`` (demand).

        Raises:
            InvalidInput: ``place`` is neither a district (``filters.district``: a venue
                is refused, naming its district) nor ``online``.
        """
        self.check_place(place, online=True)
        demand = {(r["theme"], r["place"]): frozenset(r["learners"]) for r in self._read(queries.INTEREST_DEMAND)}
        supply: dict[tuple[Any, Any], tuple[set[str], set[str]]] = {}
        for r in self._read(queries.OPPORTUNITY_SUPPLY):
            key = (r["theme"], r["place"] if r["place"] is not None else ONLINE)
            supply[key] = (set(r["opportunities"]), set(r["venues"]))
        cells = grid({**{k: frozenset() for k in supply}, **demand})
        suppress(cells, grid_lines([k[0] for k in cells if k[0] != ALL], [k[1] for k in cells if k[1] != ALL]),
                 self.k)
        for key, cell in cells.items():
            opps: set[str] = set()
            venues: set[str] = set()
            for (t, p), (o, v) in supply.items():
                if key[0] in (ALL, t) and key[1] in (ALL, p):
                    opps |= o
                    venues |= v
            cell.public = {"opportunities": len(opps), "venues": len(venues)}

        labels = self.labels()

        def row(key: tuple[Any, Any]) -> dict[str, Any]:
            return {"theme": key[0], "theme_name": self._named(labels, "theme", key[0]), "place": key[1],
                    "place_name": self._named(labels, "place", key[1]), **cells[key].publish()}

        rows = [row(k) for k in sorted(cells, key=str) if ALL not in k
                and theme in (None, k[0]) and place in (None, k[1])]
        themes = [row(k) for k in sorted(cells, key=str) if k[1] == ALL and k[0] != ALL and theme in (None, k[0])]
        places = [row(k) for k in sorted(cells, key=str) if k[0] == ALL and k[1] != ALL and place in (None, k[1])]
        total = row((ALL, ALL)) if (ALL, ALL) in cells else None
        return with_privacy({
            "insight": "supply_demand", "params": {"theme": theme, "place": place},
            "recommendations_shown": "not recorded: the service does not log which recommendations it shows",
            "rows": rows, "themes": themes, "places": places, "total": total, "names": self.names()}, self.k)

    # ---- unseen talent ----------------------------------------------------------------

    def unseen_talent(self, *, place: str | None = None, theme: str | None = None) -> dict[str, Any]:
        """Learners with sustained engagement and participation but no higher badge.

        Counted: learners with at least ``UNSEEN_MIN_BADGES`` distinct accepted
        badges earned over at least ``UNSEEN_MIN_DAYS`` days, none of them on a
        cell at ``UNSEEN_BELOW_LAYER`` or above; per home district and per
        theme of their badges (a learner counts in each of their themes). Each
        cell lists the opportunities in that theme, in that district or
        online, that award a badge at that layer or above.

        Returns:
            ``{"insight", "params", "definition", "privacy", "rows": [{place, place_name,
            theme, theme_name, learners, suppressed, opportunities: [{id, name, mode, place,
            place_name}]}], "places": [...], "themes": [...], "total", "names": ``names()``}``;
            a margin's name is ``all``, an opportunity with no place (online) has ``place``
            null and ``place_name`` ``online``.

        Raises:
            InvalidInput: ``place`` is not a district (``filters.district``: a venue is
                refused, naming its district).
        """
        self.check_place(place)
        upper = self._upper_rank()
        pairs = {(r["place"], r["theme"]): frozenset(r["learners"]) for r in self._read(
            queries.UNSEEN_TALENT, {"upper_rank": upper, "min_badges": UNSEEN_MIN_BADGES,
                                    "min_span": UNSEEN_MIN_DAYS * _DAY})}
        cells = grid(pairs)
        suppress(cells, grid_lines([k[0] for k in pairs], [k[1] for k in pairs]), self.k)
        opps = self._read(queries.MOVE_UP_OPPORTUNITIES, {"upper_rank": upper})

        labels = self.labels()

        def row(key: tuple[Any, Any]) -> dict[str, Any]:
            p, t = key
            near = [{"id": o["id"], "name": o["name"], "mode": o["mode"], "place": o["place"],
                     "place_name": self._named(labels, "place", o["place"] or ONLINE)} for o in opps
                    if t in (ALL, o["theme"]) and (p == ALL or o["place"] in (p, None))]
            unique = list({o["id"]: o for o in near}.values())
            return {"place": p, "place_name": self._named(labels, "place", p), "theme": t,
                    "theme_name": self._named(labels, "theme", t), **cells[key].publish(), "opportunities": unique}

        keys = sorted(cells, key=str)
        rows = [row(k) for k in keys if ALL not in k and place in (None, k[0]) and theme in (None, k[1])]
        places = [row(k) for k in keys if k[1] == ALL and k[0] != ALL and place in (None, k[0])]
        themes = [row(k) for k in keys if k[0] == ALL and k[1] != ALL and theme in (None, k[1])]
        total = row((ALL, ALL)) if (ALL, ALL) in cells else None
        return with_privacy({"insight": "unseen_talent", "params": {"place": place, "theme": theme},
                "definition": {"min_badges": UNSEEN_MIN_BADGES, "min_days": UNSEEN_MIN_DAYS,
                               "below_layer": UNSEEN_BELOW_LAYER},
                "rows": rows, "places": places, "themes": themes, "total": total, "names": self.names()}, self.k)
