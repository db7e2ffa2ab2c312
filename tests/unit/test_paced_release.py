"""``PacedRelease`` (recommender/rebuild.py): the memory release after a recommender swap
runs at once when the last one has been paid back; within its pace one run is scheduled
for when it has (never dropped, never two), so a burst of swaps costs one collection at
its end, and collections take at most their share of the time."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from colearn.recommender.rebuild import PacedRelease


class _Clock:
    """A clock that a release advances by the time it 'takes'."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _Paced:
    """A ``PacedRelease`` on a fake clock, with its releases and scheduled runs recorded."""

    def __init__(self, takes: float, share: float = 0.05) -> None:
        self.clock, self.ran = _Clock(), []
        self.scheduled: list[tuple[float, float, Callable[[], None]]] = []  # (at, delay, fn)

        def release() -> None:
            self.ran.append(self.clock.now)
            self.clock.now += takes

        self.paced = PacedRelease(share, release=release, clock=self.clock,
                                  schedule=lambda delay, fn: self.scheduled.append((self.clock.now, delay, fn)))

    def fire_due(self) -> None:
        """Run the scheduled calls whose time has come (each once)."""
        due = [s for s in self.scheduled if s[0] + s[1] <= self.clock.now]
        self.scheduled = [s for s in self.scheduled if s not in due]
        for _, _, fn in due:
            fn()


def test_the_first_request_runs_at_once_and_schedules_nothing() -> None:
    p = _Paced(0.2)
    assert p.paced.request() and p.ran == [100.0] and not p.paced.wanted and p.scheduled == []


def test_a_burst_within_the_pace_schedules_one_run_for_when_it_is_paid_back() -> None:
    p = _Paced(0.25, share=0.0625)  # 0.25 s at 1/16: the next may start 4 s after this one ends
    p.paced.request()
    for step in range(30):  # a burst: a swap every 0.1 s for 3 s, each asking
        p.clock.now = 100.25 + 0.1 * step
        assert not p.paced.request()
    assert len(p.ran) == 1 and p.paced.wanted
    assert len(p.scheduled) == 1, "one run scheduled, not one per swap"
    at, delay, _ = p.scheduled[0]
    assert at + delay == pytest.approx(104.25)
    p.clock.now = 104.25
    p.fire_due()
    assert p.ran == [100.0, 104.25] and not p.paced.wanted and p.scheduled == []
    p.clock.now = 1_000.0
    assert not p.paced.run_if_due(), "nothing asked since: nothing runs"
    assert p.paced.runs == 2


def test_a_scheduled_run_that_finds_the_pace_moved_schedules_itself_again() -> None:
    p = _Paced(0.25, share=0.0625)
    p.paced.request()
    p.clock.now = 101.0
    p.paced.request()  # scheduled for 104.25
    p.clock.now = 104.25
    p.paced.run_if_due()  # another thread got there first (its collection ends at 104.5)
    p.paced.wanted = True  # and a swap asked again meanwhile
    p.fire_due()
    assert p.ran == [100.0, 104.25] and len(p.scheduled) == 1
    at, delay, _ = p.scheduled[0]
    assert at + delay == pytest.approx(104.5 + 4.0)


@pytest.mark.parametrize(("takes", "share", "gap"), [(0.2, 0.05, 4.0), (0.01, 0.05, 0.2), (1.0, 0.5, 2.0)])
def test_collections_take_at_most_their_share_of_the_time(takes: float, share: float, gap: float) -> None:
    p = _Paced(takes, share)
    start = p.clock.now
    while p.clock.now < start + 200:
        p.paced.request()
        p.clock.now += 0.05
        p.fire_due()
    assert len(p.ran) * takes <= share * (p.clock.now - start) + takes  # the first one is free
    assert all(b - a >= takes + gap - 1e-9 for a, b in zip(p.ran, p.ran[1:]))


@pytest.mark.parametrize("share", [0, -0.1, 1.5])
def test_a_share_outside_zero_to_one_is_refused(share: float) -> None:
    with pytest.raises(ValueError, match="share"):
        PacedRelease(share)
