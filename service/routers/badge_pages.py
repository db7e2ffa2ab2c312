"""The learner's pages (HTML, served by the API): a public page per assertion, and the
pages behind the links learners get.

- ``/share/{assertion_id}``: public: the badge image, name, issuer, criteria,
  evidence, issued and expiry dates; a Verify button that runs ``POST /verify`` on
  the hosted assertion and lists each check; an add-to-LinkedIn-profile link;
  downloads of the baked PNG and the OB 2.0 / OB 3.0 documents. It never shows
  the recipient (only the salted hash is published anywhere). An award declined
  by its learner, or never issued here, is an HTML 404; one withdrawn by its
  issuer an HTML 410.
- ``/learners/{id}``: public: what an award's ``url`` recipient names; says only that
  the address names a learner here (``LEARNER_PAGE``).
- ``/claim`` (award notice link), ``/signin`` (sign-in link and form),
  ``/portfolio`` (the signed-in learner's badges, awards awaiting an answer,
  pathways, profile and "what next"), ``/redeem`` (claim codes) and
  ``/issue/claim-codes`` (organisations make codes and QR images): static pages
  whose script (``/pages/learner.js``) calls the API; links carry their token
  in the URL fragment, which browsers never send to a server.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from html import escape
from importlib import resources
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from colearn.domain.awards import is_expired
from colearn.errors import NotFound
from colearn.openbadges.documents import criteria_beyond_description
from colearn.service.headers import content_security_policy
from colearn.service.openbadges_deps import PublisherDep

router = APIRouter(tags=["learner pages"])
Id = Annotated[str, Path(min_length=1, max_length=200)]
_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY"}
PAGES = ("claim", "signin", "portfolio", "redeem", "codes")


@lru_cache(maxsize=16)
def page_text(name: str) -> str:
    """A packaged file under ``service/pages``."""
    return resources.files("colearn.service").joinpath("pages", name).read_text(encoding="utf-8")


def html_page(html: str, status: int = 200) -> HTMLResponse:
    """``html`` answered as a page: not cached unchecked, never framed, and with a
    Content-Security-Policy allowing only its own inline scripts (``headers.content_security_policy``)."""
    return HTMLResponse(html, status_code=status,
                        headers={**_HEADERS, "Content-Security-Policy": content_security_policy(html)})


def _page(name: str) -> HTMLResponse:
    return html_page(page_text(f"{name}.html"))


@router.get("/", response_class=RedirectResponse, status_code=307)
def root() -> RedirectResponse:
    """The service's address on its own leads a person to their portfolio (307 to
    ``/portfolio``), which sends a visitor without a session on to sign in; the API's
    own documentation is at ``/docs``. Who: anyone."""
    return RedirectResponse("/portfolio", status_code=307)


@router.get("/claim", response_class=HTMLResponse)
def claim_page() -> HTMLResponse:
    """The page an award notice links to (``/claim#token=...``): the badge, Accept, Decline."""
    return _page("claim")


@router.get("/signin", response_class=HTMLResponse)
def signin_page() -> HTMLResponse:
    """Sign in by email; the emailed link (``/signin#token=...``) lands here."""
    return _page("signin")


@router.get("/portfolio", response_class=HTMLResponse)
def portfolio_page() -> HTMLResponse:
    """The signed-in learner's portfolio, awards awaiting an answer, pathways, profile, what next."""
    return _page("portfolio")


@router.get("/redeem", response_class=HTMLResponse)
def redeem_page() -> HTMLResponse:
    """Enter a claim code (a QR image opens ``/redeem#code=...``)."""
    return _page("redeem")


@router.get("/issue/claim-codes", response_class=HTMLResponse)
def codes_page() -> HTMLResponse:
    """Organisations create claim codes with QR images, list and withdraw them (with their key)."""
    return _page("codes")


@router.get("/pages/learner.js", response_class=Response)
def pages_script() -> Response:
    """The learner pages' script."""
    return Response(page_text("learner.js"), media_type="text/javascript", headers={"Cache-Control": "max-age=300"})


@router.get("/pages/learner.css", response_class=Response)
def pages_style() -> Response:
    """The learner pages' style sheet."""
    return Response(page_text("learner.css"), media_type="text/css", headers={"Cache-Control": "max-age=300"})


def _day(epoch_s: Any) -> str:
    return "" if epoch_s is None else datetime.fromtimestamp(int(epoch_s), UTC).strftime("%d %B %Y")


def linkedin_url(name: str, issuer: str, issued_on: int, expires_on: int | None, page_url: str,
                 assertion_id: str) -> str:
    """LinkedIn's add-to-profile link for a certification (``startTask=CERTIFICATION_NAME``
    with name, organisation, issue and expiry month, credential URL and id)."""
    issued = datetime.fromtimestamp(int(issued_on), UTC)
    params = {"startTask": "CERTIFICATION_NAME", "name": name, "organizationName": issuer,
              "issueYear": issued.year, "issueMonth": issued.month, "certUrl": page_url, "certId": assertion_id}
    if expires_on is not None:
        ends = datetime.fromtimestamp(int(expires_on), UTC)
        params.update(expirationYear=ends.year, expirationMonth=ends.month)
    return "https://www.linkedin.com/profile/add?" + urlencode(params)


def notice_page(status: int, title: str, text: str) -> HTMLResponse:
    """A short HTML page answering ``status`` (a browser opens ``/share/...``: it gets a
    page to read, not a problem document)."""
    return html_page(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><link rel="stylesheet" href="/pages/learner.css"><meta name="robots" content="noindex"></head>
<body><header class="top"><strong>colearn</strong><span>Open Badge</span></header>
<main><section class="card"><h1>{escape(title)}</h1><p>{escape(text)}</p></section></main></body></html>""", status)


#: What ``/learners/{id}`` answers: awards to a learner by ``learner_id`` (claim codes, the
#: organisation's own learners) name this page as their recipient (an OB 2.0 ``url`` identity).
LEARNER_PAGE = ("A learner of this City of Learning",
                "This address names a learner in the Open Badges issued here. What a learner holds is not "
                "shown here: a badge is public only where its learner shares it, on its own page.")


@router.get("/learners/{learner_id}", response_class=HTMLResponse)
def learner_page(learner_id: Id) -> HTMLResponse:
    """The page an award's ``url`` recipient (``{COLEARN_BASE_URL}/learners/{id}``) names, so the
    address a verifier or backpack is given answers: the same page for every id (nothing read:
    it says neither who the learner is nor whether the id exists, and lists no award). Who: anyone."""
    return notice_page(200, *LEARNER_PAGE)


#: What ``/share/{id}`` answers where no badge is shown: one page for an award never
#: issued here and for one its learner declined (a decline must not show who holds it,
#: nor that it exists: ``Publisher.issued``).
NOT_SHARED = ("No badge is shared here", "There is no badge to show at this address.")
#: What ``/share/{id}`` answers for an award withdrawn by its issuer (``DELETE /assertions/{id}``).
WITHDRAWN = ("This award was withdrawn", "The organisation that issued this badge has withdrawn it: "
             "it is no longer held by anyone, and copies of it no longer verify.")


@router.get("/share/{assertion_id}", response_class=HTMLResponse,
            responses={404: {"description": "no badge is shared here (never issued here, or declined by "
                                            "its learner): an HTML page", "content": {"text/html": {}}},
                       410: {"description": "withdrawn by its issuer: an HTML page", "content": {"text/html": {}}}})
def share_page(pub: PublisherDep, assertion_id: Id) -> HTMLResponse:
    """An assertion's public page: badge, issuer, criteria, evidence, dates, Verify,
    add to LinkedIn, downloads. A revoked one says so (and offers no downloads); an
    expired one says since when (``awards.is_expired``). Every
    other answer is an HTML page too: 404 (``NOT_SHARED``) for an award not issued here
    or declined by its learner, 410 (``WITHDRAWN``) for one withdrawn by its issuer.
    Who: anyone."""
    try:
        record = pub.issued(assertion_id)
        if record.withdrawn:
            return notice_page(410, *WITHDRAWN)
        badge = pub.badge_info(record.badge_id or "")
        org = pub.organisation(record.issuer_id or "")
    except NotFound:
        return notice_page(404, *NOT_SHARED)
    p, bp = record.props, badge["props"]
    name, issuer = str(bp.get("name") or record.badge_id), str(org.get("name") or record.issuer_id)
    u = pub.urls
    page_url = f"{u.base}/share/{assertion_id}"
    revoked = record.status == "revoked"
    e = lambda v: escape(str(v), quote=True)  # noqa: E731
    facts = [("Awarded by", f'<a href="{e(org.get("url") or u.issuer(record.issuer_id or ""))}">{e(issuer)}</a>'),
             ("Issued", e(_day(p.get("issued_on"))))]
    if p.get("expires_on") is not None:
        facts.append(("Expires", e(_day(p["expires_on"]))))
    criteria = criteria_beyond_description(bp)  # only when it adds to the description above
    if criteria is not None:
        facts.append(("Criteria", e(criteria)))
    if p.get("evidence_narrative"):
        facts.append(("Evidence", e(p["evidence_narrative"])))
    if p.get("evidence_url"):
        facts.append(("Evidence link", f'<a href="{e(p["evidence_url"])}" rel="nofollow noopener">{e(p["evidence_url"])}</a>'))
    cells = ", ".join(c.get("name") or c["id"] for c in badge["cells"])
    if cells:
        facts.append(("Learning spine", e(cells)))
    status_note = {"revoked": f"This badge was revoked: {e(p.get('revocation_reason') or 'no reason given')}.",
                   "issued": "Awarded, not yet accepted by its holder."}.get(record.status, "")
    expired = not revoked and is_expired(p.get("expires_on"))
    if expired:  # said as plainly as a revocation: verifiers fail its expiry check
        status_note = f"This badge expired on {e(_day(p['expires_on']))}."
    downloads = "" if revoked else (
        '<p class="downloads"><strong>Download:</strong> '
        f'<a href="{e(u.baked(assertion_id, "png"))}" download>badge image (PNG, with the badge inside)</a>'
        f'<a href="{e(u.assertion(assertion_id))}">Open Badges 2.0</a>'
        f'<a href="{e(u.credential(assertion_id))}">Open Badges 3.0</a>'
        f'<a href="{e(u.credential_jwt(assertion_id))}">OB 3.0 VC-JWT</a></p>'
        f'<p><a class="button" id="linkedin" href="{e(linkedin_url(name, issuer, p["issued_on"], p.get("expires_on"), page_url, assertion_id))}" '
        'rel="noopener" target="_blank">Add to LinkedIn profile</a></p>')
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(name)} - awarded by {e(issuer)}</title><link rel="stylesheet" href="/pages/learner.css">
<meta property="og:title" content="{e(name)}"><meta property="og:image" content="{e(u.badge_image(record.badge_id or "", "png"))}">
<link rel="alternate" type="application/ld+json" href="{e(u.assertion(assertion_id))}"></head>
<body><header class="top"><strong>colearn</strong><span>Open Badge</span></header>
<main>
<article class="card badge" data-assertion-id="{e(assertion_id)}" data-status="{e(record.status)}" data-expired="{str(expired).lower()}">
<img src="/badges/{e(record.badge_id)}/image" alt="Badge image: {e(name)}">
<div><h1>{e(name)}</h1>
<p>{e(bp.get("description") or "")}</p>
{f'<p class="message error" role="status">{status_note}</p>' if status_note and (revoked or expired) else
 (f'<p class="muted">{status_note}</p>' if status_note else "")}
<dl class="facts">{"".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)}</dl>
</div></article>
<section class="card"><h2>Is it genuine?</h2>
<p class="muted">Checks the signed and hosted records of this badge with its issuer, now.</p>
<p><button type="button" id="verify">Verify</button></p>
<div id="result" aria-live="polite"></div>
<ul class="checks" id="checks"></ul></section>
{downloads}
</main>
<script src="/pages/learner.js"></script>
<script>
document.getElementById("verify").addEventListener("click", async () => {{
  const c = window.colearn;
  const r = await c.call("POST", "/verify", {{ url: {escape_js(u.assertion(assertion_id))} }}, {{ auth: false }});
  if (!r.ok) {{ c.say("result", c.problem(r), "error"); return; }}
  c.say("result", r.data.valid ? "Valid: every check passed." : "Not valid: " + r.data.failed.join(", ") + ".",
        r.data.valid ? "ok" : "error");
  document.getElementById("checks").replaceChildren(...r.data.checks.map((k) => c.el("li",
    {{ class: k.ok === true ? "pass" : k.ok === false ? "fail" : "skip", "data-check": k.name }},
    c.el("strong", {{ text: k.name }}), ": " + k.detail)));
}});
</script></body></html>"""
    return html_page(html)


def escape_js(text: str) -> str:
    """A JSON string literal safe inside an HTML ``<script>``: ``<``, ``>`` and ``&`` escaped, and
    (``json.dumps``'s ``ensure_ascii``) every non-ASCII character too, U+2028 and U+2029 among them."""
    import json
    return json.dumps(text).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


__all__ = ["router", "page_text", "linkedin_url", "escape_js", "notice_page", "PAGES", "NOT_SHARED", "WITHDRAWN"]
