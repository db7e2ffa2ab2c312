"""Reader for a Stack Exchange data dump's ``Badges.xml`` -> graph writes.

Input: the ``Badges.xml`` of one site of the Stack Exchange public data dump,
one ``<row .../>`` per award with the attributes ``Id, UserId, Name, Date,
Class, TagBased`` (``Class``: 1 gold, 2 silver, 3 bronze; ``Date``: UTC
without a zone, e.g. ``2012-01-31T20:57:26.347``).

What it writes (ids are stable, so re-ingesting the same file changes nothing):

- the learning spine (``ingest_spine``, idempotent), and the themes the mapping
  uses with their ``LEADS_TO`` destinations;
- the site as an ``Organisation`` ``se-<site>``;
- each badge as a ``Badge`` that the site ``DEFINES``, ``ALIGNS_TO`` one spine
  cell and is ``IN_THEME`` of the mapping's themes. A general badge is
  ``se-<site>-<slug of name>``. A tag badge is ``se-<site>-tag-<slug>-<tier>``:
  Stack Exchange gives the bronze, silver and gold badges of one tag the same
  name, and they sit on different cells, so the tier is part of the id (the
  ``tag-`` part keeps a tag called e.g. ``editor`` apart from the general
  badge ``Editor``);
- each ``UserId`` as a ``Learner`` ``se-<site>-<UserId>``;
- each row as an ``Assertion`` ``se-<site>-a<Id>`` (status ``accepted``,
  ``issued_on`` epoch seconds, ``source`` ``stackexchange``), 5,000 rows per
  ``UNWIND`` statement (``queries.MERGE_ASSERTIONS``).

Where each badge goes on the spine is data: ``data/stackexchange/mapping.yaml``
(see its comments for the reasoning). Tag badges follow the mapping's
``tag_badges`` rule (by class); a general badge missing from the mapping
follows its ``fallback`` rule (by class) with a logged warning, and is listed
in ``StackExchangeReport.fallbacks``.

The whole file and the mapping are validated before anything is written.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from xml.parsers import expat

from pydantic import BaseModel, ConfigDict, Field, field_validator

from colearn.errors import InvalidInput
from colearn.graph import feed, queries
from colearn.graph.schema import AssertionStatus, Label, Rel
from colearn.graph.store import GraphStore
from colearn.ingest.common import IngestReport, load_yaml, validate, write_batches
from colearn.ingest.spine import SpineFile, ingest_spine, read_spine

log = logging.getLogger(__name__)

#: ``source`` property of everything this reader writes.
SOURCE = "stackexchange"

#: Stack Exchange ``Class`` -> tier name.
TIERS: dict[int, Literal["gold", "silver", "bronze"]] = {1: "gold", 2: "silver", 3: "bronze"}

_SITE = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")
_CELL = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"
_THEME_KEYS = ("site", "civic")


def default_mapping_path() -> Path:
    """The mapping bundled with colearn (``data/stackexchange/mapping.yaml``)."""
    return Path(str(resources.files("colearn.data").joinpath("stackexchange", "mapping.yaml")))


def slug(name: str) -> str:
    """Lower-case ``name`` with every run of other characters turned into one ``-``.

    ``"Strunk & White"`` -> ``"strunk-white"``; ``"brazilian-jiu-jitsu"`` stays.
    """
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


# --------------------------------------------------------------------------
# Badges.xml
# --------------------------------------------------------------------------


class SERow(BaseModel):
    """One ``<row>`` of ``Badges.xml``, attributes as they appear in the dump."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    Id: int = Field(gt=0)
    UserId: int
    Name: str = Field(min_length=1)
    Date: datetime
    Class: int = Field(ge=1, le=3)
    TagBased: Literal["True", "False"]


@dataclass(frozen=True, slots=True)
class SEAward:
    """One validated award from ``Badges.xml``.

    Attributes:
        row_id: the dump's ``Id`` (unique per site).
        user_id: the dump's ``UserId``.
        learner_id: ``se-<site>-<UserId>``.
        name: the badge name (a tag name for tag badges).
        badge_class: 1 gold, 2 silver, 3 bronze.
        tag_based: True for a tag badge.
        awarded_on: when it was awarded, timezone-aware UTC.
    """

    row_id: int
    user_id: int
    learner_id: str
    name: str
    badge_class: int
    tag_based: bool
    awarded_on: datetime

    @property
    def tier(self) -> str:
        """``gold``, ``silver`` or ``bronze``."""
        return TIERS[self.badge_class]


