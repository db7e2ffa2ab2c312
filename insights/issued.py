"""The canonical table of the ``issued`` insight: accepted awards per period (ISO
week, and month of whole ISO weeks: ``insights.periods``) and group of each dimension,
with the margins and the lines that join them (each month to its weeks as well),
suppressed once (``insights.privacy``). ``Insights.issued`` chooses cells from it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from typing import Any

from colearn.graph import queries
from colearn.insights.periods import INTERVALS, month_lines, period_of
from colearn.insights.privacy import ALL, Cell, Line, Tally, suppress

__all__ = ["issued_table"]


def issued_table(read: Callable[..., list[dict[str, Any]]], family: tuple[str, ...], k: int) -> dict[Hashable, Cell]:
    """The canonical cells of ``family``'s dimensions (``queries.ISSUED_DIMENSIONS``) over
    both intervals, suppressed with k (``privacy.suppress``).

    Args:
        read: runs a statement of ``graph.queries`` and returns its rows (``Insights._read``, cached).
        family: dimensions whose cells are suppressed together.
        k: the minimum number of learners a published cell counts.

    Returns:
        Keys: ``(dim, interval, period, group)``; ``(ALL, interval, period, ALL)`` per
        period; ``(dim, ALL, ALL, group)`` per group over all time; ``(ALL, ALL, ALL, ALL)``
        for everything. A key that is missing counts nothing (0).
    """
    tally = Tally()
    lines: list[Line] = []
    grand = (ALL, ALL, ALL, ALL)
    periods: dict[str, set[str]] = {iv: set() for iv in INTERVALS}
    for r in read(queries.issued_by_day(None)):
        tally.add(grand, r["learners"], r["assertions"])
        for iv in INTERVALS:
            p = period_of(r["day"], iv)[0]
            periods[iv].add(p)
            tally.add((ALL, iv, p, ALL), r["learners"], r["assertions"])
    groups: dict[str, set[Any]] = {}
    for dim in family:
        groups[dim] = set()
        for r in read(queries.issued_by_day(dim)):
            g = r["grp"]
            groups[dim].add(g)
            tally.add((dim, ALL, ALL, g), r["learners"], r["assertions"])
            for iv in INTERVALS:
                tally.add((dim, iv, period_of(r["day"], iv)[0], g), r["learners"], r["assertions"])
    for iv in INTERVALS:
        lines.append(Line(grand, tuple((ALL, iv, p, ALL) for p in sorted(periods[iv]))))
    for dim in family:
        gs = sorted(groups[dim], key=str)
        lines.append(Line(grand, tuple((dim, ALL, ALL, g) for g in gs)))
        for iv in INTERVALS:
            ps = sorted(periods[iv])
            lines += [Line((ALL, iv, p, ALL), tuple((dim, iv, p, g) for g in gs)) for p in ps]
            lines += [Line((dim, ALL, ALL, g), tuple((dim, iv, p, g) for p in ps)) for g in gs]
        lines += month_lines(dim, gs, periods["month"])
    lines += month_lines(ALL, [ALL], periods["month"])
    if "theme" in family:
        lines += _theme_hierarchy(read, periods)
    cells = tally.cells()
    suppress(cells, lines, k)
    return cells


def _theme_hierarchy(read: Callable[..., list[dict[str, Any]]], periods: dict[str, set[str]]) -> list[Line]:
    """Lines joining themes to the theme kinds and destinations they make up."""
    parents: dict[tuple[str, str], list[str]] = defaultdict(list)
    for t in read(queries.THEME_LINKS):
        parents[("theme_kind", t["kind"])].append(t["id"])
        for d in t["destinations"]:
            parents[("destination", d)].append(t["id"])
    out = []
    for (dim, g), themes in sorted(parents.items(), key=str):
        themes = sorted(themes)
        out.append(Line((dim, ALL, ALL, g), tuple(("theme", ALL, ALL, t) for t in themes)))
        for iv in INTERVALS:
            out += [Line((dim, iv, p, g), tuple(("theme", iv, p, t) for t in themes)) for p in sorted(periods[iv])]
    return out
