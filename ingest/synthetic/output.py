"""What a generated city becomes: CSV files the readers take, the recommender's rows, statistics.

``write_csv`` is the one CSV writer of the synthetic cities (the sized city's
files and the demo city's ``learners.csv`` and ``award_history.csv``): a header row,
``\n`` line ends, list cells ``;``-joined, ``None`` empty.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from colearn.ingest.synthetic.city import City
from colearn.ingest.synthetic.ladder import Ladder

__all__ = ["COLUMNS", "award_times", "default_out", "evaluation_rows", "skew", "write_city", "write_csv"]


def default_out(size: str, seed: int) -> Path:
    """Where ``colearn generate`` writes by default: ``generated/city-<size>-<seed>`` (git-ignored)."""
    return Path("generated") / f"city-{size}-{seed}"


#: The columns of each file ``write_city`` writes, in order.
COLUMNS: dict[str, tuple[str, ...]] = {
    "themes": ("id", "name", "kind", "description", "destinations"),
    "places": ("id", "name", "kind", "lat", "lon", "within"),
    "organisations": ("id", "name", "kind", "url", "email", "description"),
    "badges": ("id", "name", "description", "issuer", "cells", "themes", "criteria", "expires_after_days"),
    "opportunities": ("id", "name", "description", "kind", "organisation", "mode", "place", "url", "themes",
                      "badges"),
    "pathways": ("id", "title", "description", "organisation", "destination", "status", "kind"),
    "pathway_steps": ("pathway", "title", "badges", "required", "optional"),
    "learners": ("id", "home_place", "themes", "destinations", "interests"),
    "award_history": ("id", "learner", "badge", "organisation", "issued_on", "status", "expires_on"),
}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    """Write ``rows`` (dicts; missing keys empty) as CSV with a header of ``columns``."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_cell(r.get(c)) for c in columns] for r in rows)


def write_city(city: City, folder: Path | str) -> Path:
    """Write the city as catalogue CSV files, ``learners.csv``, ``award_history.csv`` and ``city.json``.

    Args:
        city: from ``generate_city``.
        folder: created if missing; files there of the same names are replaced.

    Returns:
        The folder, ready for ``colearn ingest catalogue``.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    steps = [{"pathway": p["id"], **s} for p in city.pathways for s in p["steps"]]
    tables = {"themes": city.themes, "places": city.places, "organisations": city.organisations,
              "badges": city.badges, "opportunities": city.opportunities, "pathways": city.pathways,
              "pathway_steps": steps, "learners": city.learners, "award_history": city.awards}
    for name, rows in tables.items():
        write_csv(out / f"{name}.csv", COLUMNS[name], rows)
    manifest = {"generator": "colearn.ingest.synthetic", "size": city.size.name, "seed": city.seed,
                "counts": city.summary()}
    (out / "city.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return out


def award_times(city: City) -> list[tuple[str, str, int, str]]:
    """The accepted awards as ``(learner_id, badge_id, epoch seconds, award_id)``, oldest first:
    the rows ``recommender.Projection.from_rows`` takes."""
    return [(a["learner"], a["badge"], int(datetime.strptime(a["issued_on"], "%Y-%m-%dT%H:%M:%SZ")
                                            .replace(tzinfo=UTC).timestamp()), a["id"])
            for a in city.awards if a["status"] == "accepted"]


def evaluation_rows(city: City) -> tuple[list[tuple[str, str, int, str]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The city as the recommender's rows: ``(awards, catalogue, cells)``.

    ``awards`` as ``award_times``; ``catalogue`` like ``BADGE_CATALOGUE`` rows (id,
    name, description, cells, themes, destinations through the themes);
    ``cells`` like ``SPINE_CELLS`` rows of the bundled spine. What
    ``Recommender.from_rows`` and ``recommender.benchmark.run`` take, so an
    evaluation can run on a city of any size without a store.
    """
    dests = {t["id"]: t["destinations"] for t in city.themes}
    catalogue = [{"id": b["id"], "name": b["name"], "description": b["description"], "cells": list(b["cells"]),
                  "themes": list(b["themes"]), "destinations": sorted({d for t in b["themes"] for d in dests[t]})}
                 for b in city.badges]
    cells = Ladder.read().cell_rows()
    return award_times(city), catalogue, cells


def _median(values: Sequence[int]) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return float(s[mid]) if len(s) % 2 else (s[mid - 1] + s[mid]) / 2.0


def skew(city: City) -> dict[str, float]:
    """How awards spread over learners: median, mean, max, and the share with one or two awards."""
    per: dict[str, int] = {}
    for a in city.awards:
        per[a["learner"]] = per.get(a["learner"], 0) + 1
    counts = list(per.values())
    return {"median": _median(counts), "mean": sum(counts) / len(counts), "max": float(max(counts)),
            "share_one_or_two": sum(1 for c in counts if c <= 2) / len(counts),
            "log_spread": math.log(max(counts)) - math.log(_median(counts))}
