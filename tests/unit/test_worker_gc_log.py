"""A forked worker logs the garbage collections that pause it (``service.forked.log_long_collections``)."""

from __future__ import annotations

import gc
import logging

import pytest

from colearn.service.forked import log_long_collections


def _collect_with(threshold_ms: float, caplog: pytest.LogCaptureFixture) -> list[str]:
    callback = log_long_collections(threshold_ms)
    try:
        with caplog.at_level(logging.WARNING, logger="colearn.service.forked"):
            caplog.clear()
            garbage = [[] for _ in range(1_000)]
            for a, b in zip(garbage, garbage[1:]):  # cycles for the collector to find
                a.append(b)
                b.append(a)
            del garbage, a, b
            gc.collect()
    finally:
        gc.callbacks.remove(callback)
    return [r.getMessage() for r in caplog.records if "garbage collection paused" in r.getMessage()]


def test_a_collection_over_the_threshold_is_logged_with_its_generation_and_what_it_collected(
        caplog: pytest.LogCaptureFixture) -> None:
    messages = _collect_with(0.0, caplog)
    assert messages, "a full collection takes at least 0 ms"
    full = [m for m in messages if "generation 2" in m]
    assert full and all(" ms (" in m for m in full)
    collected = [int(m.split("generation 2, ")[1].split(" collected")[0]) for m in full]
    assert max(collected) >= 1_000  # the cycles made above


def test_a_collection_under_the_threshold_is_not(caplog: pytest.LogCaptureFixture) -> None:
    assert _collect_with(60_000.0, caplog) == []
    assert all(cb.__qualname__ != "log_long_collections.<locals>.callback" for cb in gc.callbacks)
