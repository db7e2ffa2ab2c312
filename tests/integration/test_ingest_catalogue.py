"""The city catalogue reader against a real FalkorDB graph."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from colearn.errors import InvalidInput
from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue import demo_city_path, ingest_catalogue
from tests.catalogue_builders import (
    DEMO_CITY,
    SPINE,
    expected_counts,
    graph_counts,
    load_yaml_folder,
    minimal_catalogue,
    totals,
    write_csv,
    write_yaml,
)

# FalkorDB only: the readers' checks; every statement they write runs on Neo4j in the contract suite.
pytestmark = pytest.mark.falkordb_only


def ingest_dict(store: GraphStore, folder: Path, data: dict[str, Any], name: str = "city.yaml"):
    return ingest_catalogue(store, write_yaml(folder / name, data))


# --------------------------------------------------------------------------
# The demo city
# --------------------------------------------------------------------------


def test_demo_city_counts_match_the_yaml(store: GraphStore) -> None:
    report = ingest_catalogue(store, demo_city_path())
    want_nodes, want_rels = expected_counts(load_yaml_folder(DEMO_CITY))
    nodes, rels = graph_counts(store)
    assert {k: nodes[k] for k in want_nodes} == want_nodes
    assert {k: rels[k] for k in want_rels} == want_rels
    # Nothing else was written: no learners, assertions or stray relationship types.
    assert nodes["Learner"] == nodes["Assertion"] == 0
    assert totals(store) == (sum(want_nodes.values()), sum(want_rels.values()))
    assert report.counts["Badge"] == want_nodes["Badge"]
    assert report.counts["ACCEPTS"] == want_rels["ACCEPTS"]


def test_demo_city_uses_every_spine_cell_and_destination(store: GraphStore) -> None:
    ingest_catalogue(store, demo_city_path())
    unused_cells = store.read(
        "MATCH (c:SpineCell) WHERE NOT (c)<-[:ALIGNS_TO]-(:Badge) RETURN c.id AS id")
    assert unused_cells == []
    assert store.read(queries.count_nodes(Label.SPINE_CELL))[0]["n"] == 12
    rows = store.read(
        "MATCH (d:Destination) RETURN d.id AS id, "
        "size([(t:Theme)-[:LEADS_TO]->(d) | t]) AS themes, "
        "size([(p:Pathway)-[:TOWARDS]->(d) | p]) AS pathways ORDER BY id")
    assert [r["id"] for r in rows] == ["civic_engagement", "education", "employment", "enterprise"]
    assert all(r["themes"] > 0 and r["pathways"] == 1 for r in rows), rows
    kinds = store.read("MATCH (t:Theme) RETURN DISTINCT t.kind AS kind ORDER BY kind")
    assert [r["kind"] for r in kinds] == ["civic", "sector", "wellbeing"]


def test_demo_city_pathway_steps_are_ordered_and_linked(store: GraphStore) -> None:
    ingest_catalogue(store, demo_city_path())
    raw = yaml.safe_load((DEMO_CITY / "pathways.yaml").read_text())
    want = next(p for p in raw if p["id"] == "digital-careers")
    rows = store.read(
        "MATCH (p:Pathway {id: 'digital-careers'})-[h:HAS_STEP]->(s:Step) "
        "RETURN h.order AS n, s.id AS id, s.title AS title, s.required AS required, s.optional AS optional, "
        "[(s)-[:ACCEPTS]->(b:Badge) | b.id] AS badges ORDER BY n")
    assert [r["n"] for r in rows] == list(range(1, len(want["steps"]) + 1))
    assert [r["id"] for r in rows] == [f"digital-careers.step-{n}" for n in range(1, len(want["steps"]) + 1)]
    for row, step in zip(rows, want["steps"]):
        assert row["title"] == step["title"]
        assert sorted(row["badges"]) == sorted(step["badges"])
        assert row["required"] == step.get("required", 1)
        assert row["optional"] == step.get("optional", False)
    done = store.read("MATCH (p:Pathway {id: 'digital-careers'})-[:COMPLETES_WITH]->(b:Badge) "
                      "RETURN b.id AS id")
    assert done == [{"id": want["completion_badge"]}]
    author = store.read("MATCH (o:Organisation)-[:AUTHORED]->(p:Pathway {id: 'digital-careers'}) "
                        "RETURN o.id AS id, p.status AS status, p.kind AS kind")
    assert author == [{"id": want["organisation"], "status": "published", "kind": "recommended"}]


def test_ingest_is_idempotent(store: GraphStore) -> None:
    ingest_catalogue(store, demo_city_path())
    first = graph_counts(store), totals(store)
    ingest_catalogue(store, demo_city_path())
    assert (graph_counts(store), totals(store)) == first


def test_the_catalogue_reads_as_written(store: GraphStore, tmp_path: Path) -> None:
    ingest_dict(store, tmp_path, minimal_catalogue())
    place = store.read("MATCH (p:Place {id: 'centre'}) RETURN p.lat AS lat, p.lon AS lon, p.kind AS kind")
    assert place == [{"lat": 53.5, "lon": -1.8, "kind": "district"}]
    opp = store.read("MATCH (o:Opportunity {id: 'taster-day'}) "
                     "RETURN o.starts_on AS s, o.ends_on AS e, o.mode AS mode")
    # 2026-03-01 (a date: midnight UTC) to 2026-03-01T16:00:00Z.
    assert opp == [{"s": 1772323200, "e": 1772323200 + 16 * 3600, "mode": "offline"}]
    online = store.read("MATCH (o:Opportunity {id: 'online-course'}) "
                        "RETURN o.starts_on AS s, size([(o)-[:LOCATED_IN]->(p) | p]) AS places")
    assert online == [{"s": None, "places": 0}]
    badge = store.read("MATCH (o:Organisation)-[:DEFINES]->(b:Badge {id: 'mentor'}) "
                       "RETURN o.id AS issuer, b.expires_after_days AS days, b.criteria AS criteria, "
                       "[(b)-[:IN_THEME]->(t:Theme) | t.id] AS themes")
    assert len(badge) == 1 and badge[0]["issuer"] == "library" and badge[0]["days"] == 365
    assert sorted(badge[0]["themes"]) == ["digital", "green"]


# --------------------------------------------------------------------------
# Bad input leaves the graph untouched
# --------------------------------------------------------------------------


def _break_a_middle_badge(folder: Path) -> tuple[int, str]:
    """Give the middle badge of badges.yaml an unknown spine cell; return its index and id."""
    path = folder / "badges.yaml"
    badges = yaml.safe_load(path.read_text())
    i = len(badges) // 2
    text = path.read_text()
    marker = f"- id: {badges[i]['id']}\n"
    start = text.index(marker)
    cells_at = text.index("  cells: [", start)
    text = text[:cells_at] + "  cells: [skills.mastery, " + text[cells_at + len("  cells: ["):]
    path.write_text(text)
    return i, badges[i]["id"]


def test_a_bad_record_in_the_middle_refuses_the_whole_catalogue(store: GraphStore, tmp_path: Path) -> None:
    city = tmp_path / "city"
    shutil.copytree(DEMO_CITY, city)
    index, badge_id = _break_a_middle_badge(city)
    line = (city / "badges.yaml").read_text().splitlines().index(f"- id: {badge_id}") + 1
    with pytest.raises(InvalidInput) as info:
        ingest_catalogue(store, city)
    err = info.value
    assert err.file == str(city / "badges.yaml")
    assert err.record == f"badges[{index}] (line {line})"
    assert err.field == "cells.0"
    assert "skills.mastery" in str(err)
    assert f"badges.yaml, record badges[{index}] (line {line}), field 'cells.0'" in str(err)
    assert totals(store) == (0, 0)


def test_a_refused_catalogue_writes_nothing_over_an_existing_graph(store: GraphStore, tmp_path: Path) -> None:
    ingest_catalogue(store, demo_city_path())
    before = graph_counts(store), totals(store)
    city = tmp_path / "city"
    shutil.copytree(DEMO_CITY, city)
    orgs = yaml.safe_load((city / "organisations.yaml").read_text())
    orgs.append({"id": "new-org", "name": "New", "kind": "charity"})
    write_yaml(city / "organisations.yaml", orgs)
    pathways = yaml.safe_load((city / "pathways.yaml").read_text())
    pathways[-1]["steps"][-1]["badges"].append("no-such-badge")
    write_yaml(city / "pathways.yaml", pathways)
    with pytest.raises(InvalidInput) as info:
        ingest_catalogue(store, city)
    n = len(pathways[-1]["steps"]) - 1
    assert info.value.field == f"steps.{n}.badges.{len(pathways[-1]['steps'][-1]['badges']) - 1}"
    assert str(info.value.record).startswith(f"pathways[{len(pathways) - 1}]")
    assert (graph_counts(store), totals(store)) == before
    assert store.read("MATCH (o:Organisation {id: 'new-org'}) RETURN o.id AS id") == []


def _set(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


@pytest.mark.parametrize("path,value,field", [
    (("themes", 0, "destinations"), ["employment", "space-travel"], "destinations.1"),
    (("badges", 1, "issuer"), "nobody", "issuer"),
    (("badges", 1, "cells"), ["skills.participation", "skills.mastery"], "cells.1"),
    (("badges", 1, "themes"), ["cooking"], "themes.0"),
    (("opportunities", 1, "organisation"), "nobody", "organisation"),
    (("opportunities", 0, "place"), "moon", "place"),
    (("opportunities", 0, "themes"), ["cooking"], "themes.0"),
    (("opportunities", 1, "badges"), ["app", "ghost"], "badges.1"),
    (("pathways", 0, "organisation"), "nobody", "organisation"),
    (("pathways", 0, "destination"), "space-travel", "destination"),
    (("pathways", 0, "steps", 1, "badges"), ["club", "ghost"], "steps.1.badges.1"),
    (("pathways", 0, "completion_badge"), "ghost", "completion_badge"),
])
def test_unknown_references_are_refused(store: GraphStore, tmp_path: Path, path: tuple[Any, ...],
                                        value: Any, field: str) -> None:
    data = minimal_catalogue()
    _set(data, path, value)
    with pytest.raises(InvalidInput) as info:
        ingest_dict(store, tmp_path, data)
    err = info.value
    assert err.field == field
    assert str(err.record).startswith(f"{path[0]}[{path[1]}] (line ")
    assert err.file == str(tmp_path / "city.yaml")
    assert "unknown" in err.detail
    assert totals(store) == (0, 0)


def test_references_to_nodes_already_in_the_graph_are_accepted(store: GraphStore, tmp_path: Path) -> None:
    extra = {
        "badges": [{"id": "library-helper", "name": "Library Helper", "issuer": "brackenford-libraries",
                    "cells": ["attitudes_values.participation"], "themes": ["volunteering"]}],
        "pathways": [{"id": "library-volunteer", "title": "Library volunteer",
                      "organisation": "brackenford-libraries", "destination": "civic_engagement",
                      "steps": [{"title": "Start", "badges": ["volunteer-starter"]},
                                {"title": "Help", "badges": ["library-helper", "reading-buddy"]}]}],
    }
    with pytest.raises(InvalidInput) as info:   # on an empty graph the references dangle
        ingest_dict(store, tmp_path, extra)
    assert info.value.field == "issuer"
    assert totals(store) == (0, 0)

    ingest_catalogue(store, demo_city_path())
    before = totals(store)
    ingest_dict(store, tmp_path, extra)
    assert totals(store)[0] == before[0] + 1 + 1 + 2          # badge, pathway, two steps
    accepts = store.read("MATCH (:Pathway {id: 'library-volunteer'})-[:HAS_STEP]->(s:Step)-[:ACCEPTS]->"
                         "(b:Badge) RETURN s.id AS step, b.id AS badge ORDER BY step, badge")
    assert accepts == [
        {"step": "library-volunteer.step-1", "badge": "volunteer-starter"},
        {"step": "library-volunteer.step-2", "badge": "library-helper"},
        {"step": "library-volunteer.step-2", "badge": "reading-buddy"},
    ]


# --------------------------------------------------------------------------
# Re-ingesting an edited catalogue replaces links
# --------------------------------------------------------------------------


def test_reingest_after_edits_leaves_no_stale_links_or_steps(store: GraphStore, tmp_path: Path) -> None:
    data = minimal_catalogue()
    ingest_dict(store, tmp_path, data)
    data["pathways"][0]["steps"] = data["pathways"][0]["steps"][:2]       # 3 steps -> 2
    del data["pathways"][0]["completion_badge"]
    data["badges"][0]["issuer"] = "college"                               # library -> college
    data["badges"][0]["cells"] = ["knowledge.engagement"]
    data["opportunities"][0]["mode"] = "online"                           # loses its place
    del data["opportunities"][0]["place"]
    ingest_dict(store, tmp_path, data)

    nodes, rels = graph_counts(store)
    want_nodes, want_rels = expected_counts(data)
    assert {k: nodes[k] for k in want_nodes} == want_nodes
    assert {k: rels[k] for k in want_rels} == want_rels
    assert store.read("MATCH (s:Step) RETURN s.id AS id ORDER BY id") == [
        {"id": "into-tech.step-1"}, {"id": "into-tech.step-2"}]
    assert store.read("MATCH (o:Organisation)-[:DEFINES]->(:Badge {id: 'taster'}) RETURN o.id AS id") == [
        {"id": "college"}]
    assert store.read("MATCH (:Badge {id: 'taster'})-[:ALIGNS_TO]->(c:SpineCell) RETURN c.id AS id") == [
        {"id": "knowledge.engagement"}]


def test_a_catalogue_spine_is_written_instead_of_the_bundled_one(store: GraphStore, tmp_path: Path) -> None:
    data = minimal_catalogue()
    spine = yaml.safe_load(SPINE.read_text())
    spine["layers"].append({"id": "mastery", "name": "Mastery"})
    spine["destinations"].append({"id": "further-training", "name": "Further training"})
    data["spine"] = spine
    data["badges"][3]["cells"] = ["skills.mastery"]
    data["pathways"][0]["destination"] = "further-training"
    ingest_dict(store, tmp_path, data)
    nodes, rels = graph_counts(store)
    want_nodes, want_rels = expected_counts(data)
    assert nodes["SpineCell"] == want_nodes["SpineCell"] == 15
    assert nodes["Destination"] == 5
    assert {k: rels[k] for k in want_rels} == want_rels


# --------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------


def _csv_city(folder: Path) -> Path:
    write_csv(folder / "destinations.csv", ["id", "name", "description"], [
        ["further-training", "Further training", "Short courses and retraining."],
    ])
    write_csv(folder / "themes.csv", ["id", "name", "kind", "destinations"], [
        ["digital", "Digital", "sector", "employment;enterprise"],
        ["wellbeing", "Wellbeing", "wellbeing", "further-training"],
    ])
    write_csv(folder / "places.csv", ["id", "name", "kind", "lat", "lon"], [
        ["centre", "Centre", "district", "53.5", "-1.8"],
        ["hall", "Town hall", "venue", "", ""],
    ])
    write_csv(folder / "organisations.csv", ["id", "name", "kind", "url", "email", "description"], [
        ["library", "Library", "library", "https://library.example", "hi@library.example", "Books, code."],
        ["council", "Council", "council", "", "", ""],
    ])
    write_csv(folder / "badges.csv", ["id", "name", "description", "issuer", "cells", "themes",
                                      "criteria", "expires_after_days"], [
        ["taster", "Taster", "Tried it.", "library", "skills.engagement", "digital", "", ""],
        ["club", "Club", "Came six times.", "library", "skills.participation; attitudes_values.participation",
         "digital;wellbeing", "Six sessions.", "365"],
        ["lead", "Lead", "Led it.", "council", "skills.leadership", "", "", ""],
    ])
    write_csv(folder / "opportunities.csv", ["id", "name", "organisation", "mode", "place", "themes",
                                             "badges", "start", "end"], [
        ["taster-day", "Taster day", "library", "offline", "centre", "digital", "taster",
         "2026-03-01T10:00:00Z", "2026-03-01T12:00:00Z"],
        ["club-nights", "Club nights", "library", "blended", "hall", "digital;wellbeing", "club", "", ""],
        ["leaders", "Leaders online", "council", "online", "", "", "lead", "", ""],
    ])
    write_csv(folder / "pathways.csv", ["id", "title", "organisation", "destination", "status",
                                        "completion_badge"], [
        ["get-going", "Get going", "council", "further-training", "published", ""],
    ])
    write_csv(folder / "pathway_steps.csv", ["pathway", "title", "badges", "required", "optional"], [
        ["get-going", "Try", "taster", "", ""],
        ["get-going", "Join", "club", "1", "false"],
        ["get-going", "Lead", "lead", "", "true"],
    ])
    return folder


def test_csv_catalogue_is_ingested(store: GraphStore, tmp_path: Path) -> None:
    ingest_catalogue(store, _csv_city(tmp_path))
    nodes, rels = graph_counts(store)
    assert {k: nodes[k] for k in ("SpineCell", "Destination", "Theme", "Place", "Organisation", "Badge",
                                   "Opportunity", "Pathway", "Step")} == {
        "SpineCell": 12, "Destination": 5, "Theme": 2, "Place": 2, "Organisation": 2, "Badge": 3,
        "Opportunity": 3, "Pathway": 1, "Step": 3}
    assert {k: rels[k] for k in ("LEADS_TO", "DEFINES", "ALIGNS_TO", "IN_THEME", "OFFERS", "LOCATED_IN",
                                  "AWARDS", "AUTHORED", "TOWARDS", "COMPLETES_WITH", "HAS_STEP",
                                  "ACCEPTS")} == {
        "LEADS_TO": 3, "DEFINES": 3, "ALIGNS_TO": 4, "IN_THEME": 3 + 3, "OFFERS": 3, "LOCATED_IN": 2,
        "AWARDS": 3, "AUTHORED": 1, "TOWARDS": 1, "COMPLETES_WITH": 0, "HAS_STEP": 3, "ACCEPTS": 3}
    steps = store.read("MATCH (:Pathway {id: 'get-going'})-[h:HAS_STEP]->(s:Step) "
                       "RETURN h.order AS n, s.title AS title, s.optional AS optional ORDER BY n")
    assert steps == [{"n": 1, "title": "Try", "optional": False},
                     {"n": 2, "title": "Join", "optional": False},
                     {"n": 3, "title": "Lead", "optional": True}]
    assert store.read("MATCH (p:Place) RETURN p.id AS id, p.lat AS lat ORDER BY id") == [
        {"id": "centre", "lat": 53.5}, {"id": "hall", "lat": None}]
    assert store.read("MATCH (o:Opportunity {id: 'taster-day'}) RETURN o.starts_on AS s") == [
        {"s": 1772359200}]
    before = graph_counts(store), totals(store)
    ingest_catalogue(store, tmp_path)
    assert (graph_counts(store), totals(store)) == before


def test_csv_unknown_reference_names_the_line(store: GraphStore, tmp_path: Path) -> None:
    _csv_city(tmp_path)
    write_csv(tmp_path / "opportunities.csv", ["id", "name", "organisation", "mode", "place", "badges"], [
        ["taster-day", "Taster day", "library", "offline", "centre", "taster"],
        ["club-nights", "Club nights", "library", "blended", "hall", "club"],
        ["leaders", "Leaders online", "council", "online", "", "lead;ghost"],
    ])
    with pytest.raises(InvalidInput) as info:
        ingest_catalogue(store, tmp_path)
    err = info.value
    assert (Path(str(err.file)).name, err.record, err.field) == ("opportunities.csv", 4, "badges.1")
    assert "opportunities.csv, record 4, field 'badges.1'" in str(err)
    assert totals(store) == (0, 0)
