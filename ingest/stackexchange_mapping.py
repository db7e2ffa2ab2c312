"""Where each Stack Exchange badge goes on the spine: the badge mapping and the classification.

The mapping is data (``data/stackexchange/mapping.yaml``, see its comments for
the reasoning): named general badges, a rule by class for tag badges, a
fallback rule by class for general badges it does not list, the themes, and
each site's name and sector destinations. ``classify`` answers one badge;
``badge_id`` names it in the graph.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from colearn.errors import IN_RESULT, InvalidInput
from colearn.ingest.common import load_yaml_mapping, validate
from colearn.ingest.spine import read_spine
from colearn.ingest.stackexchange_xml import TIERS, tier_of
from colearn.records.spine import SpineFile

__all__ = ["BadgePlan", "BadgeRule", "ByClass", "ClassRule", "SEMapping", "SiteInfo", "SiteSpec", "ThemeSpec",
           "badge_id", "classify", "default_mapping_path", "load_mapping", "site_info", "slug"]

#: A theme of the mapping: the site's own sector theme, or the shared civic one.
ThemeKey = Literal["site", "civic"]

#: The reader's logger (a badge the mapping does not list is a warning of the reader's).
log = logging.getLogger("colearn.ingest.stackexchange")

_CELL = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"
_THEME_KEYS = ("site", "civic")


def default_mapping_path() -> Path:
    """The mapping bundled with colearn (``data/stackexchange/mapping.yaml``)."""
    return Path(str(resources.files("colearn.data").joinpath("stackexchange", "mapping.yaml")))


#: Characters spelled out in a slug, so that e.g. tags ``c#``, ``c++`` and ``c`` stay apart.
_SPELLED = {"#": " sharp ", "+": " plus "}


def slug(name: str) -> str:
    """A badge name as an id part: deterministic, never empty, and distinct for names that differ
    in more than letter case, spaces and punctuation (anywhere: ``.net`` is ``net``), Unicode
    normalisation (NFC), or ``#``/``+`` against ``sharp``/``plus``.

    Lower-cased (Unicode letters and digits kept, NFC-normalised); ``#`` and
    ``+`` spelled out as ``sharp`` and ``plus``; every run of spaces and
    punctuation becomes one ``-``. Where that would lose something else (a
    symbol such as ``☕`` or ``©``, a control character) or leave nothing, a
    short hash of the exact name follows an ``_`` (which the readable part
    never holds), so such names never meet another's slug.

    ``"Strunk & White"`` -> ``"strunk-white"``; ``"brazilian-jiu-jitsu"`` stays;
    ``"c#"`` -> ``"c-sharp"``; ``"c++"`` -> ``"c-plus-plus"``; ``"Автобиограф"``
    -> ``"автобиограф"``; ``"???"`` -> ``"x_"`` + 8 hex digits.
    """
    text = unicodedata.normalize("NFC", name).lower()
    out, lossy = [], False
    for ch in text:
        category = unicodedata.category(ch)
        if ch in _SPELLED:
            out.append(_SPELLED[ch])
        elif ch.isalnum() or category[0] == "M":  # letters, digits and their combining marks
            out.append(ch)
        elif category[0] in "PZ" or ch.isspace():  # punctuation and spaces separate words
            out.append(" ")
        else:
            lossy = True
            out.append(" ")
    readable = "-".join("".join(out).split())
    if readable and not lossy:
        return readable
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{readable or 'x'}_{digest}"


# --------------------------------------------------------------------------
# The mapping file
# --------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ThemeSpec(_Strict):
    """A theme the mapping creates; ``id``, ``name`` and ``description`` may use
    ``{site}``, ``{site_name}`` and ``{subject}``."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    kind: Literal["civic", "wellbeing", "sector"]
    description: str = ""
    leads_to: list[str] = Field(min_length=1)


class SiteSpec(_Strict):
    """What the mapping knows about one site."""

    name: str = Field(min_length=1)
    url: str = Field(min_length=1)
    subject: str | None = None
    leads_to: list[str] | None = None


