"""Charts of the insights (matplotlib, no display needed), as PNG or SVG bytes.

``figure(answer)`` draws any answer of ``Insights`` (the ``insight`` key picks
the chart) on a new ``matplotlib.figure.Figure``: no pyplot and no backend
switch, so it is safe in the API's worker threads and leaves a notebook's
inline backend alone; ``render(answer, "png" | "svg")`` returns the bytes
(Agg renders them). Hidden cells are drawn as hidden (hatched cells, grey crosses on a
line's axis), never estimated and never as gaps that break a line; every chart says
how many cells were hidden and why. Groups are shown by name, counts start at 0 on
whole-number ticks, and the period not over yet is marked partial. An answer with
nothing to draw (``nothing_to_draw``: no row of its main table counts anything or is
hidden) is a chart without axes that says so in words (``NOTHING``).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from colearn.errors import InvalidInput
from colearn.insights.tables import COMPLETED, flatten, funnel

__all__ = ["FORMATS", "NOTHING", "figure", "nothing_to_draw", "render"]

#: Output format -> media type.
FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
_HATCH = {"hatch": "///", "facecolor": "#eeeeee", "edgecolor": "#999999"}


#: The counts a chart draws (``flatten``'s columns).
_COUNTS = ("learners", "assertions", "opportunities", "venues")
#: Per insight, the chart's title and what an answer with nothing to draw says instead.
NOTHING = {
    "issued": ("Badges accepted", "No accepted awards in the periods and groups asked."),
    "spine": ("Learners per spine cell", "No accepted awards on the spine cells asked."),
    "progression": ("Moving up a layer within a domain", "No learner has moved up a layer in the domains asked."),
    "pathways": ("Pathway funnels", "No recommended pathway, or none with a learner who met its first step."),
    "supply_demand": ("Supply and demand per district and theme",
                      "No opportunities and no learners' stated interests in the themes and places asked."),
    "unseen_talent": ("Unseen talent", "No learners match the unseen-talent definition in the places and "
                                       "themes asked."),
}


def nothing_to_draw(answer: dict[str, Any]) -> bool:
    """Whether an answer's main table (``flatten``) has nothing to draw: no row counts
    a learner, award, opportunity or venue, and none is hidden (a hidden cell is drawn
    as hidden)."""
    return not any(r.get("suppressed") or any((r.get(k) or 0) > 0 for k in _COUNTS) for r in flatten(answer))


def _nothing(fig: Figure, answer: dict[str, Any]) -> None:
    """No axes: the chart's title and, in words, that there is nothing to draw."""
    title, sentence = NOTHING[answer["insight"]]
    fig.suptitle(title)
    fig.text(0.5, 0.5, sentence, ha="center", va="center", fontsize=11, color="#333333")


def _counts(axis: Any) -> None:
    """A count axis: from 0, whole numbers only (never a tick between 0 and 1 of nothing)."""
    axis.set_major_locator(MaxNLocator(integer=True))


def _footnote(fig: Figure, answer: dict[str, Any]) -> None:
    p = answer["privacy"]
    fig.supxlabel(f"Cells with fewer than {p['min_learners']} learners are hidden; "
                  f"{p['suppressed_cells']} cell(s) hidden here ({p['complementary']} to protect others).",
                  fontsize=7, color="#555555")


def _line(ax: Any, rows: list[dict[str, Any]], **style: Any) -> None:
    """One series: a line through the shown periods (a hidden period does not break
    it into dots), hidden periods as grey crosses on the axis, and the period not
    over yet as a hollow marker joined by a dotted line (its count is still growing)."""
    shown = [(date.fromisoformat(r["start"]), r["assertions"], r.get("partial")) for r in rows
             if not r["suppressed"] and r["assertions"] is not None]
    done = [(d, v) for d, v, partial in shown if not partial]
    line = ax.plot([d for d, _ in done], [v for _, v in done], **style)[0]
    colour = line.get_color()
    for d, v, partial in shown:
        if partial:
            last = done[-1] if done else (d, v)
            ax.plot([last[0], d], [last[1], v], linestyle=":", color=colour, linewidth=style.get("linewidth", 1.5))
            ax.plot([d], [v], marker="o", markerfacecolor="white", color=colour, linestyle="none")
    hidden = [date.fromisoformat(r["start"]) for r in rows if r["suppressed"]]
    if hidden:
        ax.plot(hidden, [0] * len(hidden), marker="x", color="#999999", linestyle="none", clip_on=False)


