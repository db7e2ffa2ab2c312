"""Names and titles are one line (``records.fields.Name``): a line break or control
character in one is a 422 naming the field, and so is a character that can disguise
text (bidi embeddings, overrides and isolates; zero width spaces), naming it; and an award notice is sent whatever
name its badge holds, since the mailer folds its subject to one line (a badge
stored with a line break before this rule, or written by another reader, once
stopped its notices: "Header values may not contain linefeed")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.errors import InvalidInput
from colearn.service.auth import create_key, issue_learner_token, list_keys
from tests.learner_builders import learner_client, link_token, outbox

_STEP = {"title": "One", "badges": ["web"]}
#: (method, path, body without the bad text, the field that takes it, the text)
_WRITES: list[tuple[str, str, dict[str, Any], str, str]] = [
    ("POST", "/badges", {"id": "two-lines", "issuer": "college", "cells": ["skills.engagement"]}, "name",
     "Line one\nLine two"),
    ("PATCH", "/badges/web", {}, "name", "Line one\r\nLine two"),
    ("POST", "/opportunities", {"id": "two-lines", "organisation": "college", "mode": "online"}, "name",
     "esc\x1b[31m red"),
    ("PATCH", "/opportunities/two-lines", {}, "name", "line\u2028separator"),
    ("POST", "/pathways", {"id": "two-lines", "organisation": "college", "destination": "employment",
                           "steps": [_STEP]}, "title", "tab\there"),
]


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], Path]]:
    with learner_client(store, tmp_path) as (client, box):
        yield client, {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret}, box


@pytest.mark.parametrize(("method", "path", "body", "field", "text"), _WRITES)
def test_a_name_with_a_line_break_or_control_character_is_refused(api, method: str, path: str,
                                                                   body: dict[str, Any], field: str,
                                                                   text: str) -> None:
    client, college, _ = api
    if path == "/opportunities/two-lines":  # one made with a good name first
        made = client.post("/opportunities", headers=college,
                           json={"id": "two-lines", "name": "One line", "organisation": "college", "mode": "online"})
        assert made.status_code == 201, made.text
    r = client.request(method, path, headers=college, json={**body, field: text})
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [f"body.{field}"]
    assert "one line" in r.json()["errors"][0]["message"]


#: (method, path, body without the bad name, the field, the character, how the error names it)
_DISGUISED: list[tuple[str, str, dict[str, Any], str, str, str]] = [
    ("POST", "/badges", {"id": "bidi", "issuer": "college", "cells": ["skills.engagement"]}, "name",
     "\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("PATCH", "/badges/web", {}, "name", "\u202d", "U+202D LEFT-TO-RIGHT OVERRIDE"),
    ("PATCH", "/organisations/college", {}, "name", "\u202b", "U+202B RIGHT-TO-LEFT EMBEDDING"),
    ("POST", "/opportunities", {"id": "bidi", "organisation": "college", "mode": "online"}, "name",
     "\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE"),
    ("POST", "/pathways", {"id": "bidi", "organisation": "college", "destination": "employment",
                           "steps": [_STEP]}, "title", "\u2069", "U+2069 POP DIRECTIONAL ISOLATE"),
    ("PATCH", "/badges/web", {}, "name", "\u200b", "U+200B ZERO WIDTH SPACE"),
]


@pytest.mark.parametrize(("method", "path", "body", "field", "char", "named"), _DISGUISED)
def test_a_name_that_can_disguise_text_is_refused(api, method: str, path: str, body: dict[str, Any],
                                                  field: str, char: str, named: str) -> None:
    """"Safe badge \u202egnp.exe" showed as "Safe badge exe.png" in pages and mail."""
    client, college, _ = api
    r = client.request(method, path, headers=college, json={**body, field: f"Safe badge {char}gnp.exe"})
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["field"] == f"body.{field}"
    assert error["message"].startswith(f"contains {named}, which can disguise text"), error


@pytest.mark.parametrize("name", ["مدرسة البرمجة Coding", "שלום עולם", "Coders \U0001f9d1\u200d\U0001f4bb",
                                  "می\u200cخواهم", "C++ \u200eבסיס\u200f"])
def test_right_to_left_names_joiners_and_marks_are_taken(api, name: str) -> None:
    """Arabic and Hebrew, a ZWJ emoji sequence (🧑‍💻), ZWNJ in Persian and the bidi marks stay names."""
    client, college, _ = api
    r = client.patch("/badges/web", headers=college, json={"name": name})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == name


@pytest.mark.parametrize(("title", "message"), [("Step\none", "a name or title is one line"),
                                              ("Step \u202aone", "contains U+202A LEFT-TO-RIGHT EMBEDDING,")])
def test_a_step_title_with_a_line_break_or_a_disguise_is_refused(api, title: str, message: str) -> None:
    client, college, _ = api
    r = client.post("/pathways", headers=college, json={
        "id": "two-lines", "title": "Fine", "organisation": "college", "destination": "employment",
        "steps": [{**_STEP, "title": title}]})
    assert r.status_code == 422, r.text
    assert [(e["field"], e["message"][:len(message)]) for e in r.json()["errors"]] == [
        ("body.steps.0.title", message)]


@pytest.mark.parametrize(("name", "answer"), [
    ("Ada \u202egnp.exe", "contains U+202E RIGHT-TO-LEFT OVERRIDE, which can disguise text"),
    ("Ada\nLovelace", "a name or title is one line"),
    ("أدا لوفلace", None), ("", "String should have at least 1 character")])
def test_a_learners_own_name_follows_the_rule_of_names(api, store: GraphStore, name: str, answer: str | None) -> None:
    """A learner's name is shown on their pages and in mail like any other name."""
    client, _, _ = api
    store.write(queries.merge_nodes(Label.LEARNER), {"rows": [{"id": "ada", "props": {}}]})
    me = {"Authorization": f"Bearer {issue_learner_token(client.app.state.token_secret, 'ada')}"}
    r = client.patch("/me", headers=me, json={"name": name})
    if answer is None:
        assert r.status_code == 200 and r.json()["name"] == name, r.text
        return
    assert r.status_code == 422, r.text
    assert [(e["field"], e["message"][:len(answer)]) for e in r.json()["errors"]] == [("body.name", answer)]
    assert client.get("/me", headers=me).json()["name"] is None


