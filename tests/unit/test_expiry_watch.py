"""``ExpiryWatch``: the interval each read covers, and how ``advance`` and ``rewind`` move it."""

from __future__ import annotations

from typing import Any

from colearn.graph import feed
from colearn.recommender.expiries import ExpiryWatch


class _Reads:
    """A store that answers ``EXPIRED_BETWEEN`` with one pair and records each interval asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[int, int]] = []

    def read(self, statement: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        assert statement == feed.EXPIRED_BETWEEN
        self.asked.append((params["since"], params["now"]))
        return [{"learner_id": "l1", "badge_id": "b1"}]


def test_reads_follow_on_only_once_advanced_and_go_back_when_rewound() -> None:
    store = _Reads()
    watch = ExpiryWatch(store, every_s=0.0, since=1_000)  # type: ignore[arg-type]
    assert watch.due(now=1_000) is None and store.asked == []  # nothing after since yet
    assert watch.due(now=1_050) == ([("l1", "b1")], 1_050)
    assert watch.due(now=1_060) == ([("l1", "b1")], 1_060)  # not advanced: the same start again
    assert store.asked == [(1_000, 1_050), (1_000, 1_060)]
    watch.advance(1_060)
    watch.advance(1_020)  # never back
    assert watch.since == 1_060
    watch.rewind(1_100)  # never forward
    assert watch.since == 1_060
    watch.rewind(1_030)  # a build whose reads began at 1,030: its expiries are read again
    watch.due(now=1_070)
    assert store.asked[-1] == (1_030, 1_070)


def test_a_read_waits_every_s_between_reads() -> None:
    store = _Reads()
    watch = ExpiryWatch(store, every_s=3_600.0, since=0)  # type: ignore[arg-type]
    assert watch.due(now=10) is not None
    assert watch.due(now=20) is None and len(store.asked) == 1
