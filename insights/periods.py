"""The calendar of the ``issued`` insight: day numbers (days since 1970-01-01 UTC)
grouped into ISO weeks (``2025-W02``, starting Monday) or months (``2025-01``),
and the request's ``from``/``to`` days."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from colearn.errors import InvalidInput, refuse
from colearn.insights.privacy import Line

__all__ = ["INTERVALS", "exact_month_lines", "next_start", "parse_day", "parse_days", "period_of", "period_start", "periods_between",
           "shown_periods"]

INTERVALS: tuple[str, ...] = ("week", "month")


def period_of(day: int, interval: str) -> tuple[str, date]:
    """The period (key, first day) of a day number (days since 1970-01-01 UTC).

    Weeks are ISO weeks (``2025-W02``, starting Monday); months ``2025-01``.

    Raises:
        InvalidInput: ``interval`` is neither ``week`` nor ``month``.
    """
    d = date(1970, 1, 1) + timedelta(days=day)
    if interval == "week":
        year, week, weekday = d.isocalendar()
        return f"{year}-W{week:02d}", d - timedelta(days=weekday - 1)
    if interval == "month":
        return f"{d.year}-{d.month:02d}", d.replace(day=1)
    raise InvalidInput(f"unknown interval '{interval}'; expected week or month", field="interval")


def next_start(start: date, interval: str) -> date:
    """The first day of the period after the one starting on ``start``."""
    if interval == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def period_start(period: str, interval: str) -> str:
    """A period key's first day, ``YYYY-MM-DD``."""
    if interval == "month":
        return f"{period}-01"
    return date.fromisocalendar(int(period[:4]), int(period[6:]), 1).isoformat()


def periods_between(first: date, last: date, interval: str) -> list[str]:
    """Every period key from the one holding day ``first`` to the one holding day ``last``,
    in order, none skipped (empty when ``first`` is after ``last``).

    Raises:
        InvalidInput: ``interval`` is neither ``week`` nor ``month``.
    """
    out: list[str] = []
    key, start = period_of((first - date(1970, 1, 1)).days, interval)
    while start <= last:
        out.append(key)
        start = next_start(start, interval)
        key = period_of((start - date(1970, 1, 1)).days, interval)[0]
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


def exact_month_lines(dim: str, groups: list[Any], months: Iterable[str]) -> list[Line]:
    """Suppression lines for the months made of whole ISO weeks (a 28-day February
    starting on Monday): such a month's cell ``(dim, "month", m, g)`` is the sum of
    its weeks' cells, for each group ``g``."""
    out = []
    for m in months:
        first = date(int(m[:4]), int(m[5:]), 1)
        days = (next_start(first, "month") - first).days
        if first.weekday() != 0 or days % 7:
            continue
        weeks = [period_of((first - date(1970, 1, 1)).days + 7 * i, "week")[0] for i in range(days // 7)]
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
