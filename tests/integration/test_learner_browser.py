"""Learners in headless Chromium (Debian's ``chromium`` through Playwright, as the widget
test does), with award notices and sign-in links caught by a local SMTP server
(``aiosmtpd``): from the award email through the claim link and sign-in to the badge
in the portfolio, its public page with Verify, and the "what next" widget; and an
organisation's claim code claimed once, then refused for the same learner, over the
limit and after expiry. Screenshots go to ``docs/screenshots/`` (shown in the README).
"""

from __future__ import annotations

import email
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import httpx
import pytest

from colearn.config import Settings
from colearn.graph import queries
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue import demo_city_path, ingest_catalogue
from colearn.service.app import create_app
from colearn.service.auth import create_key

from tests.conftest import REPO
from tests.live import free_port, live_api
from tests.browser import launch, require_chromium

SHOTS = REPO / "docs" / "screenshots"

sync_playwright = require_chromium()
# locator assertions, not wait_for_function: the pages' Content-Security-Policy allows no
# eval, and Playwright evaluates a wait_for_function string with it
expect = pytest.importorskip("playwright.sync_api").expect
Controller = pytest.importorskip("aiosmtpd.controller").Controller

ORG, BADGE, OPPORTUNITY = "brackenford-libraries", "digital-explorer", "coding-taster-saturday"
PATHS = [["digital-explorer", "code-club-member", "first-web-app", "junior-developer-placement"],
         ["youth-forum-visitor", "youth-forum-member", "campaign-maker", "youth-councillor"]]

#: The test's own calls to the API: 30 s, not httpx's 5 s, as a Neo4j award on a loaded CI
#: machine took longer (ReadTimeout; the browser's waits are 30 s too).
_HTTP = httpx.Client(timeout=30.0)


class Inbox:
    """An aiosmtpd handler keeping every message it is sent."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self._cond = threading.Condition()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        with self._cond:
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
            self._cond.notify_all()
        return "250 OK"

    def link(self, to: str, page: str, after: int = 0, timeout_s: float = 10.0) -> str:
        """The ``/<page>#token=...`` link of the first message to ``to`` after the ``after``-th."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                for m in self.messages[after:]:
                    text = m.get_body(("plain",)).get_content()
                    found = re.search(rf"https?://\S+/{page}#token=[A-Za-z0-9_\-]+", text)
                    if m["To"] == to and found:
                        return found.group(0)
                left = deadline - time.monotonic()
                assert left > 0, f"no /{page} message to {to}"
                self._cond.wait(left)


def _seed(store: GraphStore) -> None:
    ingest_catalogue(store, demo_city_path())
    rows, n = [], 0
    for i in range(30):
        path = PATHS[i % 2]
        for badge in path[: 1 + i % 4]:
            n += 1
            rows.append({"id": f"seed-a{n}", "organisation_id": "brackenford-city-council", "badge_id": badge,
                         "learner_id": f"seed-learner-{i}", "learner_props": {},
                         "props": {"status": "accepted", "issued_on": 1_700_000_000 + n}})
    store.write(queries.MERGE_ASSERTIONS, {"rows": rows})


@pytest.fixture
def world(store: GraphStore, tmp_path: Path):
    _seed(store)
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    port = free_port()
    settings = Settings(data_dir=tmp_path, base_url=f"http://127.0.0.1:{port}", smtp_host="127.0.0.1",
                        smtp_port=smtp.port, smtp_security="none", mail_from="colearn <badges@city.example>")
    app = create_app(settings, store=store)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        with live_api(app, port=port) as api, sync_playwright() as pw:
            browser = launch(pw)
            try:
                yield api, inbox, browser, create_key(store, "organisation", organisation_id=ORG).secret
            finally:
                browser.close()
    finally:
        smtp.stop()


def _sign_in(page, api: str, inbox: Inbox, address: str) -> None:
    """Sign in through the page: the form, the emailed link, back to the page asked for."""
    before = len(inbox.messages)
    page.goto(f"{api}/signin")
    page.fill("#email", address)
    page.click("form button[type=submit]")
    page.wait_for_selector("#status .message.ok")
    page.goto(inbox.link(address, "signin", after=before))
    page.wait_for_url(lambda url: "/signin" not in url)


