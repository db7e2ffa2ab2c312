"""Sharing a badge: uploaded badge images (validated, SVG sanitised, size-limited), the
generated image showing the badge name, baked downloads carrying the image, and the
public HTML page of an assertion (facts, Verify target, LinkedIn link, downloads, no email)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from colearn.config import Settings
from colearn.graph.store import GraphStore
from colearn.openbadges import images
from colearn.service.app import create_app
from colearn.service.auth import create_key
from tests.learner_builders import seed_learner_city
from tests.openbadges_builders import BASE

EMAIL = "grace@example.org"
HOSTILE_SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10" onload="alert(1)">
  <script>alert(2)</script>
  <style>circle { fill: url(https://tracker.example/x) }</style>
  <foreignObject><p xmlns="http://www.w3.org/1999/xhtml">hi</p></foreignObject>
  <circle cx="5" cy="5" r="4" fill="#123456" onclick="alert(3)" style="fill:red"/>
  <a xlink:href="javascript:alert(4)"><rect width="2" height="2"/></a>
  <use xlink:href="https://evil.example/s.svg#x"/><use xlink:href="#c"/>
  <rect width="1" height="1" fill="url(https://tracker.example/y)"/>
  <image href="data:image/png;base64,AAAA"/>
</svg>"""


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict]]:
    seed_learner_city(store)
    app = create_app(Settings(data_dir=tmp_path, base_url=BASE, rate_limit_per_minute=0,
                              mail_outbox=tmp_path / "outbox"), store=store)
    with TestClient(app) as client:
        yield client, {"college": {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret},
                       "club": {"X-API-Key": create_key(store, "organisation", organisation_id="club").secret},
                       "admin": {"X-API-Key": create_key(store, "admin").secret}}


def _png(size: tuple[int, int] = (64, 64), colour=(200, 30, 30, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, colour).save(out, format="PNG")
    return out.getvalue()


def test_svg_is_sanitised_to_shapes() -> None:
    clean = images.sanitise_svg(HOSTILE_SVG).decode()
    for gone in ("script", "onload", "onclick", "alert", "foreignObject", "tracker", "evil", "javascript",
                 "style", "data:", "<image", "<a "):
        assert gone not in clean, gone
    assert 'fill="#123456"' in clean and 'href="#c"' in clean and clean.startswith("<svg")
    for bad in (b"<html/>", b"not xml", b'<!DOCTYPE x [<!ENTITY a "b">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'):
        with pytest.raises(images.InvalidInput):
            images.sanitise_svg(bad)


def test_png_is_checked_and_re_encoded() -> None:
    baked = images.bake_ob2_png(_png(), '{"hidden": true}')
    clean = images.validate_png(baked)
    assert Image.open(io.BytesIO(clean)).size == (64, 64) and b"openbadges" not in clean
    with pytest.raises(images.InvalidInput, match="pixels"):
        images.validate_png(_png((3000, 10)))
    with pytest.raises(images.InvalidInput, match="PNG"):
        images.validate_png(b"GIF89a....")
    with pytest.raises(images.InvalidInput, match="bytes"):
        images.validate_png(b"\x89PNG\r\n\x1a\n" + b"0" * (images.MAX_UPLOAD_BYTES + 1))


def test_generated_png_shows_the_name() -> None:
    a, b = images.named_badge_png("Web Foundations", "participation"), images.named_badge_png("Other", "participation")
    img = Image.open(io.BytesIO(a)).convert("RGBA")
    assert img.size == (256, 256) and a != b
    assert a != images.badge_png("participation")
    # white text pixels inside the disc where the plain disc has none
    whites = sum(1 for x in range(40, 216) for y in range(100, 160) if img.getpixel((x, y))[:3] == (255, 255, 255))
    assert whites > 100


def test_upload_serves_and_bakes_the_image(api) -> None:
    client, keys = api
    png = _png(colour=(10, 120, 200, 255))
    put = lambda body, kind, who="college": client.put("/badges/web/image", content=body,  # noqa: E731
                                                       headers={**keys[who], "Content-Type": kind})
    assert put(png, "image/png", "club").status_code == 403
    assert put(png, "image/gif").status_code == 422
    assert put(b"\x89PNG\r\n\x1a\n" + b"x" * (images.MAX_UPLOAD_BYTES + 10), "image/png").status_code == 422
    r = put(png, "image/png")
    assert r.status_code == 200 and r.json()["media_type"] == "image/png"
    served = client.get("/badges/web/image")
    assert served.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(served.content)).getpixel((5, 5)) == (10, 120, 200, 255)
    award = client.post("/organisations/college/badges/web/assertions", headers=keys["college"],
                        json={"recipient": {"type": "email", "identity": EMAIL}}).json()
    baked = client.get(f"/ob/v2/assertions/{award['id']}/baked.png").content
    assert Image.open(io.BytesIO(baked)).getpixel((5, 5)) == (10, 120, 200, 255)
    assert images.unbake(baked)[0] == "2.0"
    # an SVG upload: served sanitised, baked into the SVG download
    assert put(HOSTILE_SVG, "image/svg+xml").status_code == 200
    svg = client.get("/badges/web/image")
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"alert" not in svg.content
    assert b"#123456" in client.get(f"/ob/v3/credentials/{award['id']}/baked.svg").content
    # no upload: the generated image with the name
    assert b"First Web App" in client.get("/badges/app/image").content
    assert client.get("/badges/nope/image").status_code == 404


