"""The widget sends the partner key only to the origin that served its script, in
headless Chromium: an ``api`` attribute naming another origin is ignored (the
element still loads, from the script's origin), one naming the same origin is used.

Skipped only where Chromium is absent; CI sets ``COLEARN_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from colearn.config import Settings
from colearn.graph.store import GraphStore
from colearn.service.app import create_app
from colearn.service.auth import create_key

from tests.browser import launch, require_chromium
from tests.learner_builders import seed_learner_city
from tests.live import live_api, live_page

pytestmark = pytest.mark.falkordb_only  # a browser test; the store behind it is incidental

sync_playwright = require_chromium()


def test_the_key_goes_only_to_the_script_origin(store: GraphStore, tmp_path: Path) -> None:
    seed_learner_city(store)
    app = create_app(Settings(data_dir=tmp_path), store=store)
    with live_api(app) as api, live_page(lambda: "<p>elsewhere</p>", host="localhost") as elsewhere, \
            live_page(lambda: page_html) as partner:
        key = create_key(store, "partner", origins=[partner]).secret
        page_html = (f'<!doctype html><script src="{api}/widget/colearn.js" defer></script>'
                     f'<colearn-next visitor themes="digital" key="{key}" api="{elsewhere}"></colearn-next>'
                     f'<colearn-pathways visitor key="{key}" api="{api}/"></colearn-pathways>')
        with sync_playwright() as pw:
            browser = launch(pw)
            try:
                page = browser.new_page()
                sent: list[tuple[str, str | None]] = []
                page.on("request", lambda r: sent.append((r.url, r.headers.get("x-api-key"))))
                warnings: list[str] = []
                page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
                page.goto(partner)
                page.wait_for_selector("colearn-next section[aria-busy=false]")
                page.wait_for_selector("colearn-pathways section[aria-busy=false]")
                assert page.locator("colearn-next p[role=alert]").count() == 0
                hosts = {url.split("/")[2] for url, _ in sent}
                assert elsewhere.split("/")[2] not in hosts, sent
                with_key = [url for url, k in sent if k == key]
                assert any(u.startswith(f"{api}/visitors/next") for u in with_key), sent
                assert any(u.startswith(f"{api}/visitors/pathways") for u in with_key), sent
                assert all(u.startswith(api + "/") for u in with_key), sent
                assert any(f'api="{elsewhere}"' in w for w in warnings), warnings
            finally:
                browser.close()
