"""The ``privacy`` block counts every hidden cell of the answer it is in (a tester's
report: ``/insights/pathways`` said 2 hidden while 3 cells were null, the funnel's
``completed`` being left out; an organisation's funnels carried the city's count)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.graph.store import GraphStore
from colearn.ingest.awards import ingest_awards
from colearn.ingest.catalogue import demo_city_path, ingest_demo_catalogue
from colearn.insights.aggregates import Insights
from colearn.service.app import create_app
from colearn.service.auth import create_key

#: Larger than any demo funnel stage: every stage with learners is hidden (primary).
K = 100_000


@pytest.fixture
def demo(store: GraphStore) -> GraphStore:
    ingest_demo_catalogue(store)
    ingest_awards(store, demo_city_path())
    return store


def _hidden_in_funnels(pathways: list[dict]) -> tuple[int, int]:
    """(primary, complementary) over each funnel's stages and its ``completed``, read field by field."""
    reasons = [s["suppressed"] for p in pathways for s in p["stages"]]
    reasons += [p["completed"]["suppressed"] for p in pathways if p["completed"]]
    return reasons.count("primary"), reasons.count("complementary")


def test_pathway_funnels_count_the_completed_cell_too(demo: GraphStore) -> None:
    answer = Insights(demo, min_learners=K).pathways()
    primary, complementary = _hidden_in_funnels(answer["pathways"])
    completed_hidden = sum(1 for p in answer["pathways"] if p["completed"] and p["completed"]["suppressed"])
    assert completed_hidden > 0, "the demo city's funnels have completions to hide"
    assert answer["privacy"]["primary"] == primary and answer["privacy"]["complementary"] == complementary
    assert answer["privacy"]["suppressed_cells"] == primary + complementary
    one = answer["pathways"][0]["pathway"]
    single = Insights(demo, min_learners=K).pathways(pathway=one)
    assert single["privacy"]["suppressed_cells"] == sum(_hidden_in_funnels(single["pathways"]))


@pytest.fixture
def client(demo: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    key = {"X-API-Key": create_key(demo, "organisation", organisation_id="kiln-digital").secret}
    with TestClient(create_app(Settings(data_dir=tmp_path, insights_min_learners=K), store=demo)) as c:
        yield c, key


def test_an_organisations_funnels_count_only_the_cells_they_show(client) -> None:
    c, key = client
    city = c.get("/insights/pathways", headers=key).json()
    assert city["privacy"]["suppressed_cells"] == sum(_hidden_in_funnels(city["pathways"]))
    own = c.get("/organisations/kiln-digital/pathways/funnels", headers=key).json()
    assert [p["pathway"] for p in own["pathways"]] == ["digital-careers"]
    assert own["privacy"]["suppressed_cells"] == sum(_hidden_in_funnels(own["pathways"])) > 0
    assert own["privacy"]["suppressed_cells"] < city["privacy"]["suppressed_cells"]
    assert own["privacy"]["min_learners"] == K
