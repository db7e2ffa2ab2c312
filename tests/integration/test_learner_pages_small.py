"""Small points of the learner's pages and API: the share page's ``og:image`` is a PNG
(LinkedIn and Facebook render no SVG), ``GET /`` leads to the portfolio, and a home
district is a district (a place within no other), not a venue."""

from __future__ import annotations

from pathlib import Path

from colearn.graph import queries
from colearn.graph.schema import Label, Rel
from colearn.graph.store import GraphStore
from colearn.service.auth import create_key, issue_learner_token
from tests.learner_builders import learner_client
from tests.openbadges_builders import BASE


def test_the_share_pages_og_image_is_a_png(store: GraphStore, tmp_path: Path) -> None:
    with learner_client(store, tmp_path) as (client, _):
        key = {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret}
        award = client.post("/organisations/college/badges/web/assertions", headers=key,
                            json={"recipient": {"type": "email", "identity": "lin@example.org"}}).json()
        page = client.get(f"/share/{award['id']}").text
        image = f"{BASE}/ob/v2/badges/web/image.png"
        assert f'<meta property="og:image" content="{image}">' in page, page[:600]
        got = client.get(image.removeprefix(BASE))
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    assert got.content.startswith(b"\x89PNG")


def test_the_root_leads_to_the_portfolio(store: GraphStore, tmp_path: Path) -> None:
    with learner_client(store, tmp_path) as (client, _):
        r = client.get("/", follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (307, "/portfolio")
        assert client.get("/").headers["content-type"].startswith("text/html")


def test_a_home_district_is_a_district_not_a_venue(store: GraphStore, tmp_path: Path) -> None:
    with learner_client(store, tmp_path) as (client, _):
        store.write(queries.merge_nodes(Label.PLACE), {"rows": [
            {"id": "central-library", "props": {"name": "Central Library", "kind": "venue"}},
            {"id": "room-1", "props": {"name": "Room 1", "kind": "room"}}]})
        store.write(queries.set_links(Label.PLACE, Rel.WITHIN, Label.PLACE), {"rows": [
            {"id": "central-library", "targets": [{"id": "north", "props": {}}]},
            {"id": "room-1", "targets": [{"id": "central-library", "props": {}}]}]})
        store.write(queries.merge_nodes(Label.LEARNER), {"rows": [{"id": "ada", "props": {}}]})
        me = {"Authorization": f"Bearer {issue_learner_token(client.app.state.token_secret, 'ada')}"}
        assert client.patch("/me", headers=me, json={"home_place": "north"}).json()["home_place"] == "north"
        for venue in ("central-library", "room-1"):  # at any depth: the district is named
            r = client.patch("/me", headers=me, json={"home_place": venue, "interests": "maps"})
            assert r.status_code == 422, r.text
            assert r.json()["errors"] == [{"field": "body.home_place", "message": (
                f"place '{venue}' is not a district: it lies within 'north' (North); a home district is a "
                "place that lies within no other")}], r.text
        after = client.get("/me", headers=me).json()
    assert (after["home_place"], after["interests"]) == ("north", "")  # nothing written


def test_pages_have_a_content_security_policy_allowing_only_their_own_scripts(store: GraphStore,
                                                                             tmp_path: Path) -> None:
    """The learner pages had inline scripts and no CSP; /docs could be framed and Swagger UI
    kept a pasted key in localStorage. Each page now answers a CSP whose ``script-src`` is
    this origin and the SHA-256 of each of its own inline scripts (no ``'unsafe-inline'``:
    an injected script does not run), with ``object-src``, ``base-uri`` and
    ``frame-ancestors`` 'none'; /docs and /redoc are never framed."""
    import base64
    import hashlib
    import re

    with learner_client(store, tmp_path) as (client, _):
        key = {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret}
        award = client.post("/organisations/college/badges/web/assertions", headers=key,
                            json={"recipient": {"type": "email", "identity": "csp@example.org"}}).json()
        for path in ("/claim", "/signin", "/portfolio", "/redeem", "/issue/claim-codes", f"/share/{award['id']}",
                     "/share/never-issued", "/learners/anyone"):
            r = client.get(path)
            assert r.headers["content-type"].startswith("text/html"), path
            csp = dict(part.strip().split(" ", 1) for part in r.headers["content-security-policy"].split(";"))
            for directive in ("object-src", "base-uri", "frame-ancestors"):
                assert csp[directive] == "'none'", (path, directive, csp)
            assert r.headers["x-frame-options"] == "DENY", path
            inline = re.findall(r"<script>(.*?)</script>", r.text, re.S)
            allowed = {f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in inline}
            assert set(csp["script-src"].split()) == {"'self'"} | allowed, (path, csp["script-src"])
            assert bool(inline) == (path not in ("/share/never-issued", "/learners/anyone")), path
        for path in ("/docs", "/redoc"):
            r = client.get(path)
            assert r.headers["x-frame-options"] == "DENY", path
            assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
        assert '"persistAuthorization": false' in client.get("/docs").text
