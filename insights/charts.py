"""Charts of the insights (matplotlib, no display needed), as PNG or SVG bytes.

``figure(answer)`` draws any answer of ``Insights`` (the ``insight`` key picks
the chart) on a new ``matplotlib.figure.Figure``: no pyplot and no backend
switch, so it is safe in the API's worker threads and leaves a notebook's
inline backend alone; ``render(answer, "png" | "svg")`` returns the bytes
(Agg renders them). Hidden cells are drawn as hatched or left out, never estimated, and
every chart says how many cells were hidden and why.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

import matplotlib
from matplotlib.figure import Figure

from colearn.errors import InvalidInput

__all__ = ["FORMATS", "figure", "render"]

#: Output format -> media type.
FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
_HATCH = {"hatch": "///", "facecolor": "#eeeeee", "edgecolor": "#999999"}


def _footnote(fig: Figure, answer: dict[str, Any]) -> None:
    p = answer["privacy"]
    fig.supxlabel(f"Cells with fewer than {p['min_learners']} learners are hidden; "
                  f"{p['suppressed_cells']} cell(s) hidden here ({p['complementary']} to protect others).",
                  fontsize=7, color="#555555")


def _issued(fig: Figure, a: dict[str, Any]) -> None:
    ax = fig.add_subplot()
    volume: dict[Any, int] = {}
    for r in a["rows"]:
        volume[r["group"]] = volume.get(r["group"], 0) + (r["assertions"] or 0)
    top = [g for g, v in sorted(volume.items(), key=lambda gv: -gv[1])[:8] if v > 0]
    for group in top:
        pts = [(date.fromisoformat(r["start"]), r["assertions"]) for r in a["rows"] if r["group"] == group]
        label = next(r["label"] for r in a["rows"] if r["group"] == group)
        ax.plot([d for d, _ in pts], [v if v is not None else float("nan") for _, v in pts],
                marker=".", label=label)
    ax.plot([date.fromisoformat(r["start"]) for r in a["periods"]],
            [r["assertions"] if r["assertions"] is not None else float("nan") for r in a["periods"]],
            color="black", linestyle="--", linewidth=1, label="all badges")
    p = a["params"]
    ax.set_title(f"Badges issued per {p['interval']}, by {p['by'].replace('_', ' ')}")
    ax.set_ylabel("awards")
    ax.legend(fontsize=7, ncol=2)
    fig.autofmt_xdate()


def _heat(fig: Figure, title: str, rows: list[str], cols: list[str],
          value: Callable[[str, str], dict[str, Any] | None], row_label: Callable[[str], str] = str,
          col_label: Callable[[str], str] = str) -> None:
    ax = fig.add_subplot()
    data = [[(value(r, c) or {}).get("learners") for c in cols] for r in rows]
    finite = [v for row in data for v in row if v is not None]
    peak = max(finite) if finite else 1
    cmap = matplotlib.colormaps["YlGnBu"]
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            cell = value(r, c)
            if cell is not None and cell["suppressed"]:
                ax.add_patch(matplotlib.patches.Rectangle((j - 0.5, i - 0.5), 1, 1, **_HATCH))
                ax.text(j, i, "hidden", ha="center", va="center", fontsize=7, color="#555555")
                continue
            n = cell["learners"] if cell else 0
            ax.add_patch(matplotlib.patches.Rectangle((j - 0.5, i - 0.5), 1, 1, color=cmap(0.1 + 0.9 * n / peak)))
            ax.text(j, i, str(n), ha="center", va="center", fontsize=8,
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
    ax.set_xlabel("learners who moved up")
    ax.set_title("Moving up a layer within a domain")


def _pathways(fig: Figure, a: dict[str, Any]) -> None:
    paths = a["pathways"] or [{"title": "(no recommended pathways)", "stages": []}]
    axes = fig.subplots(len(paths), 1, squeeze=False)[:, 0]
    for ax, p in zip(axes, paths):
        labels = [f"{s['step']}. {s['title']}" + (" (optional)" if s["optional"] else "") for s in p["stages"]]
        values = [s["learners"] or 0 for s in p["stages"]]
        bars = ax.barh(labels, values, color="#2a9d8f")
        for bar, s in zip(bars, p["stages"]):
            if s["suppressed"]:
                bar.set(**_HATCH)
                ax.text(0, bar.get_y() + bar.get_height() / 2, " hidden", va="center", fontsize=7)
            else:
                ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {s['learners']}",
                        va="center", fontsize=7)
        ax.invert_yaxis()
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(p["title"], fontsize=9, loc="left")
    axes[-1].set_xlabel("learners who met every step so far")


def _supply_demand(fig: Figure, a: dict[str, Any]) -> None:
    ax = fig.add_subplot()
    for t in a["themes"]:
        if t["suppressed"]:
            continue
        ax.scatter(t["opportunities"], t["learners"], color="#e76f51")
        ax.annotate(t["theme"], (t["opportunities"], t["learners"]), fontsize=7, xytext=(3, 3),
                    textcoords="offset points")
    ax.set_xlabel("opportunities in the theme")
    ax.set_ylabel("learners who state an interest")
    ax.set_title("Supply and demand per theme")


def _unseen(fig: Figure, a: dict[str, Any]) -> None:
    cells = {(r["place"], r["theme"]): r for r in a["rows"]}
    places = sorted({r["place"] for r in a["rows"]}, key=str)
    themes = sorted({r["theme"] for r in a["rows"]}, key=str)
    _heat(fig, "Unseen talent: learners stuck below demonstration", places, themes,
          lambda r, c: cells.get((r, c)), row_label=lambda p: p or "no place recorded")


_DRAW = {"issued": _issued, "spine": _spine, "progression": _progression, "pathways": _pathways,
         "supply_demand": _supply_demand, "unseen_talent": _unseen}


def figure(answer: dict[str, Any]) -> Figure:
    """The chart of one insight answer.

    Raises:
        InvalidInput: the answer is not one of the insights.
    """
    draw = _DRAW.get(answer.get("insight", ""))
    if draw is None:
        raise InvalidInput(f"no chart for insight '{answer.get('insight')}'")
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
