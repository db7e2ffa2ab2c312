"""A pathway with several problems hears of all of them at once, through the API and
in a catalogue file: each with its own field. They used to come in stages: the body's
shape first, then ``status``, then the first unknown reference, then a badge in two
steps, then a foreign completion badge; and the catalogue reader stopped at its
first problem, before it had asked the graph anything."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from colearn.errors import InvalidInput, InvalidInputs
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue import ingest_catalogue
from tests.catalogue_builders import minimal_catalogue, totals, write_csv, write_yaml
from tests.integration import test_catalogue_api as catalogue_api
from tests.unit.test_catalogue import write_small_csv

api = catalogue_api.api
PATHWAY = catalogue_api.PATHWAY


def _fields(response) -> list[str]:
    assert response.status_code == 422, response.text
    return [e["field"] for e in response.json()["errors"]]


def test_a_new_pathway_hears_of_every_problem_in_one_answer(api) -> None:
    client, h = api
    body = {**PATHWAY, "destination": "the-moon", "status": "archived", "completion_badge": "web-foundations",
            "steps": [
                {"badges": ["digital-explorer", "tech-workplace-taster"], "required": 3},  # no title; 3 of 2
                {"title": "Build", "badges": ["first-web-app", "no-such-badge"]},
                {"title": "Again", "badges": ["digital-explorer"]},              # step 1's badge
                {"title": "Broken", "badges": "first-web-app"},                  # not a list: left out of the rules
                {"title": "Done", "badges": ["web-foundations"]},                # the completion badge
            ]}
    r = client.post("/pathways", json=body, headers=h["kiln"])
    fields = _fields(r)
    assert sorted(fields) == sorted([
        "body.status", "body.steps.0.title", "body.steps.0.required", "body.steps.3.badges",   # the shape
        "body.destination", "body.steps.1.badges.1",                                            # unknown ids
        "body.steps.2.badges.0",                                                                # in two steps
        "body.completion_badge", "body.completion_badge",          # a step's, and brackenford-college's
    ]), r.text
    messages = {(e["field"], e["message"]) for e in r.json()["errors"]}
    assert ("body.steps.1.badges.1", "unknown Badge 'no-such-badge'") in messages
    assert any(f == "body.completion_badge" and "defined by 'brackenford-college'" in m for f, m in messages)
    assert any(f == "body.completion_badge" and "also accepted by step 5" in m for f, m in messages)
    assert "already accepted by step 1" in dict(messages)["body.steps.2.badges.0"]
    assert client.get("/pathways/into-software", headers=h["admin"]).status_code == 404


def test_a_patch_hears_of_every_problem_in_one_answer(api) -> None:
    client, h = api
    assert client.post("/pathways", json=PATHWAY, headers=h["kiln"]).status_code == 201
    r = client.patch("/pathways/into-software", headers=h["kiln"], json={
        "id": "elsewhere", "title": "", "completion_badge": "first-web-app",
        "steps": [{"title": "A", "badges": ["ghost"]},
                  {"title": "B", "badges": ["first-web-app"], "required": 2}]})
    assert sorted(_fields(r)) == sorted([
        "body.id", "body.title", "body.steps.1.required", "body.steps.0.badges.0",
        "body.completion_badge", "body.completion_badge"]), r.text
    assert client.get("/pathways/into-software", headers=h["kiln"]).json()["title"] == PATHWAY["title"]


def test_the_bodies_the_routes_validate_themselves_are_documented_as_their_models(api) -> None:
    client, _ = api
    paths = client.get("/openapi.json").json()["paths"]
    for path, method, title, required in (("/pathways", "post", "PathwayCreate", True),
                                          ("/pathways/{item_id}", "patch", "PathwayUpdate", False)):
        schema = paths[path][method]["requestBody"]["content"]["application/json"]["schema"]
        assert schema["title"] == title and schema["additionalProperties"] is False
        assert ("steps" in schema.get("required", [])) is required and "steps" in schema["properties"]


def test_who_may_author_is_still_asked_first(api) -> None:
    """A body with problems, for another organisation: 403, not a list of its problems."""
    client, h = api
    r = client.post("/pathways", json={**PATHWAY, "destination": "the-moon", "steps": []}, headers=h["college"])
    assert r.status_code == 403, r.text


def _where(problem: InvalidInput) -> tuple[str, str | None]:
    return str(problem.record).split(" ")[0], problem.field


def test_a_catalogue_file_hears_of_every_problem_in_one_run(store: GraphStore, tmp_path: Path) -> None:
    data = minimal_catalogue()
    data["badges"][2]["colour"] = "red"                      # 'app' refused: still no "unknown Badge 'app'"
    data["opportunities"][0]["themes"] = ["digital", "cooking"]
    data["pathways"][0] |= {"destination": "space-travel", "completion_badge": "club", "steps": [
        {"badges": ["taster"]},                                           # no title
        {"title": "Practise", "badges": ["club", "ghost"], "required": 3},
        {"title": "Lead", "badges": ["taster"]},                          # step 1's badge
        {"title": "Broken", "badges": 7},                                 # not a list: left out of the rules
    ]}
    file = write_yaml(tmp_path / "city.yaml", data)
    with pytest.raises(InvalidInputs) as info:
        ingest_catalogue(store, file)
    found = [_where(p) for p in info.value.problems]
    assert sorted(found, key=str) == sorted([
        ("badges[2]", "colour"),
        ("pathways[0]", "steps.0.title"), ("pathways[0]", "steps.1.required"), ("pathways[0]", "steps.3.badges"),
        ("pathways[0]", "steps.2.badges.0"), ("pathways[0]", "completion_badge"),       # in two steps; a step's
        ("opportunities[0]", "themes.1"), ("pathways[0]", "destination"), ("pathways[0]", "steps.1.badges.1"),
        ("pathways[0]", "completion_badge"),                                            # the library's, not the college's
    ], key=str)
    assert all(p.file == str(file) for p in info.value.problems)
    assert "unknown Badge 'ghost'" in str(info.value) and "defined by 'library'" in str(info.value)
    assert totals(store) == (0, 0)


def test_a_duplicate_with_problems_of_its_own_and_a_record_that_is_no_mapping_are_named_with_the_rest(
        store: GraphStore, tmp_path: Path) -> None:
    """A second copy of a pathway (and of a badge) that also breaks a field rule is named as a
    duplicate as well; a record that is not a mapping is one problem among the others."""
    data = minimal_catalogue()
    data["pathways"].append({**copy.deepcopy(data["pathways"][0]), "title": ""})
    data["badges"].append({**copy.deepcopy(data["badges"][0]), "colour": "red"})
    data["opportunities"].append(None)
    data["opportunities"][0]["themes"] = ["cooking"]
    file = write_yaml(tmp_path / "city.yaml", data)
    with pytest.raises(InvalidInputs) as info:
        ingest_catalogue(store, file)
    found = sorted((_where(p) for p in info.value.problems), key=str)
    n_pathways, n_badges, n_opps = len(data["pathways"]), len(data["badges"]), len(data["opportunities"])
    assert found == sorted([
        (f"pathways[{n_pathways - 1}]", "title"), (f"pathways[{n_pathways - 1}]", "id"),
        (f"badges[{n_badges - 1}]", "colour"), (f"badges[{n_badges - 1}]", "id"),
        (f"opportunities[{n_opps - 1}]", None), ("opportunities[0]", "themes.0"),
    ], key=str), [str(p) for p in info.value.problems]
    assert "a record must be a mapping" in str(info.value) and "duplicate Pathway id" in str(info.value)
    assert totals(store) == (0, 0)


def test_a_csv_catalogue_names_each_step_row(store: GraphStore, tmp_path: Path) -> None:
    write_small_csv(tmp_path)
    write_csv(tmp_path / "pathways.csv", ["id", "title", "organisation", "destination", "completion_badge"], [
        ["into-tech", "Into tech", "college", "space-travel", "taster"],
    ])
    write_csv(tmp_path / "pathway_steps.csv", ["pathway", "title", "badges", "required"], [
        ["into-tech", "Try", "taster", ""],                # line 2: the completion badge
        ["into-tech", "Practise", "club;ghost", "3"],      # line 3: 3 of 2, and an unknown badge
        ["into-tech", "", "club", ""],                     # line 4: no title, and step 2's badge
        ["into-tec", "Lead", "app", ""],                   # line 5: no such pathway
    ])
    with pytest.raises(InvalidInputs) as info:
        ingest_catalogue(store, tmp_path)
    found = {(Path(str(p.file)).name, p.record, p.field) for p in info.value.problems}
    assert found == {
        ("pathway_steps.csv", 3, "required"), ("pathway_steps.csv", 3, "badges.1"),
        ("pathway_steps.csv", 4, "title"), ("pathway_steps.csv", 4, "badges.0"),
        ("pathway_steps.csv", 5, "pathway"),
        ("pathways.csv", 2, "completion_badge"), ("pathways.csv", 2, "destination"),
    }, str(info.value)
    assert len(info.value.problems) == len(found) + 1     # the completion badge: a step's, and the library's
    assert totals(store) == (0, 0)
