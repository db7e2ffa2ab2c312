"""``/demo`` as ``make run`` serves it, in headless Chromium: the demo city loaded
the way ``colearn ingest demo`` loads it, the API answering anonymous callers as
a read-only partner (``COLEARN_ANONYMOUS_ROLE=partner``), the page served by the
API itself. Both widgets fill for the default learner, every item that has a
place or dates shows them, no badge comes from the Stack Exchange data, each
element sends one request, and the visitor mode works. Screenshots at 1280 and
390 pixels wide are written to ``docs/`` (the README shows them).

Skipped only where Chromium is absent; CI sets ``COLEARN_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from colearn.config import Settings
from colearn.graph.store import GraphStore
from colearn.ingest.awards import ingest_awards
from colearn.ingest.catalogue import demo_city_path, ingest_demo_catalogue
from colearn.ports import free_port
from colearn.service.app import create_app
from colearn.service.routers.widget import DEMO_LEARNER

from tests.conftest import REPO
from tests.live import live_api
from tests.browser import launch, require_chromium

DOCS = REPO / "docs"

sync_playwright = require_chromium()

#: Per opportunity shown: its id, where and when texts.
SHOWN = """(sel) => document.querySelector(sel).shadowRoot ? [...document.querySelector(sel).shadowRoot
  .querySelectorAll('li.opp')].map(li => [li.getAttribute('data-opportunity-id'),
  li.querySelector('.where').textContent, li.querySelector('.when').textContent]) : []"""


def _city_badges() -> set[str]:
    return {b["id"] for b in yaml.safe_load((demo_city_path() / "badges.yaml").read_text())}


def _city_opportunities() -> dict[str, dict]:
    return {o["id"]: o for o in yaml.safe_load((demo_city_path() / "opportunities.yaml").read_text())}


def _place_names() -> dict[str, str]:
    return {p["id"]: p["name"] for p in yaml.safe_load((demo_city_path() / "places.yaml").read_text())}


def test_demo_page_as_make_run_serves_it(store: GraphStore, tmp_path: Path) -> None:
    ingest_demo_catalogue(store)
    ingest_awards(store, demo_city_path())
    port = free_port()  # colearn serve sets COLEARN_BASE_URL to the address it serves (the page names it)
    app = create_app(Settings(data_dir=tmp_path, anonymous_role="partner", base_url=f"http://127.0.0.1:{port}"),
                     store=store)
    badges, opportunities, places = _city_badges(), _city_opportunities(), _place_names()
    with live_api(app, port=port) as api, sync_playwright() as pw:
        browser = launch(pw)
        try:
            for width, height in ((1280, 1000), (390, 1800)):
                page = browser.new_page(viewport={"width": width, "height": height})
                calls: list[str] = []
                page.on("request", lambda r: calls.append(r.url) if "/widget/" not in r.url else None)
                page.goto(f"{api}/demo")
                page.wait_for_selector("colearn-next li.item")
                page.wait_for_selector("colearn-pathways li.item")
                next_ids = page.locator("colearn-next li.item").evaluate_all(
                    "els => els.map(e => e.getAttribute('data-badge-id'))")
                assert next_ids and set(next_ids) <= badges, next_ids  # no Stack Exchange badge
                assert not page.locator("colearn-next [role=alert], colearn-pathways [role=alert]").count()
                shown = page.evaluate(SHOWN, "colearn-next") + page.evaluate(SHOWN, "colearn-pathways")
                assert shown
                for opp_id, where, when in shown:
                    o = opportunities[opp_id]
                    if o["mode"] == "online":
                        assert where == "Online", (opp_id, where)
                    else:
                        assert where.startswith(places[o["place"]]), (opp_id, where)
                        assert where.count("Harbourside") <= 1, where  # a district named once
                    if o.get("start") or o.get("sessions"):
                        assert any(m in when for m in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                                       "Sep", "Oct", "Nov", "Dec")), (opp_id, when)
                    else:
                        assert when == "Ongoing: join any time", (opp_id, when)
                assert any(w != "Online" for _, w, _ in shown)
                # one request per element (the page itself aside)
                api_calls = [c for c in calls if c.startswith(api) and "/demo" not in c]
                assert sorted(c.split("?")[0].removeprefix(api) for c in api_calls) == [
                    f"/learners/{DEMO_LEARNER}/next", f"/learners/{DEMO_LEARNER}/pathways"], api_calls
                page.screenshot(path=str(DOCS / f"demo-{width}.png"), full_page=True)
                page.close()
            # the visitor mode and the district filter
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(f"{api}/demo?visitor=true&district=eastfield")
            page.wait_for_selector("colearn-next li.item")
            page.wait_for_selector("colearn-pathways li.item")
            shown = page.evaluate(SHOWN, "colearn-next")
            assert shown and all(w.endswith("Eastfield") or "Eastfield" in w for _, w, _ in shown), shown
            # the published pathways, each first step with where to earn it in the district
            steps = page.evaluate(SHOWN, "colearn-pathways")
            assert steps and all("Eastfield" in w for _, w, _ in steps), steps
            assert "start with:" in page.locator("colearn-pathways").evaluate("e => e.shadowRoot.textContent")
            page.close()
        finally:
            browser.close()
    assert (DOCS / "demo-1280.png").read_bytes()[:4] == b"\x89PNG"
