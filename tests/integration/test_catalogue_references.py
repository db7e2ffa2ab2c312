"""A catalogue write that names things that do not exist hears of every such reference
at once, each with its record and field, and nothing of it is written: a badge, an
opportunity or a pathway through the API (one 422, one ``errors`` entry per bad
reference), a learner's own profile (``PATCH /me``) likewise, a catalogue file and a
city's learners and award history through the readers and ``colearn ingest`` (every
problem, each naming the file, record and field). The references of one write are
looked up with one read of the graph.

Before, the API's catalogue records and ``PATCH /me`` answered the first unknown
reference only, the award history reader stopped at its first unknown id (and wrong
issuer), the command line listed 50 problems and then "and N more", and every check
read the graph once per label referred to."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from colearn.cli import app as cli
from colearn.cli import ingest as cli_ingest
from colearn.errors import InvalidInput, InvalidInputs
from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.ingest.awards import ingest_awards
from colearn.ingest.catalogue import ingest_catalogue
from colearn.service.auth import issue_learner_token
from tests.catalogue_builders import minimal_catalogue, totals, write_csv, write_yaml
from tests.integration import test_catalogue_api as catalogue_api

api = catalogue_api.api
PATHWAY = catalogue_api.PATHWAY

#: The statements that look up whether referenced ids exist: one label's, or several labels'.
_ONE_LABEL = {queries.missing_ids(label) for label in Label}


def _is_reference_read(statement: str) -> bool:
    return statement in _ONE_LABEL or statement.startswith("UNWIND CASE WHEN size($")


@pytest.fixture
def reference_reads(store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The reference look-ups the test's store is asked, as they are made."""
    seen: list[str] = []
    read = store.read

    def counting(query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        if _is_reference_read(query):
            seen.append(query)
        return read(query, params)

    monkeypatch.setattr(store, "read", counting)
    return seen


def _errors(response) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "/problems/invalid-input"
    return sorted((e["field"], e["message"]) for e in response.json()["errors"])


OPPORTUNITY = {"id": "night-school", "name": "Night school", "organisation": "kiln-digital", "mode": "offline",
               "place": "central-library", "themes": ["digital"], "badges": ["first-web-app"]}


def test_a_new_record_hears_of_every_unknown_reference_at_once(api, reference_reads) -> None:
    client, h = api
    bad = {**OPPORTUNITY, "organisation": "ghost-org", "place": "atlantis", "themes": ["digital", "cooking"],
           "badges": ["ghost-badge", "first-web-app", "other-ghost"]}
    reference_reads.clear()
    r = client.post("/opportunities", json=bad, headers=h["admin"])
    assert _errors(r) == [
        ("body.badges.0", "unknown Badge 'ghost-badge'"), ("body.badges.2", "unknown Badge 'other-ghost'"),
        ("body.organisation", "unknown Organisation 'ghost-org'"), ("body.place", "unknown Place 'atlantis'"),
        ("body.themes.1", "unknown Theme 'cooking'")]
    assert len(reference_reads) == 1, reference_reads
    assert client.get("/opportunities/night-school", headers=h["admin"]).status_code == 404
    made = client.post("/opportunities", json=OPPORTUNITY, headers=h["kiln"])
    assert made.status_code == 201, made.text
    got = client.get("/opportunities/night-school", headers=h["kiln"]).json()
    assert (got["organisation"], got["place"], got["themes"], got["badges"]) == (
        "kiln-digital", "central-library", ["digital"], ["first-web-app"])


def test_a_patch_hears_of_every_unknown_reference_at_once(api, reference_reads) -> None:
    client, h = api
    before = client.get("/badges/first-web-app", headers=h["admin"]).json()
    reference_reads.clear()
    r = client.patch("/badges/first-web-app", headers=h["admin"], json={
        "issuer": "nobody", "cells": [before["cells"][0], "skills.nowhere"], "themes": ["cooking", "knitting"]})
    assert _errors(r) == [
        ("body.cells.1", "unknown SpineCell 'skills.nowhere'"), ("body.issuer", "unknown Organisation 'nobody'"),
        ("body.themes.0", "unknown Theme 'cooking'"), ("body.themes.1", "unknown Theme 'knitting'")]
    assert len(reference_reads) == 1, reference_reads
    assert client.get("/badges/first-web-app", headers=h["admin"]).json() == before
    fixed = client.patch("/badges/first-web-app", headers=h["admin"], json={"themes": ["digital"]})
    assert fixed.status_code == 200 and fixed.json()["themes"] == ["digital"]


def test_a_profile_hears_of_every_unknown_reference_at_once(api, store: GraphStore, reference_reads) -> None:
    client, _ = api
    store.write(queries.merge_nodes(Label.LEARNER), {"rows": [{"id": "ada", "props": {}}]})
    me = {"Authorization": f"Bearer {issue_learner_token(client.app.state.token_secret, 'ada')}"}
    made = client.patch("/me", headers=me, json={"name": "Ada", "interests": "web pages", "themes": ["digital"],
                                                 "destinations": ["employment"], "home_place": "city-centre"})
    assert made.status_code == 200, made.text
    before = client.get("/me", headers=me).json()
    reference_reads.clear()
    r = client.patch("/me", headers=me, json={
        "name": "Ada L", "interests": "knitting", "themes": ["cooking", "digital", "knitting"],
        "destinations": ["employment", "the-moon"], "home_place": "atlantis"})
    assert _errors(r) == [
        ("body.destinations.1", "unknown Destination 'the-moon'"), ("body.home_place", "unknown Place 'atlantis'"),
        ("body.themes.0", "unknown Theme 'cooking'"), ("body.themes.2", "unknown Theme 'knitting'")]
    assert len(reference_reads) == 1, reference_reads
    assert client.get("/me", headers=me).json() == before
    fixed = client.patch("/me", headers=me, json={"themes": ["digital", "digital"], "home_place": None})
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["themes"], fixed.json()["destinations"], fixed.json()["home_place"]) == (
        ["digital"], ["employment"], None)


