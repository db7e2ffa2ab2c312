"""``/docs`` and ``/redoc`` in headless Chromium with every request outside the
API refused (as on a machine with no network): the pages render from the app's
own assets, the OpenAPI document declares the API key and bearer schemes, and
Swagger UI's "Try it out" sends the key given to "Authorize".

Skipped only where Chromium is absent; CI sets ``COLEARN_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from colearn.config import Settings
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue import ingest_demo_catalogue
from colearn.service.app import create_app
from colearn.service.auth import create_key

from tests.live import live_api

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]

if not CHROMIUM.exists():
    if os.environ.get("COLEARN_REQUIRE_BROWSER"):
        pytest.fail("COLEARN_REQUIRE_BROWSER is set but /usr/bin/chromium is missing", pytrace=False)
    pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)", allow_module_level=True)
sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright


def test_docs_work_offline_and_try_it_out_sends_the_key(store: GraphStore, tmp_path: Path) -> None:
    ingest_demo_catalogue(store)
    key = create_key(store, "admin", name="docs").secret
    app = create_app(Settings(data_dir=tmp_path), store=store)  # no anonymous access: a key is needed
    schemes = app.openapi()["components"]["securitySchemes"]
    assert schemes["apiKey"] == {**schemes["apiKey"], "type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["bearer"]["scheme"] == "bearer"
    with live_api(app) as api, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            refused: list[str] = []
            sent: list[dict[str, str]] = []

            def route(r):  # noqa: ANN001 - playwright's Route
                if r.request.url.startswith(api):
                    if "/organisations" in r.request.url:
                        sent.append(r.request.headers)
                    return r.continue_()
                refused.append(r.request.url)
                return r.abort()

            page.route("**/*", route)
            page.goto(f"{api}/redoc")
            page.wait_for_selector("h1:has-text('colearn')", timeout=30_000)
            page.goto(f"{api}/docs")
            page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
            assert "colearn" in page.locator(".swagger-ui .info .title").inner_text()
            page.click("button.authorize")
            page.locator(".auth-container").filter(has_text="X-API-Key").locator("input").fill(key)
            page.locator(".auth-container").filter(has_text="X-API-Key").locator("button.authorize").click()
            page.click("button.btn-done")
            op = page.locator(".opblock-get").filter(has=page.locator("[data-path='/organisations']")).first
            op.locator(".opblock-summary").click()
            op.locator("button.try-out__btn").click()
            op.locator("button.execute").click()
            op.locator(".responses-wrapper .live-responses-table").wait_for(timeout=30_000)
            assert sent and sent[-1].get("x-api-key") == key
            assert "200" in op.locator(".live-responses-table tbody .response-col_status").first.inner_text()
            # nothing else was asked of any other host; ReDoc's bundle links its vendor's small
            # logo in the sidebar footer (decorative: the page renders without it, as above)
            assert not [u for u in refused if not u.endswith("/redoc/logo-mini.svg")], refused
        finally:
            browser.close()
