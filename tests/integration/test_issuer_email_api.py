"""An organisation issues badges, and Open Badges 2.0 requires an ``email`` of an issuer
Profile (section "Profile": id, type, name, url and email). The API refuses an
organisation without one when it is created or patched (422 on ``body.email``); an
award for one stored without it (loaded from catalogue files, or stored before that
rule) is refused with a 409 naming ``organisation.email`` and how to fix it, not a 422
on ``body.email``, a field the award request never sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.service.auth import create_key
from tests.learner_builders import learner_client

_AWARD = {"recipient": {"type": "email", "identity": "ada@example.org"}}


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A client of the learner city and an admin key."""
    with learner_client(store, tmp_path) as (client, _):
        yield client, {"X-API-Key": create_key(store, "admin").secret}


def _fields(r) -> list[str]:
    return [e["field"] for e in r.json().get("errors", [])]


def test_an_organisation_is_not_created_without_an_email(api) -> None:
    client, admin = api
    r = client.post("/organisations", headers=admin, json={"id": "no-mail-org", "name": "No Mail", "kind": "club"})
    assert r.status_code == 422, r.text
    assert _fields(r) == ["body.email"]
    assert client.get("/organisations/no-mail-org", headers=admin).status_code == 404
    made = client.post("/organisations", headers=admin,
                       json={"id": "mail-org", "name": "Mail", "kind": "club", "email": "hi@mail.example"})
    assert made.status_code == 201, made.text


def test_an_organisations_email_is_not_cleared(api) -> None:
    client, admin = api
    r = client.patch("/organisations/college", headers=admin, json={"email": None})
    assert r.status_code == 422, r.text
    assert "body.email" in _fields(r)
    assert client.get("/organisations/college", headers=admin).json()["email"]


def test_an_award_for_a_stored_organisation_without_email_names_the_organisations_field(
        api, store: GraphStore) -> None:
    client, admin = api
    store.write(queries.merge_nodes(Label.ORGANISATION), {"rows": [
        {"id": "no-mail-org", "props": {"name": "No Mail", "kind": "club", "description": ""}}]})
    badge = client.post("/badges", headers=admin, json={
        "id": "nm-badge", "name": "NM", "issuer": "no-mail-org", "cells": ["skills.engagement"]})
    assert badge.status_code == 201, badge.text
    r = client.post("/organisations/no-mail-org/badges/nm-badge/assertions", headers=admin, json=_AWARD)
    assert r.status_code == 409, r.text
    assert _fields(r) == ["organisation.email"]
    assert "PATCH /organisations/no-mail-org" in r.json()["detail"]
    fixed = client.patch("/organisations/no-mail-org", headers=admin, json={"email": "hi@nomail.example"})
    assert fixed.status_code == 200, fixed.text
    again = client.post("/organisations/no-mail-org/badges/nm-badge/assertions", headers=admin, json=_AWARD)
    assert again.status_code == 201, again.text
