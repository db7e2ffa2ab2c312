"""An organisation's pathway enrolments hide small counts as the insights do (a
tester's report: ``"started": 1`` was published while the insights' funnels hide
counts under k)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.graph import enrolments, queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.service.app import create_app
from colearn.service.auth import create_key
from tests.learner_builders import seed_learner_city

NOW = 1_800_000_000


def _city(store: GraphStore, started: int, completed: int) -> None:
    """``started`` learners enrolled in ``into-web`` (steps: web, then app), the
    first ``completed`` of them holding both badges, the others only ``web``."""
    seed_learner_city(store)
    learners = [f"u{i}" for i in range(started)]
    store.write(queries.merge_nodes(Label.LEARNER), {"rows": [{"id": u, "props": {}} for u in learners]})
    store.write(queries.MERGE_ASSERTIONS, {"rows": [
        {"id": f"a-{u}-{b}", "organisation_id": "college", "badge_id": b, "learner_id": u, "learner_props": {},
         "props": {"status": "accepted", "issued_on": NOW - 100}}
        for i, u in enumerate(learners) for b in (["web", "app"] if i < completed else ["web"])]})
    for u in learners:
        enrolments.enrol(store, u, "into-web", now=NOW)


def _uptake(store: GraphStore, tmp_path: Path, k: int) -> dict:
    app = create_app(Settings(data_dir=tmp_path, insights_min_learners=k, rate_limit_per_minute=0), store=store)
    with TestClient(app) as client:
        key = {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret}
        r = client.get("/organisations/college/pathway-enrolments", headers=key)
    assert r.status_code == 200, r.text
    return r.json()


def _cells(body: dict) -> tuple[dict, dict]:
    [row] = body["data"]
    assert row["pathway_id"] == "into-web"
    return row["started"], row["completed"]


def test_small_counts_are_hidden_with_the_insights_privacy_block(store: GraphStore, tmp_path: Path) -> None:
    _city(store, started=6, completed=2)
    body = _uptake(store, tmp_path, k=5)
    started, completed = _cells(body)
    assert started == {"learners": 6, "suppressed": None}
    assert completed == {"learners": None, "suppressed": "primary"}
    privacy = body["privacy"]
    assert (privacy["min_learners"], privacy["suppressed_cells"], privacy["primary"], privacy["complementary"]) == (
        5, 1, 1, 0)
    assert "fewer than 5 learners" in privacy["note"]
    assert "u0" not in repr(body)


def test_a_completed_count_close_to_the_started_one_is_hidden_too(store: GraphStore, tmp_path: Path) -> None:
    # 6 started, 5 completed: showing both would tell that 1 learner did not complete
    _city(store, started=6, completed=5)
    started, completed = _cells(_uptake(store, tmp_path, k=5))
    assert started == {"learners": 6, "suppressed": None}
    assert completed == {"learners": None, "suppressed": "complementary"}


def test_counts_at_or_above_k_are_shown(store: GraphStore, tmp_path: Path) -> None:
    _city(store, started=3, completed=1)
    body = _uptake(store, tmp_path, k=1)
    assert _cells(body) == ({"learners": 3, "suppressed": None}, {"learners": 1, "suppressed": None})
    assert body["privacy"]["suppressed_cells"] == 0
    hidden = _uptake(store, tmp_path, k=4)
    assert _cells(hidden) == ({"learners": None, "suppressed": "primary"}, {"learners": None, "suppressed": "primary"})
    assert hidden["privacy"]["suppressed_cells"] == 2
