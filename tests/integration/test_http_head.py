"""HEAD on every GET route answers as its GET without content (RFC 9110, section 9.3.2):
the test walks the OpenAPI document's GET operations and the pages; on both engines."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.integration import test_repeated_query

api = test_repeated_query.api

#: Headers that may differ between two answers to the same request.
_PER_ANSWER = {"date", "x-request-id", "retry-after"}


def _same_answer(client: TestClient, url: str, headers: dict) -> tuple[int, dict]:
    got, head = client.get(url, headers=headers), client.head(url, headers=headers)
    assert head.status_code == got.status_code, (url, head.status_code, got.status_code)
    assert head.content == b"", (url, head.content[:200])
    assert got.content, url
    for name in {k.lower() for k in got.headers} - _PER_ANSWER:
        assert head.headers.get(name) == got.headers[name], (url, name)
    return head.status_code, dict(head.headers)


def test_head_answers_as_get_without_content_on_every_get_operation(api) -> None:
    client, admin = api
    statuses = []
    for path, ops in client.get("/openapi.json").json()["paths"].items():
        if "get" not in ops:
            continue
        url = path
        for p in ops["get"].get("parameters", []):
            if p["in"] == "path":
                url = url.replace("{" + p["name"] + "}", "0" if p["schema"].get("type") == "integer" else "web")
        statuses.append(_same_answer(client, url, admin)[0])
    assert len(statuses) > 40 and statuses.count(200) > 15, statuses


def test_head_of_a_page_a_badge_and_the_health_check(api) -> None:
    client, admin = api
    status, headers = _same_answer(client, "/health", {})
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert int(headers["content-length"]) == len(client.get("/health").content)
    status, headers = _same_answer(client, "/badges/web", admin)
    assert status in (200, 404)
    for page, kind in (("/portfolio", "text/html"), ("/docs", "text/html"), ("/widget/colearn.js", "text/javascript")):
        status, headers = _same_answer(client, page, {})
        assert status == 200 and headers["content-type"].startswith(kind), (page, headers)


def test_head_where_get_is_not_served(api) -> None:
    client, admin = api
    r = client.head("/verify", headers=admin)  # POST only
    assert r.status_code == 405 and r.content == b""
    assert "POST" in r.headers["allow"] and "HEAD" not in r.headers["allow"]
    r = client.head("/no/such/path", headers=admin)
    assert r.status_code == 404 and r.content == b""


def test_a_405_names_the_methods_served_head_included_where_get_is(api) -> None:
    client, admin = api
    r = client.delete("/badges", headers=admin)  # GET and POST are served there
    assert r.status_code == 405
    assert {m.strip() for m in r.headers["allow"].split(",")} == {"GET", "POST", "HEAD"}


def test_a_405_inside_a_mount_names_its_methods(api) -> None:
    """The docs' static files are a mount: a POST there is a 405 that still names GET and HEAD."""
    client, _ = api
    css = next(p for p in client.get("/docs").text.split('"') if p.startswith("/docs-assets/") and p.endswith(".css"))
    assert client.get(css).status_code == 200
    r = client.post(css)
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"