@pytest.mark.parametrize("name", ["ops \u2067key", "two\nlines"])
def test_an_api_key_label_follows_the_rule_of_names(store: GraphStore, name: str) -> None:
    """A key's label is shown by ``colearn keys list`` and in the logs; nothing is stored when refused."""
    with pytest.raises(InvalidInput) as err:
        create_key(store, "admin", name=name)
    assert err.value.field == "name" and ("U+2067" in str(err.value) or "one line" in str(err.value))
    assert list_keys(store) == []
    assert create_key(store, "admin", name="Ops team (شارة)").name == "Ops team (شارة)"


def test_a_one_line_name_is_still_taken(api) -> None:
    client, college, _ = api
    r = client.patch("/badges/web", headers=college, json={"name": "  Web Foundations: Café 2 ✓ "})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Web Foundations: Café 2 ✓"


def test_a_badge_stored_with_a_line_break_still_gets_its_award_notice(api, store: GraphStore) -> None:
    client, college, box = api
    # as a reader that does not check names, or a graph written before the rule, leaves it
    store.write(queries.merge_nodes(Label.BADGE), {"rows": [{"id": "web", "props": {"name": "Line one\nLine two"}}]})
    r = client.post("/organisations/college/badges/web/assertions", headers=college,
                    json={"recipient": {"type": "email", "identity": "ana@example.org"}})
    assert r.status_code == 201, r.text
    [message] = outbox(box)
    assert message["To"] == "ana@example.org"
    assert message["Subject"] == 'You have been awarded "Line one Line two"'
    token = link_token(message, "claim")
    viewed = client.post("/claims/view", json={"token": token})
    assert viewed.status_code == 200, viewed.text
