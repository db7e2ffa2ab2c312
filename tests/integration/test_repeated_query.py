"""A single-valued query parameter given twice is a 422 naming it (``query.group``), on
every route: the test walks the OpenAPI document's query parameters. A list parameter
(``themes``) takes each value given; on both engines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.graph.store import GraphStore
from colearn.service.app import create_app
from colearn.service.auth import create_key
from tests.learner_builders import seed_learner_city


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict]]:
    seed_learner_city(store)
    app = create_app(Settings(data_dir=tmp_path, rate_limit_per_minute=0, mail_outbox=tmp_path / "outbox"),
                     store=store)
    with TestClient(app) as client:
        yield client, {"X-API-Key": create_key(store, "admin").secret}


def _is_list(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "array" or any(s.get("type") == "array" for s in schema.get("anyOf", []))


def _value(schema: dict[str, Any]) -> str:
    """A value of the parameter's type (its first enum value, a number, a boolean, a date, a word)."""
    for s in [schema, *schema.get("anyOf", [])]:
        if s.get("enum"):
            return str(s["enum"][0])
        if s.get("type") in ("integer", "number"):
            return str(s.get("minimum", 1))
        if s.get("type") == "boolean":
            return "true"
    return "2026-01-01" if "day" in (schema.get("description") or "").lower() else "web"


def _operations(client: TestClient) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, ops in client.get("/openapi.json").json()["paths"].items():
        for method, op in ops.items():
            params = op.get("parameters", [])
            url = path
            for p in params:
                if p["in"] == "path":
                    url = url.replace("{" + p["name"] + "}", "0" if p["schema"].get("type") == "integer" else "web")
            for p in params:
                if p["in"] == "query":
                    yield method, url, p


def test_every_single_valued_query_parameter_given_twice_is_refused(api) -> None:
    client, admin = api
    singles = lists = 0
    for method, url, param in _operations(client):
        value = _value(param["schema"])
        r = client.request(method, url, params=[(param["name"], value), (param["name"], value)], headers=admin)
        named = [e for e in (r.json().get("errors") or [] if r.headers.get("content-type", "").endswith("json")
                             else []) if e["field"] == f"query.{param['name']}"]
        if _is_list(param["schema"]):
            lists += 1
            assert not any("times" in e["message"] for e in named), (method, url, param["name"], r.text)
        else:
            singles += 1
            assert r.status_code == 422, (method, url, param["name"], r.status_code, r.text[:300])
            assert named and named[0]["message"] == "given 2 times; this parameter takes one value", \
                (method, url, param["name"], r.text[:300])
    assert singles > 60 and lists >= 2, (singles, lists)


def test_the_reported_case_and_a_list_parameter(api) -> None:
    client, admin = api
    r = client.get("/insights/issued?by=theme&group=digital&group=health-and-care", headers=admin)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["query.group"]
    assert client.get("/insights/issued?by=theme&group=digital", headers=admin).status_code == 200
    # two parameters repeated: both named
    r = client.get("/badges?theme=digital&theme=digital&limit=1&limit=2", headers=admin)
    assert r.status_code == 422 and sorted(e["field"] for e in r.json()["errors"]) == ["query.limit", "query.theme"]
    # a list parameter takes each value
    r = client.get("/visitors/next?themes=digital&themes=digital", headers=admin)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(("path", "sent", "hint"), [
    ("/learners/bf-0476/next", "theme", "themes"), ("/badges", "kind", None), ("/insights/issued", "grp", "group"),
])
def test_a_query_parameter_the_route_does_not_read_is_refused(path: str, sent: str, hint: str | None,
                                                               request: pytest.FixtureRequest) -> None:
    """``?theme=zzz`` (the filter is ``themes``) answered as if unfiltered; now 422 naming
    it, with the parameters the route takes and the nearest one."""
    client, headers = request.getfixturevalue("api")
    r = client.get(path, params={sent: "zzz"}, headers=headers)
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["field"] == f"query.{sent}" and "it takes:" in error["message"]
    assert hint is None or f"did you mean '{hint}'" in error["message"]
