"""The field types shared by the catalogue's records: ids, references, names, URLs, sessions.

Each is a pydantic ``Annotated`` type, so a record states its rule by its type
(``id: Slug``) and the reader, the API and the generator all apply the same one.
Dates and times become epoch seconds UTC by ``epoch`` (a date is its midnight
UTC; as an end, the next midnight, so that the day is included).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, overload

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from colearn import times

__all__ = ["Email", "Name", "Record", "Ref", "RefList", "Session", "Slug", "Url", "epoch"]

_SLUG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")


def _slug(value: str) -> str:
    if not value or not value[0].isalnum() or not set(value) <= _SLUG_CHARS:
        raise ValueError(
            f"'{value}' is not a slug: use lower-case letters, digits, '-' and '_', "
            "starting with a letter or digit (e.g. 'youth-forum')"
        )
    return value


def _unique_list(value: list[str]) -> list[str]:
    seen: set[str] = set()
    for v in value:
        if v in seen:
            raise ValueError(f"'{v}' is listed twice")
        seen.add(v)
    return value


#: An id: a lower-case slug (no dots: step ids are ``<pathway>.step-<n>``).
Slug = Annotated[str, Field(max_length=120), AfterValidator(_slug)]
#: A reference to another node's id (it may come from another reader, so any non-empty text).
Ref = Annotated[str, Field(min_length=1)]
RefList = Annotated[list[Ref], AfterValidator(_unique_list)]
Name = Annotated[str, Field(min_length=1)]
URL_PATTERN = r"^https?://[^\s/?#]+\S*$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
Url = Annotated[str, Field(pattern=URL_PATTERN)]
Email = Annotated[str, Field(pattern=EMAIL_PATTERN)]
#: What a value that does not match one of these patterns is told (pydantic quotes the pattern).
PATTERN_MESSAGES = {URL_PATTERN: "must be an http:// or https:// URL, without spaces",
                    EMAIL_PATTERN: "must be an email address (name@example.org)"}


class Record(BaseModel):
    """The base of every catalogue record: unknown fields refused, text stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _moment(value: Any, part: str) -> datetime:
    """A session's ``start`` or ``end``: an ISO 8601 date-time with a time zone, in range."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"a session's {part} is not an ISO 8601 date-time: {exc}") from exc
    if not isinstance(value, datetime):
        raise ValueError(f"a session's {part} is an ISO 8601 date-time, got {value!r}")
    if value.tzinfo is None:
        raise ValueError(f"a session's {part} needs a time zone (e.g. 2026-10-07T17:00:00Z or +01:00): "
                         f"'{value.isoformat()}'")
    return times.in_range(value)


def _interval(value: Any) -> Any:
    """A session, given as an ISO 8601 time interval ``START/END`` or as the object
    ``{"start", "end"}`` the API answers, as a ``(start, end)`` pair of aware
    datetimes (a pair is checked the same way). A time without a zone is refused."""
    shape = "a session is an ISO 8601 interval 'START/END' or {\"start\": ..., \"end\": ...}"
    if isinstance(value, str):
        parts = value.split("/")
        if len(parts) != 2:
            raise ValueError(f"{shape}, got {value!r}")
        value = parts
    elif isinstance(value, dict):
        if set(value) != {"start", "end"}:
            raise ValueError(f"{shape}, got the fields {', '.join(map(str, value)) or 'none'}")
        value = (value["start"], value["end"])
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        raise ValueError(f"{shape}, got {value!r}")
    start, end = _moment(value[0], "start"), _moment(value[1], "end")
    if end < start:
        raise ValueError(f"a session ends before it starts: {start.isoformat()}/{end.isoformat()}")
    return (start, end)


_DATE_TIME_Z = {"type": "string", "format": "date-time"}
Session = Annotated[tuple[datetime, datetime], BeforeValidator(_interval), WithJsonSchema({
    "anyOf": [{"type": "string", "pattern": "^[^/]+/[^/]+$",
               "description": "an ISO 8601 time interval START/END of two date-times with time zones"},
              {"type": "object", "properties": {"start": _DATE_TIME_Z, "end": _DATE_TIME_Z},
               "required": ["start", "end"], "additionalProperties": False,
               "description": "the form the API answers"}],
    "examples": ["2026-10-07T17:00:00Z/2026-10-07T18:30:00Z"]})]



@overload
def epoch(value: datetime | date, *, end: bool = False) -> int: ...
@overload
def epoch(value: None, *, end: bool = False) -> None: ...
def epoch(value: datetime | date | None, *, end: bool = False) -> int | None:
    """Epoch seconds UTC of a record's date or time (``None`` passes).

    A date is its midnight UTC (with ``end``, the next midnight: a date given as
    an end includes that day); a naive datetime is taken as UTC.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = _utc(value)
    else:
        moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
        if end:
            moment += timedelta(days=1)
    return int(moment.timestamp())


#: Field defaults that mean "nothing": what a null in a PATCH may clear a field to.
_EMPTY: tuple[Any, ...] = (None, "", [], (), {})


def merge_patch(model: type[BaseModel], current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``current`` with ``patch`` applied as a JSON merge patch (RFC 7396, section 2), for
    records of ``model``: a field given replaces the current one; a field given as null is
    cleared, i.e. goes back to its default when that default is empty (``""``, null, an
    empty list). A null for a field that every record needs, or whose default is a value
    (a pathway's ``status``), is kept, so that validation refuses it and names the field.
    Not validated here: the caller validates the result whole.
    """
    out = {**current, **patch}
    for name, value in patch.items():
        field = model.model_fields.get(name)
        if value is None and field is not None and not field.is_required():
            default = field.get_default(call_default_factory=True)
            if any(default == e and type(default) is type(e) for e in _EMPTY):
                out[name] = default
    return out
