"""The calendar of the ``issued`` insight (``insights.periods``): months of whole ISO weeks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from colearn.insights.periods import month_lines, month_weeks, next_start, period_of, period_start, periods_between
from colearn.insights.privacy import Line

EPOCH = date(1970, 1, 1)


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
