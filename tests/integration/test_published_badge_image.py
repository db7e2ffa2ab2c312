"""The image Open Badges publishes for a badge is the artwork in use: after an upload, the
OB 2.0 BadgeClass ``image``, the OB 3.0 Achievement ``image`` (standalone and inside a
credential) and the OB 2.0 Assertion ``image`` name URLs that answer the uploaded bytes,
and baked downloads are baked on the upload where their format can show it (a PNG upload
in both, an SVG upload in the SVG). On both engines."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from pathlib import Path

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

UPLOADED_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
                b'<rect width="10" height="10" fill="#0a78c8"/></svg>')


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, dict, str]]:
    seed_learner_city(store)
    app = create_app(Settings(data_dir=tmp_path, base_url=BASE, rate_limit_per_minute=0,
                              mail_outbox=tmp_path / "outbox"), store=store)
    with TestClient(app) as client:
        key = {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret}
        award = client.post("/organisations/college/badges/web/assertions", headers=key,
                            json={"recipient": {"type": "email", "identity": "ada@example.org"}})
        assert award.status_code == 201, award.text
        yield client, key, award.json()["id"]


def _png(colour=(10, 120, 200, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (48, 32), colour).save(out, format="PNG")
    return out.getvalue()


def _get(client: TestClient, url: str):
    assert url.startswith(BASE + "/"), url
    r = client.get(url[len(BASE):])
    assert r.status_code == 200, (url, r.status_code)
    return r


def _published(client: TestClient, assertion_id: str) -> dict[str, str]:
    """Every image URL the documents of badge ``web`` and its award publish."""
    cred = client.get(f"/ob/v3/credentials/{assertion_id}").json()
    achievement = client.get("/ob/v3/achievements/web").json()
    return {"badgeclass": client.get("/ob/v2/badges/web").json()["image"],
            "achievement": achievement["image"]["id"],
            "credential": cred["credentialSubject"]["achievement"]["image"]["id"],
            "assertion": client.get(f"/ob/v2/assertions/{assertion_id}").json()["image"]}


def _embedded_png(svg: bytes) -> bytes:
    """The PNG an SVG shows through a ``data:`` URI."""
    found = re.search(rb'href="data:image/png;base64,([A-Za-z0-9+/=]+)"', svg)
    assert found, svg[:200]
    return base64.b64decode(found.group(1))


def test_a_png_upload_is_the_published_and_baked_image(api) -> None:
    client, key, assertion_id = api
    png = _png()
    r = client.put("/badges/web/image", content=png, headers={**key, "Content-Type": "image/png"})
    assert r.status_code == 200
    stored = client.get("/badges/web/image").content  # the upload as kept (re-encoded)
    urls = _published(client, assertion_id)
    for which in ("badgeclass", "achievement", "credential"):
        served = _get(client, urls[which])
        assert served.headers["content-type"] == "image/png" and served.content == stored, which
    # the award's own image: its baked PNG, on the uploaded pixels
    baked = _get(client, urls["assertion"]).content
    assert urls["assertion"].endswith("/baked.png") and images.unbake(baked)[0] == "2.0"
    assert Image.open(io.BytesIO(baked)).convert("RGBA").getpixel((20, 20)) == (10, 120, 200, 255)
    # baked SVGs (OB 2.0 and 3.0) show the uploaded PNG itself
    for path, version in ((f"/ob/v2/assertions/{assertion_id}/baked.svg", "2.0"),
                          (f"/ob/v3/credentials/{assertion_id}/baked.svg", "3.0")):
        svg = client.get(path).content
        assert _embedded_png(svg) == stored and images.unbake(svg)[0] == version, path
    v3_png = client.get(f"/ob/v3/credentials/{assertion_id}/baked.png").content
    assert Image.open(io.BytesIO(v3_png)).size == (48, 32) and images.unbake(v3_png)[0] == "3.0"
    # the SVG form of the image is the same picture
    assert _embedded_png(client.get("/ob/v2/badges/web/image.svg").content) == stored


def test_an_svg_upload_is_the_published_and_baked_image(api) -> None:
    client, key, assertion_id = api
    r = client.put("/badges/web/image", content=UPLOADED_SVG, headers={**key, "Content-Type": "image/svg+xml"})
    assert r.status_code == 200
    stored = client.get("/badges/web/image").content
    assert b"#0a78c8" in stored
    urls = _published(client, assertion_id)
    for which in ("badgeclass", "achievement", "credential"):
        served = _get(client, urls[which])
        assert served.headers["content-type"].startswith("image/svg+xml") and served.content == stored, which
        assert "default-src 'none'" in served.headers["content-security-policy"]
    # the award's own image is its baked SVG (a PNG cannot show an SVG here), on the upload
    assert urls["assertion"].endswith("/baked.svg")
    baked = _get(client, urls["assertion"]).content
    assert b"#0a78c8" in baked and images.unbake(baked)[0] == "2.0"
    v3 = client.get(f"/ob/v3/credentials/{assertion_id}/baked.svg").content
    assert b"#0a78c8" in v3 and images.unbake(v3)[0] == "3.0"


def test_without_an_upload_the_generated_image_is_published(api) -> None:
    client, _, assertion_id = api
    urls = _published(client, assertion_id)
    assert urls["badgeclass"] == f"{BASE}/ob/v2/badges/web/image.svg" == urls["achievement"]
    svg = _get(client, urls["badgeclass"]).content
    assert svg == client.get("/badges/web/image").content and b"<circle" in svg
    assert urls["assertion"].endswith("/baked.png")
    # the PNG form is the generated disc with the badge's name, as baked downloads carry it
    png = client.get("/ob/v2/badges/web/image.png").content
    baked = client.get(f"/ob/v3/credentials/{assertion_id}/baked.png").content
    assert Image.open(io.BytesIO(png)).tobytes() == Image.open(io.BytesIO(baked)).tobytes()
