"""An opportunity may list another organisation's badge, and the badge's organisation
keeps control of that: ``DELETE /badges/{badge_id}/opportunities/{opportunity_id}``
takes its badge off the other organisation's opportunity, after which it can delete
the badge (before, only admin could undo such a listing, and the badge could not be
deleted: 409 "still in use")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.graph.store import GraphStore
from colearn.service.auth import create_key
from tests.learner_builders import learner_client

_SQUAT = {"id": "club-squat", "name": "Squat", "organisation": "club", "mode": "online",
          "url": "https://anything.example/", "badges": ["fresh", "coding"]}


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    """``college`` makes badge ``fresh``; ``club`` lists it (and its own ``coding``) on its
    opportunity; ``third`` owns neither. Keys of the three organisations."""
    with learner_client(store, tmp_path) as (client, _):
        admin = {"X-API-Key": create_key(store, "admin").secret}
        third = client.post("/organisations", headers=admin, json={"id": "third", "name": "Third", "kind": "charity", "email": "hi@third.example"})
        assert third.status_code == 201, third.text
        h = {org: {"X-API-Key": create_key(store, "organisation", organisation_id=org).secret}
             for org in ("college", "club", "third")}
        made = client.post("/badges", headers=h["college"], json={
            "id": "fresh", "name": "Fresh", "issuer": "college", "cells": ["skills.engagement"]})
        assert made.status_code == 201, made.text
        listed = client.post("/opportunities", headers=h["club"], json=_SQUAT)
        assert listed.status_code == 201, listed.text
        yield client, h


def test_the_badges_organisation_takes_its_badge_off_another_organisations_opportunity(api) -> None:
    client, h = api
    cell = "/opportunities?spine_cell=skills.engagement&limit=100"
    assert "club-squat" in [o["id"] for o in client.get(cell, headers=h["club"]).json()["data"]]
    r = client.delete("/badges/fresh", headers=h["college"])
    assert r.status_code == 409 and "club-squat" in r.json()["detail"]
    assert client.patch("/opportunities/club-squat", headers=h["college"], json={"badges": []}).status_code == 403
    r = client.delete("/badges/fresh/opportunities/club-squat", headers=h["college"])
    assert r.status_code == 204, r.text
    assert client.get("/opportunities/club-squat", headers=h["club"]).json()["badges"] == ["coding"]
    assert "club-squat" not in [o["id"] for o in client.get(cell, headers=h["club"]).json()["data"]]
    assert client.delete("/badges/fresh", headers=h["college"]).status_code == 204


def test_the_opportunitys_organisation_may_too_and_nobody_else(api) -> None:
    client, h = api
    r = client.delete("/badges/fresh/opportunities/club-squat", headers=h["third"])
    assert r.status_code == 403 and "only the organisation that owns" in r.json()["detail"]
    r = client.delete("/badges/coding/opportunities/club-squat", headers=h["college"])
    assert r.status_code == 403  # club's own badge on club's opportunity: not college's to take off
    assert client.delete("/badges/fresh/opportunities/club-squat", headers=h["club"]).status_code == 204
    assert client.get("/opportunities/club-squat", headers=h["club"]).json()["badges"] == ["coding"]


def test_a_link_that_does_not_exist_is_404(api) -> None:
    client, h = api
    client.delete("/badges/fresh/opportunities/club-squat", headers=h["college"])
    for path in ("/badges/fresh/opportunities/club-squat", "/badges/fresh/opportunities/nowhere",
                 "/badges/nothing/opportunities/club-squat"):
        r = client.delete(path, headers=h["college"])
        assert r.status_code == 404, (path, r.text)


def test_a_badge_granted_there_by_a_live_claim_code_stays_until_the_code_is_revoked(api) -> None:
    client, h = api
    made = client.post("/opportunities", headers=h["college"], json={
        "id": "college-course", "name": "Course", "organisation": "college", "mode": "online", "badges": ["fresh"]})
    assert made.status_code == 201, made.text
    code = client.post("/organisations/college/claim-codes", headers=h["college"], json={
        "badge_id": "fresh", "opportunity_id": "college-course", "valid_until": "2099-01-01T00:00:00Z",
        "max_claims": 5})
    assert code.status_code == 201, code.text
    r = client.delete("/badges/fresh/opportunities/college-course", headers=h["college"])
    assert r.status_code == 409 and code.json()["id"] in r.json()["detail"], r.text
    assert client.get("/opportunities/college-course", headers=h["college"]).json()["badges"] == ["fresh"]
    revoked = client.post(f"/organisations/college/claim-codes/{code.json()['id']}/revoke", headers=h["college"])
    assert revoked.status_code == 200, revoked.text
    assert client.delete("/badges/fresh/opportunities/college-course", headers=h["college"]).status_code == 204