def test_learner_from_award_email_to_portfolio_share_and_next(world) -> None:
    api, inbox, browser, org_key = world
    address = "ada@example.org"
    r = _HTTP.post(f"{api}/organisations/{ORG}/badges/{BADGE}/assertions", headers={"X-API-Key": org_key},
                   json={"recipient": {"type": "email", "identity": address},
                         "narrative": "Made a bouncing-ball animation."})
    assert r.status_code == 201, r.text
    awarded = r.json()
    claim = inbox.link(address, "claim")
    assert claim.startswith(f"{api}/claim#token=")
    assert inbox.messages[0]["Subject"] == 'You have been awarded "Digital Explorer"'

    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(claim)
    page.wait_for_selector("#badge:not([hidden])")
    assert page.inner_text("#name") == "Digital Explorer"
    assert page.inner_text("#issuer") == "Brackenford Libraries"
    page.screenshot(path=str(SHOTS / "1-claim-link.png"), full_page=True)
    page.click("#accept")
    page.wait_for_url(re.compile(r"/portfolio"))
    page.wait_for_selector(f"#badges li[data-badge-id={BADGE}]")
    # signed out and in again by email: the same learner, the badge still there
    page.click("header .who button")
    page.wait_for_url(re.compile(r"/signin"))
    _sign_in(page, api, inbox, address)
    page.wait_for_url(re.compile(r"/portfolio"))
    page.wait_for_selector(f"#badges li[data-badge-id={BADGE}]")
    session = page.evaluate("JSON.parse(localStorage.getItem('colearn.session'))")
    assert session["learner_id"] == awarded["learner_id"]
    # what next: the widget shows the API's answer for this learner, without the badge just accepted
    page.wait_for_selector("colearn-next li.item")
    shown = page.locator("colearn-next li.item").evaluate_all("els => els.map(e => e.getAttribute('data-badge-id'))")
    expected = _HTTP.get(f"{api}/learners/{session['learner_id']}/next", params={"limit": 5},
                         headers={"Authorization": f"Bearer {session['access_token']}"}).json()["items"]
    assert shown == [i["badge_id"] for i in expected] and shown and BADGE not in shown
    # start a recommended pathway: it shows with its progress
    first = page.locator("#suggested li").first
    pathway = first.get_attribute("data-pathway-id")
    first.locator("button").click()
    page.wait_for_selector(f"#my-pathways li[data-pathway-id={pathway}] progress")
    page.screenshot(path=str(SHOTS / "2-portfolio.png"), full_page=True)
    # the public page, with Verify
    page.click(f"#badges li[data-badge-id={BADGE}] a")
    page.wait_for_url(re.compile(rf"/share/{awarded['id']}"))
    assert "Made a bouncing-ball animation." in page.inner_text("dl.facts")
    assert address not in page.content()
    assert page.get_attribute("#linkedin", "href").startswith("https://www.linkedin.com/profile/add?")
    page.click("#verify")
    page.wait_for_selector("#checks li")
    assert "Valid" in page.inner_text("#result")
    assert page.locator("#checks li.fail").count() == 0 and page.locator("#checks li.pass").count() >= 4
    page.screenshot(path=str(SHOTS / "3-share-and-verify.png"), full_page=True)


def test_claim_code_once_per_learner_limit_and_expiry(world) -> None:
    api, inbox, browser, org_key = world
    org_page = browser.new_page(viewport={"width": 1100, "height": 1000})
    org_page.goto(f"{api}/issue/claim-codes")
    org_page.fill("#org", ORG)
    org_page.fill("#key", org_key)
    org_page.click("#who button[type=submit]")
    org_page.wait_for_selector("#create:not([hidden])")
    org_page.select_option("#badge", BADGE)
    org_page.select_option("#opportunity", OPPORTUNITY)
    org_page.fill("#session", "Saturday 10:00")
    org_page.fill("#max", "1")
    org_page.click("#create button[type=submit]")
    org_page.wait_for_selector("#made:not([hidden])")
    code = org_page.inner_text("#code")
    claim_url = org_page.inner_text("#url")
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code) and claim_url.endswith(f"#code={code}")
    assert org_page.get_attribute("#qr", "src").startswith("data:image/svg+xml")
    org_page.screenshot(path=str(SHOTS / "4-claim-code-created.png"), full_page=True)

    ada = browser.new_context(viewport={"width": 1000, "height": 700}).new_page()
    ada.goto(claim_url)  # not signed in: sign in first, then back to the code
    ada.wait_for_url(re.compile(r"/signin"))
    _sign_in(ada, api, inbox, "ada@example.org")
    ada.wait_for_url(re.compile(r"/redeem"))
    assert ada.input_value("#code") == code
    ada.click("form button[type=submit]")
    ada.wait_for_selector("#status .message.ok")
    day = datetime.now(UTC).strftime("%d %B %Y")
    assert f"claimed with code at Saturday Coding Taster (Saturday 10:00) on {day}" in ada.inner_text("#status")
    ada.screenshot(path=str(SHOTS / "5-claim-code-claimed.png"), full_page=True)
    ada.click("form button[type=submit]")
    ada.wait_for_selector("#status .message.error")
    assert "you have already claimed this badge with this code" in ada.inner_text("#status")

    bo = browser.new_context().new_page()
    _sign_in(bo, api, inbox, "bo@example.org")
    bo.goto(claim_url)
    expect(bo.locator("#code")).not_to_have_value("", timeout=30_000)
    bo.click("form button[type=submit]")
    bo.wait_for_selector("#status .message.error")
    status = bo.inner_text("#status")
    assert "claimed by its limit of 1 learner" in status and "1 learners" not in status
    bo.screenshot(path=str(SHOTS / "6-claim-code-refused.png"), full_page=True)

    soon = datetime.now(UTC) + timedelta(seconds=2)
    r = _HTTP.post(f"{api}/organisations/{ORG}/claim-codes", headers={"X-API-Key": org_key}, json={
        "badge_id": BADGE, "opportunity_id": OPPORTUNITY, "valid_until": soon.isoformat(), "max_claims": 10})
    assert r.status_code == 201, r.text
    time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.5)
    bo.fill("#code", r.json()["code"])
    bo.click("form button[type=submit]")
    expect(bo.locator("#status")).to_contain_text("expired", timeout=30_000)
    # the organisation's list counts the one claim
    org_page.click("#who button[type=submit]")
    expect(org_page.locator("#list tr")).to_have_count(2, timeout=30_000)
    rows = org_page.locator("#list tr").all_inner_texts()
    assert "1 / 1" in rows[1] and "0 / 10" in rows[0]


