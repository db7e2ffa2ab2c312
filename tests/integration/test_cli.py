"""The ``colearn`` command line, end to end on the bundled data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from colearn.cli import app
from colearn.config import get_settings
from colearn.graph.falkordb_store import EmbeddedFalkorDB

runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data directory with the demo loaded through the CLI."""
    path = tmp_path_factory.mktemp("cli-data")
    mp = pytest.MonkeyPatch()
    mp.setenv("COLEARN_DATA_DIR", str(path))
    get_settings.cache_clear()
    result = runner.invoke(app, ["ingest", "demo"])
    assert result.exit_code == 0, result.output
    yield path
    EmbeddedFalkorDB.for_data_dir(path).stop()
    mp.undo()
    get_settings.cache_clear()


def test_ingest_demo_reports_counts(data_dir: Path) -> None:
    # a second run is idempotent and reports the same rows
    result = runner.invoke(app, ["ingest", "demo"])
    assert result.exit_code == 0, result.output
    assert "15,942" in result.output and "Badge" in result.output


def test_recommend_json(data_dir: Path) -> None:
    result = runner.invoke(app, ["recommend", "se-martialarts-75", "--limit", "3", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["learner_id"] == "se-martialarts-75"
    assert len(body["items"]) == 3 and all(i["reasons"] for i in body["items"])


def test_recommend_unknown_learner_exits_1(data_dir: Path) -> None:
    result = runner.invoke(app, ["recommend", "no-such-learner"])
    assert result.exit_code == 1
    assert "no-such-learner" in result.output


def test_bad_catalogue_is_refused_with_its_place(data_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "city.yaml"
    bad.write_text("themes:\n  - id: t1\n    name: T\n    kind: galactic\n")
    result = runner.invoke(app, ["ingest", "catalogue", str(bad)])
    assert result.exit_code == 1
    assert "city.yaml" in result.output and "kind" in result.output


def test_eval_json_beats_popularity() -> None:
    result = runner.invoke(app, ["eval", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["n_cases"] == 1168  # martialarts users with >= 3 distinct badges
    rec, pop = body["models"]["recommender"], body["models"]["popularity"]
    assert rec["ndcg@10"]["low"] > pop["ndcg@10"]["high"]
    assert rec["mrr"]["mean"] > pop["mrr"]["mean"]
