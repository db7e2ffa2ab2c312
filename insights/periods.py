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
from colearn.times import EARLIEST, LATEST

__all__ = ["INTERVALS", "MAX_PERIODS", "month_lines", "month_weeks", "next_start", "parse_day", "parse_days",
           "period_of", "period_start", "periods_between", "shown_periods"]

INTERVALS: tuple[str, ...] = ("week", "month")
#: The most periods one ``issued`` answer shows when ``from`` or ``to`` is given
#: (about ten years either way); a longer range is refused.
MAX_PERIODS: dict[str, int] = {"week": 520, "month": 120}

_EPOCH = date(1970, 1, 1)
#: The days ``from`` and ``to`` may name: those a stored time may lie on (``colearn.times``).
_FIRST_DAY, _LAST_DAY = EARLIEST.date(), LATEST.date()


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


def _count(first: date, last: date, interval: str) -> int:
    """How many periods ``periods_between(first, last, interval)`` would list."""
    a, b = period_of((first - _EPOCH).days, interval), period_of((last - _EPOCH).days, interval)
    if interval == "week":
        return (b[1] - a[1]).days // 7 + 1
    return (int(b[0][:4]) - int(a[0][:4])) * 12 + int(b[0][5:]) - int(a[0][5:]) + 1


def shown_periods(held: list[str], interval: str, start: date | None, end: date | None, today: date) -> list[str]:
    """The periods a time series shows, in order, none skipped: every one overlapping
    ``start``..``end`` (inclusive days). Without ``start``, from the first of ``held``
    (the sorted periods with a count; nothing when none is held); without ``end``, to
    the last of ``held`` or ``today``'s, whichever is later.

    Raises:
        InvalidInput: ``start`` or ``end`` is given and the range holds more than
            ``MAX_PERIODS[interval]`` periods (naming ``from``, or ``to`` when only it is given).
    """
    if start is None and not held:
        return []
    first = start or date.fromisoformat(period_start(held[0], interval))
    last = end or max(date.fromisoformat(period_start(held[-1], interval)) if held else today, today)
    most = MAX_PERIODS[interval]
    if (start or end) and first <= last and (n := _count(first, last, interval)) > most:
        raise InvalidInput(f"{first} to {last} spans {n} {interval}s; at most {most} {interval}s are shown "
                           "at once: ask for a shorter range", field="from" if start else "to")
    return periods_between(first, last, interval)


def month_lines(dim: str, groups: list[Any], months: Iterable[str]) -> list[Line]:
    """Suppression lines joining each month to its weeks: the cell ``(dim, "month", m, g)``
    is the sum of the cells ``(dim, "week", w, g)`` of its weeks (``month_weeks``), for
    each month ``m`` and group ``g``."""
    out = []
    for m in months:
        weeks = month_weeks(m)
        out += [Line((dim, "month", m, g), tuple((dim, "week", w, g) for w in weeks)) for g in groups]
    return out


def parse_day(value: str | None, fld: str, *, bounded: bool = False) -> date | None:
    """A ``YYYY-MM-DD`` query value as a date (None stays None).

    Args:
        bounded: refuse a day before 1970-01-01 or after 2999-12-31 (the days a stored
            time lies on, ``colearn.times``).

    Raises:
        InvalidInput: not a date, or (``bounded``) a day out of that range (naming ``fld``).
    """
    if value is None:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC).date()
    except ValueError as exc:
        raise InvalidInput(f"'{value}' is not a date like 2025-01-31", field=fld) from exc
    if bounded and not _FIRST_DAY <= day <= _LAST_DAY:
        raise InvalidInput(f"'{value}' is not between {_FIRST_DAY} and {_LAST_DAY}", field=fld)
    return day


def parse_days(start: str | None, end: str | None, *, bounded: bool = False) -> tuple[date | None, date | None]:
    """The ``from`` and ``to`` query values as dates (``parse_day``, with ``bounded``;
    None stays None).

    Raises:
        InvalidInput: one that is not a date or (``bounded``) out of range (naming
            ``from`` or ``to``), or ``from`` after ``to`` (naming ``from``).
        InvalidInputs: both bad, each named.
    """
    days: list[date | None] = []
    problems: list[InvalidInput] = []
    for value, fld in ((start, "from"), (end, "to")):
        try:
            days.append(parse_day(value, fld, bounded=bounded))
        except InvalidInput as exc:
            days.append(None)
            problems.append(exc)
    first, last = days
    if first is not None and last is not None and first > last:
        problems.append(InvalidInput("from is after to", field="from"))
    refuse(problems)
    return first, last