def _check_site(site: str) -> None:
    if not _SITE.match(site or ""):
        raise InvalidInput(
            f"site '{site}' is not a Stack Exchange site key (lower-case letters, digits, '.', '-'; "
            "e.g. 'martialarts')",
            field="site",
        )


def read_badges_xml(path: Path | str, site: str) -> list[SEAward]:
    """Parse and validate every row of a ``Badges.xml``, streaming.

    The file is read in chunks by the expat parser (the one under
    ``xml.etree``), which reports the line each ``<row>`` starts on, so a bad
    row is named by its line; rows are not kept as elements, only as awards.

    Args:
        path: the ``Badges.xml`` file.
        site: the site key, e.g. ``martialarts`` (the learner ids are
            ``se-<site>-<UserId>``).

    Returns:
        One ``SEAward`` per row, in file order.

    Raises:
        InvalidInput: the file cannot be read or is not well-formed XML, its
            root is not ``<badges>``, a row breaks the row shape (a missing
            attribute, ``Class`` not 1-3, ``TagBased`` not ``True``/``False``,
            a bad ``Date``), or two rows share an ``Id``. The error names the
            file, the line (``record``) and the attribute (``field``).
    """
    _check_site(site)
    p = Path(path)
    awards: list[SEAward] = []
    first_line: dict[int, int] = {}
    parser = expat.ParserCreate()
    state = {"root": None}

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

    parser.StartElementHandler = start
    try:
        with p.open("rb") as fh:
            parser.ParseFile(fh)
    except expat.ExpatError as exc:
        raise InvalidInput(f"not well-formed XML: {expat.ErrorString(exc.code)} (column {exc.offset + 1})",
                           file=str(p), record=exc.lineno) from exc
    except OSError as exc:
        raise InvalidInput(f"cannot read: {exc}", file=str(p)) from exc
    return awards


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


class BadgeRule(_Strict):
    """Where one named general badge goes."""

    cell: str = Field(pattern=_CELL)
    description: str = Field(min_length=1)
    themes: list[Literal["site", "civic"]] = Field(default_factory=lambda: ["site"], min_length=1)


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
        InvalidInput: the file is not YAML, breaks the shape of ``SEMapping``,
            names a cell that is not in the spine, a destination that is not
            in the spine, or a template placeholder that does not exist (the
            message names the file and the field).
    """
    p = Path(path) if path is not None else default_mapping_path()
    spine = spine or read_spine()
    raw = load_yaml(p)
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


def classify(mapping: SEMapping, site: SiteInfo, name: str, *, tag_based: bool, badge_class: int) -> BadgePlan:
    """Decide a badge's cell, themes and description.

    Args:
        mapping: the mapping.
        site: the site.
        name: the badge name (a tag name when ``tag_based``).
        tag_based: the dump's ``TagBased``.
        badge_class: 1 gold, 2 silver, 3 bronze.

    Returns:
        The plan; ``rule`` says which part of the mapping decided it. A
        general badge missing from the mapping gets the ``fallback`` rule and a
        logged warning.
    """
    tier = TIERS[badge_class]
    fmt = {"name": name, "tag": name, "tier": tier, "tier_title": tier.title(),
           "site": site.key, "site_name": site.name, "subject": site.subject}
    if tag_based:
        rule = mapping.tag_badges
        return BadgePlan(getattr(rule.by_class, tier), tuple(rule.themes), rule.description.format(**fmt), "tag")
    named = mapping.badges.get(name)
    if named is not None:
        return BadgePlan(named.cell, tuple(named.themes), named.description, "named")
    rule = mapping.fallback
    cell = getattr(rule.by_class, tier)
    log.warning("Stack Exchange badge '%s' (%s) on %s is not in the badge mapping; placed on %s by its tier",
                name, tier, site.key, cell)
    return BadgePlan(cell, tuple(rule.themes), rule.description.format(**fmt), "fallback")


def badge_id(site: str, name: str, *, tag_based: bool, badge_class: int) -> str:
    """The ``Badge`` id: ``se-<site>-<slug>``, or ``se-<site>-tag-<slug>-<tier>`` for a tag badge."""
    if tag_based:
        return f"se-{site}-tag-{slug(name)}-{TIERS[badge_class]}"
    return f"se-{site}-{slug(name)}"


# --------------------------------------------------------------------------
# Ingest
# --------------------------------------------------------------------------


@dataclass
class StackExchangeReport(IngestReport):
    """``IngestReport`` plus the general badge names placed by the fallback rule."""

    fallbacks: list[str] = field(default_factory=list)


def _theme_rows(mapping: SEMapping, site: SiteInfo) -> dict[str, dict[str, Any]]:
    fmt = {"site": site.key, "site_name": site.name, "subject": site.subject}
    out = {}
    for key, spec in mapping.themes.items():
        leads = site.leads_to if key == "site" else tuple(spec.leads_to)
        out[key] = {
            "id": spec.id.format(**fmt),
            "props": {"name": spec.name.format(**fmt), "kind": spec.kind,
                      "description": spec.description.format(**fmt).strip(), "source": SOURCE},
            "leads_to": list(leads),
        }
    return out


@dataclass
class SitePlan:
    """A validated Stack Exchange dump, ready to write (no store needed).

    Attributes:
        site: the site key.
        info: the site's name, URL and sector destinations.
        themes: theme rows by mapping key (``site``, ``civic``).
        badge_rows: ``[{"id", "props", "cell", "themes"}]``, sorted by id.
        assertion_rows: ``MERGE_ASSERTIONS`` rows, in file order.
        fallbacks: badge names placed by the fallback rule.
    """

    site: str
    info: SiteInfo
    themes: dict[str, dict[str, Any]]
    badge_rows: list[dict[str, Any]]
    assertion_rows: list[dict[str, Any]]
    fallbacks: list[str]

    def awards(self) -> list[tuple[str, str, int, int]]:
        """``(learner_id, badge_id, issued_on epoch s, row id)`` per award: the evaluation's input."""
        return [(r["learner_id"], r["badge_id"], r["props"]["issued_on"], r["props"]["se_id"])
                for r in self.assertion_rows]

    def badge_cells(self) -> dict[str, list[str]]:
        """``{badge_id: [spine cell id]}``."""
        return {r["id"]: [r["cell"]] for r in self.badge_rows}