#: The most groups ``issued`` draws as lines (the largest by accepted awards); the legend
#: says how many more there are.
MAX_LINES = 8


def _issued(fig: Figure, a: dict[str, Any]) -> None:
    ax = fig.add_subplot()
    volume: dict[Any, int] = {}
    for r in a["rows"]:
        volume[r["group"]] = volume.get(r["group"], 0) + (r["assertions"] or 0)
    drawn = [g for g, v in sorted(volume.items(), key=lambda gv: -gv[1]) if v > 0]
    for group in drawn[:MAX_LINES]:
        rows = [r for r in a["rows"] if r["group"] == group]
        _line(ax, rows, marker=".", label=rows[0]["label"])
    _line(ax, a["periods"], color="black", linestyle="--", linewidth=1, label="all badges")
    if len(drawn) > MAX_LINES:  # said, so that a missing group is not read as none
        left = len(drawn) - MAX_LINES
        ax.plot([], [], linestyle="none", label=f"{left} smaller group{'s' * (left != 1)} not drawn "
                                                 "(in the CSV; ?group= draws one)")
    if any(r["suppressed"] for r in a["rows"] + a["periods"]):
        ax.plot([], [], marker="x", color="#999999", linestyle="none", label="hidden (too few learners)")
    if any(r.get("partial") for r in a["periods"]):
        ax.plot([], [], marker="o", markerfacecolor="white", color="black", linestyle="none",
                label=f"{a['params']['interval']} not over yet (partial)")
    p = a["params"]
    per = "month (of whole ISO weeks)" if p["interval"] == "month" else "ISO week"
    ax.set_title(f"Badges accepted per {per}, by {p['by'].replace('_', ' ')}")
    ax.set_ylabel("accepted awards")
    ax.set_ylim(bottom=0)
    _counts(ax.yaxis)
    ax.legend(fontsize=7, ncol=2)
    fig.autofmt_xdate()


def _heat(fig: Figure, title: str, rows: list[str], cols: list[str],
          value: Callable[[str, str], dict[str, Any] | None], row_label: Callable[[str], str] = str,
          col_label: Callable[[str], str] = str,
          text: Callable[[dict[str, Any] | None], str] | None = None) -> None:
    ax = fig.add_subplot()
    data = [[(value(r, c) or {}).get("learners") for c in cols] for r in rows]
    finite = [v for row in data for v in row if v is not None]
    peak = max(finite, default=0) or 1  # all hidden or 0: no division by 0
    cmap = matplotlib.colormaps["YlGnBu"]
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            cell = value(r, c)
            if cell is not None and cell["suppressed"]:
                ax.add_patch(matplotlib.patches.Rectangle((j - 0.5, i - 0.5), 1, 1, **_HATCH))
                ax.text(j, i, "hidden", ha="center", va="center", fontsize=7, color="#555555")
                continue
            n = (cell["learners"] or 0) if cell else 0
            ax.add_patch(matplotlib.patches.Rectangle((j - 0.5, i - 0.5), 1, 1, color=cmap(0.1 + 0.9 * n / peak)))
            ax.text(j, i, text(cell) if text else str(n), ha="center", va="center", fontsize=7 if text else 8,
                    color="white" if n > peak * 0.6 else "black")
    ax.set_xlim(-0.5, len(cols) - 0.5)
    ax.set_ylim(-0.5, len(rows) - 0.5)
    ax.set_xticks(range(len(cols)), [col_label(c) for c in cols], rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), [row_label(r) for r in rows], fontsize=8)
    ax.set_title(title)


def _spine(fig: Figure, a: dict[str, Any]) -> None:
    cells = {(c["layer"], c["domain"]): c for c in a["cells"]}
    _heat(fig, "Learners per spine cell", a["layers"], a["domains"], lambda r, c: cells.get((r, c)),
          row_label=str.capitalize, col_label=lambda d: d.replace("_", " ").capitalize())


def _progression(fig: Figure, a: dict[str, Any]) -> None:
    ax = fig.add_subplot()
    labels, values, notes = [], [], []
    for d in a["domains"]:
        for s in d["steps"]:
            labels.append(f"{d['domain'].replace('_', ' ')}: {s['from_layer']} -> {s['to_layer']}")
            values.append(s["learners"] or 0)
            notes.append("hidden" if s["suppressed"] else f"median {s['median_days']} days"
                         if s["median_days"] is not None else "")
    bars = ax.barh(labels, values, color="#3b7dd8")
    for bar, note in zip(bars, notes):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {note}", va="center", fontsize=7)
    ax.invert_yaxis()
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlim(left=0)
    _counts(ax.xaxis)
    ax.set_xlabel("learners who moved up")
    ax.set_title("Moving up a layer within a domain")


