"""A Stack Exchange data dump's ``Badges.xml``, read and validated row by row (no graph).

One ``<row .../>`` per award with the attributes ``Id, UserId, Name, Date,
Class, TagBased`` (``Class``: 1 gold, 2 silver, 3 bronze; ``Date``: UTC
without a zone, e.g. ``2012-01-31T20:57:26.347``). ``read_badges_xml`` gives
one ``SEAward`` per row; where each badge goes on the spine is the mapping's
job (``stackexchange_mapping``), writing it the reader's (``stackexchange``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from xml.parsers import expat

from pydantic import BaseModel, ConfigDict, Field

from colearn.errors import InvalidInput
from colearn.ingest.common import validate

__all__ = ["TIERS", "UNKNOWN_TIER", "SEAward", "SERow", "looks_like_tag", "read_badges_xml", "tier_of"]

#: Stack Exchange ``Class`` -> tier name.
TIERS: dict[int, Literal["gold", "silver", "bronze"]] = {1: "gold", 2: "silver", 3: "bronze"}

_SITE = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")

class SERow(BaseModel):
    """One ``<row>`` of ``Badges.xml``, attributes as they appear in the dump."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    Id: int = Field(gt=0)
    UserId: int
    Name: str = Field(min_length=1)
    Date: datetime
    Class: int | None = Field(default=None, ge=1, le=3)
    TagBased: Literal["True", "False"] | None = None


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
        tag_based: True for a tag badge (from ``TagBased``, or inferred in an
            older dump: see ``read_badges_xml``).
        awarded_on: when it was awarded, timezone-aware UTC.
    """

    row_id: int
    user_id: int
    learner_id: str
    name: str
    badge_class: int | None
    tag_based: bool
    awarded_on: datetime

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


def _infer_old_format(awards: list[SEAward], known_names: set[str]) -> list[SEAward]:
    """Fill ``tag_based`` and ``badge_class`` for rows of a dump without ``Class``/``TagBased``.

    Older dumps give a tag badge as the plain tag name, the same name for its
    bronze, silver and gold award. A name that is not a known general badge
    (``known_names``) and ``looks_like_tag`` is taken as a tag badge; a user's
    first, second and third award of it, in (``Date``, ``Id``) order, are its
    bronze, silver and gold (the order Stack Exchange awards them in; a fourth
    is counted gold). Other rows keep ``badge_class`` ``None``.
    """
    seen: Counter[tuple[int, str]] = Counter()
    out = []
    for a in awards:
        if a.tag_based or a.badge_class is not None or a.name in known_names or not looks_like_tag(a.name):
            out.append(a)
            continue
        seen[(a.user_id, a.name)] += 1
        cls = max(1, 4 - seen[(a.user_id, a.name)])
        out.append(SEAward(row_id=a.row_id, user_id=a.user_id, learner_id=a.learner_id, name=a.name,
                           badge_class=cls, tag_based=True, awarded_on=a.awarded_on))
    return out


def _check_site(site: str) -> None:
    if not _SITE.match(site or ""):
        raise InvalidInput(
            f"site '{site}' is not a Stack Exchange site key (lower-case letters, digits, '.', '-'; "
            "e.g. 'martialarts')",
            field="site",
        )


def read_badges_xml(path: Path | str, site: str, known_names: set[str] | None = None) -> list[SEAward]:
    """Parse and validate every row of a ``Badges.xml``, streaming.

    The file is read in chunks by the expat parser (the one under
    ``xml.etree``), which reports the line each ``<row>`` starts on, so a bad
    row is named by its line; rows are not kept as elements, only as awards.

    Dumps differ: older ones (e.g. cs, onstartups) have no ``Class`` and no
    ``TagBased`` (a row without them gets ``badge_class`` ``None`` and
    ``tag_based`` False, then tag badges are inferred, see
    ``_infer_old_format``), and some newer ones are not sorted by ``Id``. The
    awards are returned in (``Date``, ``Id``) order whatever the file order.

    Args:
        path: the ``Badges.xml`` file.
        site: the site key, e.g. ``martialarts`` (the learner ids are
            ``se-<site>-<UserId>``).
        known_names: general badge names (the mapping's ``badges``), never
            taken for tags when inferring; default: the bundled mapping's.

    Returns:
        One ``SEAward`` per row, ordered by ``Date`` then ``Id``.

    Raises:
        InvalidInput: the file cannot be read or is not well-formed XML, its
            root is not ``<badges>``, a row breaks the row shape (a missing
            attribute, ``Class`` not 1-3 when given, ``TagBased`` not ``True``/``False`` when given,
            a bad ``Date``), or two rows share an ``Id``. The error names the
            file, the line (``record``) and the attribute (``field``).
    """
    _check_site(site)
    p = Path(path)
    awards: list[SEAward] = []
    first_line: dict[int, int] = {}
    parser = expat.ParserCreate()
    state: dict[str, Any] = {"root": None}

    def start(tag: str, attrs: dict[str, str]) -> None:
        line = parser.CurrentLineNumber
        if state["root"] is None:
            state["root"] = tag
            if tag != "badges":
                raise InvalidInput(f"root element is <{tag}>, expected <badges>", file=str(p), record=line)
            return
        if tag != "row":
            return
        row = validate(SERow, attrs, file=p, record=line)
        if row.Id in first_line:
            raise InvalidInput(f"row Id {row.Id} already appears on line {first_line[row.Id]}",
                               file=str(p), record=line, field="Id")
        first_line[row.Id] = line
        when = row.Date if row.Date.tzinfo else row.Date.replace(tzinfo=UTC)
        awards.append(SEAward(
            row_id=row.Id, user_id=row.UserId, learner_id=f"se-{site}-{row.UserId}",
            name=row.Name, badge_class=row.Class, tag_based=row.TagBased == "True",
            awarded_on=when.astimezone(UTC),
        ))
        if row.Class is None:
            state["old"] = True

    parser.StartElementHandler = start
    try:
        with p.open("rb") as fh:
            parser.ParseFile(fh)
    except expat.ExpatError as exc:
        raise InvalidInput(f"not well-formed XML: {expat.ErrorString(exc.code)} (column {exc.offset + 1})",
                           file=str(p), record=exc.lineno) from exc
    except OSError as exc:
        raise InvalidInput(f"cannot read: {exc}", file=str(p)) from exc
    awards.sort(key=lambda a: (a.awarded_on, a.row_id))
    if state.get("old"):
        if known_names is None:
            from colearn.ingest.stackexchange_mapping import load_mapping  # the mapping reads tiers from here

            known_names = set(load_mapping().badges)
        awards = _infer_old_format(awards, known_names)
    return awards
