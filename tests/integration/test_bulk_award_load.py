"""What one organisation key's bulk award may cost the service: one bulk award (CSV or list,
dry run or not) per organisation in flight in a process (another answers 429 with
Retry-After), and a dry run's answer lists at most its first 1,000 awards. Before, three
100,000-row dry runs at once from one key made ``/health`` wait 43 s and each answered 77 MB."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from colearn.domain import awards
from colearn.graph.store import GraphStore
from colearn.service.auth import create_key
from tests.learner_builders import learner_client

CSV = "/organisations/college/assertions/csv"


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict, dict]]:
    with learner_client(store, tmp_path) as (client, _):
        yield (client, {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret},
               {"X-API-Key": create_key(store, "organisation", organisation_id="club").secret})


def _csv(badge: str, rows: int) -> str:
    return "badge_id,email,key\n" + "".join(f"{badge},p{i}@example.org,k{i}\n" for i in range(rows))


@pytest.mark.parametrize("first", ["csv", "list"])
def test_one_bulk_award_per_organisation_at_a_time(api, monkeypatch, first: str) -> None:
    client, college, club = api
    started, release = threading.Event(), threading.Event()
    real_many = awards.award_many

    def slow_many(*args: Any, **kwargs: Any) -> awards.AwardReport:
        if not started.is_set():  # the first call: held in flight until released
            started.set()
            assert release.wait(30)
        return real_many(*args, **kwargs)

    monkeypatch.setattr(awards, "award_many", slow_many)  # award_csv calls it too
    answers: dict[str, Any] = {}

    def first_call() -> None:
        if first == "csv":
            answers["first"] = client.post(CSV + "?dry_run=true", content=_csv("web", 3),
                                           headers={**college, "Content-Type": "text/csv"})
        else:
            answers["first"] = client.post("/organisations/college/badges/web/assertions", headers=college,
                                           json=[{"recipient": {"type": "email", "identity": "a@example.org"}}])

    caller = threading.Thread(target=first_call)
    caller.start()
    try:
        assert started.wait(30)
        for second in (client.post(CSV, content=_csv("web", 2), headers={**college, "Content-Type": "text/csv"}),
                       client.post("/organisations/college/badges/web/assertions?dry_run=true", headers=college,
                                   json=[{"recipient": {"type": "email", "identity": "b@example.org"}}])):
            assert second.status_code == 429, second.text
            assert int(second.headers["Retry-After"]) > 0
            assert "bulk award for organisation 'college' is already in progress" in second.json()["detail"]
        # another organisation, and a single award of this one, are not held up
        other = client.post("/organisations/club/assertions/csv", content=_csv("coding", 2),
                            headers={**club, "Content-Type": "text/csv"})
        assert other.status_code == 201, other.text
        single = client.post("/organisations/college/badges/app/assertions", headers=college,
                             json={"recipient": {"type": "email", "identity": "c@example.org"}})
        assert single.status_code == 201, single.text
    finally:
        release.set()
        caller.join(30)
    assert answers["first"].status_code in (200, 201), answers["first"].text
    after = client.post(CSV, content=_csv("web", 2), headers={**college, "Content-Type": "text/csv"})
    assert after.status_code == 201, after.text  # the hold ends with the call


def test_a_bulk_dry_run_answers_its_first_thousand_awards_and_every_refused_row(api) -> None:
    client, college, _ = api
    text = _csv("web", 1_002) + "nope,x@example.org,kx\n"
    r = client.post(CSV + "?dry_run=true", content=text, headers={**college, "Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["dry_run"], out["count"], out["would_create"], out["not_shown"]) == (True, 1_002, 1_002, 2)
    assert len(out["data"]) == 1_000 and out["data"][0]["would_create"] is True
    assert [f["record"] for f in out["refused"]] == [1_004]  # the file's last line
    # a real call's answer lists every award
    real = client.post(CSV, content=_csv("web", 1_002), headers={**college, "Content-Type": "text/csv"})
    assert real.status_code == 201 and len(real.json()["data"]) == 1_002 and real.json()["not_shown"] == 0