def test_a_pathway_looks_its_references_up_in_one_read(api, reference_reads) -> None:
    client, h = api
    bad = {**PATHWAY, "organisation": "ghost-org", "destination": "the-moon", "completion_badge": None,
           "steps": [{"title": "Try", "badges": ["ghost", "digital-explorer"]},
                     {"title": "Build", "badges": ["first-web-app", "phantom"]}]}
    reference_reads.clear()
    r = client.post("/pathways", json=bad, headers=h["admin"])
    assert _errors(r) == [
        ("body.destination", "unknown Destination 'the-moon'"),
        ("body.organisation", "unknown Organisation 'ghost-org'"),
        ("body.steps.0.badges.0", "unknown Badge 'ghost'"), ("body.steps.1.badges.1", "unknown Badge 'phantom'")]
    assert len(reference_reads) == 1, reference_reads
    assert client.get("/pathways/into-software", headers=h["admin"]).status_code == 404
    assert client.post("/pathways", json=PATHWAY, headers=h["kiln"]).status_code == 201


def _bad_catalogue() -> dict[str, Any]:
    """The minimal catalogue with six bad references of six kinds, in four sections."""
    data = minimal_catalogue()
    data["themes"][0]["destinations"] = ["employment", "space-travel"]       # themes[0] destinations.1
    data["badges"][0]["cells"] = ["skills.nowhere"]                          # badges[0] cells.0
    data["badges"][1]["issuer"] = "ghost-org"                                # badges[1] issuer
    data["opportunities"][0] |= {"place": "atlantis", "themes": ["cooking"]}  # place; themes.0
    data["pathways"][0]["steps"][1]["badges"] = ["club", "phantom"]          # pathways[0] steps.1.badges.1
    return data


def test_a_catalogue_file_lists_every_unknown_reference_after_one_read(
        store: GraphStore, reference_reads: list[str], tmp_path: Path) -> None:
    file = write_yaml(tmp_path / "city.yaml", _bad_catalogue())
    with pytest.raises(InvalidInputs) as info:
        ingest_catalogue(store, file)
    found = sorted((str(p.record).split(" ")[0], p.field, p.detail) for p in info.value.problems)
    assert found == [
        ("badges[0]", "cells.0", "unknown SpineCell 'skills.nowhere'"),
        ("badges[1]", "issuer", "unknown Organisation 'ghost-org'"),
        ("opportunities[0]", "place", "unknown Place 'atlantis'"),
        ("opportunities[0]", "themes.0", "unknown Theme 'cooking'"),
        ("pathways[0]", "steps.1.badges.1", "unknown Badge 'phantom'"),
        ("themes[0]", "destinations.1", "unknown Destination 'space-travel'")]
    assert all(p.file == str(file) for p in info.value.problems)
    assert len(reference_reads) == 1, reference_reads
    assert totals(store) == (0, 0)
    ingest_catalogue(store, write_yaml(tmp_path / "city.yaml", minimal_catalogue()))
    assert totals(store) != (0, 0)


