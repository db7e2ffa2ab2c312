"""``PacedRelease`` (recommender/rebuild.py): the memory release after a recommender swap
runs at once when the last one has been paid back, is deferred (never dropped) within
its pace, and a burst of swaps costs one collection at its end."""

from __future__ import annotations

import pytest

from colearn.recommender.rebuild import PacedRelease


class _Clock:
    """A clock that a release advances by the time it 'takes'."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _paced(takes: float, share: float = 0.05) -> tuple[PacedRelease, _Clock, list[float]]:
    clock, ran = _Clock(), []

    def release() -> None:
        ran.append(clock.now)
        clock.now += takes

    return PacedRelease(share, release=release, clock=clock), clock, ran


def test_the_first_request_runs_at_once() -> None:
    paced, _, ran = _paced(0.2)
    assert paced.request() and ran == [100.0] and not paced.wanted


def test_a_request_within_the_pace_waits_for_a_later_poll_then_runs_once() -> None:
    paced, clock, ran = _paced(0.25, share=0.0625)  # 0.25 s at 1/16: the next starts 4 s after it ends
    paced.request()
    for step in range(30):  # a burst: a swap every 0.1 s for 3 s, each asking
        clock.now = 100.25 + 0.1 * step
        assert not paced.request()
        assert not paced.run_if_due()
    assert paced.wanted and len(ran) == 1
    clock.now = 104.25 - 1e-9
    assert not paced.run_if_due()
    clock.now = 104.25
    assert paced.run_if_due() and len(ran) == 2 and not paced.wanted
    clock.now = 1_000.0
    assert not paced.run_if_due(), "nothing asked since: nothing runs"
    assert len(ran) == 2 and paced.runs == 2


@pytest.mark.parametrize(("takes", "share", "gap"), [(0.2, 0.05, 4.0), (0.01, 0.05, 0.2), (1.0, 0.5, 2.0)])
def test_collections_take_at_most_their_share_of_the_time(takes: float, share: float, gap: float) -> None:
    paced, clock, ran = _paced(takes, share)
    start = clock.now
    while clock.now < start + 200:
        paced.request()
        clock.now += 0.05
    spent = len(ran) * takes
    assert spent <= share * (clock.now - start) + takes  # the first one is free
    assert all(b - a >= takes + gap - 1e-9 for a, b in zip(ran, ran[1:]))


@pytest.mark.parametrize("share", [0, -0.1, 1.5])
def test_a_share_outside_zero_to_one_is_refused(share: float) -> None:
    with pytest.raises(ValueError, match="share"):
        PacedRelease(share)