def plan_stackexchange(path: Path | str, site: str, mapping: Path | str | None = None) -> SitePlan:
    """Read, validate and map a site's ``Badges.xml`` without touching a store.

    Args:
        path: the site's ``Badges.xml``.
        site: the site key, e.g. ``martialarts``.
        mapping: the badge mapping; default the bundled one.

    Returns:
        The ``SitePlan``: badges with their cells and themes, and the awards.

    Raises:
        InvalidInput: see ``read_badges_xml`` and ``load_mapping``; also when
            two badge names give the same badge id.
    """
    spine = read_spine()
    plan = load_mapping(mapping, spine)
    awards = read_badges_xml(path, site)
    info = site_info(plan, site)

    # One Badge per general badge name, and per (tag, class) for tag badges. A
    # general badge's class is the one it is awarded with most often (it is
    # the same for every award in practice).
    classes: dict[tuple[str, bool, int | None], Counter[int]] = {}
    for a in awards:
        key = (a.name, a.tag_based, a.badge_class if a.tag_based else None)
        classes.setdefault(key, Counter())[a.badge_class] += 1
    badge_of: dict[tuple[str, bool, int], str] = {}
    fallbacks: list[str] = []
    badge_rows: list[dict[str, Any]] = []
    seen_ids: dict[str, str] = {}
    themes = _theme_rows(plan, info)
    for (name, tag_based, _), counts in classes.items():
        cls = counts.most_common(1)[0][0]
        if not tag_based and len(counts) > 1:
            log.warning("badge '%s' on %s is awarded with several classes %s; using %s",
                        name, site, dict(counts), TIERS[cls])
        bid = badge_id(site, name, tag_based=tag_based, badge_class=cls)
        if bid in seen_ids and seen_ids[bid] != name:
            raise InvalidInput(f"badge names '{seen_ids[bid]}' and '{name}' both give the id '{bid}'",
                               file=str(path), field="Name")
        seen_ids[bid] = name
        for c in counts:
            badge_of[(name, tag_based, c)] = bid
        decided = classify(plan, info, name, tag_based=tag_based, badge_class=cls)
        if decided.rule == "fallback":
            fallbacks.append(name)
        badge_rows.append({
            "id": bid,
            "props": {"name": name, "description": decided.description, "source": SOURCE, "site": site,
                      "tag_based": tag_based, "badge_class": cls, "tier": TIERS[cls],
                      "mapping_rule": decided.rule},
            "cell": decided.cell,
            "themes": [themes[t]["id"] for t in decided.themes],
        })
    badge_rows.sort(key=lambda r: r["id"])

    org_id = f"se-{site}"
    learner_props = {"source": SOURCE, "site": site}
    assertion_rows = [{
        "id": f"se-{site}-a{a.row_id}",
        "organisation_id": org_id,
        "badge_id": badge_of[(a.name, a.tag_based, a.badge_class)],
        "learner_id": a.learner_id,
        "learner_props": {**learner_props, "se_user_id": a.user_id},
        "props": {"status": str(AssertionStatus.ACCEPTED), "issued_on": int(a.awarded_on.timestamp()),
                  "source": SOURCE, "site": site, "se_id": a.row_id},
    } for a in awards]

    return SitePlan(site=site, info=info, themes=themes, badge_rows=badge_rows,
                    assertion_rows=assertion_rows, fallbacks=fallbacks)


