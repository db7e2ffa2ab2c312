"""Small-cell suppression for citywide insights, designed against differencing.

The rules (README, "Insights: privacy"):

1. **Primary suppression.** A cell counting between 1 and k-1 distinct
   learners is hidden: its learner count and every number derived from its
   learners (assertions, a median) are published as null with
   ``suppressed: "primary"``. Zero is published as zero.
2. **Complementary suppression.** A *line* is a published total and the cells
   that make it up (the months of a year, the themes of a theme kind, the
   themes in one month, ...). In every line whose total is published, the hidden
   cells are either none, or at least two that together count at least k
   learners: otherwise the smallest published cell of the line is hidden as
   well (``suppressed: "complementary"``), and the lines are checked again
   until nothing changes. So "total minus the cells shown" never isolates one
   hidden cell, nor a group of fewer than k learners.
3. **Chains** (a funnel: each stage is a subset of the one before): a stage is
   published only if it has 0 or at least k learners and differs from the
   last published stage by 0 or at least k learners, so the difference of
   any two published stages counts 0 or at least k learners.
4. **One canonical table.** Callers build each insight's cells once, over the
   whole city, suppress them once, and let filters only choose which cells
   to show. Two requests that differ by one filter therefore show the same
   cells with the same numbers and the same suppression: subtracting one
   answer from the other can only give a published number or nothing.

Learner ids live in the cells only to count distinct learners over unions of
cells; they are never published.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: The key part that stands for "every value" (a margin or total).
ALL = "*"

PRIMARY = "primary"
COMPLEMENTARY = "complementary"


@dataclass
class Cell:
    """One published number's worth of learners.

    Attributes:
        learners: the distinct learners counted (internal only).
        values: numbers derived from those learners (``assertions``,
            ``median_days``): published only when the cell is.
        public: numbers that are not about learners (opportunities, venues):
            always published.
        suppressed: None, ``"primary"`` or ``"complementary"``.
    """

    learners: frozenset[str] = frozenset()
    values: dict[str, Any] = field(default_factory=dict)
    public: dict[str, Any] = field(default_factory=dict)
    suppressed: str | None = None

    def publish(self) -> dict[str, Any]:
        """The cell as published: ``learners``, its values (null when hidden), ``suppressed``."""
        hidden = self.suppressed is not None
        out: dict[str, Any] = {"learners": None if hidden else len(self.learners)}
        out.update({k: None if hidden else v for k, v in self.values.items()})
        out.update(self.public)
        out["suppressed"] = self.suppressed
        return out


@dataclass(frozen=True)
class Line:
    """A published total and the cells that make it up (or that it contains)."""

    total: Hashable
    members: tuple[Hashable, ...]


def primary(cells: dict[Hashable, Cell], k: int) -> None:
    """Hide every cell with between 1 and ``k``-1 learners."""
    for cell in cells.values():
        if 0 < len(cell.learners) < k:
            cell.suppressed = PRIMARY


def suppress(cells: dict[Hashable, Cell], lines: Iterable[Line], k: int) -> None:
    """Apply primary, then complementary suppression in place (rules 1 and 2).

    Only line members are ever hidden by the complementary rule, never a
    line's total, so a total that is also a cell of another insight keeps the
    same suppression there. Lines whose total or members are missing from
    ``cells`` skip those keys (a missing cell is a zero). A line is checked
    again whenever one of its members is hidden, until nothing changes.

    Args:
        cells: every cell of the canonical table, by key.
        lines: the table's lines.
        k: the minimum number of learners a published cell counts.
    """
    primary(cells, k)
    todo = [ln for ln in lines if ln.total in cells]
    lines_of: dict[Hashable, list[int]] = defaultdict(list)
    for i, line in enumerate(todo):
        for m in line.members:
            lines_of[m].append(i)
    queue = deque(range(len(todo)))
    queued = set(queue)
    while queue:
        i = queue.popleft()
        queued.discard(i)
        line = todo[i]
        if cells[line.total].suppressed is not None:
            continue
        members = [(m, cells[m]) for m in line.members if m in cells and cells[m].learners]
        hidden = [c for _, c in members if c.suppressed is not None]
        if not hidden:
            continue
        if len(hidden) >= 2 and len(set().union(*(c.learners for c in hidden))) >= k:
            continue
        shown = sorted(((m, c) for m, c in members if c.suppressed is None), key=lambda mc: len(mc[1].learners))
        if not shown:
            continue
        key, cell = shown[0]
        cell.suppressed = COMPLEMENTARY
        for j in lines_of[key] + [i]:
            if j not in queued:
                queue.append(j)
                queued.add(j)


def suppress_chain(stages: Sequence[Cell], k: int) -> None:
    """Rule 3, in place, for nested stages (each stage's learners within the one before)."""
    last: int | None = None
    for cell in stages:
        n = len(cell.learners)
        if 0 < n < k:
            cell.suppressed = PRIMARY
        elif last is not None and 0 < last - n < k:
            cell.suppressed = COMPLEMENTARY
        else:
            last = n


def grid_lines(rows: Iterable[Hashable], cols: Iterable[Hashable]) -> list[Line]:
    """The lines of a two-way table keyed ``(row, col)`` with margins ``(row, ALL)``,
    ``(ALL, col)`` and the grand total ``(ALL, ALL)``."""
    rows, cols = sorted(set(rows), key=str), sorted(set(cols), key=str)
    lines = [Line((ALL, ALL), tuple((r, ALL) for r in rows)),
             Line((ALL, ALL), tuple((ALL, c) for c in cols))]
    lines += [Line((r, ALL), tuple((r, c) for c in cols)) for r in rows]
    lines += [Line((ALL, c), tuple((r, c) for r in rows)) for c in cols]
    return lines


def grid(pairs: dict[tuple[Hashable, Hashable], frozenset[str]]) -> dict[Hashable, Cell]:
    """Cells of a two-way table from the learners of each ``(row, col)``, with
    its margins and grand total (unions of learners)."""
    learners: dict[Hashable, set[str]] = defaultdict(set)
    for (r, c), ids in pairs.items():
        for key in ((r, c), (r, ALL), (ALL, c), (ALL, ALL)):
            learners[key] |= ids
    return {key: Cell(frozenset(ids)) for key, ids in learners.items()}


class Tally:
    """Learners (a union) and assertions (a sum) per key, frozen into cells at the end."""

    def __init__(self) -> None:
        self.learners: dict[Hashable, set[str]] = defaultdict(set)
        self.assertions: dict[Hashable, int] = defaultdict(int)

    def add(self, key: Hashable, learners: Iterable[str], assertions: int) -> None:
        """Count ``learners`` (distinct ids) and ``assertions`` (a number) under ``key``."""
        self.learners[key].update(learners)
        self.assertions[key] += assertions

    def cells(self) -> dict[Hashable, Cell]:
        """``{key: Cell(learners, {"assertions": n})}`` for every key added to."""
        return {key: Cell(frozenset(ids), {"assertions": self.assertions[key]})
                for key, ids in self.learners.items()}


def hidden_cells(answer: Any) -> list[str]:
    """The ``suppressed`` reason of every hidden cell anywhere in ``answer``: each
    mapping, at any depth (lists and mappings walked), whose ``suppressed`` is set.
    A cell shown twice (a funnel's last required stage is also its ``completed``)
    is counted each time it appears: the count is of what the answer hides."""
    found: list[str] = []
    todo = [answer]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            if item.get("suppressed") is not None:
                found.append(str(item["suppressed"]))
            todo.extend(item.values())
        elif isinstance(item, (list, tuple)):
            todo.extend(item)
    return found


def summary(answer: Any, k: int) -> dict[str, Any]:
    """The ``privacy`` block of an answer: k, and how many of its cells are hidden and
    why, counted over the whole answer (``hidden_cells``), so no part of it is left out."""
    reasons = hidden_cells(answer)
    n_primary, n_comp = reasons.count(PRIMARY), reasons.count(COMPLEMENTARY)
    return {
        "min_learners": k,
        "suppressed_cells": len(reasons),
        "primary": n_primary,
        "complementary": n_comp,
        "note": (f"Cells counting fewer than {k} learners are hidden (null, suppressed: primary); "
                 "further cells are hidden (suppressed: complementary) so that no published total minus "
                 "the cells shown reveals a hidden one. Every request sees the same cells with the same "
                 "suppression: filters only choose which cells are shown. No learner ids are published."),
    }


def with_privacy(answer: dict[str, Any], k: int) -> dict[str, Any]:
    """``answer`` with its ``privacy`` block (``summary`` of everything else in it),
    placed after ``insight``, ``params`` and ``definition``. Call it on the answer as
    sent: after any filtering, so that the block counts exactly the cells shown."""
    rest = {key: v for key, v in answer.items() if key != "privacy"}
    head: dict[str, Any] = {key: rest.pop(key) for key in ("insight", "params", "definition") if key in rest}
    return {**head, "privacy": summary(rest, k), **rest}
