"""The calendar of the ``issued`` insight (``insights.periods``): months of whole ISO
weeks, every period of a ``from``..``to`` range shown, and the range's limits."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from colearn.errors import InvalidInput, InvalidInputs
from colearn.insights.periods import (MAX_PERIODS, month_lines, month_weeks, next_start, parse_days, period_of,
                                      period_start, periods_between, shown_periods)
from colearn.insights.privacy import Line

EPOCH = date(1970, 1, 1)
TODAY = date(2026, 12, 6)


def test_a_month_is_the_iso_weeks_whose_thursday_falls_in_it() -> None:
    """Every day of 1970..2030 and of 2999 lies in the month of its ISO week's Thursday, in
    one of that month's whole weeks, between the month's first Monday and the next month's."""
    days = [EPOCH + timedelta(days=n) for n in range(0, (date(2031, 1, 1) - EPOCH).days)]
    days += [date(2999, 1, 1) + timedelta(days=n) for n in range(365)]
    for d in days:
        key, start = period_of((d - EPOCH).days, "month")
        thursday = d + timedelta(days=3 - d.weekday())
        assert key == thursday.strftime("%Y-%m"), d
        assert start.weekday() == 0 and start.isoformat() == period_start(key, "month")
        assert start <= d < next_start(start, "month"), d
        assert period_of((d - EPOCH).days, "week")[0] in month_weeks(key), d


@pytest.mark.parametrize(("day", "month", "start"), [
    (date(2026, 2, 1), "2026-01", "2025-12-29"),  # a Sunday in the week of Thursday 2026-01-29
    (date(2026, 2, 2), "2026-02", "2026-02-02"),
    (date(2026, 3, 1), "2026-02", "2026-02-02"),
    (date(2025, 12, 31), "2026-01", "2025-12-29"),  # the week of Thursday 2026-01-01
    (date(1970, 1, 1), "1970-01", "1969-12-29"),
    (date(2999, 12, 31), "3000-01", "2999-12-30"),
])
def test_months_at_their_edges(day: date, month: str, start: str) -> None:
    assert period_of((day - EPOCH).days, "month") == (month, date.fromisoformat(start))


def test_each_month_is_joined_to_all_its_weeks_for_every_group() -> None:
    """Only months of a 28-day February starting on Monday had a line; now every month has one."""
    lines = month_lines("theme", ["a", "b"], ["2026-01", "2026-02"])
    assert Line(("theme", "month", "2026-01", "a"),
                tuple(("theme", "week", f"2026-W0{w}", "a") for w in range(1, 6))) in lines
    assert Line(("theme", "month", "2026-02", "b"),
                tuple(("theme", "week", f"2026-W0{w}", "b") for w in range(6, 10))) in lines
    assert len(lines) == 4
    months = periods_between(date(2020, 1, 1), date(2030, 12, 31), "month")  # the months tile the weeks
    end = next_start(date.fromisoformat(period_start(months[-1], "month")), "month") - timedelta(days=1)
    weeks = periods_between(date.fromisoformat(period_start(months[0], "month")), end, "week")
    assert [w for m in months for w in month_weeks(m)] == weeks


def test_every_period_overlapping_from_and_to_is_shown_with_nothing_held() -> None:
    """A city with no award answered ``periods: []`` for any ``from``/``to``, and a range
    starting before the first award started at it."""
    assert shown_periods([], "month", date(2025, 11, 3), date(2025, 12, 28), TODAY) == ["2025-11", "2025-12"]
    assert shown_periods(["2026-01"], "month", date(2025, 12, 1), date(2026, 1, 31), TODAY) == ["2025-12", "2026-01"]
    assert shown_periods([], "week", date(2025, 12, 29), date(2026, 1, 11), TODAY) == ["2026-W01", "2026-W02"]
    assert shown_periods([], "week", date(2026, 11, 30), None, TODAY) == ["2026-W49"]
    assert shown_periods([], "week", None, date(2026, 1, 11), TODAY) == []  # nothing held, no from: nothing
    assert shown_periods(["2026-W40"], "week", None, None, TODAY)[0] == "2026-W40"
    assert shown_periods(["2026-W40"], "week", None, None, TODAY)[-1] == "2026-W49"


@pytest.mark.parametrize("interval", ["week", "month"])
def test_a_range_of_more_than_the_most_periods_is_refused(interval: str) -> None:
    most = MAX_PERIODS[interval]
    first = date.fromisoformat(period_start("2000-01" if interval == "month" else "2000-W01", interval))
    ok = periods_between(first, first + timedelta(days=7 * (most * (1 if interval == "week" else 4) + 60)),
                         interval)[:most]
    last = date.fromisoformat(period_start(ok[-1], interval))
    assert shown_periods([], interval, first, last, TODAY) == ok
    with pytest.raises(InvalidInput, match=f"at most {most} {interval}s") as exc:
        shown_periods([], interval, first, next_start(last, interval), TODAY)
    assert exc.value.field == "from"
    with pytest.raises(InvalidInput) as exc:  # only to: the range runs from the first award
        shown_periods([period_of((first - EPOCH).days, interval)[0]], interval, None,
                      next_start(last, interval), TODAY)
    assert exc.value.field == "to"
    with pytest.raises(InvalidInput):  # only from: to today
        shown_periods([], interval, date(1970, 1, 1), None, TODAY)


def test_days_out_of_the_stored_range_are_refused_together_when_bounded() -> None:
    assert parse_days("1969-12-31", "3000-01-01") == (date(1969, 12, 31), date(3000, 1, 1))
    assert parse_days("1970-01-01", "2999-12-31", bounded=True) == (date(1970, 1, 1), date(2999, 12, 31))
    with pytest.raises(InvalidInputs) as exc:
        parse_days("1969-12-31", "3000-01-01", bounded=True)
    assert [p.field for p in exc.value.problems] == ["from", "to"]
    with pytest.raises(InvalidInput, match="between 1970-01-01 and 2999-12-31") as one:
        parse_days(None, "0001-01-01", bounded=True)
    assert one.value.field == "to"
