"""What an opportunity's create accepts, every later write accepts, and a GET sent back as
a PATCH changes nothing (a tester's report: ``"end": "2999-12-31"`` was stored as
3000-01-01T00:00:00Z, one second past ``times.LATEST``, and every PATCH of that
opportunity, even of its description alone, then answered 422 on ``body.end``).

One rule: every time given lies in ``[times.EARLIEST, times.LATEST]``; a date-only end
covers its day, whose end is the next midnight, or for 2999-12-31 the range's last
second. On both engines; boundary dates parametrised, and a hypothesis property test
over dates near both ends of the range."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from colearn import times
from colearn.config import Settings
from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue import ingest_catalogue
from colearn.service.app import create_app
from colearn.service.auth import create_key

from tests.catalogue_builders import minimal_catalogue, write_yaml

_TIMES = ("starts_on", "ends_on")
_LISTS = ("session_starts", "session_ends")


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    ingest_catalogue(store, write_yaml(tmp_path / "city.yaml", minimal_catalogue()))
    key = create_key(store, "admin").secret
    with TestClient(create_app(Settings(data_dir=tmp_path, rate_limit_per_minute=0), store=store)) as client:
        yield client, {"X-API-Key": key}


def _stored(store: GraphStore, opportunity: str) -> dict[str, Any]:
    return store.read(queries.catalogue_get(Label.OPPORTUNITY), {"id": opportunity})[0]["record"]


def _times(record: dict[str, Any]) -> list[int]:
    return [record[k] for k in _TIMES if record.get(k) is not None] + [
        t for k in _LISTS for t in record.get(k) or []]


def _edits_and_round_trips(client: TestClient, h: dict[str, str], store: GraphStore, oid: str) -> None:
    """A PATCH of the description alone, then the GET sent back whole, are accepted and
    change no time; every stored time lies in the range."""
    before = _stored(store, oid)
    assert all(times.EARLIEST_S <= t <= times.LATEST_S for t in _times(before)), before
    edited = client.patch(f"/opportunities/{oid}", json={"description": "typo fix"}, headers=h)
    assert edited.status_code == 200, edited.text
    got = client.get(f"/opportunities/{oid}", headers=h).json()
    sent_back = client.patch(f"/opportunities/{oid}", json={k: v for k, v in got.items() if k != "id"}, headers=h)
    assert sent_back.status_code == 200, sent_back.text
    assert sent_back.json() == got
    after = _stored(store, oid)
    assert {k: after.get(k) for k in (*_TIMES, *_LISTS)} == {k: before.get(k) for k in (*_TIMES, *_LISTS)}


_BOUNDARIES = [
    pytest.param({"start": "2027-01-01", "end": "2999-12-31"}, times.LATEST_S, id="end-date-last-day"),
    pytest.param({"start": "2999-12-31", "end": "2999-12-31"}, times.LATEST_S, id="one-day-last-day"),
    pytest.param({"start": "2999-12-31T23:59:59Z", "end": "2999-12-31"}, times.LATEST_S, id="last-second"),
    pytest.param({"end": "2999-12-31T23:59:59Z"}, times.LATEST_S, id="end-time-last-second"),
    pytest.param({"end": "2999-12-31T18:59:59-05:00"}, times.LATEST_S, id="end-time-offset"),
    pytest.param({"end": "2999-12-30"}, times.LATEST_S - 86_399, id="end-date-day-before"),
    pytest.param({"end": "2999-12-31", "sessions": [{"start": "2999-12-31T23:00:00Z", "end": "2999-12-31T23:59:59Z"}]},
                 times.LATEST_S, id="session-last-hour"),
    pytest.param({"sessions": ["2999-12-31T23:00:00Z/2999-12-31T23:59:59Z"]}, times.LATEST_S, id="session-only"),
    pytest.param({"start": "1970-01-01", "end": "1970-01-01"}, 86_400, id="first-day"),
    pytest.param({"start": "1970-01-01T00:00:00Z", "sessions": ["1970-01-01T00:00:00Z/1970-01-01T01:00:00Z"]},
                 3600, id="first-session"),
]


@pytest.mark.parametrize(("fields", "ends_on"), _BOUNDARIES)
def test_what_create_accepts_every_later_write_accepts(store: GraphStore, api, fields: dict[str, Any],
                                                       ends_on: int) -> None:
    client, h = api
    made = client.post("/opportunities", headers=h, json={
        "id": "far", "name": "Far", "organisation": "library", "mode": "online", **fields})
    assert made.status_code == 201, made.text
    assert _stored(store, "far")["ends_on"] == ends_on
    _edits_and_round_trips(client, h, store, "far")


@pytest.mark.parametrize("fields", [
    {"end": "3000-01-01"}, {"end": "3000-01-01T00:00:00Z"}, {"start": "3000-01-01"},
    {"end": "2999-12-31T23:59:59-00:01"}, {"start": "1969-12-31"}, {"start": "1969-12-31T23:59:59Z"},
    {"sessions": ["2999-12-31T23:00:00Z/3000-01-01T00:00:00Z"]}])
def test_past_the_bounds_is_refused_on_create_and_on_patch(store: GraphStore, api, fields: dict[str, Any]) -> None:
    client, h = api
    field = next(iter(fields))
    made = client.post("/opportunities", headers=h, json={
        "id": "far", "name": "Far", "organisation": "library", "mode": "online", **fields})
    assert made.status_code == 422 and made.json()["errors"][0]["field"].startswith(f"body.{field}"), made.text
    assert client.post("/opportunities", headers=h, json={
        "id": "far", "name": "Far", "organisation": "library", "mode": "online"}).status_code == 201
    patched = client.patch("/opportunities/far", headers=h, json=fields)
    assert patched.status_code == 422 and patched.json()["errors"][0]["field"].startswith(f"body.{field}"), patched.text


def test_a_catalogue_file_ending_on_the_last_day_is_editable(store: GraphStore, api, tmp_path: Path) -> None:
    client, h = api
    city = minimal_catalogue()
    city["opportunities"].append({"id": "far", "name": "Far", "organisation": "library", "mode": "online",
                                  "start": "2027-01-01", "end": "2999-12-31"})
    ingest_catalogue(store, write_yaml(tmp_path / "far.yaml", city))
    assert _stored(store, "far")["ends_on"] == times.LATEST_S
    _edits_and_round_trips(client, h, store, "far")


def test_an_end_stored_past_the_range_before_the_fix_is_editable(store: GraphStore, api) -> None:
    """An end written by the old rule (3000-01-01T00:00:00Z) reads as the range's last
    second, so its opportunity can be edited without re-sending its end."""
    client, h = api
    assert client.post("/opportunities", headers=h, json={
        "id": "far", "name": "Far", "organisation": "library", "mode": "online", "start": "2027-01-01"}
    ).status_code == 201
    store.write("MATCH (o:Opportunity {id: 'far'}) SET o.ends_on = $s", {"s": times.LATEST_S + 1})
    assert client.get("/opportunities/far", headers=h).json()["end"] == "2999-12-31T23:59:59Z"
    edited = client.patch("/opportunities/far", json={"description": "typo fix"}, headers=h)
    assert edited.status_code == 200, edited.text
    assert _stored(store, "far")["ends_on"] == times.LATEST_S


_FIRST, _LAST = date(1970, 1, 1), date(2999, 12, 31)
_NEAR_ENDS = st.one_of(st.dates(_FIRST, _FIRST + timedelta(days=3)), st.dates(_LAST - timedelta(days=3), _LAST),
                       st.dates(_FIRST, _LAST))


def _as_given(day: date, second: int | None) -> str:
    """A date alone, or a time that day (seconds since its midnight, UTC)."""
    if second is None:
        return day.isoformat()
    return (datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=second)).isoformat()


_SECONDS = st.one_of(st.none(), st.just(0), st.just(86_399), st.integers(0, 86_399))
_ids = count()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.one_of(st.none(), st.tuples(_NEAR_ENDS, _SECONDS)),
       end=st.one_of(st.none(), st.tuples(_NEAR_ENDS, _SECONDS)))
def test_any_accepted_opportunity_is_editable_and_round_trips(store: GraphStore, api, start, end) -> None:
    """Whatever dates near the bounds POST accepts, a PATCH of another field and the GET sent
    back are accepted and keep the stored times (which lie in the range)."""
    client, h = api
    oid = f"p{next(_ids)}"
    body: dict[str, Any] = {"id": oid, "name": "P", "organisation": "library", "mode": "online"}
    if start is not None:
        body["start"] = _as_given(*start)
    if end is not None:
        body["end"] = _as_given(*end)
    made = client.post("/opportunities", headers=h, json=body)
    if made.status_code == 422:  # only an end before the start is refused
        assert [e["field"] for e in made.json()["errors"]] == ["body.end"], made.text
        return
    assert made.status_code == 201, made.text
    _edits_and_round_trips(client, h, store, oid)
