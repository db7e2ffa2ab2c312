"""Builders for catalogue tests: a small valid catalogue, file writers, independent counts.

The expected counts here are computed from the raw YAML with ``yaml.safe_load``,
not with the reader under test.
"""

from __future__ import annotations

import copy
import csv
from pathlib import Path
from typing import Any

import yaml

from colearn.graph import queries
from colearn.graph.schema import Label, Rel
from colearn.graph.store import GraphStore
from tests.graph_checks import count_relationships

REPO = Path(__file__).resolve().parent.parent
DEMO_CITY = REPO / "data" / "demo-city"
SPINE = REPO / "data" / "spine.yaml"

#: Labels of the change feed's own nodes (graph/feed.py): they record writes, they
#: are not the city's data, so the counts below leave them out.
FEED_LABELS: tuple[Label, ...] = (Label.FEED_ENTRY, Label.FEED_COUNTER, Label.FEED_READER)

_MINIMAL: dict[str, Any] = {
    "themes": [
        {"id": "digital", "name": "Digital", "kind": "sector", "destinations": ["employment", "enterprise"]},
        {"id": "green", "name": "Green city", "kind": "civic", "destinations": ["civic_engagement"]},
    ],
    "places": [{"id": "centre", "name": "Centre", "kind": "district", "lat": 53.5, "lon": -1.8}],
    "organisations": [
        {"id": "library", "name": "Library", "kind": "library"},
        {"id": "college", "name": "College", "kind": "college", "url": "https://college.example",
         "email": "hello@college.example", "description": "The college."},
    ],
    "badges": [
        {"id": "taster", "name": "Taster", "issuer": "library", "cells": ["skills.engagement"],
         "themes": ["digital"]},
        {"id": "club", "name": "Club", "issuer": "library",
         "cells": ["skills.participation", "attitudes_values.participation"], "themes": ["digital"]},
        {"id": "app", "name": "App", "issuer": "college", "cells": ["skills.demonstration"]},
        {"id": "mentor", "name": "Mentor", "issuer": "library", "cells": ["skills.leadership"],
         "themes": ["digital", "green"], "expires_after_days": 365, "criteria": "Mentor a term."},
        {"id": "award", "name": "Award", "issuer": "college", "cells": ["knowledge.demonstration"]},
    ],
    "opportunities": [
        {"id": "taster-day", "name": "Taster day", "organisation": "library", "mode": "offline",
         "place": "centre", "themes": ["digital"], "badges": ["taster"],
         "start": "2026-03-01", "end": "2026-03-01T16:00:00Z"},
        {"id": "online-course", "name": "Online course", "organisation": "college", "mode": "online",
         "badges": ["app", "club"], "url": "https://college.example/course"},
    ],
    "pathways": [
        {"id": "into-tech", "title": "Into tech", "organisation": "college", "destination": "employment",
         "steps": [
             {"title": "Try", "badges": ["taster"]},
             {"title": "Practise", "badges": ["club", "app"], "required": 2},
             {"title": "Lead", "badges": ["mentor"], "optional": True},
         ],
         "completion_badge": "award"},
    ],
}


def minimal_catalogue() -> dict[str, Any]:
    """A small valid catalogue (sections as a dict), a fresh deep copy each call."""
    return copy.deepcopy(_MINIMAL)


def write_yaml(path: Path, data: Any) -> Path:
    """Dump ``data`` as YAML to ``path`` (block style, key order kept)."""
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    """Write a CSV file with ``header`` and ``rows``."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def load_yaml_folder(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Each ``<section>.yaml`` of ``folder`` as a list of plain dicts (no reader involved)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for f in sorted(folder.glob("*.yaml")):
        out[f.stem] = yaml.safe_load(f.read_text(encoding="utf-8")) or []
    return out


def expected_counts(sections: dict[str, list[dict[str, Any]]],
                    spine_path: Path = SPINE) -> tuple[dict[str, int], dict[str, int]]:
    """Node counts per label and relationship counts per type that ingesting ``sections`` must give.

    Computed by hand from the raw records and the spine file (the bundled spine
    unless ``sections`` holds its own ``spine``).
    """
    spine = sections.get("spine") or yaml.safe_load(spine_path.read_text(encoding="utf-8"))
    themes = sections.get("themes", [])
    badges = sections.get("badges", [])
    opps = sections.get("opportunities", [])
    pathways = sections.get("pathways", [])
    steps = [s for p in pathways for s in p["steps"]]
    nodes = {
        "SpineCell": len(spine["layers"]) * len(spine["domains"]),
        "Destination": len(spine.get("destinations", [])) + len(sections.get("destinations", [])),
        "Theme": len(themes),
        "Place": len(sections.get("places", [])),
        "Organisation": len(sections.get("organisations", [])),
        "Badge": len(badges),
        "Opportunity": len(opps),
        "Pathway": len(pathways),
        "Step": len(steps),
    }
    rels = {
        "LEADS_TO": sum(len(t.get("destinations", [])) for t in themes),
        "DEFINES": len(badges),
        "ALIGNS_TO": sum(len(b["cells"]) for b in badges),
        "IN_THEME": sum(len(x.get("themes", [])) for x in badges + opps),
        "OFFERS": len(opps),
        "LOCATED_IN": sum(1 for o in opps if o.get("place")),
        "WITHIN": sum(1 for p in sections.get("places", []) if p.get("within")),
        "AWARDS": sum(len(o.get("badges", [])) for o in opps),
        "AUTHORED": len(pathways),
        "TOWARDS": len(pathways),
        "COMPLETES_WITH": sum(1 for p in pathways if p.get("completion_badge")),
        "HAS_STEP": len(steps),
        "ACCEPTS": sum(len(s["badges"]) for s in steps),
    }
    return nodes, rels


def graph_counts(store: GraphStore) -> tuple[dict[str, int], dict[str, int]]:
    """Node counts for every label and relationship counts for every type, read from the graph."""
    nodes = {str(lb): store.read(queries.count_nodes(lb))[0]["n"] for lb in Label if lb not in FEED_LABELS}
    rels = {str(r): store.read(count_relationships(r))[0]["n"] for r in Rel}
    return nodes, rels


def totals(store: GraphStore) -> tuple[int, int]:
    """All nodes and all relationships in the graph, whatever their label or type (the
    change feed's own nodes aside: they record writes, they are not the city's data)."""
    skip = " AND ".join(f"NOT n:{lb}" for lb in FEED_LABELS)
    n = store.read(f"MATCH (n) WHERE {skip} RETURN count(n) AS n")[0]["n"]
    e = store.read("MATCH ()-[e]->() RETURN count(e) AS n")[0]["n"]
    return n, e
