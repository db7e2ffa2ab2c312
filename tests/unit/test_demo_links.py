"""The demo page's links to the learner and visitor views carry their values
URL-encoded, so a ``learner`` or ``key`` holding ``&`` or ``=`` cannot add a parameter."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs

from colearn.service.routers.widget import DEMO_LEARNER, render_demo


def _link(page: str, link_id: str) -> dict[str, list[str]]:
    href = re.search(rf'<a href="([^"]*)" id="{link_id}"', page)
    assert href, link_id
    query = html.unescape(href.group(1))
    assert query.startswith("?")
    return parse_qs(query[1:], keep_blank_values=True)


def test_values_with_ampersands_stay_one_parameter() -> None:
    page = render_demo("http://api.example/", "col_k&visitor=true", "a&key=stolen#x")
    assert _link(page, "as-learner") == {"learner": ["a&key=stolen#x"], "key": ["col_k&visitor=true"]}
    assert _link(page, "as-visitor") == {"visitor": ["true"], "key": ["col_k&visitor=true"]}
    assert "a&key=stolen" not in page  # HTML-escaped everywhere else


def test_the_learner_link_of_the_visitor_view_opens_a_learner() -> None:
    page = render_demo("http://api.example", "col_k", None)
    assert _link(page, "as-learner") == {"learner": [DEMO_LEARNER], "key": ["col_k"]}
