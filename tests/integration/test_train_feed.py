"""`colearn train` run while the API serves the same graph and data directory: the ranker it
saves is served without a restart, and `/health` says so; when a
later run saves nothing and the file is gone, the blend is served again the same way. On the
embedded FalkorDB and on Neo4j 5.26 (the CLI reaches it through ``NEO4J_URI``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.cli import app
from colearn.config import Settings, get_settings
from colearn.graph.falkordb_store import EmbeddedFalkorDB, FalkorDBStore
from colearn.graph.store import GraphStore
from colearn.ingest.stackexchange import ingest_stackexchange
from colearn.ingest.synthetic.climb import synthetic_city, write_badges_xml
from colearn.service.app import create_app
from tests.conftest import _neo4j_store
from tests.integration import test_feed_processes, test_train_cli
from tests.live import wait_until

engine = test_feed_processes.engine
prior_dir = test_train_cli.prior_dir
runner = test_train_cli.runner

LEARNER = "se-synth-5"


@dataclass
class Served:
    store: GraphStore
    data_dir: Path


@pytest.fixture(scope="module")
def served(engine: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A small city (55 training events: too few to judge a model, as in ``test_train_cli``) in a
    store the CLI reaches through the environment, as ``colearn serve`` and ``colearn train`` would."""
    data_dir = tmp_path_factory.mktemp("train-feed")
    mp = pytest.MonkeyPatch()
    mp.setenv("COLEARN_DATA_DIR", str(data_dir))
    mp.setenv("COLEARN_FSYNC", "everysec")
    opened: Iterator[GraphStore] | None = None
    store: GraphStore
    if engine == "neo4j":
        target = request.getfixturevalue("neo4j_target")
        opened = _neo4j_store(target)
        store = next(opened)
        for name, value in (("NEO4J_URI", target.uri), ("NEO4J_USER", target.user),
                            ("NEO4J_PASSWORD", target.password), ("NEO4J_DATABASE", target.database)):
            mp.setenv(name, value)
    else:
        server = EmbeddedFalkorDB.for_data_dir(data_dir, fsync="everysec")
        store = FalkorDBStore(server.host, server.port, "colearn", server=server)
        store.apply_schema()
    get_settings.cache_clear()
    xml = write_badges_xml(synthetic_city(seed=9, n_learners=15), tmp_path_factory.mktemp("small") / "Badges.xml")
    ingest_stackexchange(store, xml, site="synth")
    try:
        yield Served(store, data_dir)
    finally:
        if opened is not None:
            opened.close()
        else:
            store.close()
            EmbeddedFalkorDB.for_data_dir(data_dir).stop()
        mp.undo()
        get_settings.cache_clear()


def _served_within(client: TestClient, ranking: str) -> float:
    """Seconds until ``/health`` says ``ranking``; fails after ``tests.live.VISIBLE_WITHIN_S`` with the
    follower's state. A ranker entry takes the feed's rebuild path (``_build_reason``), as a new
    badge does: 0.2 to 1.1 s here with four CPU burners beside it, 3.4 s once in a loaded CI run."""
    try:
        return wait_until(lambda: client.get("/health").json()["ranking"] == ranking, f"/health saying {ranking!r}")
    except AssertionError as exc:
        health = client.get("/health").json()
        follower = client.app.state.follower  # type: ignore[attr-defined]
        state = {k: getattr(follower, k) for k in ("_building", "_want_rebuild", "_urgent", "_seen")}
        builder = follower._builder
        pytest.fail(f"{exc}: {health}; follower {follower.stats}, {state}, builder thread "
                    f"{builder.name if builder else None} alive={builder.is_alive() if builder else None}")


def _answers(client: TestClient) -> list[tuple[str, float]]:
    items = client.get(f"/learners/{LEARNER}/next", params={"limit": 5}).json()["items"]
    assert len(items) == 5
    return [(i["badge_id"], round(i["score"], 6)) for i in items]


def _cli_answers() -> list[tuple[str, float]]:
    """What `colearn recommend` answers: built afresh from the graph and the ranker file."""
    result = runner.invoke(app, ["recommend", LEARNER, "--limit", "5", "--json"])
    assert result.exit_code == 0, result.output
    return [(i["badge_id"], round(i["score"], 6)) for i in json.loads(result.output)["items"]]


def test_a_ranker_trained_while_the_api_serves_is_served_without_a_restart(served: Served,
                                                                          prior_dir: Path) -> None:
    settings = Settings(data_dir=served.data_dir, anonymous_role="partner")
    with TestClient(create_app(settings, store=served.store)) as client:
        assert client.get("/health").json()["ranking"] == "blend"
        blend = _answers(client)
        assert _cli_answers() == blend

        result = runner.invoke(app, ["train", "--prior", str(prior_dir)])
        assert result.exit_code == 0, result.output
        said = " ".join(result.output.split())
        assert "serving: the learned ranker" in said and "loads it within a second" in said
        meta = json.loads((served.data_dir / "ranker.joblib.json").read_text())
        _served_within(client, "ranker")
        rec = client.app.state.recommender  # type: ignore[attr-defined]
        assert rec.ranker_.training_hash_ == meta["training_hash"]
        ranked = _answers(client)
        assert ranked == _cli_answers() and ranked != blend

        # the file removed, a run that saves nothing (too few events alone) says the blend
        # serves, and it does: the servers drop the ranker they loaded
        for saved in (served.data_dir / "ranker.joblib", served.data_dir / "ranker.joblib.json"):
            saved.unlink()
        result = runner.invoke(app, ["train", "--no-prior"])
        assert result.exit_code == 0, result.output
        assert "serving: the blend of signals" in " ".join(result.output.split())
        _served_within(client, "blend")
        assert _answers(client) == blend
