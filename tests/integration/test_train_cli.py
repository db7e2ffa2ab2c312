"""``colearn train`` end to end: a site loaded through the CLI, the ranker trained from the
graph and saved with its feature list and hash, then loaded by the API, whose answers
carry reasons from the signals that scored them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from colearn.cli import app
from colearn.config import Settings
from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore
from colearn.recommender.ranker import feature_names
from colearn.ingest.synthetic.climb import synthetic_city, write_badges_xml
from colearn.service.app import create_app
from tests.cli_helpers import cli_data_dir

runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    xml = write_badges_xml(synthetic_city(seed=9, n_learners=250), tmp_path_factory.mktemp("site") / "Badges.xml")
    yield from cli_data_dir(tmp_path_factory, "train-data", "ingest", "stackexchange", str(xml), "--site", "synth")


def test_train_saves_a_ranker_the_api_uses(data_dir: Path) -> None:
    result = runner.invoke(app, ["train"])
    assert result.exit_code == 0, result.output
    saved = data_dir / "ranker.joblib"
    meta = json.loads((data_dir / "ranker.joblib.json").read_text())
    assert saved.exists() and meta["features"] == feature_names() and len(meta["training_hash"]) == 64
    server = EmbeddedFalkorDB.for_data_dir(data_dir)
    store = FalkorDBStore(server.host, server.port, "colearn", server=server)
    api = create_app(Settings(data_dir=data_dir, anonymous_role="partner"), store=store)
    with TestClient(api) as client:
        assert client.app.state.recommender.ranker_ is not None
        assert client.app.state.recommender.ranker_.training_hash_ == meta["training_hash"]
        # /health says what ranks: the learned model, or the one signal the guard chose instead
        want = "ranker" if meta["serve"] == "ranker" else f"signal:{meta['serve']}"
        assert client.get("/health").json()["ranking"] == want and "ranker" in meta["guard"]
        items = client.get("/learners/se-synth-5/next", params={"limit": 5}).json()["items"]
        assert items and all(i["reasons"] for i in items)
    # the CLI ranks with the same saved ranker as the API
    cli = runner.invoke(app, ["recommend", "se-synth-5", "--limit", "5", "--json"])
    assert cli.exit_code == 0, cli.output
    got = json.loads(cli.output)["items"]
    assert [i["badge_id"] for i in got] == [i["badge_id"] for i in items]
    assert [round(i["score"], 6) for i in got] == [round(i["score"], 6) for i in items]


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    city = synthetic_city(seed=9, n_learners=15)  # 55 second-or-later badges: too few to judge a model
    xml = write_badges_xml(city, tmp_path_factory.mktemp("small") / "Badges.xml")
    yield from cli_data_dir(tmp_path_factory, "train-small", "ingest", "stackexchange", str(xml), "--site", "synth")


def test_train_on_too_few_events_saves_nothing_and_the_blend_serves(small_dir: Path) -> None:
    result = runner.invoke(app, ["train"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # rich wraps at the terminal's width
    assert "not trained: 55 training events" in said and "fewer than the 100" in said
    assert "serving: the blend of signals" in said
    assert not (small_dir / "ranker.joblib").exists()
    server = EmbeddedFalkorDB.for_data_dir(small_dir)
    store = FalkorDBStore(server.host, server.port, "colearn", server=server)
    api = create_app(Settings(data_dir=small_dir, anonymous_role="partner"), store=store)
    with TestClient(api) as client:
        assert client.get("/health").json()["ranking"] == "blend"
        assert client.get("/learners/se-synth-5/next", params={"limit": 5}).json()["items"]