def _activity(folder: Path, learners: list[list[str]], awards: list[list[str]]) -> Path:
    folder.mkdir(exist_ok=True)
    write_csv(folder / "learners.csv", ["id", "home_place", "themes", "destinations", "interests"], learners)
    write_csv(folder / "award_history.csv", ["id", "learner", "badge", "organisation", "issued_on", "status"],
              awards)
    return folder


def test_learners_and_awards_list_every_unknown_reference_and_wrong_issuer(
        store: GraphStore, reference_reads: list[str], tmp_path: Path) -> None:
    ingest_catalogue(store, write_yaml(tmp_path / "city.yaml", minimal_catalogue()))
    folder = _activity(tmp_path / "activity", [
        ["l1", "atlantis", "digital;cooking", "", ""],            # line 2: home_place, themes.1
        ["l2", "centre", "", "employment;space-travel", ""],      # line 3: destinations.1
    ], [
        ["a1", "l1", "taster", "library", "2026-01-05", ""],     # line 2: fine
        ["a2", "l9", "ghost-badge", "library", "2026-01-05", ""],  # line 3: learner, badge
        ["a3", "l2", "taster", "ghost-org", "2026-01-05", ""],   # line 4: organisation
        ["a4", "l2", "app", "library", "2026-01-05", ""],        # line 5: the college's badge
    ])
    reference_reads.clear()
    with pytest.raises(InvalidInputs) as info:
        ingest_awards(store, folder)
    found = sorted((Path(str(p.file)).name, p.record, p.field, p.detail) for p in info.value.problems)
    assert found == [
        ("award_history.csv", 3, "badge", "unknown Badge 'ghost-badge'"),
        ("award_history.csv", 3, "learner", "unknown Learner 'l9'"),
        ("award_history.csv", 4, "organisation", "unknown Organisation 'ghost-org'"),
        ("award_history.csv", 5, "organisation", "badge 'app' is defined by 'college', not 'library': an award's "
                                                 "issuer is its badge's issuer"),
        ("learners.csv", 2, "home_place", "unknown Place 'atlantis'"),
        ("learners.csv", 2, "themes.1", "unknown Theme 'cooking'"),
        ("learners.csv", 3, "destinations.1", "unknown Destination 'space-travel'")]
    assert len(reference_reads) == 1, reference_reads
    assert store.read(queries.count_nodes(Label.LEARNER)) == [{"n": 0}]
    assert store.read(queries.count_nodes(Label.ASSERTION)) == [{"n": 0}]
    _activity(folder, [["l1", "atlantis", "", "", ""]], [])    # one alone: an InvalidInput of its own
    with pytest.raises(InvalidInput) as one:
        ingest_awards(store, folder)
    assert not isinstance(one.value, InvalidInputs)
    assert (one.value.record, one.value.field, one.value.detail) == (2, "home_place", "unknown Place 'atlantis'")
    _activity(folder, [["l1", "centre", "digital", "employment", ""]],
              [["a1", "l1", "taster", "library", "2026-01-05", ""], ["a4", "l1", "app", "college", "2026-01-05", ""]])
    ingest_awards(store, folder)
    assert store.read(queries.count_nodes(Label.ASSERTION)) == [{"n": 2}]


def test_the_command_line_prints_every_problem(store: GraphStore, monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    """More problems than a message lists (``InvalidInputs.MAX_LISTED``): each is printed."""
    data = minimal_catalogue()
    many = InvalidInputs.MAX_LISTED + 10
    data["badges"][0]["themes"] = [f"ghost-{i}" for i in range(many)]
    file = write_yaml(tmp_path / "city.yaml", data)

    @contextmanager
    def this_store() -> Iterator[GraphStore]:
        yield store

    monkeypatch.setattr(cli_ingest, "store", this_store)
    result = CliRunner().invoke(cli, ["ingest", "catalogue", str(file)])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if "unknown Theme" in line]
    assert len(lines) == many, result.output
    assert all(f"field 'themes.{i}': unknown Theme 'ghost-{i}'" in lines[i] for i in range(many))
    assert "more" not in result.output and f"{many} problems" in result.output
    assert totals(store) == (0, 0)

