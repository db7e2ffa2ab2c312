"""Rate limits per caller (429 with Retry-After) and CORS only for partner origins."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from colearn.config import Settings
from colearn.errors import RateLimited
from colearn.graph.store import GraphStore
from colearn.service.app import create_app
from colearn.service.auth import create_key
from colearn.service.limits import BucketTable, TokenBuckets
from tests.integration import test_badge_pages
from tests.openbadges_builders import seed_issuing_city
from tests.serve_helpers import children, kill_all, seed, start_serve, wait_gone


def test_token_bucket_refills_at_the_rate() -> None:
    buckets = TokenBuckets(per_minute=60, burst=2)
    buckets.take("a", now=0.0)
    buckets.take("a", now=0.0)
    with pytest.raises(RateLimited) as exc:
        buckets.take("a", now=0.0)
    assert exc.value.retry_after == 1
    buckets.take("b", now=0.0)  # another caller has its own bucket
    buckets.take("a", now=1.0)  # one token back after a second
    with pytest.raises(RateLimited):
        buckets.take("a", now=1.5)
    TokenBuckets(per_minute=0, burst=1).take("a")  # 0: no limit


def test_429_with_retry_after_per_key(store: GraphStore, tmp_path: Path) -> None:
    one, two = create_key(store, "admin").secret, create_key(store, "admin").secret
    app = create_app(Settings(data_dir=tmp_path, rate_limit_per_minute=1, rate_limit_burst=3), store=store)
    with TestClient(app) as client:
        codes = [client.get("/themes", headers={"X-API-Key": one}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = client.get("/themes", headers={"X-API-Key": one})
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["type"] == "/problems/rate-limited"
        assert client.get("/themes", headers={"X-API-Key": two}).status_code == 200


def test_cors_only_for_partner_origins(store: GraphStore, tmp_path: Path) -> None:
    key = create_key(store, "partner", origins=["https://partner.example"]).secret
    create_key(store, "partner", origins=["https://other-partner.example"])
    revoked = create_key(store, "partner", origins=["https://gone.example"])
    from colearn.service.auth import revoke_key
    revoke_key(store, revoked.id)
    app = create_app(Settings(data_dir=tmp_path), store=store)
    with TestClient(app) as client:
        def preflight(origin: str):
            return client.options("/badges", headers={"Origin": origin, "Access-Control-Request-Method": "GET",
                                                      "Access-Control-Request-Headers": "x-api-key"})
        ok = preflight("https://partner.example")
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == "https://partner.example"
        assert "x-api-key" in ok.headers["access-control-allow-headers"].lower()
        for origin in ("https://evil.example", "https://gone.example"):
            refused = preflight(origin)
            assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
        got = client.get("/badges", headers={"Origin": "https://partner.example", "X-API-Key": key})
        assert got.status_code == 200 and got.headers["access-control-allow-origin"] == "https://partner.example"
        # another partner's origin passes the preflight, but this key is not bound to it
        other = client.get("/badges", headers={"Origin": "https://other-partner.example", "X-API-Key": key})
        assert other.status_code == 403
        evil = client.get("/badges", headers={"Origin": "https://evil.example", "X-API-Key": key})
        assert evil.status_code == 403 and "access-control-allow-origin" not in evil.headers


badge_api = test_badge_pages.api  # the fixture: the learner city served, organisation and admin keys


def test_public_open_badges_documents_are_readable_from_any_origin(badge_api) -> None:
    """Browser-based verifiers and wallets read the OB documents from their own origin:
    a preflight for GET and the GET itself answer ``Access-Control-Allow-Origin: *``,
    never with credentials; the rest of the API keeps the partner-origin rule."""
    client, keys = badge_api
    r = client.post("/organisations/college/badges/web/assertions", headers=keys["college"],
                    json={"recipient": {"type": "email", "identity": "grace@example.org"}})
    assert r.status_code == 201, r.text
    aid = r.json()["id"]
    wallet = "https://wallet.example"
    for path in ("/ob/v3/issuers/college/status/0", f"/ob/v2/assertions/{aid}", "/ob/v3/issuers/college",
                 f"/ob/v3/credentials/{aid}", f"/ob/v3/credentials/{aid}/jwt", "/ob/v2/issuers/college/key",
                 f"/ob/v2/assertions/{aid}/baked.png", "/ob/v2/badges/web", "/ob/v2/assertions/as-never-issued"):
        pre = client.options(path, headers={"Origin": wallet, "Access-Control-Request-Method": "GET",
                                            "Access-Control-Request-Headers": "accept"})
        assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == "*", (path, pre.text)
        assert "GET" in pre.headers["access-control-allow-methods"], path
        for method in ("GET", "HEAD"):
            got = client.request(method, path, headers={"Origin": wallet, "Accept": "application/ld+json"})
            assert got.status_code in (200, 404) and got.headers["access-control-allow-origin"] == "*", (path, method)
            assert "access-control-allow-credentials" not in got.headers, path
    # only reading: a preflight for a write under /ob/ is refused, and the API keeps its partner rule
    post = client.options("/ob/v2/badges/web", headers={"Origin": wallet, "Access-Control-Request-Method": "POST"})
    assert post.status_code == 400 and "POST" not in post.headers.get("access-control-allow-methods", "")
    for path in ("/badges", "/verify"):
        api_pre = client.options(path, headers={"Origin": wallet, "Access-Control-Request-Method": "GET"})
        assert api_pre.status_code == 400 and "access-control-allow-origin" not in api_pre.headers, path
    assert "access-control-allow-origin" not in client.get("/badges", headers={"Origin": wallet}).headers


def test_forked_processes_spend_one_allowance_per_caller() -> None:
    """``colearn serve --workers N`` forks its workers after making the ``BucketTable``: a caller
    that a child has spent its burst on finds it spent in the parent too (before, each
    process had buckets of its own, so N workers allowed N times the limit). Another caller,
    and the same caller of another kind of limit, are untouched."""
    table = BucketTable()
    api = TokenBuckets(per_minute=1, burst=3, table=table)
    pid = os.fork()
    if pid == 0:  # the child spends the caller's whole burst, then exits
        code = 0
        try:
            for _ in range(3):
                api.take("key-1")
        except BaseException:  # noqa: BLE001 - reported by the exit code
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    with pytest.raises(RateLimited) as exc:
        api.take("key-1")
    assert exc.value.retry_after >= 55  # one a minute: a token is about a minute away
    api.take("key-2")
    TokenBuckets(per_minute=1, burst=3, table=table, kind="sign-in").take("key-1")


def test_a_full_table_shares_rows_and_never_allows_more() -> None:
    """More callers than the rows a caller may use: each new caller takes an idle row or
    shares one, so no caller is ever allowed more than its burst."""
    from colearn.service import limits

    table = limits.BucketTable()
    buckets = TokenBuckets(per_minute=1, burst=2, table=table)
    allowed: dict[str, int] = {}
    for n in range(limits.SLOTS + 5000):  # more callers than rows: some share
        caller = f"c{n}"
        for _ in range(3):
            try:
                buckets.take(caller, now=100.0)
                allowed[caller] = allowed.get(caller, 0) + 1
            except RateLimited:
                break
    assert max(allowed.values()) <= 2
    assert sum(v == 2 for v in allowed.values()) >= limits.SLOTS * 0.9


def test_a_partner_page_may_post_to_the_routes_partners_call(store: GraphStore, tmp_path: Path) -> None:
    """docs/roles.md gives partners ``POST /visitors/next``: a browser on a partner's
    origin first asks (a preflight for POST with a JSON body), which was refused
    ("Disallowed CORS method") when only GET was allowed; a key still decides the rest."""
    key = create_key(store, "partner", origins=["https://partner.example"]).secret
    app = create_app(Settings(data_dir=tmp_path), store=store)
    with TestClient(app) as client:
        asked = client.options("/visitors/next", headers={
            "Origin": "https://partner.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-api-key"})
        assert asked.status_code == 200, asked.text
        assert asked.headers["access-control-allow-origin"] == "https://partner.example"
        assert {"content-type", "x-api-key"} <= {h.strip() for h in
                                                 asked.headers["access-control-allow-headers"].lower().split(",")}
        posted = client.post("/visitors/next", json={"limit": 3},
                             headers={"Origin": "https://partner.example", "X-API-Key": key})
        assert posted.status_code == 200 and posted.headers["access-control-allow-origin"] == "https://partner.example"
        elsewhere = client.options("/visitors/next", headers={"Origin": "https://evil.example",
                                                              "Access-Control-Request-Method": "POST"})
        assert elsewhere.status_code == 400 and "access-control-allow-origin" not in elsewhere.headers


def test_failed_authentication_is_limited_per_address(store: GraphStore, tmp_path: Path) -> None:
    """Wrong keys and tokens were answered 401 without end (400 at once all got 401). Past
    ``auth_failures_per_minute`` failures, the address gets 429 with ``Retry-After`` for each
    further failure; valid credentials from it are still served (no one behind a shared
    address is locked out by another's wrong keys), and failures from another address, or
    requests without credentials, are not held back."""
    good = create_key(store, "admin").secret
    from colearn.service.limits import BucketTable

    app = create_app(Settings(data_dir=tmp_path, auth_failures_per_minute=3, anonymous_role="partner"), store=store,
                     buckets=BucketTable())  # one table for both clients below, as forked workers share one
    with TestClient(app) as client:
        wrong = [{"X-API-Key": "col_nope_secret"}, {"Authorization": "Bearer not-a-token"},
                 {"Authorization": "Basic abc"}]
        assert [client.get("/themes", headers=h).status_code for h in wrong] == [401, 401, 401]
        for headers in (wrong[0], wrong[1]):
            r = client.get("/themes", headers=headers)
            assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1, r.text
            assert r.json()["type"] == "/problems/rate-limited" and "failed authentications" in r.json()["detail"]
        assert client.get("/themes", headers={"X-API-Key": good}).status_code == 200  # a valid key is served
        assert client.get("/themes").status_code == 200  # no credentials: not a failed attempt
    with TestClient(app, client=("203.0.113.9", 50000)) as other:  # another address: its own allowance
        assert other.get("/themes", headers={"X-API-Key": good}).status_code == 200
        assert other.get("/themes", headers=wrong[0]).status_code == 401
    with TestClient(app) as again:  # the first address is still held back
        assert again.get("/themes", headers=wrong[2]).status_code == 429
    unlimited = create_app(Settings(data_dir=tmp_path, auth_failures_per_minute=0), store=store)
    with TestClient(unlimited) as client:
        assert {client.get("/themes", headers=wrong[0]).status_code for _ in range(40)} == {401}


def test_a_bucket_is_full_again_one_refill_period_later_whatever_the_clock_reads() -> None:
    """An hourly allowance of one is back an hour later: ``now - last`` in floating point
    fell a few ulps short of 3600 at some clock readings (6822.462158591 + 3600 less itself is
    3599.999999999999), and the take was refused (the notice-cap test failed at such uptimes)."""
    rate = 1 / 3600
    for start in (6822.462158591, 0.1, 123456.789, 1e6 + 0.3):
        table = BucketTable()
        assert table.take("k", "c", rate, 1, start) == 0.0
        assert table.take("k", "c", rate, 1, start) > 0.0
        assert table.take("k", "c", rate, 1, start + 3600) == 0.0, start
        assert table.take("k", "c", rate, 1, start + 3600) > 0.0



PARTNER = "https://partner.example"


def _codes(app, address: str, headers: dict[str, str], n: int) -> list[int]:
    """The status codes of ``n`` ``GET /themes`` from client ``address`` (the app started
    already: a client outside ``with`` runs no lifespan of its own)."""
    client = TestClient(app, client=(address, 40000))
    return [client.get("/themes", headers=headers).status_code for _ in range(n)]


def test_a_partner_keys_visitors_are_limited_each_on_their_own(store: GraphStore, tmp_path: Path) -> None:
    """A partner key is public (in its pages' HTML, and curl sends any ``Origin``): one party
    spending a partner key's allowance made the widget answer 429 to every visitor of that
    partner site. Its requests are now counted per (key, client address): the address that
    spent its allowance gets 429, another visitor with the same key is still served. An
    organisation key (secret) is still limited per key, whatever the address."""
    seed_issuing_city(store)
    partner = {"X-API-Key": create_key(store, "partner", origins=[PARTNER]).secret, "Origin": PARTNER}
    organisation = {"X-API-Key": create_key(store, "organisation", organisation_id="college").secret}
    app = create_app(Settings(data_dir=tmp_path, rate_limit_per_minute=1, rate_limit_burst=3), store=store,
                     buckets=BucketTable())  # one table for every client below, as forked workers share one
    with TestClient(app):
        assert _codes(app, "198.51.100.7", partner, 5) == [200, 200, 200, 429, 429]
        assert _codes(app, "198.51.100.7", organisation, 3) == [200, 200, 200]
        assert _codes(app, "203.0.113.9", partner, 1) == [200]  # the flood left this visitor alone
        spent = TestClient(app, client=("203.0.113.9", 40000)).get("/themes", headers=organisation)
        assert spent.status_code == 429 and int(spent.headers["retry-after"]) >= 1  # spent from any address


def test_a_partner_key_has_a_ceiling_over_all_its_visitors(store: GraphStore, tmp_path: Path) -> None:
    """Each visitor of a partner key has an allowance, and the key a larger one over all of
    them (``partner_key_rate_limit_per_minute``), so one public key cannot take the whole
    server; requests a visitor's own allowance refused do not spend it. Limits off
    (``rate_limit_per_minute=0``) means the ceiling too."""
    partner = {"X-API-Key": create_key(store, "partner", origins=[PARTNER]).secret, "Origin": PARTNER}
    other = {"X-API-Key": create_key(store, "partner", origins=[PARTNER]).secret, "Origin": PARTNER}
    app = create_app(Settings(data_dir=tmp_path, rate_limit_per_minute=1, rate_limit_burst=2,
                              partner_key_rate_limit_per_minute=1, partner_key_rate_limit_burst=4),
                     store=store, buckets=BucketTable())
    with TestClient(app):
        assert _codes(app, "198.51.100.7", partner, 6) == [200, 200, 429, 429, 429, 429]  # two of the key's four
        assert _codes(app, "203.0.113.1", partner, 1) == _codes(app, "203.0.113.2", partner, 1) == [200]
        r = TestClient(app, client=("203.0.113.3", 40000)).get("/themes", headers=partner)
        assert r.status_code == 429 and "this partner key, all its visitors together" in r.json()["detail"], r.text
        assert _codes(app, "203.0.113.3", other, 1) == [200]  # another partner key has its own ceiling
    off = create_app(Settings(data_dir=tmp_path, rate_limit_per_minute=0, partner_key_rate_limit_burst=1),
                     store=store, buckets=BucketTable())
    with TestClient(off):
        assert set(_codes(off, "203.0.113.3", partner, 5)) == {200}


def test_colearn_serve_limits_a_partner_key_per_visitor_across_its_workers(tmp_path: Path) -> None:
    """``colearn serve --workers 2`` as a real process: from one client address (127.0.0.1) a
    partner key gets its burst once over both workers, then 429; from another (127.0.0.2,
    the same machine's loopback) the same key is still served."""
    seed(tmp_path)
    made = subprocess.run([str(Path(sys.executable).with_name("colearn")), "keys", "create", "--role", "partner",
                           "--origin", PARTNER], env={**os.environ, "COLEARN_DATA_DIR": str(tmp_path)},
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    partner = {"X-API-Key": made.stdout.strip().splitlines()[-1], "Origin": PARTNER}
    proc, base = start_serve(tmp_path, workers=2, env={"COLEARN_RATE_LIMIT_PER_MINUTE": "1",
                                                       "COLEARN_RATE_LIMIT_BURST": "3"})
    everything = [proc.pid, *children(proc.pid)]
    try:
        def codes(address: str, n: int) -> list[int]:
            with httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=10,
                              headers={"Connection": "close"}) as client:  # a new connection: either worker
                return [client.get(f"{base}/themes", headers=partner).status_code for _ in range(n)]

        assert codes("127.0.0.1", 6) == [200, 200, 200, 429, 429, 429]
        assert codes("127.0.0.2", 1) == [200]
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        kill_all([*everything, *wait_gone(everything)])
