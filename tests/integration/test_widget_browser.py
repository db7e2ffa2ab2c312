"""The demo partner page in headless Chromium (Debian's ``chromium``, driven by
Playwright's Python API), loaded from another origin than the API: the widget's
items against the API's own answer, keyboard order, contrast, CORS allowed for
the partner key's origin and refused for another, and a screenshot in
``test-artifacts/``.

Skipped only where Chromium is absent (``apt-get install -y chromium``); CI sets
``COLEARN_REQUIRE_BROWSER=1`` so that a missing browser fails instead.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from colearn.config import Settings
from colearn.graph import queries
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue import ingest_demo_catalogue
from colearn.service.app import create_app
from colearn.service.auth import create_key
from colearn.service.routers.widget import render_demo

from tests.conftest import REPO
from tests.live import live_api, live_page
from tests.browser import launch, require_chromium

# a browser test of the widget; the store behind it is incidental: FalkorDB only.
pytestmark = pytest.mark.falkordb_only

ARTIFACTS = REPO / "test-artifacts"

sync_playwright = require_chromium()

LEARNER = "demo-learner-1"

#: Synthetic learners walking the demo pathways: each takes the first badge of
#: the first ``k`` steps of a pathway.
PATHS = {
    "digital": ["digital-explorer", "code-club-member", "first-web-app", "junior-developer-placement"],
    "civic": ["youth-forum-visitor", "youth-forum-member", "campaign-maker", "youth-councillor"],
    "enterprise": ["enterprise-spark", "money-smart", "business-plan", "social-enterprise-founder"],
}


def _seed(store: GraphStore) -> None:
    ingest_demo_catalogue(store)
    rows, n = [], 0
    for i in range(30):
        path = list(PATHS.values())[i % 3]
        for badge in path[: 1 + i % 4]:
            n += 1
            rows.append({"id": f"demo-a{n}", "organisation_id": "brackenford-city-council", "badge_id": badge,
                         "learner_id": f"demo-learner-{i}", "learner_props": {},
                         "props": {"status": "accepted", "issued_on": 1_700_000_000 + n}})
    store.write(queries.MERGE_ASSERTIONS, {"rows": rows})


DEEP_ACTIVE = """() => { let a = document.activeElement;
  while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
  return a ? (a.getAttribute('data-badge-id') || a.getAttribute('data-pathway-id') || a.tagName + ':' + a.textContent) : null; }"""

CONTRAST = """(host) => {
  const lum = (c) => { const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map((v) => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const bg = (node) => { for (let n = node; n; n = n.parentNode || n.host) {
      if (n.nodeType !== 1) continue; const c = getComputedStyle(n).backgroundColor;
      if (c && !c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent') return c; } return 'rgb(255, 255, 255)'; };
  const out = [];
  for (const n of host.shadowRoot.querySelectorAll('h2, h3, li, a, p')) {
    if (!n.textContent.trim()) continue;
    const [l1, l2] = [lum(getComputedStyle(n).color), lum(bg(n))].sort((x, y) => y - x);
    out.push([n.tagName, (l1 + 0.05) / (l2 + 0.05)]); }
  return out; }"""


def test_demo_page_in_chromium(store: GraphStore, tmp_path: Path) -> None:
    _seed(store)
    admin = create_key(store, "admin").secret
    app = create_app(Settings(data_dir=tmp_path), store=store)
    ARTIFACTS.mkdir(exist_ok=True)
    started = time.monotonic()
    with live_api(app) as api, live_page(lambda: page_html) as partner, \
            live_page(lambda: page_html, host="localhost") as stranger:
        key = create_key(store, "partner", origins=[partner], name="demo partner").secret
        page_html = render_demo(api, key, LEARNER)
        expected = httpx.get(f"{api}/learners/{LEARNER}/next", params={"limit": 5},
                             headers={"X-API-Key": admin}, timeout=30).json()["items"]
        assert expected, "the seeded city must give this learner recommendations"
        pathways = httpx.get(f"{api}/learners/{LEARNER}/pathways", headers={"X-API-Key": admin}, timeout=30)
        with sync_playwright() as pw:
            browser = launch(pw)
            try:
                page = browser.new_page(viewport={"width": 1100, "height": 900})
                requests: list[str] = []
                page.on("request", lambda r: requests.append(r.url))
                page.goto(partner)
                page.wait_for_selector("colearn-next li.item")
                page.wait_for_selector("colearn-pathways section[aria-busy=false]")
                # the items, in order, are the API's answer
                ids = page.locator("colearn-next li.item").evaluate_all(
                    "els => els.map(e => e.getAttribute('data-badge-id'))")
                assert ids == [i["badge_id"] for i in expected]
                names = page.locator("colearn-next li.item h3").all_inner_texts()
                assert names == [i["name"] or i["badge_id"] for i in expected]
                reasons = page.locator("colearn-next li.item .reasons li").count()
                assert reasons == sum(len(i["reasons"]) for i in expected) > 0
                links = page.locator("colearn-next li.item a").evaluate_all("els => els.map(e => e.href)")
                assert links == [o["url"].rstrip("/") + ("/" if o["url"].count("/") == 2 else "")
                                 for i in expected for o in i["opportunities"] if o["url"]]
                assert page.locator("colearn-next ol[role=list]").count() == 1
                # the scored pathways, in order, with the API's progress on their bars
                assert pathways.status_code == 200, pathways.text
                scored = pathways.json()["data"]
                assert scored, "the seeded learner walks the demo pathways"
                shown = page.locator("colearn-pathways li.item").evaluate_all(
                    "els => els.map(e => e.getAttribute('data-pathway-id'))")
                assert shown == [p["pathway_id"] for p in scored]
                bars = page.locator("colearn-pathways li.item [role=progressbar]").evaluate_all(
                    "els => els.map(e => Number(e.getAttribute('aria-valuenow')))")
                assert bars == [int(p["progress"] * 100 + 0.5) for p in scored]  # JS Math.round
                assert any(b > 0 for b in bars)
                # keyboard: Tab walks the items and their links in reading order
                page.locator("form button").focus()  # past the page's own controls
                focused = []
                for _ in range(len(ids) + len(links) + 1):
                    page.keyboard.press("Tab")
                    focused.append(page.evaluate(DEEP_ACTIVE))
                assert [f for f in focused if f in ids] == ids
                assert sum(1 for f in focused if f and f.startswith("A:")) == len(links)
                # contrast of every text the widget draws (WCAG AA: 4.5:1)
                ratios = page.locator("colearn-next").evaluate(CONTRAST)
                assert ratios and min(r for _, r in ratios) >= 4.5, ratios
                # no request but to the API and the page itself
                assert {u.split("/")[2] for u in requests} <= {partner.split("/")[2], api.split("/")[2]}
                page.screenshot(path=str(ARTIFACTS / "widget-demo.png"), full_page=True)

                # the same page from an origin no partner key lists: CORS refuses it
                other = browser.new_page()
                other.goto(stranger)
                alert = other.wait_for_selector("colearn-next p[role=alert]")
                assert "Recommendations are not available right now." in alert.inner_text()
                assert other.locator("colearn-next li.item").count() == 0
                other.screenshot(path=str(ARTIFACTS / "widget-refused.png"))
            finally:
                browser.close()
    print(f"browser test: {time.monotonic() - started:.1f} s")
