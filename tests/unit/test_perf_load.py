"""The load generator's own rules: loopback only, nearest-rank percentiles, and the soak's request mix."""

from __future__ import annotations

from collections import Counter

import pytest

from colearn.ingest.synthetic import generate_city
from colearn.perf.load import _Tally, check_loopback, percentile, summarise
from colearn.perf.soak import requests_mix


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://127.3.4.5/x", "http://localhost:1", "http://[::1]:80"])
def test_loopback_is_allowed(url: str) -> None:
    check_loopback(url)


@pytest.mark.parametrize("url", ["http://10.0.0.1", "http://192.168.1.2:8000", "https://example.org", "http://8.8.8.8"])
def test_anything_else_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        check_loopback(url)


def test_percentiles_by_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0 and percentile(values, 99) == 99.0 and percentile(values, 100) == 100.0
    assert percentile([], 50) is None
    assert summarise([1.0, 2.0, 3.0], wall_s=1.5)["rps"] == 2.0


def test_the_slowest_percent_is_listed_in_the_order_sent() -> None:
    tally = _Tally(t0=100.0)
    for i in range(300):  # three slow requests among 300: the slowest 1%
        tally.record("next", 200, 500.0 - i if i in (250, 10, 120) else 5.0, 100.0 + i / 10)
    assert tally.result(30.0)["slowest"] == [(1.0, 490.0), (12.0, 380.0), (25.0, 250.0)]
    assert _Tally().result(1.0)["slowest"] == []


def test_soak_mix_shares_and_accepts_follow_their_awards() -> None:
    city = generate_city("S", 1)
    reqs = requests_mix(city, 4_000, pathways_route=True)
    kinds = Counter(r["kind"] for r in reqs)
    assert abs(kinds["next"] / 4_000 - 0.5) < 0.05 and abs(kinds["award"] / 4_000 - 0.10) < 0.03
    assert kinds["catalogue"] and kinds["pathways"] and kinds["accept"]
    keys = [r["headers"]["Idempotency-Key"] for r in reqs if r["kind"] == "award"]
    assert len(keys) == len(set(keys))
    assert requests_mix(city, 500, pathways_route=False) == requests_mix(city, 500, pathways_route=False)
