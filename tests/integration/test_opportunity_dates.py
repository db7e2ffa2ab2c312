"""An opportunity's dates mean the same from every source (a YAML catalogue, a CSV
catalogue, the API): a date-only ``end`` includes its day, the end is not before
the start (given, or worked out from the sessions), and no session lies outside
``[start, end]``; a refusal names the field. On both engines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
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
from colearn.service.auth import create_key

from tests.catalogue_builders import minimal_catalogue, totals, write_csv, write_yaml

JUNE_30 = int(datetime(2027, 6, 30, tzinfo=UTC).timestamp())
JULY_1 = int(datetime(2027, 7, 1, tzinfo=UTC).timestamp())
SESSION_2027 = "2027-03-01T17:00:00Z/2027-03-01T19:00:00Z"


def _stored(store: GraphStore, opportunity: str) -> dict[str, Any]:
    return store.read(queries.catalogue_get(Label.OPPORTUNITY), {"id": opportunity})[0]["record"]


def _yaml_city(folder: Path, **opportunity: Any) -> Path:
    data = minimal_catalogue()
    data["opportunities"].append({"id": "fair", "name": "Fair", "organisation": "library", "mode": "offline",
                                  "place": "centre", **opportunity})
    return write_yaml(folder / "city.yaml", data)


def _csv_city(folder: Path, **opportunity: str) -> Path:
    """The minimal catalogue as YAML, but its opportunities as ``opportunities.csv``."""
    data = minimal_catalogue()
    data.pop("opportunities")
    data.pop("pathways")
    write_yaml(folder / "city.yaml", data)
    row = {"id": "fair", "name": "Fair", "organisation": "library", "mode": "offline", "place": "centre",
           "start": "", "end": "", "sessions": "", **opportunity}
    write_csv(folder / "opportunities.csv", list(row), [list(row.values())])
    return folder


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    ingest_catalogue(store, write_yaml(tmp_path / "city.yaml", minimal_catalogue()))
    key = create_key(store, "admin").secret
    with TestClient(create_app(Settings(data_dir=tmp_path), store=store)) as client:
        yield client, {"X-API-Key": key}


def _post(client: TestClient, h: dict[str, str], **fields: Any) -> Any:
    body = {"id": "fair", "name": "Fair", "organisation": "library", "mode": "offline", "place": "centre",
            **fields}
    return client.post("/opportunities", json=body, headers=h)


# --- a date-only end includes its day ---------------------------------------------------


def test_a_yaml_end_date_includes_its_day(store: GraphStore, tmp_path: Path) -> None:
    ingest_catalogue(store, _yaml_city(tmp_path, start="2027-06-01", end="2027-06-30"))
    assert _stored(store, "fair")["ends_on"] == JULY_1


def test_a_csv_end_date_includes_its_day(store: GraphStore, tmp_path: Path) -> None:
    ingest_catalogue(store, _csv_city(tmp_path, start="2027-06-01", end="2027-06-30"))
    assert _stored(store, "fair")["ends_on"] == JULY_1


def test_a_csv_end_with_a_time_is_that_time(store: GraphStore, tmp_path: Path) -> None:
    ingest_catalogue(store, _csv_city(tmp_path, start="2027-06-01", end="2027-06-30T00:00:00Z"))
    assert _stored(store, "fair")["ends_on"] == JUNE_30


def test_an_api_end_date_includes_its_day(store: GraphStore, api) -> None:
    client, h = api
    made = _post(client, h, start="2027-06-01", end="2027-06-01")
    assert made.status_code == 201, made.text
    assert made.json()["end"] == "2027-06-02T00:00:00Z"   # the widget reads a midnight end as the day before
    assert _stored(store, "fair")["ends_on"] - _stored(store, "fair")["starts_on"] == 86_400
    patched = client.patch("/opportunities/fair", json={"end": "2027-06-30"}, headers=h)
    assert patched.status_code == 200, patched.text
    assert _stored(store, "fair")["ends_on"] == JULY_1


# --- the end is not before the start, and the sessions lie within [start, end] ----------


@pytest.mark.parametrize("source", ["yaml", "csv"])
def test_a_catalogue_end_before_its_sessions_is_refused(store: GraphStore, tmp_path: Path, source: str) -> None:
    city = (_yaml_city(tmp_path, end="2020-01-01", sessions=[SESSION_2027]) if source == "yaml"
            else _csv_city(tmp_path, end="2020-01-01", sessions=SESSION_2027))
    before = totals(store)
    with pytest.raises(InvalidInput) as info:
        ingest_catalogue(store, city)
    assert info.value.field == "end" and "before" in info.value.detail
    assert Path(str(info.value.file)).name == ("city.yaml" if source == "yaml" else "opportunities.csv")
    assert totals(store) == before


@pytest.mark.parametrize("source", ["yaml", "csv"])
def test_a_catalogue_session_outside_start_and_end_is_refused(store: GraphStore, tmp_path: Path,
                                                              source: str) -> None:
    sessions = ["2027-03-05T17:00:00Z/2027-03-05T19:00:00Z", "2027-02-01T17:00:00Z/2027-02-01T19:00:00Z"]
    dates = {"start": "2027-03-01", "end": "2027-03-31"}
    city = (_yaml_city(tmp_path, sessions=sessions, **dates) if source == "yaml"
            else _csv_city(tmp_path, sessions=";".join(sessions), **dates))
    with pytest.raises(InvalidInput) as info:
        ingest_catalogue(store, city)
    assert info.value.field == "sessions.1" and "before the opportunity's start" in info.value.detail


def test_a_session_on_the_end_date_is_within_it(store: GraphStore, tmp_path: Path) -> None:
    ingest_catalogue(store, _csv_city(tmp_path, start="2027-03-01", end="2027-03-31",
                                      sessions="2027-03-31T17:00:00Z/2027-03-31T23:00:00Z"))
    assert _stored(store, "fair")["session_ends"] == [int(datetime(2027, 3, 31, 23, tzinfo=UTC).timestamp())]


def test_the_api_refuses_an_end_before_its_sessions(store: GraphStore, api) -> None:
    client, h = api
    refused = _post(client, h, end="2020-01-01", sessions=[SESSION_2027])
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.end"
    refused = _post(client, h, start="2027-03-01", end="2027-03-02",
                    sessions=[SESSION_2027, "2027-03-09T17:00:00Z/2027-03-09T19:00:00Z"])
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["body.sessions.1"]
    assert client.get("/opportunities/fair", headers=h).status_code == 404
    assert _post(client, h, start="2027-03-01", end="2027-03-01", sessions=[SESSION_2027]).status_code == 201
    moved = client.patch("/opportunities/fair", json={"end": "2026-12-31"}, headers=h)
    assert moved.status_code == 422 and moved.json()["errors"][0]["field"] == "body.end"
    assert _stored(store, "fair")["ends_on"] == int(datetime(2027, 3, 2, tzinfo=UTC).timestamp())
