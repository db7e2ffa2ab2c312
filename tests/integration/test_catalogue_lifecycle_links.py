"""What a catalogue change leaves behind (a tester's reports, on both engines):

- an opportunity's badges or organisation changed while live claim codes are handed
  out at it: the codes kept awarding a badge it no longer awards, in the name of an
  organisation that no longer offers it. Now the PATCH is a 409 naming the codes;
- an organisation deleted: its API keys kept working (and acted for a new organisation
  given the same id). Now they are revoked with it;
- a badge deleted by its issuer: it silently left another organisation's opportunity.
  Now an opportunity that awards it keeps it (409 naming the opportunity)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.errors import InvalidInput

from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue import ingest_catalogue
from colearn.service.app import create_app
from colearn.service.auth import create_key, list_keys, revoke_key
from tests.catalogue_builders import write_yaml
from tests.integration import test_catalogue_api, test_portfolio_cache
from tests.live import wait_until

api = test_catalogue_api.api  # the fixture: the demo city served; admin, kiln, college and partner keys


def _made(r: Any) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    return r.json()


def _badge(client: TestClient, h: dict, badge: str, issuer: str = "kiln-digital", key: str = "kiln") -> None:
    _made(client.post("/badges", headers=h[key], json={"id": badge, "name": badge, "issuer": issuer,
                                                      "cells": ["skills.participation"]}))


def _opportunity(client: TestClient, h: dict, opp: str, badges: list[str], org: str = "kiln-digital",
                 key: str = "kiln") -> None:
    _made(client.post("/opportunities", headers=h[key], json={
        "id": opp, "name": opp, "organisation": org, "mode": "online", "badges": badges}))


def _code(client: TestClient, h: dict, badge: str, opp: str) -> str:
    return _made(client.post("/organisations/kiln-digital/claim-codes", headers=h["kiln"], json={
        "badge_id": badge, "opportunity_id": opp, "max_claims": 5,
        "valid_until": (datetime.now(UTC) + timedelta(days=1)).isoformat()}))["id"]


def _awards(store: GraphStore, opp: str) -> list[str]:
    return sorted(store.read(queries.catalogue_get(Label.OPPORTUNITY), {"id": opp})[0]["record"]["badges"])


# ---------------------------------------------------------------- claim codes at a changed opportunity


def test_an_opportunity_keeps_a_badge_its_live_claim_codes_grant(api, store: GraphStore) -> None:
    client, h = api
    _badge(client, h, "fo-b1")
    _badge(client, h, "fo-b2")
    _opportunity(client, h, "fo-opp", ["fo-b1", "fo-b2"])
    code = _code(client, h, "fo-b1", "fo-opp")
    r = client.patch("/opportunities/fo-opp", headers=h["kiln"], json={"badges": ["fo-b2"]})
    assert r.status_code == 409, r.text
    assert r.json()["detail"] == (
        f"opportunity 'fo-opp' cannot change so: badge 'fo-b1' is still granted at it by 1 live claim code: "
        f"{code}; revoke those codes first (POST /organisations/{{organisation}}/claim-codes/{{id}}/revoke)")
    assert _awards(store, "fo-opp") == ["fo-b1", "fo-b2"]
    # a badge no code grants may go; other fields change as before
    assert client.patch("/opportunities/fo-opp", headers=h["kiln"], json={"badges": ["fo-b1"]}).status_code == 200
    assert client.patch("/opportunities/fo-opp", headers=h["kiln"], json={"name": "Renamed"}).status_code == 200
    # moving it to another organisation would leave the code acting for kiln at the college's opportunity
    moved = client.patch("/opportunities/fo-opp", headers=h["admin"], json={"organisation": "brackenford-college"})
    assert moved.status_code == 409 and f"'kiln-digital' hands it out with 1 live claim code: {code}" in (
        moved.json()["detail"]), moved.text
    assert store.read(queries.catalogue_get(Label.OPPORTUNITY), {"id": "fo-opp"})[0]["record"][
        "organisation"] == "kiln-digital"
    # revoked, the code strands nothing
    revoked = client.post(f"/organisations/kiln-digital/claim-codes/{code}/revoke", headers=h["kiln"])
    assert revoked.status_code == 200, revoked.text
    assert client.patch("/opportunities/fo-opp", headers=h["kiln"], json={"badges": []}).status_code == 200
    assert _awards(store, "fo-opp") == []
    assert client.patch("/opportunities/fo-opp", headers=h["admin"],
                        json={"organisation": "brackenford-college"}).status_code == 200


def test_a_catalogue_file_that_would_strand_a_claim_code_is_refused(api, store: GraphStore, tmp_path: Path) -> None:
    """The reader applies the same rule: the file is refused whole, naming the file, the
    record and the field, and nothing is written."""
    client, h = api
    _badge(client, h, "fo-b1")
    _opportunity(client, h, "fo-opp", ["fo-b1"])
    code = _code(client, h, "fo-b1", "fo-opp")
    opp = {"id": "fo-opp", "name": "Fo", "organisation": "kiln-digital", "mode": "online", "badges": []}
    for change, field in (({}, "badges"), ({"organisation": "brackenford-college", "badges": ["fo-b1"]},
                                           "organisation")):
        with pytest.raises(InvalidInput) as info:
            ingest_catalogue(store, write_yaml(tmp_path / "c.yaml", {"opportunities": [opp | change]}))
        problems = getattr(info.value, "problems", [info.value])
        assert [(p.field, Path(str(p.file)).name) for p in problems] == [(field, "c.yaml")]
        assert code in problems[0].detail
        stored = store.read(queries.catalogue_get(Label.OPPORTUNITY), {"id": "fo-opp"})[0]["record"]
        assert (stored["name"], stored["organisation"], stored["badges"]) == ("fo-opp", "kiln-digital", ["fo-b1"])
    client.post(f"/organisations/kiln-digital/claim-codes/{code}/revoke", headers=h["kiln"])
    ingest_catalogue(store, write_yaml(tmp_path / "c.yaml", {"opportunities": [opp]}))
    assert _awards(store, "fo-opp") == []


# ---------------------------------------------------------------- an organisation's keys go with it


def test_deleting_an_organisation_revokes_its_keys(api, store: GraphStore) -> None:
    client, h = api
    _made(client.post("/organisations", headers=h["admin"], json={"id": "fo-org", "name": "Fo", "kind": "charity", "email": "hi@fo.example"}))
    key = {"X-API-Key": create_key(store, "organisation", organisation_id="fo-org").secret}
    assert client.get("/insights/spine", headers=key).status_code == 200  # read once: in the key cache too
    assert client.delete("/organisations/fo-org", headers=h["admin"]).status_code == 204
    [row] = [k for k in list_keys(store) if k["organisation_id"] == "fo-org"]
    assert row["revoked_on"] is not None
    assert client.get("/insights/spine", headers=key).status_code == 401
    # an organisation made again with the same id does not bring the old key back
    _made(client.post("/organisations", headers=h["admin"], json={"id": "fo-org", "name": "Fo", "kind": "charity", "email": "hi@fo.example"}))
    assert client.get("/insights/spine", headers=key).status_code == 401
    # other organisations' keys are untouched, and a refused delete revokes nothing
    assert client.delete("/organisations/kiln-digital", headers=h["admin"]).status_code == 409
    assert client.get("/insights/spine", headers=h["kiln"]).status_code == 200
    assert all(k["revoked_on"] is None for k in list_keys(store) if k["organisation_id"] != "fo-org")


@pytest.mark.parametrize("how", ["organisation deleted", "key revoked"])
def test_a_revoked_key_stops_working_in_another_process_by_the_feed(
        api, store: GraphStore, tmp_path: Path, request: pytest.FixtureRequest, how: str) -> None:
    """Another serving process (its own store connection, key cache and feed follower) that had
    a key cached honoured it for its cache's whole TTL after the key's organisation was deleted
    or the key revoked (``colearn keys revoke``, ``revoke_key``); it now drops its key cache when
    the feed brings it the change, long before the TTL (600 s here, ten times the liveness bound
    ``tests.live.VISIBLE_WITHIN_S``; 5 s by default) ends."""
    client, h = api
    _made(client.post("/organisations", headers=h["admin"], json={"id": "fo-org2", "name": "Fo", "kind": "charity", "email": "hi@fo.example"}))
    made = create_key(store, "organisation", organisation_id="fo-org2")
    key = {"X-API-Key": made.secret}
    other = test_portfolio_cache._other(store, request)
    app = create_app(Settings(data_dir=tmp_path / "other", key_cache_seconds=600, feed_poll_seconds=0.05), store=other)
    try:
        with TestClient(app) as elsewhere:
            assert elsewhere.get("/insights/spine", headers=key).status_code == 200  # cached there
            if how == "key revoked":
                revoke_key(store, made.id)
            else:
                assert client.delete("/organisations/fo-org2", headers=h["admin"]).status_code == 204
            wait_until(lambda: elsewhere.get("/insights/spine", headers=key).status_code == 401,
                       f"a key refused in another process ({how})")
            assert elsewhere.get("/insights/spine", headers=h["kiln"]).status_code == 200  # others' keys still work
    finally:
        other.close()


# ---------------------------------------------------------------- a badge another organisation awards


def test_a_badge_another_organisations_opportunity_awards_is_not_deleted(api, store: GraphStore) -> None:
    client, h = api
    _badge(client, h, "fo-x1")
    _opportunity(client, h, "fo-college-opp", ["fo-x1"], org="brackenford-college", key="college")
    r = client.delete("/badges/fo-x1", headers=h["kiln"])
    assert r.status_code == 409 and r.json()["detail"] == (
        "badge 'fo-x1' is still in use (1 opportunity: fo-college-opp); remove those first (take it off an "
        "opportunity with DELETE /badges/fo-x1/opportunities/{opportunity_id})"), r.text
    assert _awards(store, "fo-college-opp") == ["fo-x1"]
    # the issuer's own opportunity keeps it too, until the badge is taken off
    _opportunity(client, h, "fo-kiln-opp", ["fo-x1"])
    assert "2 opportunities: fo-college-opp, fo-kiln-opp" in client.delete("/badges/fo-x1", headers=h["kiln"]).text
    for opp, key in (("fo-college-opp", "college"), ("fo-kiln-opp", "kiln")):
        assert client.patch(f"/opportunities/{opp}", headers=h[key], json={"badges": []}).status_code == 200
    assert client.delete("/badges/fo-x1", headers=h["kiln"]).status_code == 204
