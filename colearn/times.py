"""Times and durations: the bounds every stored time keeps, and safe conversions.

Times are stored as integer epoch seconds UTC (FalkorDB has no ``datetime()``).
Every time that is written lies in ``[EARLIEST, LATEST]`` (1970-01-01 to the
end of 2999, UTC), and every duration in days in ``[1, MAX_DURATION_DAYS]``
(100 years), so a derived time (an award issued at ``LATEST`` that expires 100
years later) still lies far inside Python's ``datetime`` range (years 1 to 9999)
and every reader can turn it back into a ``datetime`` and into ISO 8601.

Writers check with ``epoch_s`` / ``check_epoch`` / ``check_days`` (raising
``InvalidInput`` naming the field) or with the pydantic types ``BoundedTime``,
``BoundedDateOrTime`` and ``DurationDays`` (every time a request body or an ingested
record carries is one of these); readers convert with ``from_epoch`` and ``iso_z``, which
never raise on a stored integer (a value written before these bounds existed is
clamped to the nearest representable time rather than failing the whole page).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field

from colearn.errors import InvalidInput

#: The earliest time stored (the Unix epoch).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
#: The latest time stored.
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)
EARLIEST_S = 0
LATEST_S = int(LATEST.timestamp())
#: The longest duration in days (a badge's ``expires_after_days``): 100 years.
MAX_DURATION_DAYS = 36_525

_MIN_S = int(datetime(1, 1, 1, tzinfo=UTC).timestamp())
_MAX_S = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())


def _range_text() -> str:
    return f"between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)"


def in_range(when: datetime | date) -> datetime:
    """``when`` as an aware UTC ``datetime`` if it lies in ``[EARLIEST, LATEST]``.

    A ``date`` is its midnight UTC; a naive ``datetime`` is taken as UTC.

    Raises:
        ValueError: outside the range (also for times whose UTC equivalent is
            outside Python's range, such as year 1 at +14:00).
    """
    if not isinstance(when, datetime):
        when = datetime(when.year, when.month, when.day, tzinfo=UTC)
    elif when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        ok = EARLIEST <= when <= LATEST
    except OverflowError:
        ok = False
    if not ok:
        raise ValueError(f"'{when.isoformat()}' is out of range: a time must lie {_range_text()}")
    return when.astimezone(UTC)


def epoch_s(when: datetime | date | int | None, *, field: str) -> int | None:
    """Epoch seconds of a time in range (ints are range-checked; None passes).

    Args:
        when: an aware ``datetime``, a ``date`` (midnight UTC), epoch seconds, or None.
        field: the field named in the error.

    Raises:
        InvalidInput: a naive ``datetime``, or a time outside ``[EARLIEST, LATEST]``.
    """
    if when is None:
        return None
    if isinstance(when, bool):
        raise InvalidInput("a time is not a boolean", field=field)
    if isinstance(when, int):
        return check_epoch(when, field=field)
    if isinstance(when, datetime) and when.tzinfo is None:
        raise InvalidInput("a time needs a time zone (e.g. 2026-05-01T10:00:00Z)", field=field)
    try:
        return int(in_range(when).timestamp())
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from exc


def stored_expiry(when: datetime) -> datetime:
    """An expiry as stored: ``when`` (aware), or ``LATEST`` when it lies after it.

    A presented document often says "never expires" with a far date such as
    9999-12-31T23:59:59Z; stored as ``LATEST`` (the end of 2999), which is never
    reached, it keeps its meaning. Only an expiry is clamped: an issue date
    outside ``[EARLIEST, LATEST]`` breaks ``openbadges.rules.date_problem``.
    """
    try:
        return LATEST if when > LATEST else when
    except OverflowError:  # beyond Python's range once in UTC: later still
        return LATEST


def check_epoch(value: int, *, field: str) -> int:
    """``value`` (epoch seconds) if it lies in ``[EARLIEST_S, LATEST_S]``.

    Raises:
        InvalidInput: outside the range.
    """
    if not EARLIEST_S <= value <= LATEST_S:
        raise InvalidInput(f"{value} (epoch seconds) is out of range: a time must lie {_range_text()}", field=field)
    return value


def check_days(value: int | None, *, field: str) -> int | None:
    """A duration in whole days, 1 to ``MAX_DURATION_DAYS`` (None passes).

    Raises:
        InvalidInput: not an integer, or out of range.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DURATION_DAYS:
        raise InvalidInput(f"a duration is 1 to {MAX_DURATION_DAYS} days (100 years), not {value!r}", field=field)
    return value


def from_epoch(value: int | float | None) -> datetime | None:
    """A stored epoch-seconds value as an aware UTC ``datetime``; never raises on a number.

    Values outside Python's ``datetime`` range (only possible for data written
    before the bounds above) are clamped to its first or last second.
    """
    if value is None:
        return None
    if value != value:  # NaN
        value = 0
    seconds = int(min(max(value, _MIN_S), _MAX_S))
    return datetime.fromtimestamp(seconds, UTC)


def iso_z(value: int | float) -> str:
    """Epoch seconds as fixed-format ISO 8601 UTC with ``Z`` (``YYYY-MM-DDTHH:MM:SSZ``,
    the year always four digits); clamped like ``from_epoch``."""
    when = from_epoch(value)
    assert when is not None
    return f"{when.year:04d}-{when:%m-%dT%H:%M:%S}Z"


def _unchanged_in_range(when: datetime | date) -> datetime | date:
    in_range(when)
    return when


_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def date_only(value: object) -> object:
    """Text that is a calendar date alone (``2027-06-30``, spaces around allowed) as a
    ``date``; anything else unchanged.

    Pydantic reads such text as a ``datetime`` at midnight when a field takes
    ``datetime | date`` (as a JSON body or a CSV cell gives it), while YAML gives a
    ``date``: the same end would then lose its day in one source and keep it in the
    other. Read first, text means what a YAML date means.

    Raises:
        ValueError: it looks like a date but is not one (``2027-02-30``).
    """
    if isinstance(value, str) and _DATE_ONLY.fullmatch(value.strip()):
        return date.fromisoformat(value.strip())
    return value


#: A pydantic ``datetime`` or ``date`` (midnight UTC) in ``[EARLIEST, LATEST]`` (kept as given).
#: Text that is a date alone is a ``date`` (``date_only``), from every source.
BoundedDateOrTime = Annotated[datetime | date, BeforeValidator(date_only), AfterValidator(_unchanged_in_range)]

#: A pydantic ``datetime`` with a time zone in ``[EARLIEST, LATEST]`` (kept as given).
BoundedTime = Annotated[AwareDatetime, AfterValidator(_unchanged_in_range)]


def _not_a_boolean(value: object) -> object:
    # pydantic reads true as 1 for an int: a duration is a number, never a yes/no
    if isinstance(value, bool):
        raise ValueError("a duration in days is a number, not true or false")
    return value


#: A pydantic duration in days, 1 to ``MAX_DURATION_DAYS`` (a whole number, also as
#: text from a CSV file; ``true``/``false`` are refused).
DurationDays = Annotated[int, BeforeValidator(_not_a_boolean), Field(ge=1, le=MAX_DURATION_DAYS, strict=False)]
