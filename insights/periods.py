"""The calendar of the ``issued`` insight: day numbers (days since 1970-01-01 UTC)
grouped into ISO weeks (``2025-W02``, Monday to Sunday) or months (``2025-01``), and
the request's ``from``/``to`` days.

A month is made of whole ISO weeks: the weeks whose Thursday falls in the calendar
month (the rule ISO 8601 uses to give a week to its year), so it runs from a Monday to
a Sunday and may start a few days before the calendar month or end a few days after.
Every month is then exactly the sum of its weeks, and ``month_lines`` joins them for
suppression, so a month's answer minus the shown weeks of that month never gives a
hidden week away (README, "Insights", "Privacy")."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from colearn.errors import InvalidInput, refuse
from colearn.insights.privacy import Line

__all__ = ["INTERVALS", "month_lines", "month_weeks", "next_start", "parse_day", "parse_days",
           "period_of", "period_start", "periods_between", "shown_periods"]

INTERVALS: tuple[str, ...] = ("week", "month")

_EPOCH = date(1970, 1, 1)


def _month_start(year: int, month: int) -> date:
    """The Monday of the first ISO week whose Thursday falls in ``year``-``month``."""
    first = date(year, month, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 - 3)


def period_of(day: int, interval: str) -> tuple[str, date]:
    """The period (key, first day, a Monday) of a day number (days since 1970-01-01 UTC).

    Weeks are ISO weeks (``2025-W02``); a month (``2025-01``) is the ISO weeks whose
    Thursday falls in that calendar month, so 2026-02-01 (a Sunday, in the week of
    Thursday 2026-01-29) is in month ``2026-01``.

    Raises:
        InvalidInput: ``interval`` is neither ``week`` nor ``month``.
    """
    d = _EPOCH + timedelta(days=day)
    monday = d - timedelta(days=d.weekday())
    if interval == "week":
        year, week, _ = d.isocalendar()
        return f"{year}-W{week:02d}", monday
    if interval == "month":
        thursday = monday + timedelta(days=3)
        return f"{thursday.year}-{thursday.month:02d}", _month_start(thursday.year, thursday.month)
    raise InvalidInput(f"unknown interval '{interval}'; expected week or month", field="interval")


def next_start(start: date, interval: str) -> date:
    """The first day (a Monday) of the period after the one starting on ``start``."""
    if interval == "week":
        return start + timedelta(days=7)
    thursday = start + timedelta(days=3)
    return _month_start(thursday.year + thursday.month // 12, thursday.month % 12 + 1)


def period_start(period: str, interval: str) -> str:
    """A period key's first day (a Monday), ``YYYY-MM-DD``."""
    if interval == "month":
        return _month_start(int(period[:4]), int(period[5:])).isoformat()
    return date.fromisocalendar(int(period[:4]), int(period[6:]), 1).isoformat()


def month_weeks(month: str) -> list[str]:
    """The ISO week keys a month key is made of (4 or 5, in order)."""
    start = date.fromisoformat(period_start(month, "month"))
    end = next_start(start, "month")
    return [period_of((start - _EPOCH).days + 7 * i, "week")[0] for i in range((end - start).days // 7)]


def periods_between(first: date, last: date, interval: str) -> list[str]:
    """Every period key from the one holding day ``first`` to the one holding day ``last``,
    in order, none skipped (empty when ``first`` is after ``last``).

    Raises:
        InvalidInput: ``interval`` is neither ``week`` nor ``month``.
    """
    out: list[str] = []
    key, start = period_of((first - _EPOCH).days, interval)
    while start <= last:
        out.append(key)
        start = next_start(start, interval)
        key = period_of((start - _EPOCH).days, interval)[0]
    return out


def shown_periods(held: list[str], interval: str, start: date | None, end: date | None, today: date) -> list[str]:
    """The periods a time series shows: every one, none skipped, from the first of
    ``held`` (the sorted periods with a count) to the last or ``today``'s, whichever is
    later, cut to those overlapping ``start``..``end`` (inclusive days; None: no limit).
    Empty when nothing is held."""
    if not held:
        return []
    first = date.fromisoformat(period_start(held[0], interval))
    last = max(date.fromisoformat(period_start(held[-1], interval)), today)
    return periods_between(max(first, start or first), min(last, end or last), interval)


def month_lines(dim: str, groups: list[Any], months: Iterable[str]) -> list[Line]:
    """Suppression lines joining each month to its weeks: the cell ``(dim, "month", m, g)``
    is the sum of the cells ``(dim, "week", w, g)`` of its weeks (``month_weeks``), for
    each month ``m`` and group ``g``."""
    out = []
    for m in months:
        weeks = month_weeks(m)
        out += [Line((dim, "month", m, g), tuple((dim, "week", w, g) for w in weeks)) for g in groups]
    return out


def parse_day(value: str | None, fld: str) -> date | None:
    """A ``YYYY-MM-DD`` query value as a date (None stays None).

    Raises:
        InvalidInput: not a date (naming ``fld``).
    """
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC).date()
    except ValueError as exc:
        raise InvalidInput(f"'{value}' is not a date like 2025-01-31", field=fld) from exc


def parse_days(start: str | None, end: str | None) -> tuple[date | None, date | None]:
    """The ``from`` and ``to`` query values as dates (``parse_day``; None stays None).

    Raises:
        InvalidInput: one that is not a date (naming ``from`` or ``to``), or ``from``
            after ``to`` (naming ``from``).
        InvalidInputs: both not dates, each named.
    """
    days: list[date | None] = []
    problems: list[InvalidInput] = []
    for value, fld in ((start, "from"), (end, "to")):
        try:
            days.append(parse_day(value, fld))
        except InvalidInput as exc:
            days.append(None)
            problems.append(exc)
    first, last = days
    if first is not None and last is not None and first > last:
        problems.append(InvalidInput("from is after to", field="from"))
    refuse(problems)
    return first, last
