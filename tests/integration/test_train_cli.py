"""``colearn train`` end to end: a site loaded through the CLI, the ranker trained from the
graph pooled with another site's events (a real bundled Stack Exchange site, as the suite
benchmark pools them) and saved with its feature list, hash and pooled sites, then loaded
by the API, whose answers carry reasons from the signals that scored them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from colearn.cli import app
from colearn.config import Settings
from colearn.data import bundled
from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore
from colearn.perf.eval_inputs import spine_cells, suite_sites
from colearn.recommender.suite import Site
from colearn.recommender.training import TrainingRows, train_ranker
from colearn.recommender.ranker import feature_names
from colearn.ingest.synthetic.climb import synthetic_city, write_badges_xml
from colearn.service.app import create_app
from tests.cli_helpers import cli_data_dir

runner = CliRunner()

#: The prior site the tests pool: the smallest bundled one (6,585 awards), so a replay takes seconds.
PRIOR_SITE = "bicycles.meta"


@pytest.fixture(scope="module")
def prior_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A suite folder holding one real bundled site, for ``--prior``."""
    folder = tmp_path_factory.mktemp("prior")
    (folder / PRIOR_SITE).mkdir()
    shutil.copy(bundled("stackexchange") / PRIOR_SITE / "Badges.xml", folder / PRIOR_SITE / "Badges.xml")
    return folder


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    xml = write_badges_xml(synthetic_city(seed=9, n_learners=250), tmp_path_factory.mktemp("site") / "Badges.xml")
    yield from cli_data_dir(tmp_path_factory, "train-data", "ingest", "stackexchange", str(xml), "--site", "synth")


def test_train_saves_a_ranker_the_api_uses(data_dir: Path, prior_dir: Path) -> None:
    result = runner.invoke(app, ["train", "--prior", str(prior_dir)])
    assert result.exit_code == 0, result.output
    saved = data_dir / "ranker.joblib"
    meta = json.loads((data_dir / "ranker.joblib.json").read_text())
    assert saved.exists() and meta["features"] == feature_names() and len(meta["training_hash"]) == 64
    assert meta["pooled_sites"] == [PRIOR_SITE] and f"1 other site ({PRIOR_SITE})" in " ".join(result.output.split())
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


def test_train_on_too_few_events_alone_saves_nothing_and_the_blend_serves(small_dir: Path) -> None:
    result = runner.invoke(app, ["train", "--no-prior"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # rich wraps at the terminal's width
    assert "not trained: no other site's events pooled, and 55 training events" in said
    assert "fewer than the 100" in said
    assert "serving: the blend of signals" in said
    assert not (small_dir / "ranker.joblib").exists()
    server = EmbeddedFalkorDB.for_data_dir(small_dir)
    store = FalkorDBStore(server.host, server.port, "colearn", server=server)
    api = create_app(Settings(data_dir=small_dir, anonymous_role="partner"), store=store)
    with TestClient(api) as client:
        assert client.get("/health").json()["ranking"] == "blend"
        assert client.get("/learners/se-synth-5/next", params={"limit": 5}).json()["items"]


def test_a_city_with_too_few_events_is_served_the_pooled_model_unjudged(small_dir: Path, prior_dir: Path) -> None:
    """As on each suite site's first refit: 55 own events are too few for the guard, and the
    model the other site's events taught is served (the suite measured it far above the blend)."""
    result = runner.invoke(app, ["train", "--prior", str(prior_dir)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "trained on 55 of the city's own events and samples of the events of 1 other site (" in said
    assert "serving: the learned ranker" in said and "no guard, too few events" in said
    meta = json.loads((small_dir / "ranker.joblib.json").read_text())
    assert meta["serve"] == "ranker" and meta["guard"] == {} and meta["pooled_sites"] == [PRIOR_SITE]
    server = EmbeddedFalkorDB.for_data_dir(small_dir)
    store = FalkorDBStore(server.host, server.port, "colearn", server=server)
    api = create_app(Settings(data_dir=small_dir, anonymous_role="partner"), store=store)
    with TestClient(api) as client:
        assert client.get("/health").json()["ranking"] == "ranker"
        items = client.get("/learners/se-synth-5/next", params={"limit": 5}).json()["items"]
        assert len(items) == 5 and all(i["reasons"] for i in items)


def test_prior_and_no_prior_together_are_refused(small_dir: Path, prior_dir: Path) -> None:
    result = runner.invoke(app, ["train", "--prior", str(prior_dir), "--no-prior"])
    assert result.exit_code == 2 and "--prior" in result.output


def test_a_prior_site_that_is_the_city_itself_is_not_pooled(prior_dir: Path) -> None:
    """A city whose graph holds a prior site's history (here the site itself, under another
    name) must not pool it: its events would count twice."""
    [site] = suite_sites(prior_dir)
    rows = TrainingRows(awards=[tuple(a) for a in site.awards], catalogue=site.catalogue, cells=spine_cells())
    renamed = Site("elsewhere", site.awards, site.catalogue)
    ranker, events = train_ranker(rows, max_groups=3_000, prior_sites=[renamed], workers=1)
    assert ranker is not None and events >= 100 and list(ranker.pooled_sites_) == []


def test_a_ranker_saved_elsewhere_says_it_is_not_the_one_served(small_dir: Path, prior_dir: Path,
                                                                tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "--prior", str(prior_dir), "--out", str(tmp_path / "other.joblib")])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert f"the API serves {small_dir / 'ranker.joblib'}; this one would serve: the learned ranker" in said
    assert "serving:" not in said and (tmp_path / "other.joblib").exists()


def test_a_prior_folder_that_does_not_exist_is_named(small_dir: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-suite"
    result = runner.invoke(app, ["train", "--prior", str(missing)])
    said = " ".join(result.output.split())
    assert result.exit_code == 1 and f"{missing}: no such folder" in said, said
