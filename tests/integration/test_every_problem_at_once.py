"""A refused request names every problem at once: one badly shaped item of a bulk award
does not hide the other items' problems, so the user fixes everything in one round."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.errors import InvalidInputs
from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.ingest.awards import ingest_awards
from colearn.ingest.catalogue import demo_city_path, ingest_catalogue
from colearn.service.app import create_app
from colearn.service.auth import create_key
from tests.catalogue_builders import DEMO_CITY
from tests.openbadges_builders import BASE, seed_issuing_city


@pytest.fixture
def client(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    seed_issuing_city(store)
    app = create_app(Settings(data_dir=tmp_path, base_url=BASE, rate_limit_per_minute=0), store=store)
    with TestClient(app) as c:
        yield c, {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret}


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_bulk_award_names_every_refused_item_shape_and_check_alike(client, store: GraphStore, dry_run: bool) -> None:
    """A list with a good item, a bad email (a check of a well-shaped item), an issue date
    without a time zone and an item with two bad fields answers one 422 with an entry per
    item and field, in item order, and awards nothing (a dry run refuses the same way)."""
    c, key = client
    body = [{"recipient": {"type": "email", "identity": "ok@example.org"}},
            {"recipient": {"type": "email", "identity": "bad"}},
            {"recipient": {"type": "email", "identity": "c@example.org"}, "issued_on": "2026-11-01"},
            {"recipient": {"type": "phone", "identity": "0123"}, "colour": "red"},
            {"learner_id": "nobody"}]
    r = c.post(f"/organisations/college/badges/web/assertions{'?dry_run=true' * dry_run}", json=body, headers=key)
    assert r.status_code == 422, r.text
    fields = [e["field"] for e in r.json()["errors"]]
    assert fields == ["body.1", "body.2.issued_on", "body.3.recipient.type", "body.3.colour", "body.4"], r.text
    messages = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert "email" in messages["body.1"] and "learner 'nobody' does not exist" in messages["body.4"]
    assert r.json()["detail"].startswith("4 records refused")
    assert store.read(queries.count_nodes(Label.ASSERTION)) == [{"n": 0}]


def test_a_list_whose_items_are_all_badly_shaped_names_each(client) -> None:
    c, key = client
    r = c.post("/organisations/college/badges/web/assertions", json=[{}, 7], headers=key)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["body.0", "body.1"], r.text


@pytest.mark.falkordb_only
def test_ingest_awards_names_every_problem_of_every_row_one_per_field(store: GraphStore, tmp_path: Path) -> None:
    """``colearn ingest awards``: a row with two bad fields is two problems, and a badly
    shaped row does not hide another row's unknown badge nor a duplicate id; nothing is written."""
    ingest_catalogue(store, demo_city_path())
    head, first, second = (DEMO_CITY / "award_history.csv").read_text().splitlines()[:3]
    shutil.copy(DEMO_CITY / "learners.csv", tmp_path / "learners.csv")
    (tmp_path / "award_history.csv").write_text("\n".join([
        head, first,
        second.replace(",2025-01-10,accepted,", ",10/01/2025,granted,"),  # line 3: two bad fields
        first.replace("bf-a00001", "bf-x1").replace(",climate-literate,", ",no-such-badge,"),  # line 4: unknown
        first]) + "\n")  # line 5: the id of line 2 again
    with pytest.raises(InvalidInputs) as info:
        ingest_awards(store, tmp_path)
    got = [(p.record, p.field) for p in info.value.problems]
    assert got == [(3, "issued_on"), (3, "status"), (4, "badge"), (5, "id")], info.value.listing()
    assert all(p.field not in p.detail for p in info.value.problems[:2]), info.value.listing()
    assert store.read(queries.count_nodes(Label.ASSERTION)) == [{"n": 0}]


def test_creating_a_theme_names_a_bad_kind_and_an_unknown_destination_at_once(store: GraphStore,
                                                                                 tmp_path: Path) -> None:
    """``POST /themes`` with a bad ``kind`` and an unknown destination names both (a bad
    field no longer hides the references of the others), and creates nothing."""
    seed_issuing_city(store)
    app = create_app(Settings(data_dir=tmp_path, base_url=BASE, rate_limit_per_minute=0), store=store)
    with TestClient(app) as c:
        admin = {"X-API-Key": create_key(store, "admin").secret}
        r = c.post("/themes", json={"id": "t1", "name": "T", "kind": "not a kind", "destinations": ["nowhere"]},
                   headers=admin)
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == ["body.kind", "body.destinations.0"], r.text
        assert "unknown Destination 'nowhere'" in r.json()["errors"][1]["message"]
        assert c.get("/themes/t1", headers=admin).status_code == 404
        # a body that is only badly shaped answers as before
        only = c.post("/themes", json={"id": "t1", "name": "T", "kind": "civic", "colour": "red"}, headers=admin)
        assert only.status_code == 422 and [e["field"] for e in only.json()["errors"]] == ["body.colour"], only.text
