"""An insight's answer as a flat table: rows for printing (``colearn insights``)
and CSV with names beside ids for a city team's spreadsheet (the API's and the
CLI's ``--csv``)."""

from __future__ import annotations

from typing import Any

from colearn.csv_export import csv_text
from colearn.insights.privacy import ALL

__all__ = ["COLUMNS", "COMPLETED", "flatten", "funnel", "to_csv"]

#: Columns that hold a group id, and the ``names`` dimension that names it.
_NAMED = {"theme": "theme", "place": "place", "group": None, "cell": "cell", "destination": "destination",
          "organisation": "organisation"}
#: Each insight's main table's columns (``flatten``'s rows), in order: the CSV's header,
#: the same whether the answer has rows or none. Each id column in ``_NAMED`` with a
#: dimension gets its ``*_name`` column beside it.
COLUMNS = {
    "issued": ("period", "start", "partial", "group", "label", "learners", "assertions", "suppressed"),
    "spine": ("cell", "layer", "domain", "learners", "assertions", "suppressed"),
    "progression": ("domain", "step", "learners", "median_days", "suppressed"),
    "pathways": ("pathway", "pathway_title", "step", "title", "optional", "learners", "suppressed"),
    "supply_demand": ("theme", "place", "learners", "opportunities", "venues", "suppressed"),
    "unseen_talent": ("place", "theme", "learners", "suppressed", "opportunities"),
}


def flatten(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The main table of an answer as flat rows (for printing; opportunity lists become counts).

    A pathway funnel's rows are its stages with a ``completed`` row after the required
    ones (``step`` and ``title`` say so, ``optional`` is empty), so the CSV and the
    command line's table show what the JSON's ``completed`` says."""
    kind = answer["insight"]
    if kind == "issued":
        return answer["rows"]
    if kind == "spine":
        return answer["cells"]
    if kind == "progression":
        return [{"domain": d["domain"], "step": f"{s['from_layer']} -> {s['to_layer']}",
                 **{k: s[k] for k in ("learners", "median_days", "suppressed")}}
                for d in answer["domains"] for s in [{"from_layer": "any", "to_layer": "higher", **d}, *d["steps"]]]
    if kind == "pathways":
        return [row for p in answer["pathways"] for row in funnel(p)]
    rows = answer["rows"]
    if kind == "unseen_talent":
        return [{**r, "opportunities": len(r["opportunities"])} for r in rows]
    return rows


#: The ``step`` and ``title`` of a funnel's ``completed`` row in ``flatten``'s table.
COMPLETED = "completed"


def funnel(pathway: dict[str, Any]) -> list[dict[str, Any]]:
    """One pathway's funnel as table rows: its required stages, a ``completed`` row (the
    learners who met every required step, hidden as that stage is), then its optional stages."""
    head = {"pathway": pathway["pathway"], "pathway_title": pathway["title"]}
    rows = [{**head, **s} for s in pathway["stages"]]
    done = pathway.get("completed")
    if done is not None:
        at = sum(1 for s in pathway["stages"] if not s["optional"])
        rows.insert(at, {**head, "step": COMPLETED, "title": "Completed (every required step)", "optional": None,
                         "learners": done["learners"], "suppressed": done["suppressed"]})
    return rows


def to_csv(answer: dict[str, Any], names: dict[str, dict[str, str]] | None = None) -> str:
    """The main table of an answer (``flatten``) as CSV text for a city team's spreadsheet:
    one header row, always (``COLUMNS`` of the insight, also when no row follows), then
    a line per row.

    Next to each id column (``theme``, ``place``, ``cell``, ...) comes its
    display name (``theme_name``, ...) from ``names`` (default: the answer's own
    ``names``; the id when it has none); ``*`` means all, and a hidden cell has
    empty numbers and its reason in ``suppressed``. Lists (an unseen-talent cell's
    opportunities) become the ``; ``-joined names. A text cell a spreadsheet would
    read as a formula is written quoted (``colearn.csv_export``).

    Raises:
        KeyError: the answer is not one of the insights.
    """
    names = names or answer.get("names") or {}
    rows = [dict(r) for r in flatten(answer)]
    if answer["insight"] == "unseen_talent":
        for r, src in zip(rows, answer["rows"]):
            r["opportunities"] = "; ".join(o["name"] or o["id"] for o in src["opportunities"])
    columns: list[str] = []
    for k in [*COLUMNS[answer["insight"]], *(k for r in rows for k in r)]:  # a row's unlisted column last
        if k not in columns:
            columns.append(k)
            if _NAMED.get(k):
                columns.append(f"{k}_name")
    out: list[dict[str, Any]] = []
    for r in rows:
        cells: dict[str, Any] = {}
        for k in columns:
            if k.endswith("_name") and k[:-5] in _NAMED and k not in r:
                v = r.get(k[:-5])
                known: dict[Any, Any] = names.get(_NAMED[k[:-5]] or "", {})
                cells[k] = "all" if v == ALL else known.get(v, v)
                continue
            v = r.get(k)
            cells[k] = "true" if v is True else "false" if v is False else v
        out.append(cells)
    return csv_text(columns, out)