def ingest_stackexchange(store: GraphStore, path: Path | str, site: str,
                         mapping: Path | str | None = None) -> StackExchangeReport:
    """Write a site's ``Badges.xml`` into the graph (idempotent).

    Validates the whole file and the mapping first; writes nothing if either
    is bad. Then writes the spine, the themes, the site, its badges, learners
    and assertions (see the module docstring for ids and shapes), the
    assertions 5,000 per ``UNWIND`` statement with a progress bar on long
    inputs. Running it twice leaves the same graph.

    Args:
        store: the graph.
        path: the site's ``Badges.xml``.
        site: the site key, e.g. ``martialarts``.
        mapping: the badge mapping; default the bundled
            ``data/stackexchange/mapping.yaml``.

    Returns:
        Rows written per label (``Theme``, ``Organisation``, ``Badge``,
        ``Learner``, ``Assertion``) and the names the fallback rule placed.

    Raises:
        InvalidInput: see ``read_badges_xml`` and ``load_mapping``; also when
            two badge names give the same badge id.
        StoreUnavailable: the store cannot be reached.
    """
    plan = plan_stackexchange(path, site, mapping)
    info, themes, badge_rows = plan.info, plan.themes, plan.badge_rows
    org_id = f"se-{site}"
    report = StackExchangeReport(source=str(path))
    report.fallbacks.extend(plan.fallbacks)

    # ---- writes (everything above is validated) ----
    ingest_spine(store)
    theme_rows = list(themes.values())
    report.add(Label.THEME, write_batches(store, queries.merge_nodes(Label.THEME),
                                          [{"id": t["id"], "props": t["props"]} for t in theme_rows],
                                          label=str(Label.THEME), record=feed.CATALOGUE))
    write_batches(store, queries.set_links(Label.THEME, Rel.LEADS_TO, Label.DESTINATION),
                  [{"id": t["id"], "targets": [{"id": d, "props": {}} for d in t["leads_to"]]}
                   for t in theme_rows])
    report.add(Label.ORGANISATION, write_batches(store, queries.merge_nodes(Label.ORGANISATION), [{
        "id": org_id, "props": {"name": info.name, "url": info.url, "source": SOURCE, "site": site}}]))
    report.add(Label.BADGE, write_batches(store, queries.merge_nodes(Label.BADGE),
                                          [{"id": r["id"], "props": r["props"]} for r in badge_rows],
                                          label=str(Label.BADGE), record=feed.CATALOGUE))
    write_batches(store, queries.set_links(Label.BADGE, Rel.DEFINES, Label.ORGANISATION, outgoing=False),
                  [{"id": r["id"], "targets": [{"id": org_id, "props": {}}]} for r in badge_rows])
    write_batches(store, queries.set_links(Label.BADGE, Rel.ALIGNS_TO, Label.SPINE_CELL),
                  [{"id": r["id"], "targets": [{"id": r["cell"], "props": {}}]} for r in badge_rows])
    write_batches(store, queries.set_links(Label.BADGE, Rel.IN_THEME, Label.THEME),
                  [{"id": r["id"], "targets": [{"id": t, "props": {}} for t in r["themes"]]}
                   for r in badge_rows], label=str(Label.BADGE), record=feed.CATALOGUE)
    report.add(Label.ASSERTION, write_batches(store, queries.MERGE_ASSERTIONS, plan.assertion_rows,
                                              label=f"{site} awards", record=feed.AWARDS))
    report.add(Label.LEARNER, len({r["learner_id"] for r in plan.assertion_rows}))
    return report
