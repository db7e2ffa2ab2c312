"""The widget on a partner page from another origin, in headless Chromium, against
an API that Playwright answers (``page.route``): the answers a live API gives only
with effort (a 429, a hang, a 502, a refused connection, a 300-character word).

- a strict partner CSP (``style-src 'self'``, no ``'unsafe-inline'``): styled, no violation;
- a long unbroken word wraps inside its card: the page stays 320 px wide at 320 px;
- a 429 with ``Retry-After`` is retried once after it, then shown in plain words;
- a hang stops loading after the widget's bound; a 502 and a refused connection
  read in plain words; the technical cause goes to the console only;
- a bad key, an origin not allowed or an unknown district shows a visitor-facing
  message and warns the API's own message on the console; an unknown learner, and
  one who does not let partner sites read them (403 ``learner-not-shared``), fall
  back to the visitor start;
- visitor pathways cut a long description, the full text a click away;
- two widgets of a kind make no two landmarks of one name; dates in the browser's
  time zone unless ``time-zone`` says otherwise; content marked ``lang="en"``;
- ``--colearn-track`` and ``--colearn-border`` theme the progress track and the card border.

Skipped only where Chromium is absent; CI sets ``COLEARN_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.browser import launch, require_chromium
from tests.conftest import REPO

sync_playwright = require_chromium()

API = "http://api.colearn.test"
PARTNER = "http://partner.colearn.test"
WIDGET = (REPO / "service" / "widget" / "colearn.js").read_text()
LONG = "Supercalifragilistic" * 15  # one 300-character word
PLAIN = "not available right now"

Answer = tuple[int, Any, dict[str, str]]


def _item(badge_id: str, name: str, start: str = "2026-07-01T17:00:00Z") -> dict[str, Any]:
    return {"badge_id": badge_id, "name": name, "reasons": [f"Because {name}"],
            "opportunities": [{"id": f"{badge_id}-opp", "name": f"Session for {name}", "mode": "in_person",
                               "place_name": "Brackenford College", "district_name": "Eastfield",
                               "sessions": [{"start": start, "end": "2099-07-01T19:00:00Z"}]}]}


NEXT = {"items": [_item("digital-explorer", "Digital Explorer")]}
PATHWAYS = {"data": [{"pathway_id": "digital-careers", "title": "Digital Careers", "progress": 0.5,
                      "next_step": {"title": "Practise", "rule": "any 1 of Code Club",
                                    "opportunities": []}, "reasons": ["Leads to Employment"]}]}
#: ``GET /visitors/pathways``: the published pathways ranked for a visitor, each first step ahead.
VISITOR_PATHWAYS = {"data": [{"pathway_id": "digital-careers", "title": "Digital Careers", "description": "Into tech.",
                              "progress": 0.0, "steps_total": 2, "reasons": ["2 steps and 1 optional", "Its badges fit your themes (83%)",
                                                                           "Next: Get curious (any 1 of Digital Explorer)"],
                              "next_step": {"title": "Get curious", "rule": "any 1 of Digital Explorer",
                                            "opportunities": _item("digital-explorer", "Digital Explorer")["opportunities"]}}],
                    "count": 1}


def _problem(status: int, slug: str, detail: str) -> dict[str, Any]:
    return {"type": f"/problems/{slug}", "title": "Error", "status": status, "detail": detail}


@dataclass
class Partner:
    """A partner page in Chromium: what the API was asked, and what the console said."""

    page: Any
    calls: list[tuple[float, str]] = field(default_factory=list)
    console: list[tuple[str, str]] = field(default_factory=list)

    def paths(self) -> list[str]:
        return [url.removeprefix(API) for _, url in self.calls]

    def text(self, selector: str) -> str:
        """The text the widgets matching ``selector`` draw in their shadow roots."""
        return self.page.locator(selector).evaluate_all("els => els.map(e => e.shadowRoot.textContent).join(' ')")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_playwright() as pw:
        chromium = launch(pw)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def open_partner(browser: Any) -> Iterator[Callable[..., Partner]]:
    contexts: list[Any] = []

    def _open(body: str, answer: Callable[[str], Answer | None], csp: str = "", width: int = 1000,
              time_zone: str = "Europe/London", lang: str = "en", clock: bool = False) -> Partner:
        """``body`` on a partner page whose API answers ``answer(path)`` (None: never answers)."""
        context = browser.new_context(viewport={"width": width, "height": 900}, timezone_id=time_zone)
        contexts.append(context)
        page = context.new_page()
        partner = Partner(page)
        page.on("console", lambda m: partner.console.append((m.type, m.text)))
        meta = f'<meta http-equiv="Content-Security-Policy" content="{csp}">' if csp else ""
        html = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">{meta}<title>Partner</title>'
                f'<script src="{API}/widget/colearn.js" defer></script></head><body>{body}</body></html>')
        cors = {"Access-Control-Allow-Origin": PARTNER, "Access-Control-Allow-Headers": "X-API-Key, Accept",
                "Access-Control-Expose-Headers": "Retry-After"}

        def api(route: Any) -> None:
            request = route.request
            if request.method == "OPTIONS":
                route.fulfill(status=204, headers=cors)
                return
            if request.url == f"{API}/widget/colearn.js":
                route.fulfill(status=200, body=WIDGET, content_type="text/javascript")
                return
            partner.calls.append((time.monotonic(), request.url))
            got = answer(request.url.removeprefix(API))
            if got is None:
                return  # a server that never answers
            status, body, headers = got
            route.fulfill(status=status, body=body if isinstance(body, str) else json.dumps(body),
                          headers={**cors, **headers},
                          content_type="application/problem+json" if status >= 400 else "application/json")

        context.route(f"{PARTNER}/", lambda route: route.fulfill(status=200, body=html, content_type="text/html"))
        context.route(f"{API}/**", api)
        if clock:
            page.clock.install()
        page.goto(f"{PARTNER}/")
        return partner

    yield _open
    for context in contexts:
        context.close()


def _ok(body: Any) -> Answer:
    return 200, body, {}


def _settled(partner: Partner, selector: str = "colearn-next") -> None:
    partner.page.wait_for_selector(f"{selector} [aria-busy=false]")


def test_a_strict_partner_csp_styles_the_widget_with_no_violation(open_partner: Callable[..., Partner]) -> None:
    csp = f"default-src 'self'; script-src {API}; connect-src {API}; style-src 'self'"
    partner = open_partner(
        '<colearn-next learner="bf-0476" key="k"></colearn-next>'
        '<colearn-pathways learner="bf-0476" key="k"></colearn-pathways>', lang="cy", csp=csp,
        answer=lambda path: _ok(NEXT if "/next" in path else PATHWAYS))
    page = partner.page
    page.wait_for_selector("colearn-next li.item")
    page.wait_for_selector("colearn-pathways li.item")
    violations = [text for kind, text in partner.console if "Content Security Policy" in text]
    assert not violations, violations
    card = page.locator("colearn-next li.item").evaluate(
        "e => { const s = getComputedStyle(e); return [s.borderTopStyle, s.borderTopColor]; }")
    assert card == ["solid", "rgb(118, 118, 118)"]
    assert page.locator("colearn-next .where").evaluate("e => getComputedStyle(e).display") == "block"
    track, fill = page.locator("colearn-pathways .bar").evaluate(
        "e => [e.getBoundingClientRect().width, e.firstElementChild.getBoundingClientRect().width]")
    assert track > 0 and fill == pytest.approx(track / 2, abs=1), (track, fill)
    assert page.locator("colearn-pathways .bar").evaluate("e => getComputedStyle(e).backgroundColor") \
        == "rgb(217, 217, 217)"
    # the widget's English is marked so inside a Welsh page
    assert page.locator("colearn-next h2").evaluate("e => e.matches(':lang(en)')")
    assert page.locator("colearn-next h3").evaluate("e => !e.matches(':lang(cy)')")
    # the track and the border are custom properties (set by CSSOM: the CSP refuses inline styles)
    page.evaluate("""() => { for (const e of document.querySelectorAll('colearn-next, colearn-pathways')) {
        e.style.setProperty('--colearn-track', 'rgb(1, 2, 3)'); e.style.setProperty('--colearn-border', 'rgb(4, 5, 6)'); } }""")
    assert page.locator("colearn-pathways .bar").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(1, 2, 3)"
    assert page.locator("colearn-next li.item").evaluate("e => getComputedStyle(e).borderTopColor") == "rgb(4, 5, 6)"


def test_a_long_word_wraps_inside_its_card_at_320_px(open_partner: Callable[..., Partner]) -> None:
    long_item = _item(LONG.lower(), LONG)
    long_item["reasons"] = [f"Learners like you hold {LONG}"]
    pathway = {"pathway_id": "long", "title": LONG, "description": f"{LONG} " * 8, "steps_total": 0}
    learner_pathway = {**PATHWAYS["data"][0], "title": LONG, "next_step": {
        "title": LONG, "rule": f"any 1 of {LONG}", "opportunities": long_item["opportunities"]}}
    partner = open_partner(
        '<colearn-next visitor key="k"></colearn-next><colearn-pathways visitor key="k"></colearn-pathways>'
        '<colearn-pathways learner="bf-1" key="k"></colearn-pathways>', width=320,
        answer=lambda path: _ok({"items": [long_item]} if "/next" in path
                                else {"data": [learner_pathway]} if "/learners/" in path
                                else {"data": [pathway], "count": 1}))
    page = partner.page
    page.wait_for_selector("colearn-next li.item")
    assert page.locator("colearn-pathways li.item").count() == 2
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths == [320, 320], widths


def test_a_429_is_retried_once_after_its_retry_after(open_partner: Callable[..., Partner]) -> None:
    answers = iter([(429, _problem(429, "rate-limited", "too many requests: try again in 1 s"),
                     {"Retry-After": "1"}), _ok(NEXT)])
    partner = open_partner('<colearn-next visitor key="k"></colearn-next>', answer=lambda path: next(answers))
    partner.page.wait_for_selector("colearn-next li.item", timeout=8000)
    assert len(partner.calls) == 2
    assert partner.calls[1][0] - partner.calls[0][0] >= 0.9


def test_a_retry_after_given_as_an_http_date_is_waited_out_too(open_partner: Callable[..., Partner]) -> None:
    """A proxy in front of the API may give Retry-After as an HTTP date (RFC 9110 section 10.2.3)."""
    when = email.utils.formatdate(time.time() + 4, usegmt=True)  # "Mon, 07 Dec 2026 05:40:02 GMT"
    answers = iter([(429, _problem(429, "rate-limited", "too many requests"), {"Retry-After": when}), _ok(NEXT)])
    partner = open_partner('<colearn-next visitor key="k"></colearn-next>', answer=lambda path: next(answers))
    partner.page.wait_for_selector("colearn-next li.item", timeout=10000)
    assert len(partner.calls) == 2
    wall = time.time() - time.monotonic()  # the calls' times are monotonic
    first, retried = (wall + call[0] for call in partner.calls)
    due = email.utils.parsedate_to_datetime(when).timestamp()
    assert first < due - 1 and retried >= due - 0.1  # asked before the date, again once it came


def test_a_second_429_reads_in_plain_words(open_partner: Callable[..., Partner]) -> None:
    partner = open_partner('<colearn-next visitor key="k"></colearn-next>', answer=lambda path: (
        429, _problem(429, "rate-limited", "too many requests: at most 600 a minute"), {"Retry-After": "1"}))
    partner.page.wait_for_selector("colearn-next [role=alert]", timeout=8000)
    assert len(partner.calls) == 2
    shown = partner.text("colearn-next")
    assert PLAIN in shown and "600" not in shown, shown
    assert any("600 a minute" in text for kind, text in partner.console if kind == "warning"), partner.console


def test_an_api_that_never_answers_stops_loading(open_partner: Callable[..., Partner]) -> None:
    partner = open_partner('<colearn-next visitor key="k"></colearn-next>', answer=lambda path: None, clock=True)
    page = partner.page
    page.wait_for_selector("colearn-next [aria-busy=true]")
    page.wait_for_function("() => document.querySelector('colearn-next').shadowRoot.textContent.includes('Loading')")
    page.clock.run_for(16_000)
    _settled(partner)
    shown = partner.text("colearn-next")
    assert PLAIN in shown and "Loading" not in shown, shown
    assert any("15 s" in text for kind, text in partner.console if kind == "warning"), partner.console


@pytest.mark.parametrize("failure", ["502", "refused"])
def test_a_server_or_network_failure_reads_in_plain_words(
        open_partner: Callable[..., Partner], failure: str) -> None:
    if failure == "502":
        partner = open_partner('<colearn-pathways visitor key="k"></colearn-pathways>',
                               answer=lambda path: (502, "<html>Bad Gateway</html>", {}))
        cause = "502"
    else:
        partner = open_partner('<colearn-pathways visitor key="k"></colearn-pathways>', answer=lambda path: _ok({}))
        partner.page.context.route(f"{API}/visitors/pathways**", lambda route: route.abort("connectionrefused"))
        partner.page.reload()
        cause = "Failed to fetch"
    _settled(partner, "colearn-pathways")
    shown = partner.text("colearn-pathways")
    assert "Pathways are not available right now." in shown, shown
    assert "Bad Gateway" not in shown and "fetch" not in shown, shown
    assert any(cause in text for kind, text in partner.console if kind == "warning"), partner.console


@pytest.mark.parametrize(("status", "slug", "detail"), [
    (401, "unauthorised", "unknown or revoked API key (in the X-API-Key header)"),
    (403, "forbidden", "this partner key is not allowed from origin http://partner.colearn.test"),
    (422, "invalid-input", "query.district: no place has the id 'atlantis' (GET /places lists them)"),
])
def test_a_partner_mistake_shows_visitors_a_short_message_and_the_developer_the_cause(
        open_partner: Callable[..., Partner], status: int, slug: str, detail: str) -> None:
    partner = open_partner('<colearn-next visitor district="atlantis" key="k"></colearn-next>',
                           answer=lambda path: (status, _problem(status, slug, detail), {}))
    _settled(partner)
    shown = partner.text("colearn-next")
    assert PLAIN in shown and detail not in shown and "Could not load" not in shown, shown
    assert any(detail in text for kind, text in partner.console if kind == "warning"), partner.console


@pytest.mark.parametrize(("status", "slug", "detail"), [
    (404, "not-found", "learner 'no-such-learner' not found"),
    (403, "learner-not-shared", "learner 'no-such-learner' does not let partner sites read their recommendations"),
])
def test_an_unknown_or_unshared_learner_gets_the_visitor_start(open_partner: Callable[..., Partner], status: int,
                                                               slug: str, detail: str) -> None:
    def answer(path: str) -> Answer:
        if path.startswith("/learners/"):
            return status, _problem(status, slug, detail), {}
        return _ok(NEXT if path.startswith("/visitors/next") else VISITOR_PATHWAYS)

    partner = open_partner('<colearn-next learner="no-such-learner" themes="digital" key="k"></colearn-next>'
                           '<colearn-pathways learner="no-such-learner" key="k"></colearn-pathways>', answer=answer)
    page = partner.page
    page.wait_for_selector("colearn-next li.item")
    page.wait_for_selector("colearn-pathways li.item")
    assert detail not in partner.text("colearn-next, colearn-pathways") and PLAIN not in partner.text("colearn-next")
    paths = partner.paths()
    assert any(p.startswith("/visitors/next?themes=digital") for p in paths), paths
    assert any(p.startswith("/visitors/pathways?limit=20") for p in paths), paths


def test_visitor_pathways_follow_the_themes_and_show_the_first_step(open_partner: Callable[..., Partner]) -> None:
    partner = open_partner('<colearn-pathways visitor themes="digital" district="eastfield" key="k"></colearn-pathways>',
                           answer=lambda path: _ok(VISITOR_PATHWAYS))
    partner.page.wait_for_selector("colearn-pathways li.item")
    assert partner.paths() == ["/visitors/pathways?themes=digital&limit=20&district=eastfield"]
    item = partner.page.locator("colearn-pathways li.item")
    assert item.locator(".meta").first.inner_text() == "Into tech."
    assert item.locator("p.meta").nth(1).inner_text() == "2 steps \u2014 start with: Get curious"
    assert item.locator(".rule").inner_text() == "Earn any 1 of Digital Explorer"
    assert "Session for Digital Explorer" in item.inner_text() and "Brackenford College" in item.inner_text()
    # the reasons, less the step count and the next step shown above them
    assert item.locator(".reasons li").all_inner_texts() == ["Its badges fit your themes (83%)"]
    assert not item.locator("[role=progressbar]").count()


def test_visitor_pathways_cut_a_long_description(open_partner: Callable[..., Partner]) -> None:
    description = "A long walk into tech. " * 100  # 2,300 characters
    partner = open_partner(
        '<colearn-pathways visitor key="k"></colearn-pathways>',
        answer=lambda path: _ok({"data": [{"pathway_id": "p", "title": "P", "description": description,
                                           "steps_total": 0}]}))
    page = partner.page
    page.wait_for_selector("colearn-pathways li.item")
    shown = page.locator("colearn-pathways li.item .description").inner_text()
    assert len(shown) <= 300 and shown.endswith("\u2026"), shown
    page.locator("colearn-pathways li.item summary").click()
    assert page.locator("colearn-pathways li.item details").inner_text().count("A long walk") == 100


def test_two_widgets_of_a_kind_make_no_two_landmarks_of_one_name(open_partner: Callable[..., Partner]) -> None:
    partner = open_partner(
        '<main><colearn-next learner="a" key="k"></colearn-next><colearn-next learner="b" key="k"></colearn-next>'
        '<colearn-next learner="c" key="k" heading="Ideas for you"></colearn-next></main>',
        answer=lambda path: _ok(NEXT))
    page = partner.page
    page.wait_for_function("() => document.querySelectorAll('colearn-next').length === 3 && [...document"
                           ".querySelectorAll('colearn-next')].every(e => e.shadowRoot.querySelector('li.item'))")
    snapshot = page.locator("main").aria_snapshot()
    regions = [line.strip() for line in snapshot.splitlines() if line.strip().startswith("- region")]
    assert len(regions) == len(set(regions)), snapshot
    assert page.locator("colearn-next h2").all_inner_texts() == ["What to learn next"] * 2 + ["Ideas for you"]


def test_dates_are_in_the_browser_time_zone_unless_time_zone_says(open_partner: Callable[..., Partner]) -> None:
    partner = open_partner('<colearn-next learner="a" key="k"></colearn-next>'
                           '<colearn-next learner="a" key="k" time-zone="UTC"></colearn-next>',
                           answer=lambda path: _ok(NEXT), time_zone="Europe/London")
    page = partner.page
    page.wait_for_function("() => [...document.querySelectorAll('colearn-next')]"
                           ".every(e => e.shadowRoot.querySelector('.when'))")
    whens = page.locator("colearn-next .when").all_inner_texts()
    assert "18:00" in whens[0] and "17:00" in whens[1], whens  # 17:00 UTC is 18:00 in London in July