def test_an_expired_badge_shows_in_the_portfolio_marked_expired(world) -> None:
    """A learner whose only award has expired saw "No badges yet": the page read only the
    portfolio's cells. The badge now shows among theirs, marked expired."""
    api, inbox, browser, org_key = world
    address = "eve@example.org"
    now = datetime.now(UTC)
    r = _HTTP.post(f"{api}/organisations/{ORG}/badges/{BADGE}/assertions", headers={"X-API-Key": org_key},
                   json={"recipient": {"type": "email", "identity": address},
                         "issued_on": (now - timedelta(days=30)).isoformat(),
                         "expires_on": (now - timedelta(days=1)).isoformat()})
    assert r.status_code == 201, r.text
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(inbox.link(address, "claim"))
    page.wait_for_selector("#badge:not([hidden])")
    page.click("#accept")
    page.wait_for_url(re.compile(r"/portfolio"))
    page.wait_for_selector(f"#badges li[data-badge-id={BADGE}] [data-expired=true]")
    assert "Expired" in page.inner_text(f"#badges li[data-badge-id={BADGE}]")
    assert page.locator("#no-badges").is_hidden()


def test_a_cut_off_link_says_so_and_the_home_list_offers_districts(world) -> None:
    """A link cut off by a mail program showed "body.token: String should have at least 16
    characters"; the "Home district" list offered venues, which the API now refuses."""
    api, inbox, browser, _ = world
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    for where in ("claim", "signin"):
        page.goto(f"{api}/{where}#token=abc123")
        page.wait_for_selector("#status .message.error")
        assert page.inner_text("#status") == "This link is incomplete: copy the whole link from the mail.", where
    _sign_in(page, api, inbox, "max@example.org")
    page.wait_for_url(re.compile(r"/portfolio"))
    page.locator("#home option").nth(1).wait_for(state="attached")
    offered = page.locator("#home option").evaluate_all("els => els.map(e => e.value).filter(v => v)")
    session = page.evaluate("JSON.parse(localStorage.getItem('colearn.session'))")
    places = _HTTP.get(f"{api}/places", params={"limit": 100},
                       headers={"Authorization": f"Bearer {session['access_token']}"}).json()["data"]
    assert sorted(offered) == sorted(p["id"] for p in places if not p.get("within"))
    assert offered and len(offered) < len(places)


def test_the_portfolio_page_says_no_to_partner_sites_and_saves_only_a_change(world) -> None:
    """The profile's "partner websites" box shows the learner's ``partner_access`` and saves a
    change of it; saving other fields leaves it unchosen (the city's default stays theirs)."""
    api, inbox, browser, _ = world
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    _sign_in(page, api, inbox, "noor@example.org")
    page.wait_for_url(re.compile(r"/portfolio"))
    box = page.locator("#partner-access")
    expect(box).to_be_checked()  # the city's default: yes
    session = page.evaluate("JSON.parse(localStorage.getItem('colearn.session'))")
    me = {"Authorization": f"Bearer {session['access_token']}"}

    def save() -> dict:
        with page.expect_response(lambda r: r.request.method == "PATCH" and r.url.endswith("/me")) as done:
            page.click("#profile button[type=submit]")
        assert done.value.status == 200, done.value.text()
        return done.value.request.post_data_json

    page.fill("#interests", "drawing")
    assert "partner_access" not in save()
    mine = _HTTP.get(f"{api}/me", headers=me).json()
    assert (mine["interests"], mine["partner_access"]) == ("drawing", True)
    box.uncheck()
    assert save()["partner_access"] is False
    assert _HTTP.get(f"{api}/me", headers=me).json()["partner_access"] is False
    assert "partner_access" not in save()  # saved again unchanged: not sent again
    page.reload()
    expect(page.locator("#partner-access")).not_to_be_checked()
