"""An organisation's own view on the demo city: the awards it issued (filtered,
paged, revoked from the list) and its pathways' funnels, as JSON and CSV, with
counts checked against award_history.csv."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.graph.store import GraphStore
from colearn.ingest.awards import ingest_awards
from colearn.ingest.catalogue import demo_city_path, ingest_demo_catalogue
from colearn.service.app import create_app
from colearn.service.auth import create_key

ORG = "kiln-digital"


@pytest.fixture
def world(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], dict[str, str]]]:
    ingest_demo_catalogue(store)
    ingest_awards(store, demo_city_path())
    own = {"X-API-Key": create_key(store, "organisation", organisation_id=ORG).secret}
    other = {"X-API-Key": create_key(store, "organisation", organisation_id="greenway-trust").secret}
    with TestClient(create_app(Settings(data_dir=tmp_path), store=store)) as c:
        yield c, own, other


def _expected() -> list[dict[str, str]]:
    with (demo_city_path() / "award_history.csv").open() as f:
        return [r for r in csv.DictReader(f) if r["organisation"] == ORG]


def test_issued_awards_filtered_paged_csv_and_revoked_from_the_list(world) -> None:
    client, own, other = world
    mine = _expected()
    url = f"/organisations/{ORG}/assertions"
    first = client.get(url, headers=own, params={"limit": 10}).json()
    assert first["count"] == len(mine) and len(first["data"]) == 10
    assert [a["issued_on"] for a in first["data"]] == sorted((a["issued_on"] for a in first["data"]), reverse=True)
    second = client.get(url, headers=own, params={"limit": 10, "offset": 10}).json()
    assert not {a["id"] for a in first["data"]} & {a["id"] for a in second["data"]}
    placement = client.get(url, headers=own, params={"badge": "junior-developer-placement", "limit": 1000}).json()
    assert placement["count"] == sum(r["badge"] == "junior-developer-placement" for r in mine)
    in_2025 = client.get(url, headers=own, params={"from": "2025-01-01", "to": "2025-12-31"}).json()
    assert in_2025["count"] == sum(r["issued_on"].startswith("2025") for r in mine)
    as_csv = client.get(url, headers={**own, "Accept": "text/csv"}, params={"limit": 10_000})
    rows = list(csv.DictReader(as_csv.text.splitlines()))
    assert as_csv.headers["content-type"].startswith("text/csv") and len(rows) == len(mine)
    assert rows[0]["badge_name"] and rows[0]["revoke_url"].endswith("/revoke")
    # revoke from the list
    target = next(a for a in first["data"] if a["status"] != "revoked")
    base = client.app.state.settings.base_url.rstrip("/")
    assert target["revoke_url"] == f"{base}/assertions/{target['id']}/revoke"
    spoofed = client.get(url, headers={**own, "Host": "evil.example"}, params={"limit": 1}).json()
    assert spoofed["data"][0]["revoke_url"].startswith(base + "/")  # never from the Host header
    before = {r["id"] for r in mine if r["status"] == "revoked"}
    revoked = client.post(target["revoke_url"].removeprefix(base), headers=own,
                          json={"reason": "issued in error"})
    assert revoked.status_code == 200, revoked.text
    now = {a["id"]: a for a in client.get(url, headers=own, params={"status": "revoked"}).json()["data"]}
    assert set(now) == before | {target["id"]} and all(a["revoke_url"] is None for a in now.values())
    assert now[target["id"]]["revocation_reason"] == "issued in error"
    assert client.get(url, headers=other).status_code == 403


def test_its_pathway_funnels(world) -> None:
    client, own, other = world
    url = f"/organisations/{ORG}/pathways/funnels"
    body = client.get(url, headers=own).json()
    assert [p["pathway"] for p in body["pathways"]] == ["digital-careers"]
    stages = body["pathways"][0]["stages"]
    assert stages[0]["learners"] >= stages[1]["learners"] > 0
    rows = list(csv.DictReader(client.get(url, headers={**own, "Accept": "text/csv"}).text.splitlines()))
    assert {r["pathway"] for r in rows} == {"digital-careers"} and rows[0]["pathway_title"] == "Digital Careers"
    assert client.get(url, headers=other).status_code == 403