def test_share_page(api) -> None:
    client, keys = api
    award = client.post("/organisations/college/badges/safety/assertions", headers=keys["college"],
                        json={"recipient": {"type": "email", "identity": EMAIL}, "narrative": "Ran <b>the</b> quiz",
                              "evidence_url": "https://grace.example/quiz"}).json()
    page = client.get(f"/share/{award['id']}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    for fact in ("Online Safety Aware", "Brackenford College", "Earn Online Safety Aware.", "Ran &lt;b&gt;the&lt;/b&gt; quiz",
                 "https://grace.example/quiz", f"/ob/v2/assertions/{award['id']}/baked.png",
                 f"/ob/v3/credentials/{award['id']}", "Expires", 'id="verify"'):
        assert fact in text, fact
    assert "<b>the</b>" not in text and "grace" not in text.replace("grace.example", "")
    link = next(part.split('"')[0] for part in text.split('href="') if part.startswith("https://www.linkedin.com"))
    q = parse_qs(urlparse(link.replace("&amp;", "&")).query)
    assert q["startTask"] == ["CERTIFICATION_NAME"] and q["name"] == ["Online Safety Aware"]
    assert q["organizationName"] == ["Brackenford College"] and q["certUrl"] == [f"{BASE}/share/{award['id']}"]
    assert "expirationYear" in q
    # the Verify button's target passes
    report = client.post("/verify", json={"url": f"{BASE}/ob/v2/assertions/{award['id']}"}).json()
    assert report["valid"] is True
    # revoked: said so, no downloads
    client.post(f"/assertions/{award['id']}/revoke", headers=keys["college"], json={"reason": "awarded in error"})
    gone = client.get(f"/share/{award['id']}").text
    assert "revoked: awarded in error" in gone and "baked.png" not in gone
    assert client.get("/share/as-nope").status_code == 404
    for page in ("/claim", "/signin", "/portfolio", "/redeem", "/issue/claim-codes"):
        assert client.get(page).headers["content-type"].startswith("text/html"), page
    assert "window.colearn" in client.get("/pages/learner.js").text


def test_a_url_recipient_names_a_page_that_answers(api) -> None:
    """An award by ``learner_id`` names ``{base}/learners/{id}`` as its OB 2.0 ``url`` recipient:
    that address answers a public page (it answered 404), the same for any id, saying neither
    who the learner is nor what they hold."""
    client, keys = api
    learner = client.post("/organisations/college/badges/safety/assertions", headers=keys["college"],
                          json={"recipient": {"type": "email", "identity": EMAIL}}).json()["learner_id"]
    award = client.post("/organisations/college/badges/web/assertions", headers=keys["college"],
                        json={"learner_id": learner}).json()
    doc = client.get(f"/ob/v2/assertions/{award['id']}").json()
    assert doc["recipient"]["type"] == "url" and doc["recipient"]["hashed"] is True
    address = f"{BASE}/learners/{learner}"
    salt = doc["recipient"]["salt"]
    import hashlib
    assert doc["recipient"]["identity"] == "sha256$" + hashlib.sha256((address + salt).encode()).hexdigest()
    page = client.get(f"/learners/{learner}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "A learner of this City of Learning" in page.text
    assert "Online Safety Aware" not in page.text and learner not in page.text and "grace" not in page.text
    assert client.get("/learners/no-such-learner").text == page.text  # nothing said of existence


def test_pages_opened_from_a_link_ignore_parameters_they_do_not_read(api) -> None:
    """Social sites and mail add their own parameters to a shared link (``fbclid``,
    ``utm_source``): a page answers as without them; the JSON API still refuses one."""
    client, keys = api
    award = client.post("/organisations/college/badges/safety/assertions", headers=keys["college"],
                        json={"recipient": {"type": "email", "identity": EMAIL}}).json()
    pages = [f"/share/{award['id']}", "/learners/bf-0001", "/redeem", "/signin", "/portfolio", "/claim",
             "/issue/claim-codes", "/demo"]
    for page in pages:
        plain = client.get(page)
        tracked = client.get(page, params={"fbclid": "IwAR0abc", "utm_source": "x"})
        assert plain.status_code == 200 and tracked.status_code == 200, (page, tracked.text[:300])
        assert tracked.headers["content-type"].startswith("text/html"), page
        assert tracked.text == plain.text, page
    refused = client.get("/badges", params={"fbclid": "IwAR0abc"})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["query.fbclid"]


def test_the_demo_page_loads_the_widget_from_where_it_was_opened_never_the_host_header(api) -> None:
    """``/demo`` loads the widget's script by a root-relative URL, so a browser that opened it
    at a LAN address of a server bound to 0.0.0.0 loads it from there (it named
    ``COLEARN_BASE_URL``, 127.0.0.1 by default, which another machine cannot reach); a
    spoofed ``Host`` (cache poisoning through a proxy that keys on the path) changes nothing."""
    client, _ = api
    base = client.app.state.settings.base_url.rstrip("/")
    plain = client.get("/demo")
    spoofed = client.get("/demo", headers={"Host": "evil.example"})
    assert plain.status_code == spoofed.status_code == 200
    assert '<script src="/widget/colearn.js" defer>' in plain.text and base not in plain.text
    assert "evil.example" not in spoofed.text and spoofed.text == plain.text
