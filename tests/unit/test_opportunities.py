"""Where and when a badge can be earned: the reach filter, ended opportunities, step rules."""

from __future__ import annotations

from colearn.recommender.opportunities import Reach, current, earnable, step_rule

NOW = 1_800_000_000
DAY = 86_400

VENUE = {"id": "club", "mode": "offline", "place_id": "northgate-library", "district_id": "northgate", "ends_on": None}
DISTRICT = {"id": "walk", "mode": "offline", "place_id": "northgate", "district_id": "northgate", "ends_on": None}
ELSEWHERE = {"id": "far", "mode": "blended", "place_id": "town-hall", "district_id": "city-centre", "ends_on": None}
ONLINE = {"id": "web", "mode": "online", "place_id": None, "district_id": None, "ends_on": NOW + DAY}
ENDED = {"id": "old", "mode": "offline", "place_id": "northgate-library", "district_id": "northgate",
         "ends_on": NOW - DAY}


def test_ended_opportunities_are_dropped_and_a_badge_with_only_ended_ones_is_not_offered() -> None:
    assert [o["id"] for o in current([VENUE, ENDED, ONLINE], NOW)] == ["club", "web"]
    assert current([{**ENDED, "ends_on": NOW}], NOW) == []  # ending exactly now has ended
    assert earnable([ENDED], NOW) is None
    assert earnable([], NOW) == []  # no opportunity in the graph at all: offered without one
    assert [o["id"] for o in earnable([ENDED, ELSEWHERE], NOW)] == ["far"]


def test_a_district_includes_the_venues_inside_it() -> None:
    near = Reach(district="northgate")
    assert [o["id"] for o in earnable([VENUE, DISTRICT, ELSEWHERE, ONLINE, ENDED], NOW, near)] == ["club", "walk"]
    assert earnable([ELSEWHERE], NOW, near) is None
    assert earnable([], NOW, near) is None  # a filter asks for somewhere to earn it


def test_online_only_and_district_or_online() -> None:
    assert [o["id"] for o in earnable([VENUE, ONLINE, ELSEWHERE], NOW, Reach(online=True))] == ["web"]
    both = Reach(district="city-centre", online=True)
    assert [o["id"] for o in earnable([VENUE, ONLINE, ELSEWHERE], NOW, both)] == ["web", "far"]
    assert Reach().is_any and Reach().admits(ELSEWHERE)


def test_step_rules_read_as_they_mean() -> None:
    assert step_rule(["Money Smart"], 1) == "Money Smart"
    assert step_rule(["A", "B"], 1) == "any 1 of A or B"
    assert step_rule(["A", "B"], 2) == "both A and B"
    assert step_rule(["A", "B", "C"], 2) == "2 of 3: A, B or C"
    assert step_rule(["A", "B", "C"], 3) == "all 3 of A, B and C"
    assert step_rule(["A", "B", "C"], 1) == "any 1 of A, B or C"
