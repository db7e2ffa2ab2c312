"""``/demo`` with hostile request values, in headless Chromium: the page's own script
runs without an error and selects the district asked for, whatever characters it holds.
The district was HTML-escaped and then written into a JavaScript string, so a backslash
(``?district=%5C``) ended the page's script in a syntax error and a quote arrived as
``&quot;``. No value is written into script text now (``widget.render_demo``).

Skipped only where Chromium is absent; CI sets ``COLEARN_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import pytest

from colearn.config import Settings
from colearn.graph.store import GraphStore
from colearn.service.app import create_app
from colearn.service.routers.widget import render_demo
from tests.browser import launch, require_chromium
from tests.live import live_api

pytestmark = pytest.mark.falkordb_only  # a browser test; the store behind it is incidental

sync_playwright = require_chromium()

HOSTILE = ["\\", '"', "x\\\"-alert(1)-\"", "</script><script>document.title='owned'</script>", "a\u2028b\u2029c",
           "eastfield"]


def test_the_demo_scripts_are_the_same_whatever_the_values() -> None:
    """Not one request value is part of an inline script's text."""
    scripts = {value: re.findall(r"<script>(.*?)</script>", render_demo("", value, value, value), re.S)
               for value in HOSTILE}
    assert len({tuple(s) for s in scripts.values()}) == 1, scripts


def test_the_demo_page_script_runs_with_any_district(store: GraphStore, tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, anonymous_role="partner"), store=store)
    with live_api(app) as api, sync_playwright() as pw:
        browser = launch(pw)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            for district in HOSTILE:
                for visitor in ("true", "false"):
                    page.goto(f"{api}/demo?{urlencode({'district': district, 'visitor': visitor})}")
                    selected = page.eval_on_selector("select[name=district]", "s => s.value")
                    assert (selected, errors) == (district, []), (district, visitor)
                    assert page.title().startswith("Brackenford Youth Hub"), district
                    assert page.get_attribute("colearn-next", "district") == district
        finally:
            browser.close()
