"""A Stack Exchange data dump's ``Badges.xml``, read and validated row by row (no graph).

One ``<row .../>`` per award with the attributes ``Id, UserId, Name, Date,
Class, TagBased`` (``Class``: 1 gold, 2 silver, 3 bronze; ``Date``: UTC
without a zone, e.g. ``2012-01-31T20:57:26.347``). ``read_badges_xml`` gives
one ``SEAward`` per row; where each badge goes on the spine is the mapping's
job (``stackexchange_mapping``), writing it the reader's (``stackexchange``).
The file may be compressed (``Badges.xml.gz``) or the ``Badges.xml`` member of the site's
archive (``beer.stackexchange.com.7z``): ``stackexchange_archives.open_dump`` reads it.
``badges_file`` finds it in a site's folder, ``site_key`` turns a folder name into a site key
and ``archive_site`` an archive's name.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from xml.parsers import expat

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from colearn.errors import InvalidInput
from colearn.ingest.common import validate
from colearn.ingest.stackexchange_archives import (ARCHIVE_SUFFIXES, DUMP_NAMES, archive_suffix, dump_archives, open_dump,
                                                   skipped_archives)

__all__ = ["ARCHIVE_SUFFIXES", "DUMP_NAMES", "DUMP_WORDS", "FIRST_YEAR", "HOST_SUFFIXES", "KEEP_ONE", "TIERS", "UNKNOWN_TIER", "SEAward", "SERow",
           "archive_site", "archive_suffix", "badges_file", "checked_site", "dump_archives", "find_dump", "looks_like_tag",
           "read_badges_xml", "site_key", "skipped_archives", "tier_of"]

#: Stack Exchange ``Class`` -> tier name.
TIERS: dict[int, Literal["gold", "silver", "bronze"]] = {1: "gold", 2: "silver", 3: "bronze"}

_SITE = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")

#: The earliest plausible award year (Stack Exchange began in 2008); the latest is next year.
FIRST_YEAR = 2008

#: An ISO 8601 date-time as the dumps write it: ``T`` (or a space) between date and time,
#: seconds and a fraction optional, then optionally ``Z`` or ``+hh:mm``/``-hh:mm``; or a date alone.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?)?",
                   re.ASCII)
_INT = re.compile(r"[+-]?\d+", re.ASCII)
#: Ids are written to the graph as 64-bit integers.
_INT64 = 2**63


def _whole_number(value: Any) -> Any:
    """An attribute written as digits only (``"1.0"`` or ``"1e3"`` is refused, not read as 1)."""
    if isinstance(value, str):
        if not _INT.fullmatch(value.strip()):
            raise ValueError(f"should be a whole number written in digits, got {value!r}")
        return int(value)
    return value


def _date_time(value: Any) -> datetime:
    """An ISO 8601 date-time (a naive one is UTC) in ``FIRST_YEAR``..next year, as aware UTC."""
    if not isinstance(value, str):
        raise ValueError(f"should be an ISO 8601 date-time string, got {value!r}")
    value = value.strip()
    if not _DATE.fullmatch(value):
        raise ValueError(f"should be an ISO 8601 date-time like 2012-01-31T20:57:26.347 (optionally with Z "
                         f"or +hh:mm), got {value!r}")
    last = datetime.now(UTC).year + 1
    if not FIRST_YEAR <= int(value[:4]) <= last:
        raise ValueError(f"year {value[:4]} is outside {FIRST_YEAR}-{last} (Stack Exchange began in "
                         f"{FIRST_YEAR}), got {value!r}")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:  # the shape is right but e.g. February 30th or hour 25
        raise ValueError(f"{exc}, got {value!r}") from exc
    # the written year is checked first, so that this cannot overflow at the calendar's ends
    when = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    if not FIRST_YEAR <= when.year <= last:
        raise ValueError(f"year {when.year} in UTC is outside {FIRST_YEAR}-{last}, got {value!r}")
    return when


def _true_false(value: Any) -> bool:
    """``True``/``False`` in any case (surrounding spaces ignored) as a bool."""
    text = value.strip().lower() if isinstance(value, str) else None
    if text not in ("true", "false"):
        raise ValueError(f"should be True or False (any case), got {value!r}")
    return text == "true"


_Int = Annotated[int, BeforeValidator(_whole_number)]


class SERow(BaseModel):
    """One ``<row>`` of ``Badges.xml``, attributes as they appear in the dump (text stripped).

    ``Id``, ``UserId`` and ``Class`` are digits only; ``Date`` an ISO 8601
    date-time in ``FIRST_YEAR``..next year (naive: UTC), read as aware UTC;
    ``TagBased`` ``True`` or ``False`` in any case, read as a bool.
    """

    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    Id: _Int = Field(gt=0, lt=_INT64)
    UserId: _Int = Field(gt=-_INT64, lt=_INT64)
    Name: str = Field(min_length=1)
    Date: Annotated[datetime, BeforeValidator(_date_time)]
    Class: _Int | None = Field(default=None, ge=1, le=3)
    TagBased: Annotated[bool, BeforeValidator(_true_false)] | None = None


@dataclass(frozen=True, slots=True)
class SEAward:
    """One validated award from ``Badges.xml``.

    Attributes:
        row_id: the dump's ``Id`` (unique per site).
        user_id: the dump's ``UserId``.
        learner_id: ``se-<site>-<UserId>``.
        name: the badge name (a tag name for tag badges).
        badge_class: 1 gold, 2 silver, 3 bronze; ``None`` when the dump has no
            ``Class`` (older dumps) and it could not be inferred.
        tag_based: True for a tag badge (from ``TagBased``, or inferred from the name
            when the row has none: see ``read_badges_xml``).
        awarded_on: when it was awarded, timezone-aware UTC.
        line: the line of the file its ``<row>`` starts on.
    """

    row_id: int
    user_id: int
    learner_id: str
    name: str
    badge_class: int | None
    tag_based: bool
    awarded_on: datetime
    line: int

    @property
    def record(self) -> str:
        """Where the row is, as errors name it: ``row Id <Id> (line <n>)``."""
        return f"row Id {self.row_id} (line {self.line})"

    @property
    def tier(self) -> str:
        """``gold``, ``silver``, ``bronze``, or ``unknown`` (no ``Class``)."""
        return tier_of(self.badge_class)


def tier_of(badge_class: int | None) -> str:
    """``TIERS[badge_class]``, or ``unknown`` for ``None``."""
    return TIERS[badge_class] if badge_class is not None else UNKNOWN_TIER


#: The tier of a badge whose dump gives no ``Class``.
UNKNOWN_TIER = "unknown"

#: A Stack Exchange tag name: lower-case letters, digits and ``-.#+`` (tags are
#: stored lower-case; every general badge name starts with a capital letter).
_TAG_NAME = re.compile(r"^[a-z0-9][a-z0-9.#+\-]*$")


def looks_like_tag(name: str) -> bool:
    """True for a name only a tag can have (no upper-case letter, tag characters only)."""
    return bool(_TAG_NAME.match(name))


def _infer_old_format(awards: list[SEAward], known_names: set[str], tag_unknown: set[int]) -> list[SEAward]:
    """Fill what a dump without ``TagBased`` or ``Class`` leaves out: whether a row is a tag
    badge (rows whose ``row_id`` is in ``tag_unknown``) and a tag badge's class (rows without
    ``Class``), each attribute on its own (a dump may have one and not the other).

    Older dumps give a tag badge as the plain tag name, the same name for its
    bronze, silver and gold award. A name that is not a known general badge
    (``known_names``) and ``looks_like_tag`` is taken as a tag badge; a user's
    first, second and third award of a tag badge without a ``Class``, in (``Date``, ``Id``)
    order (``awards``' order), are its bronze, silver and gold (the order Stack Exchange
    awards them in; a fourth is counted gold). Other rows keep ``badge_class`` ``None``.
    """
    seen: Counter[tuple[int, str]] = Counter()
    out = []
    for a in awards:
        tag = a.tag_based if a.row_id not in tag_unknown else a.name not in known_names and looks_like_tag(a.name)
        cls = a.badge_class
        if tag and cls is None:
            seen[(a.user_id, a.name)] += 1
            cls = max(1, 4 - seen[(a.user_id, a.name)])
        out.append(a if (tag, cls) == (a.tag_based, a.badge_class) else replace(a, badge_class=cls, tag_based=tag))
    return out


def checked_site(site: str | None) -> str:
    """``site`` as a site key (``site_key``: ``AI`` and ``ai.stackexchange.com`` are ``ai``).

    Raises:
        InvalidInput: ``site`` gives no site key (field ``site``).
    """
    key = site_key(site or "")
    if key is None:
        raise InvalidInput(f"'{site}' is not a Stack Exchange site key (lower-case letters, digits, '.', '-', "
                           "e.g. ai or bicycles.meta)", field="site")
    return key


#: Endings of a site's host name, as the dump's archives are named (``ai.stackexchange.com.7z``).
HOST_SUFFIXES = (".stackexchange.com", ".com")


def site_key(name: str) -> str | None:
    """The site key a folder is named for, or None when the name gives none.

    Lower-cased, with a trailing ``.stackexchange.com`` (or ``.com``) dropped, as
    the dump's archives are named: ``ai.stackexchange.com`` -> ``ai``,
    ``bicycles.meta.stackexchange.com`` -> ``bicycles.meta``, ``Cardano`` ->
    ``cardano``; ``my dumps`` -> None.
    """
    key = name.strip().lower()
    for suffix in HOST_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            key = key[: -len(suffix)]
            break
    return key if _SITE.match(key) else None


def archive_site(name: str) -> str | None:
    """The site key an archive's name gives: ``site_key`` of the name without its archive suffix
    (``archive_suffix``): ``beer.stackexchange.com.7z`` -> ``beer``, ``AI.tar.xz`` -> ``ai``;
    None for a name without one, or one that gives no key (``my dump.7z``)."""
    suffix = archive_suffix(name)
    return site_key(name[:-len(suffix)]) if suffix else None


def _dump_like(name: str) -> bool:
    """True for a file name that may hold a site's badges but is none of ``DUMP_NAMES`` in any
    letter case: another ``.xml`` or ``.xml.gz`` (``Posts.xml``, ``Badges (1).xml``), or one that
    starts with ``badges`` (``Badges.xml.bak``)."""
    low = name.lower()
    return not name.startswith(".") and (low.endswith((".xml", ".xml.gz")) or low.startswith("badges"))


#: Why the files of a folder holding more than one possible dump are not read (``find_dump``).
KEEP_ONE = "more than one file that could be the site's dump: keep one"
#: What a site's dump is, as refusals say it.
DUMP_WORDS = "Badges.xml, Badges.xml.gz, .bz2 or .xz in any letter case, or an archive holding Badges.xml"


def find_dump(folder: Path) -> tuple[Path | None, list[tuple[tuple[str, ...], str]]]:
    """A site folder's dump, or None and what in the folder looks like one but is not read.

    The dump is the one entry whose name is one of ``DUMP_NAMES`` in any letter case
    (``Badges.xml``, ``badges.xml``, ``BADGES.XML``, ``Badges.XML.gz``), when it is a file (an
    archive beside it is taken for its source and not read); without such an entry, the one
    archive a dump is read from (``dump_archives``: ``beer.stackexchange.com.7z``, ``ai.tar.xz``;
    what it holds is looked at only when it is read). Without a dump, what was passed over is
    ``[(file names, why)]``, ``why`` one of ``KEEP_ONE`` (two or more entries of a dump's name,
    or without one two or more such archives, all named in one item: ``Badges.xml`` beside
    ``Badges.xml.gz`` or ``badges.xml``, or beside a dangling link so named, ``ai.7z`` beside
    ``ai.zip``; none is read, as either could be the one meant), ``"cannot be read"`` (the one
    such entry is no file: a dangling link, a folder), ``"not named Badges.xml"`` (another ``.xml``
    or ``.xml.gz``, or a name starting with ``badges``) and ``"an archive"`` (one no reader opens:
    ``skipped_archives``), in that order; every other item names one file.

    Raises:
        OSError: ``folder`` cannot be listed.
    """
    entries = sorted(f for f in folder.iterdir() if not f.name.startswith("."))
    dumps = {n.lower() for n in DUMP_NAMES}
    named = [f for f in entries if f.name.lower() in dumps]
    archived = dump_archives(folder)
    if len(named) == 1 and named[0].is_file():
        return named[0], []
    if not named and len(archived) == 1:
        return folder / archived[0], []
    missed: list[tuple[tuple[str, ...], str]] = []
    if len(named) > 1:
        missed.append((tuple(f.name for f in named), KEEP_ONE))
    elif named:
        missed.append(((named[0].name,), "cannot be read"))
    elif archived:
        missed.append((tuple(archived), KEEP_ONE))
    archives = set(skipped_archives(folder))
    missed += [((f.name,), "not named Badges.xml") for f in entries if f.name.lower() not in dumps
               and f.name not in archives and f.name not in archived and _dump_like(f.name)]
    return None, missed + [((a,), "an archive") for a in sorted(archives)]


def _names(names: tuple[str, ...]) -> str:
    """File names as a list in words: ``a``, ``a and b``, ``a, b and c``."""
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


def badges_file(path: Path | str) -> Path:
    """The dump to read for ``path``: the file itself, or a folder's dump (``find_dump``: its
    ``Badges.xml``, plain or compressed, or else its one archive).

    Raises:
        InvalidInput: ``path`` is a folder holding more than one file that could be its dump
            (naming each: keep one), or none (naming the folder, any archives in it no reader
            opens and a dump's name it holds but cannot read).
        OSError: ``path`` is a folder that cannot be listed (``find_dump``).
    """
    p = Path(path)
    if not p.is_dir():
        return p
    dump, missed = find_dump(p)
    if dump is not None:
        return dump
    for names, why in missed:
        if why == KEEP_ONE:
            raise InvalidInput(f"the folder holds {len(names)} files that could each be the site's dump, "
                               f"{_names(names)} ({DUMP_WORDS}): keep one, move or delete the others", file=str(p))
    archives = [names[0] for names, why in missed if why == "an archive"]
    extra = f" (archives not opened: {', '.join(archives)}; extract Badges.xml from one)" if archives else ""
    extra += "".join(f" (found {names[0]}: {why})" for names, why in missed if why != "an archive")
    raise InvalidInput(f"the folder holds no Badges.xml, plain or compressed, and no archive of one{extra}",
                       file=str(p))


def _record(line: int, attrs: dict[str, str]) -> str:
    """A row's place in errors: ``row Id <Id> (line <n>)``, or ``line <n>`` without a readable ``Id``."""
    rid = attrs.get("Id", "").strip()
    return f"row Id {rid} (line {line})" if rid.isascii() and rid.isdigit() else f"line {line}"


#: expat errors met where the text ends inside an element or a token: a file cut short.
_CUT_SHORT = frozenset(expat.errors.codes[m] for m in (
    expat.errors.XML_ERROR_NO_ELEMENTS, expat.errors.XML_ERROR_UNCLOSED_TOKEN, expat.errors.XML_ERROR_PARTIAL_CHAR,
    expat.errors.XML_ERROR_UNCLOSED_CDATA_SECTION))


def read_badges_xml(path: Path | str, site: str, known_names: set[str] | None = None) -> list[SEAward]:
    """Parse and validate every row of a ``Badges.xml``, streaming.

    The file is read in chunks by the expat parser (the one under
    ``xml.etree``), which reports the line each ``<row>`` starts on, so a bad
    row is named by its line and ``Id``; rows are not kept as elements, only
    as awards. A compressed file (``Badges.xml.gz``) or an archive
    (``beer.stackexchange.com.7z``) is read as ``open_dump`` reads it; a folder
    stands for its dump (``badges_file``).

    Dumps differ: older ones (e.g. cs, onstartups) have no ``Class`` and no
    ``TagBased``; a row without ``TagBased`` is a tag badge or not by its name, and a
    tag badge's row without ``Class`` gets its class by award order (each attribute
    inferred on its own: ``_infer_old_format``); some newer dumps are not sorted by ``Id``. The
    awards are returned in (``Date``, ``Id``) order whatever the file order.
    Attribute text is stripped of surrounding whitespace.

    Args:
        path: the ``Badges.xml`` (or ``Badges.xml.gz``, or an archive holding it) file, or its folder.
        site: the site key, e.g. ``martialarts`` (the learner ids are
            ``se-<site>-<UserId>``), read by ``checked_site``.
        known_names: general badge names (the mapping's ``badges``), never
            taken for tags when inferring; default: the bundled mapping's.

    Returns:
        One ``SEAward`` per row, ordered by ``Date`` then ``Id``.

    Raises:
        InvalidInput: ``site`` is no site key; the file cannot be read, is refused by
            ``stackexchange_archives.open_dump`` (zstd, an archive without one ``Badges.xml``,
            a damaged archive or compression) or is not well-formed XML,
            its root is not ``<badges>``, a row breaks the row shape (a missing
            attribute, an ``Id``, ``UserId`` or ``Class`` not written as a whole
            number, ``Class`` not 1-3 when given, ``TagBased`` not ``True``/``False``
            in any case when given, an empty ``Name``, a ``Date`` that is not an
            ISO 8601 date-time in ``FIRST_YEAR``..next year), or two rows share
            an ``Id``. The error names the file, the row (``record``: its ``Id``
            and line, or the line alone) and the attribute (``field``).
    """
    site = checked_site(site)
    p = badges_file(path)
    awards: list[SEAward] = []
    first_line: dict[int, int] = {}
    tag_unknown: set[int] = set()  # rows without TagBased: whether each is a tag badge is inferred
    parser = expat.ParserCreate()
    state: dict[str, Any] = {"root": None}

    def start(tag: str, attrs: dict[str, str]) -> None:
        line = parser.CurrentLineNumber
        if state["root"] is None:
            state["root"] = tag
            if tag != "badges":
                raise InvalidInput(f"root element is <{tag}>, expected <badges>", file=str(p), record=f"line {line}")
            return
        if tag != "row":
            return
        row = validate(SERow, attrs, file=p, record=_record(line, attrs))
        if row.Id in first_line:
            raise InvalidInput(f"row Id {row.Id} already appears on line {first_line[row.Id]}",
                               file=str(p), record=_record(line, attrs), field="Id")
        first_line[row.Id] = line
        awards.append(SEAward(
            row_id=row.Id, user_id=row.UserId, learner_id=f"se-{site}-{row.UserId}",
            name=row.Name, badge_class=row.Class, tag_based=bool(row.TagBased), awarded_on=row.Date, line=line,
        ))
        if row.Class is None:
            state["old"] = True
        if row.TagBased is None:
            tag_unknown.add(row.Id)

    parser.StartElementHandler = start
    try:
        with open_dump(p) as fh:
            parser.ParseFile(fh)
    except expat.ExpatError as exc:
        # ``no element found`` also ends an empty file (its first line)
        ends = (" (the file ends there, before </badges>: cut short?)" if exc.code in _CUT_SHORT and state["root"]
                else " (the file is empty)" if exc.code in _CUT_SHORT and exc.lineno == 1 else "")
        raise InvalidInput(f"not well-formed XML: {expat.ErrorString(exc.code)} (column {exc.offset + 1}){ends}",
                           file=str(p), record=f"line {exc.lineno}") from exc
    except OSError as exc:  # XML as it is that cannot be read (open_dump names a broken compression or archive)
        raise InvalidInput(f"cannot read: {exc}", file=str(p)) from exc
    awards.sort(key=lambda a: (a.awarded_on, a.row_id))
    if state.get("old") or tag_unknown:
        if known_names is None:
            from colearn.ingest.stackexchange_mapping import load_mapping  # the mapping reads tiers from here

            known_names = set(load_mapping().badges)
        awards = _infer_old_format(awards, known_names, tag_unknown)
    return awards
