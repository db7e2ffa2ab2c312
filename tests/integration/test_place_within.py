"""No place lies within itself, at once or through others: the catalogue refuses
the batch naming the file, the record and ``within`` (a cycle may run through
places already in the graph); the API answers 422 naming ``body.within``. On both
engines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.errors import InvalidInput
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue import ingest_catalogue
from colearn.service.app import create_app
from colearn.service.auth import create_key

from tests.catalogue_builders import minimal_catalogue, totals, write_csv, write_yaml

#: centre (a district) > central-library (a venue) > room-1 (a room), and an opportunity in room-1.
NESTED = [{"id": "central-library", "name": "Central Library", "kind": "venue", "within": "centre"},
          {"id": "room-1", "name": "Room 1", "kind": "room", "within": "central-library"}]
CLUB = {"id": "coding-club", "name": "Coding club", "organisation": "library", "mode": "offline",
        "place": "room-1", "themes": ["digital"], "badges": ["club"]}


def _city(folder: Path, places: list[dict[str, Any]] | None = None) -> Path:
    data = minimal_catalogue()
    data["places"] += NESTED + (places or [])
    data["opportunities"].append(CLUB)
    return write_yaml(folder / "city.yaml", data)


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    ingest_catalogue(store, _city(tmp_path))
    key = create_key(store, "admin").secret
    with TestClient(create_app(Settings(data_dir=tmp_path), store=store)) as client:
        yield client, {"X-API-Key": key}


# --- no place lies within itself ------------------------------------------------------------


@pytest.mark.parametrize("places, record, message", [
    ([{"id": "selfie", "name": "Selfie", "kind": "venue", "within": "selfie"}],
     "places[3]", "'selfie' cannot lie within itself"),
    ([{"id": "loop-a", "name": "A", "kind": "venue", "within": "loop-b"},
      {"id": "loop-b", "name": "B", "kind": "venue", "within": "loop-a"}],
     "places[3]", "'loop-a' cannot lie within 'loop-b', which lies within 'loop-a'"),
])
def test_a_catalogue_place_within_itself_is_refused(store: GraphStore, tmp_path: Path,
                                                    places: list[dict[str, Any]], record: str,
                                                    message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        ingest_catalogue(store, _city(tmp_path, places))
    err = info.value
    assert (Path(str(err.file)).name, err.field) == ("city.yaml", "within")
    assert str(err.record).startswith(record) and message in err.detail
    assert totals(store) == (0, 0)


def test_a_catalogue_cycle_through_the_graph_is_refused(store: GraphStore, tmp_path: Path) -> None:
    ingest_catalogue(store, _city(tmp_path))
    before = totals(store)
    (tmp_path / "again").mkdir()
    write_csv(tmp_path / "again" / "places.csv", ["id", "name", "kind", "within"], [
        ["centre", "Centre", "district", "room-1"]])
    with pytest.raises(InvalidInput) as info:
        ingest_catalogue(store, tmp_path / "again")
    err = info.value
    assert (Path(str(err.file)).name, err.record, err.field) == ("places.csv", 2, "within")
    assert "'centre' cannot lie within 'room-1', which lies within 'central-library'" in err.detail
    assert totals(store) == before


def test_the_api_refuses_a_place_within_itself(store: GraphStore, api) -> None:
    client, h = api
    for place, within in (("central-library", "central-library"), ("centre", "room-1")):
        refused = client.patch(f"/places/{place}", json={"within": within}, headers=h)
        assert refused.status_code == 422, refused.text
        [error] = refused.json()["errors"]
        assert error["field"] == "body.within" and "cannot lie within" in error["message"]
    assert client.get("/places/centre", headers=h).json()["within"] is None
    assert client.get("/places/central-library", headers=h).json()["within"] == "centre"
    made = client.post("/places", json={"id": "hall", "name": "Hall", "kind": "venue", "within": "room-1"},
                       headers=h)
    assert made.status_code == 201, made.text
    moved = client.patch("/places/room-1", json={"within": "hall"}, headers=h)
    assert moved.status_code == 422 and moved.json()["errors"][0]["field"] == "body.within"
    assert client.patch("/places/hall", json={"within": "centre"}, headers=h).status_code == 200
