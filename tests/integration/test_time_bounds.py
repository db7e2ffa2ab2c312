"""Every time and duration is bounded before it is written (``colearn.times``),
and no stored value can break a read: the portfolio, the public Open Badges
documents and the opportunity list answer even for values written before the
bounds existed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn import times
from colearn.config import Settings
from colearn.errors import InvalidInput
from colearn.graph.store import GraphStore
from colearn.service.app import create_app
from colearn.service.auth import create_key, issue_learner_token
from tests.openbadges_builders import BASE, seed_issuing_city

RECIPIENT = {"recipient": {"type": "email", "identity": "ada@example.org"}}


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    seed_issuing_city(store)
    app = create_app(Settings(data_dir=tmp_path, base_url=BASE, rate_limit_per_minute=0), store=store)
    with TestClient(app) as client:
        yield client, {"admin": {"X-API-Key": create_key(store, "admin").secret},
                       "college": {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret}}


def _assertions(store: GraphStore) -> int:
    return store.read("MATCH (a:Assertion) RETURN count(a) AS n")[0]["n"]


@pytest.mark.parametrize("body", [
    {"issued_on": "0001-01-01T00:00:00+14:00"},
    {"issued_on": "1969-12-31T23:59:59Z"},
    {"issued_on": "2999-12-31T23:59:59-00:01"},
    {"expires_on": "9999-12-31T23:59:59-14:00"},          # year 10000 in UTC
    {"expires_on": "3000-01-01T00:00:00Z"},
])
def test_out_of_range_award_times_are_refused_before_any_write(api, store: GraphStore, body: dict) -> None:
    client, h = api
    r = client.post("/organisations/college/badges/web/assertions", json=RECIPIENT | body, headers=h["college"])
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "out of range" in r.text
    assert _assertions(store) == 0
    bulk = client.post("/organisations/college/badges/web/assertions", headers=h["college"],
                       json=[RECIPIENT, RECIPIENT | body])
    # a list lands whole or not at all: the bad item refuses it, named by its index and field
    field = f"body.1.{next(iter(body))}"
    assert bulk.status_code == 422 and [e["field"] for e in bulk.json()["errors"]] == [field], bulk.text
    assert "out of range" in bulk.json()["errors"][0]["message"]
    assert _assertions(store) == 0


@pytest.mark.parametrize("days", [10_000_000, 1e30, 0, -1, times.MAX_DURATION_DAYS + 1, True, False])
def test_badge_durations_are_bounded(api, store: GraphStore, days) -> None:
    client, h = api
    r = client.patch("/badges/web", json={"expires_after_days": days}, headers=h["college"])
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.expires_after_days", r.text
    ok = client.patch("/badges/web", json={"expires_after_days": times.MAX_DURATION_DAYS}, headers=h["college"])
    assert ok.status_code == 200
    issued = datetime(2026, 1, 1, tzinfo=UTC)
    late = client.post("/organisations/college/badges/web/assertions", headers=h["college"],
                       json=RECIPIENT | {"issued_on": issued.isoformat()})
    longest = issued + timedelta(days=times.MAX_DURATION_DAYS)
    assert late.status_code == 201 and late.json()["expires_on"] == longest.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("ahead", [timedelta(days=1), timedelta(days=365 * 5), timedelta(seconds=400)])
def test_an_award_dated_in_the_future_is_refused(api, store: GraphStore, ahead: timedelta) -> None:
    """An award is published with its ``issuedOn``/``validFrom``, and verifiers refuse
    one issued later than now (``rules.date_problem``, 5 minutes of clock skew): one
    dated ahead would fail its own ``/verify``."""
    client, h = api
    when = (datetime.now(UTC) + ahead).isoformat()
    r = client.post("/organisations/college/badges/web/assertions", json=RECIPIENT | {"issued_on": when},
                    headers=h["college"])
    assert r.status_code == 422 and "in the future" in r.text, r.text
    assert r.json()["errors"][0]["field"].endswith("issued_on")
    assert _assertions(store) == 0
    soon = (datetime.now(UTC) + timedelta(seconds=60)).isoformat()
    r = client.post("/organisations/college/badges/web/assertions", json=RECIPIENT | {"issued_on": soon},
                    headers=h["college"])
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("field, value", [("start", "0001-01-01"), ("start", "0001-01-01T00:00:00+14:00"),
                                          ("end", "9999-12-31T23:59:59-14:00"), ("end", "3000-01-01")])
def test_opportunity_dates_are_bounded(api, field: str, value: str) -> None:
    client, h = api
    body = {"id": "evening", "name": "Evening", "organisation": "college", "mode": "online", field: value}
    r = client.post("/opportunities", json=body, headers=h["college"])
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == f"body.{field}", r.text


def test_the_time_module_refuses_and_reads_back_safely() -> None:
    with pytest.raises(InvalidInput, match="issued_on"):
        times.epoch_s(-1, field="issued_on")
    with pytest.raises(InvalidInput):
        times.check_days(10**30, field="d")
    assert times.epoch_s(times.LATEST, field="t") == times.LATEST_S
    assert times.from_epoch(2**63 - 1).year == 9999 and times.from_epoch(-(2**63)).year == 1
    assert times.iso_z(-62135647200) == "0001-01-01T00:00:00Z"


def test_stored_extreme_times_break_no_read(api, store: GraphStore) -> None:
    """Values such as the finding's (year 1 at +14:00, int64 max) written straight
    to the graph, as data from before the bounds would be: every read answers."""
    client, h = api
    award = client.post("/organisations/college/badges/web/assertions", json=RECIPIENT, headers=h["college"]).json()
    me = {"Authorization": f"Bearer {issue_learner_token(client.app.state.token_secret, award['learner_id'])}"}
    assert client.post(f"/assertions/{award['id']}/accept", headers=me).status_code == 200
    store.write("MATCH (a:Assertion {id: $id}) SET a.issued_on = $issued, a.expires_on = $expires",
                {"id": award["id"], "issued": -62135647200, "expires": 2**63 - 1})
    client.post("/opportunities", headers=h["college"], json={"id": "evening", "name": "E", "organisation": "college",
                                                               "mode": "online", "start": "2026-01-01"})
    store.write("MATCH (o:Opportunity {id: 'evening'}) SET o.starts_on = $s, o.ends_on = $e",
                {"s": -62135647200, "e": 2**63 - 1})
    for path, who in [(f"/learners/{award['learner_id']}/portfolio", me), (f"/assertions/{award['id']}", me),
                      ("/opportunities?limit=100", h["college"]), ("/opportunities/evening", h["college"]),
                      (f"/ob/v2/assertions/{award['id']}", {}), (f"/ob/v3/credentials/{award['id']}", {}),
                      (f"/ob/v3/credentials/{award['id']}/jwt", {})]:
        r = client.get(path, headers=who)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
