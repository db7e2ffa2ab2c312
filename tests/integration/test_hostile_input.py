"""Hostile input on every kind of route: oversize bodies (413, read no further
than the limit), over-long fields and lists, deep nesting, NUL and other
control characters (refused, or stored and answered exactly), invalid UTF-8
in a CSV; always ``application/problem+json``, never a store's own error text."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.errors import ColearnError, InvalidInput
from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.service import guard
from colearn.service.app import create_app
from colearn.service.auth import create_key
from tests.openbadges_builders import BASE, seed_issuing_city

RECIPIENT = {"recipient": {"type": "email", "identity": "ada@example.org"}}
BADGE = {"id": "pair", "name": "Pair", "issuer": "college", "cells": ["skills.participation"]}


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    seed_issuing_city(store)
    app = create_app(Settings(data_dir=tmp_path, base_url=BASE, rate_limit_per_minute=0), store=store)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, {"college": {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret}}


def _problem(r, status: int) -> dict:
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers["content-type"]
    assert "errMsg" not in r.text and "errCtx" not in r.text
    return r.json()


def _count(store: GraphStore, label: Label) -> int:
    return store.read(queries.count_nodes(label))[0]["n"]


@pytest.mark.parametrize("where", ["name", "description", "criteria"])
def test_nul_in_a_body_is_refused_naming_the_field(api, store: GraphStore, where: str) -> None:
    client, h = api
    body = _problem(client.post("/badges", json=BADGE | {where: "a\x00b"}, headers=h["college"]), 422)
    assert body["errors"][0]["field"] == f"body.{where}"
    assert _count(store, Label.BADGE) == 4
    _problem(client.patch("/badges/web", json={where: "\x00"}, headers=h["college"]), 422)
    _problem(client.post("/organisations/college/badges/web/assertions", headers=h["college"],
                         json=RECIPIENT | {"narrative": "x\x00"}), 422)
    assert _count(store, Label.ASSERTION) == 0


@pytest.mark.parametrize("path", ["/ob/v2/assertions/a%00b", "/ob/v2/badges/web%00", "/ob/v3/issuers/%00",
                                  "/ob/v2/issuers/college%01", "/badges?q=%00", "/opportunities?q=a%1fb",
                                  "/ob/v3/credentials/x%00/jwt", "/badges/web%7f"])
def test_control_characters_in_a_url_are_refused(api, path: str) -> None:
    client, h = api
    _problem(client.get(path, headers=h["college"]), 422)


def test_other_control_characters_are_stored_and_answered_exactly(api) -> None:
    client, h = api
    text = "tab\tline\nbell\x07 esc\x1b del\x7f \\u0000 and a quote \" end"
    r = client.post("/badges", json=BADGE | {"description": text}, headers=h["college"])
    assert r.status_code == 201, r.text
    assert client.get("/badges/pair", headers=h["college"]).json()["description"] == text
    assert json.loads(client.get("/ob/v2/badges/pair").text)["description"] == text


def test_store_errors_never_reach_the_caller(store: GraphStore) -> None:
    with pytest.raises(InvalidInput):
        store.read("RETURN $x AS x", {"x": "a\x00"})
    with pytest.raises(ColearnError) as err:
        store.write("THIS IS NOT CYPHER")
    assert "errMsg" not in str(err.value) and "NOT CYPHER" not in str(err.value)


@pytest.mark.parametrize("content_type", ["application/json", None])
def test_deeply_nested_json_is_a_problem_not_a_crash(api, content_type) -> None:
    client, _ = api
    deep = "[" * 200_000 + "]" * 200_000
    headers = {"Content-Type": content_type} if content_type else {}
    _problem(client.post("/verify", content=deep, headers=headers), 422)
    _problem(client.post("/verify", content='{"document": ' + "[" * 40 + "]" * 40 + "}",
                         headers={"Content-Type": "application/json"}), 422)


def test_oversize_bodies_answer_413_without_reading_on(api, store: GraphStore) -> None:
    client, h = api
    big = BADGE | {"description": "x" * (guard.MAX_JSON_BYTES + 10)}
    body = _problem(client.post("/badges", json=big, headers=h["college"]), 413)
    assert body["type"] == "/problems/content-too-large"
    read = []

    def chunks(n: int, size: int = 1 << 20) -> Iterator[bytes]:
        for _ in range(n):
            read.append(size)
            yield b"badge_id,email\n" + b"x" * (size - 15)

    started = time.monotonic()
    r = client.post("/organisations/college/assertions/csv", content=chunks(50),  # 50 MB, no Content-Length
                    headers={**h["college"], "Content-Type": "text/csv"})
    _problem(r, 413)
    assert time.monotonic() - started < 10
    lines = "badge_id,email\n" + "web,a@example.org\n" * (guard.MAX_CSV_LINES + 1)
    _problem(client.post("/organisations/college/assertions/csv", content=lines,
                         headers={**h["college"], "Content-Type": "text/csv"}), 413)
    _problem(client.post("/verify", content=b"\x89PNG" + b"0" * guard.MAX_OTHER_BYTES,
                         headers={"Content-Type": "image/png"}), 413)
    assert _count(store, Label.ASSERTION) == 0


def test_long_fields_and_lists_are_refused_naming_the_field(api, store: GraphStore) -> None:
    client, h = api
    body = _problem(client.post("/badges", json=BADGE | {"description": "x" * (guard.MAX_TEXT_CHARS + 1)},
                                headers=h["college"]), 422)
    assert body["errors"][0]["field"] == "body.description"
    body = _problem(client.post("/badges", json=BADGE | {"themes": ["digital"] * (guard.MAX_ITEMS + 1)},
                                headers=h["college"]), 422)
    assert body["errors"][0]["field"] == "body.themes"
    body = _problem(client.post("/organisations/college/badges/web/assertions", headers=h["college"],
                                json=[RECIPIENT] * (guard.MAX_ITEMS + 1)), 422)
    assert body["errors"][0]["field"] == "body"
    assert _count(store, Label.ASSERTION) == 0 and _count(store, Label.BADGE) == 4


def test_invalid_utf8_in_a_csv_is_refused_not_mangled(api, store: GraphStore) -> None:
    client, h = api
    text = b"badge_id,email\nweb,good@example.org\nweb,\xff\xfe@x.example\n"
    body = _problem(client.post("/organisations/college/assertions/csv?name=t.csv", content=text,
                                headers={**h["college"], "Content-Type": "text/csv"}), 422)
    assert "UTF-8" in body["detail"] and "record 3" in body["detail"]
    assert _count(store, Label.ASSERTION) == 0


def test_a_trailing_slash_redirect_never_names_the_host_header(api) -> None:
    """``/badges/`` redirects to ``/badges`` (Starlette's ``redirect_slashes``), which built an
    absolute ``Location`` from the ``Host`` header: ``Host: evil.example`` sent the caller to
    ``http://evil.example/badges``. The ``Location`` is relative now, query kept."""
    client, keys = api
    for host in ("evil.example", "evil.example:8443", "evil example", "evil.example/x"):
        r = client.get("/badges/?themes=digital", headers={"Host": host, **keys["college"]}, follow_redirects=False)
        assert r.status_code == 307, (host, r.status_code, r.text)
        assert r.headers["location"] == "/badges?themes=digital", (host, r.headers["location"])
    normal = client.get("/badges/", headers=keys["college"], follow_redirects=False)
    assert normal.status_code == 307 and normal.headers["location"] == "/badges"
    assert client.get("/badges/", headers=keys["college"]).status_code == 200  # followed, it answers
    # the redirect the app makes on purpose keeps its own Location
    assert client.get("/", headers={"Host": "evil.example"}, follow_redirects=False).headers["location"] == "/portfolio"


def test_relative_location() -> None:
    from colearn.service.headers import relative_location

    assert relative_location(b"http://h:1/a?b=c", ("http://h:1",)) == b"/a?b=c"
    assert relative_location(b"http://h//other.example/", ("http://h",)) == b"/other.example/"
    assert relative_location(b"http://evil%20host/a", ("http://x", "http://evil host")) == b"/a"
    assert relative_location(b"https://elsewhere.example/a", ("http://h",)) == b"https://elsewhere.example/a"
    assert relative_location(b"http://h.example/a", ("http://h",)) == b"http://h.example/a"
    assert relative_location(b"/a", ("http://h",)) == b"/a"
