"""``badge_pages.escape_js``, which writes the share page's one request-derived value (the
assertion's hosted URL) into its inline script: the literal reads back as the same
string and holds nothing that could end the script or a line of it."""

from __future__ import annotations

import json

from colearn.service.routers.badge_pages import escape_js


def test_a_script_string_round_trips_and_cannot_end_its_script() -> None:
    for value in ("\\", '"', "</script><script>alert(1)</script>", "a\u2028b\u2029c", "x&amp;<!--", "é"):
        literal = escape_js(value)
        assert json.loads(literal) == value
        assert not set(literal) & {"<", ">", "&", "\u2028", "\u2029", "\n"}, literal
        assert literal.isascii(), literal
