"""The field types shared by the catalogue's records: ids, references, names, URLs, sessions.

Each is a pydantic ``Annotated`` type, so a record states its rule by its type
(``id: Slug``) and the reader, the API and the generator all apply the same one.
Dates and times become epoch seconds UTC by ``epoch`` (a date is its midnight
UTC; as an end, the next midnight, so that the day is included).
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, overload

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from colearn import times

__all__ = ["BREAKS_AND_CONTROLS", "DISGUISING", "Email", "email_problem", "line_break_or_control", "Name", "name_problem", "Record", "Ref", "RefList", "Session", "Slug", "Url", "epoch"]

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

#: The Unicode categories of line breaks and control characters: Cc (newline, tab,
#: ESC, DEL...), Zl and Zp (U+2028, U+2029).
BREAKS_AND_CONTROLS = frozenset({"Cc", "Zl", "Zp"})

#: Invisible format characters (category Cf) that make a name show as other text: the bidi
#: embeddings, overrides and isolates of "Trojan Source" (CVE-2021-42574: U+202A..U+202E,
#: U+2066..U+2069; "Safe badge \u202egnp.exe" shows as "Safe badge exe.png", and an unclosed
#: one reverses the rest of a mail's line), and the zero width spaces U+200B and U+FEFF (two
#: names that look the same, one with a hidden space). Not among them: U+200C ZWNJ and
#: U+200D ZWJ (Persian, Arabic and Indic script and emoji sequences such as 🧑‍💻 need them),
#: nor the bidi marks U+200E, U+200F and U+061C, which set the direction of the neutral
#: characters next to them only (reordering no run of letters), and which mixed right-to-left
#: and left-to-right names need to show right.
DISGUISING = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\ufeff")


def line_break_or_control(value: str) -> str | None:
    """The first line break or control character of ``value`` (Unicode categories Cc,
    Zl and Zp: newline, tab, ESC, DEL, U+2028...) as its code point (``U+000A``), or
    None when it has none."""
    for c in value:
        if unicodedata.category(c) in BREAKS_AND_CONTROLS:
            return f"U+{ord(c):04X}"
    return None


def name_problem(value: str) -> str | None:
    """Why ``value`` is no name or title, or None when it is one: the rule of ``Name``, for every
    place a name comes in (API bodies, catalogue files and their imports). A line break or
    control character (``line_break_or_control``) is refused first, then the first
    ``DISGUISING`` character, named with its code point and Unicode name ("contains U+202E
    RIGHT-TO-LEFT OVERRIDE, which can disguise text ...")."""
    found = line_break_or_control(value)
    if found is not None:
        return (f"a name or title is one line of text: it may not hold a line break or control "
                f"character ({found})")
    for c in value:
        if c in DISGUISING:
            return (f"contains U+{ord(c):04X} {unicodedata.name(c)}, which can disguise text: a name or title may "
                    "not hold bidi embedding, override or isolate controls (U+202A to U+202E, U+2066 to "
                    "U+2069) nor zero width spaces (U+200B, U+FEFF)")
    return None


def _one_line(value: str) -> str:
    problem = name_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


#: A name or title (of a badge, opportunity, pathway, step, organisation, theme, place...):
#: one line, without line breaks, control characters or ``DISGUISING`` characters (they end
#: up in mail subjects and page titles), not empty (``name_problem``).
Name = Annotated[str, Field(min_length=1), AfterValidator(_one_line)]
URL_PATTERN = r"^https?://[^\s/?#]+\S*$"
Url = Annotated[str, Field(pattern=URL_PATTERN)]
#: What a value that does not match one of these patterns is told (pydantic quotes the pattern).
PATTERN_MESSAGES = {URL_PATTERN: "must be an http:// or https:// URL, without spaces"}

#: Characters never in an address accepted here: list separators, the brackets of a
#: display name, quotes and the specials of RFC 5322 ``(`` ``)`` ``[`` ``]`` ``\\`` ``:``.
_NOT_IN_EMAIL = frozenset(',;<>()[]\\:"')


def email_problem(value: str) -> str | None:
    """Why ``value`` is not exactly one email address, or None when it is one.

    The rule of every email field here (sign-in, award recipients, organisation
    contacts; the mailer checks it again): one ``@``; a local part of 1 to 64
    characters, not starting or ending with ``.`` nor holding ``..``; a domain of at
    least two labels separated by dots, each 1 to 63 letters, digits or ``-`` (not at
    either end), the last not all digits; at most 254 characters; no whitespace, no
    control characters, and none of ``, ; < > ( ) [ ] \\ : "`` (so never a list of
    addresses nor a display name). Letters beyond ASCII are allowed (RFC 6531/IDNA).
    """
    if not value:
        return "an email address is empty"
    if len(value) > 254:
        return "an email address has at most 254 characters"
    if any(c.isspace() or not c.isprintable() for c in value):
        return f"{value!r} is not an email address: it holds whitespace or a control character"
    if any(c in _NOT_IN_EMAIL for c in value):
        return f"'{value}' is not one email address: give one, without , ; < > ( ) [ ] \\ : or quotes"
    local, at, domain = value.rpartition("@")
    if not at or not local or "@" in local:
        return f"'{value}' is not an email address: it needs exactly one @ (name@example.org)"
    if len(local) > 64 or local.startswith(".") or local.endswith(".") or ".." in local:
        return f"'{value}' is not an email address: the part before @ is not valid"
    labels = domain.split(".")
    if len(labels) < 2 or len(domain) > 253 or labels[-1].isdigit() or not all(
            0 < len(label) <= 63 and not label.startswith("-") and not label.endswith("-")
            and all(c.isalnum() or c == "-" for c in label) for label in labels):
        return f"'{value}' is not an email address: '{domain}' is not a domain such as example.org"
    return None


def _email(value: str) -> str:
    problem = email_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


#: One email address (``email_problem``); surrounding spaces are stripped first.
Email = Annotated[str, BeforeValidator(lambda v: v.strip(" ") if isinstance(v, str) else v), Field(max_length=254),
                  AfterValidator(_email), WithJsonSchema({"type": "string", "format": "email", "maxLength": 254})]


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
    an end includes that day, except the last day of ``times``' range, 2999-12-31,
    whose end is ``times.LATEST_S``, its last second: every stored time lies in
    ``[EARLIEST, LATEST]``, so the end read back is one every write accepts again);
    a naive datetime is taken as UTC.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = _utc(value)
    else:
        moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
        if end:
            return min(int((moment + timedelta(days=1)).timestamp()), times.LATEST_S)
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
