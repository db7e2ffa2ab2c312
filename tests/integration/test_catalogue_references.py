"""A catalogue write that names things that do not exist hears of every such reference
at once, each with its record and field, and nothing of it is written: a badge, an
opportunity or a pathway through the API (one 422, one ``errors`` entry per bad
reference). The references of one write are looked up with one read of the graph.

Before, the API's catalogue records answered the first unknown reference only, and
every check read the graph once per label referred to."""

from __future__ import annotations

from typing import Any

import pytest

from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
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
