"""The claim page in headless Chromium (Debian's, through Playwright): it shows a
"Criteria:" line only when the badge's own criteria add to its description; a badge
without criteria had its description shown twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from colearn.config import Settings
from colearn.graph.store import GraphStore
from colearn.service.app import create_app
from colearn.service.auth import create_key
from tests.browser import launch, require_chromium
from tests.learner_builders import link_token, outbox, seed_learner_city
from tests.live import free_port, live_api

sync_playwright = require_chromium()

DESCRIPTION = "Web Foundations: a badge."


@pytest.mark.parametrize("criteria, line", [(None, None), ("Build and publish one web page.",
                                                            "Build and publish one web page.")])
def test_the_claim_page_shows_criteria_only_when_they_add_to_the_description(
        store: GraphStore, tmp_path: Path, criteria: str | None, line: str | None) -> None:
    seed_learner_city(store)
    store.write("MATCH (b:Badge {id: 'web'}) SET b.criteria = $criteria, b.description = $description",
                {"criteria": criteria, "description": DESCRIPTION})
    port = free_port()
    base, box = f"http://127.0.0.1:{port}", tmp_path / "outbox"
    app = create_app(Settings(data_dir=tmp_path, base_url=base, rate_limit_per_minute=0, mail_outbox=box),
                     store=store)
    key = {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret}
    with live_api(app, port=port) as api, sync_playwright() as pw:
        import httpx

        r = httpx.post(f"{api}/organisations/college/badges/web/assertions", headers=key,
                       json={"recipient": {"type": "email", "identity": "kay@example.org"}}, timeout=30)
        assert r.status_code == 201, r.text
        browser = launch(pw)
        try:
            page = browser.new_page()
            page.goto(f"{api}/claim#token={link_token(outbox(box)[-1], 'claim')}")
            page.wait_for_selector("#badge:not([hidden])")
            shown = page.inner_text("#badge")
            criteria_visible = page.is_visible("#criteria-line")
            criteria = page.inner_text("#criteria")
        finally:
            browser.close()
    assert shown.count(DESCRIPTION) == 1, shown
    assert criteria_visible is (line is not None), shown
    if line is not None:
        assert criteria == line and f"Criteria: {line}" in shown, shown
