"""A place lies in every place up its ``within`` chain, at any depth: a room within
a venue within a district is in the district for the catalogue's ``district``
filters, "what next" (and within the venue too) and the insights. On both engines."""

from __future__ import annotations

from pathlib import Path

import pytest

from colearn.errors import InvalidInput
from colearn.graph import queries
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue import ingest_catalogue
from colearn.insights.aggregates import Insights
from tests.integration import test_place_within as place_within
from tests.integration.test_place_within import _city

api = place_within.api  # the fixture: the nested city served, with an admin key


# --- a place lies in every place up its chain -------------------------------------------------


def test_the_district_filters_follow_within_to_any_depth(api) -> None:
    client, h = api
    for district in ("centre", "central-library", "room-1"):
        opps = client.get("/opportunities", params={"district": district}, headers=h).json()["data"]
        assert "coding-club" in {o["id"] for o in opps}, district
        badges = client.get("/badges", params={"district": district}, headers=h).json()["data"]
        assert "club" in {b["id"] for b in badges}, district
    at_centre = client.get("/opportunities", params={"district": "centre"}, headers=h).json()["data"]
    assert {o["id"] for o in at_centre} == {"taster-day", "coding-club"}
    assert client.get("/opportunities", params={"district": "room-1"}, headers=h).json()["count"] == 1


def test_what_next_counts_a_room_in_its_district(api) -> None:
    client, h = api
    for district in ("centre", "central-library"):
        answer = client.post("/visitors/next", json={"themes": ["digital"], "district": district, "limit": 10},
                             headers=h)
        assert answer.status_code == 200, answer.text
        opps = {o["id"]: o for i in answer.json()["items"] for o in i["opportunities"]}
        assert "coding-club" in opps, district
        assert (opps["coding-club"]["place_id"], opps["coding-club"]["district_id"]) == ("room-1", "centre")


def test_insights_count_a_room_as_its_district(store: GraphStore, tmp_path: Path) -> None:
    ingest_catalogue(store, _city(tmp_path))
    supply = {(r["theme"], r["place"]): sorted(r["opportunities"]) for r in store.read(queries.OPPORTUNITY_SUPPLY)}
    assert supply[("digital", "centre")] == ["coding-club", "taster-day"]
    assert not any(place in ("room-1", "central-library") for _, place in supply)


def test_insights_take_districts_and_refuse_a_room_naming_its_district(store: GraphStore, tmp_path: Path) -> None:
    """Insights count a room as its district, so asking for the room (or its venue) is
    refused with the district to ask for instead, not answered with an always-empty table."""
    ingest_catalogue(store, _city(tmp_path))
    insights = Insights(store)
    assert insights.districts() == {"centre": "centre", "central-library": "centre", "room-1": "centre"}
    for place in ("room-1", "central-library"):
        with pytest.raises(InvalidInput, match=f"'{place}' is not a district.*within 'centre'") as info:
            insights.unseen_talent(place=place)
        assert info.value.field == "place"
        with pytest.raises(InvalidInput, match="within 'centre'"):
            insights.supply_demand(place=place)
        with pytest.raises(InvalidInput, match="within 'centre'") as info:
            insights.issued("place", group=place)
        assert info.value.field == "group"
    assert [r["place"] for r in insights.supply_demand(place="centre")["rows"]] == ["centre"]
