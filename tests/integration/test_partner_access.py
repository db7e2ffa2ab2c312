"""A learner decides whether the city's partner sites read their recommendations and
pathways (``PATCH /me`` ``partner_access``), over the API on each engine: a "no" holds
at once for partner keys and the anonymous partner role alike, with its own problem type;
admin and the learner themself still read; ``null`` goes back to the city's default
(``COLEARN_PARTNER_ACCESS_DEFAULT``), which a city sets to false to ask first."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.service.app import create_app
from colearn.service.auth import create_key, issue_learner_token
from tests.learner_builders import seed_learner_city
from tests.openbadges_builders import BASE

LEARNER = "se-1"
ORIGIN = "https://partner.example"
#: Every route that reads one learner's recommendations or pathways.
READS = [("GET", f"/learners/{LEARNER}/next", None), ("GET", f"/learners/{LEARNER}/pathways", None),
         ("POST", f"/learners/{LEARNER}/pathways/interest", {"themes": ["digital"]})]
WITHHELD = f"learner '{LEARNER}' does not let partner sites read their recommendations"

Client = tuple[TestClient, dict[str, dict[str, str]]]


@pytest.fixture
def city(store: GraphStore, tmp_path: Path) -> Iterator[Callable[..., Client]]:
    seed_learner_city(store)
    store.write(queries.merge_nodes(Label.LEARNER), {"rows": [{"id": "se-2", "props": {"name": "Kim"}}]})
    opened: list[TestClient] = []

    def open_city(**settings: object) -> Client:
        app = create_app(Settings(data_dir=tmp_path, base_url=BASE, rate_limit_per_minute=0,
                                  **settings), store=store)  # type: ignore[arg-type]
        client = TestClient(app)
        client.__enter__()
        opened.append(client)
        return client, {
            "partner": {"X-API-Key": create_key(store, "partner", origins=[ORIGIN]).secret, "Origin": ORIGIN},
            "anonymous": {"Origin": ORIGIN},
            "admin": {"X-API-Key": create_key(store, "admin").secret},
            "learner": {"Authorization": f"Bearer {issue_learner_token(app.state.token_secret, LEARNER)}"},
        }

    yield open_city
    for client in opened:
        client.__exit__(None, None, None)


def _statuses(client: TestClient, headers: dict[str, str]) -> list[int]:
    return [client.request(method, path, headers=headers, json=body).status_code for method, path, body in READS]


def test_a_learner_who_says_no_is_withheld_from_partners_at_once(city: Callable[..., Client]) -> None:
    client, who = city(anonymous_role="partner")
    me = who["learner"]
    assert client.get("/me", headers=me).json()["partner_access"] is True  # the city's default: yes
    assert _statuses(client, who["partner"]) == [200, 200, 200]
    r = client.patch("/me", headers=me, json={"partner_access": False})
    assert r.status_code == 200 and r.json()["partner_access"] is False, r.text
    for caller in ("partner", "anonymous"):
        for method, path, body in READS:
            r = client.request(method, path, headers=who[caller], json=body)
            assert r.status_code == 403, (caller, path, r.text)
            problem = r.json()
            assert (problem["type"], problem["detail"]) == ("/problems/learner-not-shared", WITHHELD), problem
    for caller in ("admin", "learner"):
        assert _statuses(client, who[caller]) == [200, 200, 200], caller
    assert client.get("/themes", headers=who["partner"]).status_code == 200  # the catalogue stays open
    # a change of another field keeps the choice; null goes back to the city's default
    assert client.patch("/me", headers=me, json={"interests": "bikes"}).json()["partner_access"] is False
    assert _statuses(client, who["partner"]) == [403, 403, 403]
    assert client.patch("/me", headers=me, json={"partner_access": None}).json()["partner_access"] is True
    assert _statuses(client, who["partner"]) == [200, 200, 200]


def test_a_city_that_asks_first_lets_partners_read_only_after_a_yes(city: Callable[..., Client]) -> None:
    client, who = city(partner_access_default=False)
    me = who["learner"]
    assert client.get("/me", headers=me).json()["partner_access"] is False
    assert _statuses(client, who["partner"]) == [403, 403, 403]
    assert _statuses(client, who["learner"]) == [200, 200, 200]
    assert client.patch("/me", headers=me, json={"partner_access": True}).json()["partner_access"] is True
    assert _statuses(client, who["partner"]) == [200, 200, 200]
    # another learner has not said yes: withheld, as is one the city does not know
    for other in ("se-2", "no-such-learner"):
        r = client.get(f"/learners/{other}/next", headers=who["partner"])
        assert (r.status_code, r.json()["type"]) == (403, "/problems/learner-not-shared"), (other, r.text)


def test_partner_access_must_be_a_boolean(city: Callable[..., Client]) -> None:
    client, who = city()
    r = client.patch("/me", headers=who["learner"], json={"partner_access": "maybe"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.partner_access", r.text