def _pathways(fig: Figure, a: dict[str, Any]) -> None:
    paths = a["pathways"]
    axes = fig.subplots(len(paths), 1, squeeze=False)[:, 0]
    for ax, p in zip(axes, paths):
        stages = funnel(p)  # the stages with the completed bar after the required ones
        labels = [s["title"] if s["step"] == COMPLETED else f"{s['step']}. {s['title']}"
                  + (" (optional)" if s["optional"] else "") for s in stages]
        values = [s["learners"] or 0 for s in stages]
        bars = ax.barh(labels, values, color=["#1d6b61" if s["step"] == COMPLETED else "#2a9d8f" for s in stages])
        for bar, s in zip(bars, stages):
            if s["suppressed"]:
                bar.set(**_HATCH)
                ax.text(0, bar.get_y() + bar.get_height() / 2, " hidden", va="center", fontsize=7)
            else:
                ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {s['learners']}",
                        va="center", fontsize=7)
        ax.invert_yaxis()
        ax.tick_params(axis="y", labelsize=7)
        ax.set_xlim(0, max([1, *values]) * 1.1)
        _counts(ax.xaxis)
        ax.set_title(p["title"], fontsize=9, loc="left")
    axes[-1].set_xlabel("learners who met every step so far")


def _namer(a: dict[str, Any], dim: str) -> Callable[[Any], str]:
    """A group's display name from the answer's ``names`` (ids only when it has none)."""
    names = (a.get("names") or {}).get(dim, {})

    def name(v: Any) -> str:
        if v is None:
            return "no place recorded" if dim == "place" else "(none)"
        return "online" if v == "online" else names.get(v, str(v))

    return name


def _supply_demand(fig: Figure, a: dict[str, Any]) -> None:
    cells = {(r["place"], r["theme"]): r for r in a["rows"]}
    places = sorted({r["place"] for r in a["rows"]}, key=lambda p: (p == "online", str(p)))
    themes = sorted({r["theme"] for r in a["rows"]}, key=str)
    _heat(fig, "Supply and demand per district and theme: learners who want it (colour) and opportunities there",
          places, themes, lambda r, c: cells.get((r, c)), row_label=_namer(a, "place"),
          col_label=_namer(a, "theme"),
          text=lambda c: "" if c is None else f"{c['learners'] or 0} want\n{c['opportunities']} opp.")


def _unseen(fig: Figure, a: dict[str, Any]) -> None:
    cells = {(r["place"], r["theme"]): r for r in a["rows"]}
    places = sorted({r["place"] for r in a["rows"]}, key=str)
    themes = sorted({r["theme"] for r in a["rows"]}, key=str)
    _heat(fig, "Unseen talent: learners stuck below demonstration", places, themes,
          lambda r, c: cells.get((r, c)), row_label=_namer(a, "place"), col_label=_namer(a, "theme"))


_DRAW = {"issued": _issued, "spine": _spine, "progression": _progression, "pathways": _pathways,
         "supply_demand": _supply_demand, "unseen_talent": _unseen}


def figure(answer: dict[str, Any]) -> Figure:
    """The chart of one insight answer (a ``Figure``); one with nothing to draw has no
    axes and says so (``NOTHING``).

    Raises:
        InvalidInput: the answer is not one of the insights.
    """
    draw = _DRAW.get(answer.get("insight", ""))
    if draw is None:
        raise InvalidInput(f"no chart for insight '{answer.get('insight')}'")
    if nothing_to_draw(answer):
        fig = Figure(figsize=(9, 2.5), layout="constrained")
        _nothing(fig, answer)
    else:
        fig = Figure(figsize=(9, 5.5 if answer["insight"] != "pathways" else 2.2 * max(1, len(answer["pathways"]))),
                     layout="constrained")
        draw(fig, answer)
    _footnote(fig, answer)
    return fig


def render(answer: dict[str, Any], fmt: str) -> bytes:
    """The chart as ``png`` or ``svg`` bytes.

    Raises:
        InvalidInput: an unknown format or insight.
    """
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown chart format '{fmt}'; expected png or svg", field="format")
    buf = io.BytesIO()
    figure(answer).savefig(buf, format=fmt, dpi=110)
    return buf.getvalue()