class ByClass(_Strict):
    """A spine cell per tier."""

    gold: str = Field(pattern=_CELL)
    silver: str = Field(pattern=_CELL)
    bronze: str = Field(pattern=_CELL)


class ClassRule(_Strict):
    """The rule for tag badges, or for general badges missing from ``badges``.

    ``description`` may use ``{name}``, ``{tag}``, ``{tier}``, ``{tier_title}``,
    ``{site}``, ``{site_name}``.
    """

    themes: list[Literal["site", "civic"]] = Field(min_length=1)
    description: str = Field(min_length=1)
    by_class: ByClass
    #: The cell of a badge whose dump gives no ``Class`` (older dumps); default the bronze cell.
    unknown_class: str | None = Field(default=None, pattern=_CELL)

    def cell_for(self, badge_class: int | None) -> str:
        """The cell of a tier (``unknown_class``, else bronze's, when ``badge_class`` is ``None``)."""
        if badge_class is None:
            return self.unknown_class or self.by_class.bronze
        return getattr(self.by_class, TIERS[badge_class])


class BadgeRule(_Strict):
    """Where one named general badge goes."""

    cell: str = Field(pattern=_CELL)
    description: str = Field(min_length=1)
    themes: list[ThemeKey] = Field(default_factory=lambda: list[ThemeKey](["site"]), min_length=1)


class SEMapping(_Strict):
    """The whole ``mapping.yaml``."""

    version: Literal[1]
    themes: dict[Literal["site", "civic"], ThemeSpec]
    sites: dict[str, SiteSpec] = Field(default_factory=dict)
    tag_badges: ClassRule
    fallback: ClassRule
    badges: dict[str, BadgeRule]

    @field_validator("themes")
    @classmethod
    def _both_themes(cls, v: dict[str, ThemeSpec]) -> dict[str, ThemeSpec]:
        missing = [k for k in _THEME_KEYS if k not in v]
        if missing:
            raise ValueError(f"themes {missing} are missing")
        return v


@dataclass(frozen=True)
class SiteInfo:
    """A site's name, URL, subject and the destinations of its sector theme."""

    key: str
    name: str
    url: str
    subject: str
    leads_to: tuple[str, ...]


@dataclass(frozen=True)
class BadgePlan:
    """Where one badge goes: the answer of ``SEMapping``-based classification.

    Attributes:
        cell: the spine cell id.
        themes: theme keys (``site``, ``civic``).
        description: the badge description.
        rule: ``named`` (listed in ``badges``), ``tag`` or ``fallback``.
    """

    cell: str
    themes: tuple[str, ...]
    description: str
    rule: Literal["named", "tag", "fallback"]


def load_mapping(path: Path | str | None = None, spine: SpineFile | None = None) -> SEMapping:
    """Read and check the badge mapping.

    Args:
        path: the YAML file; default: the bundled ``data/stackexchange/mapping.yaml``.
        spine: the spine to check cells and destinations against; default the
            bundled ``data/spine.yaml``.

    Returns:
        The validated mapping.

    Raises:
        InvalidInput: the file is not YAML, is not a YAML mapping (saying what it holds instead),
            breaks the shape of ``SEMapping``,
            names a cell that is not in the spine, a destination that is not
            in the spine, or a template placeholder that does not exist (the
            message names the file and the field).
    """
    p = Path(path) if path is not None else default_mapping_path()
    spine = spine or read_spine()
    raw = load_yaml_mapping(p, SEMapping.model_fields)
    mapping = validate(SEMapping, raw, file=p, record="mapping")

    cells = {f"{d.id}.{lay.id}" for d in spine.domains for lay in spine.layers}
    destinations = {d.id for d in spine.destinations}

    def check_cell(cell: str, where: str) -> None:
        if cell not in cells:
            raise InvalidInput(f"'{cell}' is not a cell of the spine ({', '.join(sorted(cells))})",
                               file=str(p), field=where)

    for name, rule in mapping.badges.items():
        check_cell(rule.cell, f"badges.{name}.cell")
    for which in ("tag_badges", "fallback"):
        by_class = getattr(mapping, which).by_class
        for tier in ("gold", "silver", "bronze"):
            check_cell(getattr(by_class, tier), f"{which}.by_class.{tier}")
        if getattr(mapping, which).unknown_class is not None:
            check_cell(getattr(mapping, which).unknown_class, f"{which}.unknown_class")
    leads: list[tuple[str, list[str]]] = [(f"themes.{k}.leads_to", t.leads_to) for k, t in mapping.themes.items()]
    leads += [(f"sites.{k}.leads_to", s.leads_to) for k, s in mapping.sites.items() if s.leads_to]
    for where, dests in leads:
        for d in dests:
            if d not in destinations:
                raise InvalidInput(f"'{d}' is not a destination of the spine ({', '.join(sorted(destinations))})",
                                   file=str(p), field=where)
    fields = {"site": "s", "site_name": "n", "subject": "x", "name": "b", "tag": "t",
              "tier": "bronze", "tier_title": "Bronze"}
    templates = [(f"themes.{k}.{f}", getattr(t, f)) for k, t in mapping.themes.items()
                 for f in ("id", "name", "description")]
    templates += [(f"{w}.description", getattr(mapping, w).description) for w in ("tag_badges", "fallback")]
    for where, text in templates:
        try:
            text.format(**fields)
        except (KeyError, IndexError, ValueError) as exc:
            raise InvalidInput(f"bad placeholder in '{text}': {exc}", file=str(p), field=where) from exc
    return mapping


def site_info(mapping: SEMapping, site: str) -> SiteInfo:
    """The site's name, URL, subject and sector destinations (defaults for an unknown site)."""
    known = mapping.sites.get(site)
    default_leads = tuple(mapping.themes["site"].leads_to)
    if known is None:
        name = f"{site.replace('.', ' ').title()} Stack Exchange"
        return SiteInfo(site, name, f"https://{site}.stackexchange.com", site, default_leads)
    return SiteInfo(site, known.name, known.url, known.subject or site,
                    tuple(known.leads_to) if known.leads_to else default_leads)


def classify(mapping: SEMapping, site: SiteInfo, name: str, *, tag_based: bool,
             badge_class: int | None) -> BadgePlan:
    """Decide a badge's cell, themes and description.

    Args:
        mapping: the mapping.
        site: the site.
        name: the badge name (a tag name when ``tag_based``).
        tag_based: the dump's ``TagBased``.
        badge_class: 1 gold, 2 silver, 3 bronze; ``None`` when the dump has no ``Class``.

    Returns:
        The plan; ``rule`` says which part of the mapping decided it. A
        general badge missing from the mapping gets the ``fallback`` rule and a
        logged warning (marked ``IN_RESULT``: the callers return it in their results too); without a ``Class`` it goes to the rule's stated
        ``unknown_class`` cell.
    """
    tier = tier_of(badge_class)
    fmt = {"name": name, "tag": name, "tier": tier, "tier_title": tier.title(),
           "site": site.key, "site_name": site.name, "subject": site.subject}
    if tag_based:
        rule = mapping.tag_badges
        return BadgePlan(rule.cell_for(badge_class), tuple(rule.themes), rule.description.format(**fmt), "tag")
    named = mapping.badges.get(name)
    if named is not None:
        return BadgePlan(named.cell, tuple(named.themes), named.description, "named")
    rule = mapping.fallback
    cell = rule.cell_for(badge_class)
    log.warning("Stack Exchange badge '%s' (%s) on %s is not in the badge mapping; placed on %s by its tier",
                name, tier, site.key, cell, extra=IN_RESULT)
    return BadgePlan(cell, tuple(rule.themes), rule.description.format(**fmt), "fallback")


def badge_id(site: str, name: str, *, tag_based: bool, badge_class: int | None) -> str:
    """The ``Badge`` id: ``se-<site>-<slug>``, or ``se-<site>-tag-<slug>-<tier>`` for a tag badge.

    A function of the name (and for a tag badge its tier) alone, never of the
    other rows: cached replays and saved rankers key on these ids.
    """
    if tag_based:
        return f"se-{site}-tag-{slug(name)}-{tier_of(badge_class)}"
    return f"se-{site}-{slug(name)}"
