"""Reader for a city catalogue: themes, places, organisations, badges, opportunities, pathways.

A catalogue is one of:

* a folder of YAML files, one per section (``badges.yaml`` holding a list of
  records, or any ``*.yaml`` holding a mapping of sections);
* a single YAML file whose top-level keys are sections;
* a folder of CSV files, one per section (``badges.csv``, ...), with a header
  row; list-valued fields are ``;``-separated cells (``cells: skills.engagement;
  knowledge.engagement``) and empty cells mean "not given". Pathway steps, which
  nest in YAML, are rows of ``pathway_steps.csv`` (``pathway, title, badges,
  required, optional``) in step order. A ``spine.yaml`` may sit beside the CSVs.

Sections (every one optional; references may also name nodes already in the graph)::

    spine:         same shape as data/spine.yaml; default: the bundled spine
    destinations:  [{id, name, description}]        # beyond the spine's own
    themes:        [{id, name, kind: civic|wellbeing|sector, description,
                     destinations: [destination ids]}]                  -> LEADS_TO
    places:        [{id, name, kind (district, venue, ...), lat, lon,
                     within -> WITHIN (a venue's district)}]
    organisations: [{id, name, kind (youth_club, college, employer, council,
                     library, charity, ...), url, email, description}]
    badges:        [{id, name, description, issuer -> DEFINES,
                     cells: [spine cell ids] (at least one) -> ALIGNS_TO,
                     themes -> IN_THEME, criteria, expires_after_days}]
    opportunities: [{id, name, description, kind (course, event, ...),
                     organisation -> OFFERS, mode: online|offline|blended,
                     place -> LOCATED_IN (required unless online), url,
                     themes -> IN_THEME, badges -> AWARDS, start, end,
                     sessions: ["START/END" ISO 8601 intervals]}]
    pathways:      [{id, title, description, organisation -> AUTHORED,
                     destination -> TOWARDS, status: draft|published|archived
                     (default published), kind: recommended,
                     steps: [{title, badges: [ids], required: 1, optional: false}],
                     completion_badge -> COMPLETES_WITH}]

Each step becomes a ``Step`` node ``<pathway id>.step-<n>`` (n from 1) linked
``(:Pathway)-[:HAS_STEP {order: n}]->(:Step)-[:ACCEPTS]->(:Badge)``. Dates are
stored as epoch seconds UTC (``starts_on``, ``ends_on``; a ``start`` date is its
midnight UTC, an ``end`` date the end of that day, i.e. the next midnight UTC; a
datetime without a zone is taken as UTC). ``sessions`` are the meetings of an
opportunity that runs on several occasions, each an ISO 8601 time interval
``2026-10-07T17:00:00Z/2026-10-07T18:30:00Z`` (``;``-separated in CSV), stored
as two lists ``session_starts`` and ``session_ends`` (epoch seconds, in time
order); an opportunity with sessions and no ``start``/``end`` runs from its first
session's start to its last session's end. An opportunity has ended when its
``ends_on`` is in the past; one with no ``end`` is ongoing.

Everything is validated before anything is written: the shape of each record
(pydantic, unknown fields refused, ids lower-case slugs), duplicate ids,
references to ids that are neither in the catalogue nor in the graph, steps
that accept no badge or require more badges than they list, and a badge
accepted by two steps of one pathway. Errors are ``InvalidInput`` naming the
file, the record (the 1-based line for CSV; ``badges[12] (line 140)`` for YAML,
section, 0-based index and the record's first line) and the field.

Writes are idempotent upserts in dependency order, one ``UNWIND`` statement per
batch; each record's links of a kind are replaced, so re-reading an edited
catalogue leaves no stale links. Validation errors leave the graph untouched;
a store failure part-way can leave earlier sections written (neither engine
offers one transaction over all of them through this interface), and running
the ingest again completes it.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar, get_origin

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PositiveInt,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from colearn import times
from colearn.errors import InvalidInput
from colearn.graph import feed, queries
from colearn.graph.schema import Label, OpportunityMode, PathwayKind, PathwayStatus, Rel, ThemeKind
from colearn.graph.store import GraphStore
from colearn.ingest.common import IngestReport, clean_header, require_existing, validate, write_batches
from colearn.ingest.spine import SpineFile, default_spine_path, read_spine, spine_cell_rows

__all__ = [
    "SECTIONS",
    "CSV_SECTIONS",
    "BadgeRecord",
    "Catalogue",
    "DestinationRecord",
    "Entry",
    "OpportunityRecord",
    "OrganisationRecord",
    "PathwayRecord",
    "PlaceRecord",
    "StepRecord",
    "StepRow",
    "ThemeRecord",
    "Where",
    "check_references",
    "demo_city_path",
    "ingest_catalogue",
    "ingest_demo_catalogue",
    "shift_dates",
    "read_catalogue",
    "step_badge_problems",
    "step_id",
    "write_catalogue",
]

#: Sections in the order they are validated and written.
SECTIONS: tuple[str, ...] = (
    "spine", "destinations", "themes", "places", "organisations", "badges", "opportunities", "pathways",
)
#: Sections a CSV file may hold (the file's stem); the spine is YAML only.
CSV_SECTIONS: tuple[str, ...] = SECTIONS[1:] + ("pathway_steps",)

_YAML_SUFFIXES = (".yaml", ".yml")
#: Files of a city folder that are not catalogue: learners and their awards,
#: read by ``colearn.ingest.awards``.
ACTIVITY_FILES: tuple[str, ...] = ("learners.csv", "awards.csv")
_SLUG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")


def demo_city_path() -> Path:
    """The demo city bundled with colearn (``data/demo-city/``, a folder of YAML files)."""
    return Path(str(resources.files("colearn.data").joinpath("demo-city")))


#: The Monday the demo city's opportunity dates are written relative to (its
#: README says so): ``ingest_demo_catalogue`` moves every date by the whole weeks
#: from this Monday to the current week's, so that the city always has a few
#: ended opportunities, some running now and most still to come.
DEMO_DATES_AS_OF = date(2026, 10, 5)


def step_id(pathway_id: str, n: int) -> str:
    """The id of a pathway's ``n``-th step (1-based): ``<pathway_id>.step-<n>``."""
    return f"{pathway_id}.step-{n}"


# --------------------------------------------------------------------------
# Record models
# --------------------------------------------------------------------------


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
Url = Annotated[str, Field(pattern=r"^https?://[^\s/?#]+\S*$")]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _interval(value: Any) -> Any:
    """An ISO 8601 time interval ``START/END`` (two datetimes, naive ones taken as UTC)
    as a ``(start, end)`` pair of aware datetimes; a pair is checked the same way."""
    if isinstance(value, str):
        parts = value.split("/")
        if len(parts) != 2:
            raise ValueError(f"a session is an ISO 8601 interval 'START/END', got {value!r}")
        try:
            value = tuple(datetime.fromisoformat(p.strip()) for p in parts)
        except ValueError as exc:
            raise ValueError(f"a session is an ISO 8601 interval 'START/END' of two date-times: {exc}") from exc
    if not (isinstance(value, (tuple, list)) and len(value) == 2
            and all(isinstance(v, datetime) for v in value)):
        raise ValueError(f"a session is an ISO 8601 interval 'START/END', got {value!r}")
    start, end = times.in_range(value[0]), times.in_range(value[1])
    if end < start:
        raise ValueError(f"a session ends before it starts: {start.isoformat()}/{end.isoformat()}")
    return (start, end)


Session = Annotated[tuple[datetime, datetime], BeforeValidator(_interval), WithJsonSchema({
    "type": "string", "pattern": "^[^/]+/[^/]+$",
    "description": "an ISO 8601 time interval START/END of two date-times (UTC unless a zone is given)",
    "examples": ["2026-10-07T17:00:00Z/2026-10-07T18:30:00Z"]})]


class DestinationRecord(_Record):
    """A destination beyond the spine's own (``education``, ``employment``, ...)."""

    id: Slug
    name: Name
    description: str = ""


class ThemeRecord(_Record):
    """A theme the city curates; ``destinations`` become ``LEADS_TO`` links."""

    id: Slug
    name: Name
    kind: ThemeKind
    description: str = ""
    destinations: RefList = Field(default_factory=list)


class PlaceRecord(_Record):
    """A district or venue; ``lat`` and ``lon`` (WGS84 degrees) come together or not at all."""

    id: Slug
    name: Name
    kind: Slug
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180, validate_default=True)
    #: The place this one lies within (a venue's district); insights count by district.
    within: Ref | None = None

    @field_validator("lon")
    @classmethod
    def _both_or_neither(cls, lon: float | None, info: ValidationInfo) -> float | None:
        if "lat" in info.data and (info.data["lat"] is None) != (lon is None):
            raise ValueError("give both lat and lon, or neither")
        return lon


class OrganisationRecord(_Record):
    """An organisation: offers opportunities, defines badges, authors pathways."""

    id: Slug
    name: Name
    kind: Slug
    url: Url | None = None
    email: Email | None = None
    description: str = ""


class BadgeRecord(_Record):
    """A BadgeClass: defined by ``issuer``, aligned to at least one spine cell."""

    id: Slug
    name: Name
    description: str = ""
    issuer: Ref
    cells: RefList
    themes: RefList = Field(default_factory=list)
    criteria: str | None = None
    expires_after_days: times.DurationDays | None = None

    @field_validator("cells")
    @classmethod
    def _some_cell(cls, cells: list[str]) -> list[str]:
        if not cells:
            raise ValueError("a badge must align to at least one spine cell")
        return cells


class OpportunityRecord(_Record):
    """Something a learner can do; ``place`` is required unless ``mode`` is ``online``."""

    id: Slug
    name: Name
    description: str = ""
    kind: Slug | None = None
    organisation: Ref
    mode: OpportunityMode
    place: Ref | None = Field(default=None, validate_default=True)
    url: Url | None = None
    themes: RefList = Field(default_factory=list)
    badges: RefList = Field(default_factory=list)
    start: times.BoundedDateOrTime | None = None
    end: times.BoundedDateOrTime | None = None
    sessions: list[Session] = Field(default_factory=list)

    @field_validator("place")
    @classmethod
    def _place_unless_online(cls, place: str | None, info: ValidationInfo) -> str | None:
        mode = info.data.get("mode")
        if place is None and mode is not None and mode != OpportunityMode.ONLINE:
            raise ValueError(f"a place is required when mode is '{mode}' "
                             "(only online opportunities may have none)")
        return place

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: datetime | date | None, info: ValidationInfo) -> datetime | date | None:
        start = info.data.get("start")
        if end is not None and start is not None and _epoch(end, end=True) < _epoch(start):
            raise ValueError("end is before start")
        return end

    @field_validator("sessions")
    @classmethod
    def _sessions_in_order(cls, sessions: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
        return sorted(sessions)

    @property
    def starts_on(self) -> int | None:
        """Epoch seconds UTC it starts: ``start``, else its first session's start."""
        return _epoch(self.start) if self.start is not None else (
            _epoch(self.sessions[0][0]) if self.sessions else None)

    @property
    def ends_on(self) -> int | None:
        """Epoch seconds UTC it ends: ``end`` (a date: the end of that day), else its
        last session's end; ``None`` for an ongoing opportunity."""
        return _epoch(self.end, end=True) if self.end is not None else (
            max(_epoch(e) for _, e in self.sessions) if self.sessions else None)


class StepRecord(_Record):
    """One pathway step: met by any ``required`` of its ``badges``."""

    title: Name
    badges: RefList
    required: PositiveInt = 1
    optional: bool = False

    @field_validator("badges")
    @classmethod
    def _some_badge(cls, badges: list[str]) -> list[str]:
        if not badges:
            raise ValueError("a step must accept at least one badge")
        return badges

    @field_validator("required")
    @classmethod
    def _not_more_than_listed(cls, required: int, info: ValidationInfo) -> int:
        badges = info.data.get("badges")
        if badges is not None and required > len(badges):
            raise ValueError(f"required is {required} but the step lists {len(badges)} badge(s)")
        return required


class StepRow(StepRecord):
    """A row of ``pathway_steps.csv``: a step and the pathway it belongs to."""

    pathway: Ref


class PathwayRecord(_Record):
    """A recommended pathway authored by an organisation, toward one destination."""

    id: Slug
    title: Name
    description: str = ""
    organisation: Ref
    destination: Ref
    status: PathwayStatus = PathwayStatus.PUBLISHED
    kind: PathwayKind = PathwayKind.RECOMMENDED
    steps: list[StepRecord]
    completion_badge: Ref | None = None

    @field_validator("kind")
    @classmethod
    def _recommended(cls, kind: PathwayKind) -> PathwayKind:
        if kind != PathwayKind.RECOMMENDED:
            raise ValueError("catalogue pathways are 'recommended' (interest pathways belong to learners)")
        return kind

    @field_validator("steps")
    @classmethod
    def _some_step(cls, steps: list[StepRecord]) -> list[StepRecord]:
        if not steps:
            raise ValueError("a pathway needs at least one step (in CSV: rows of pathway_steps.csv)")
        return steps


# --------------------------------------------------------------------------
# Where records come from, and the parsed catalogue
# --------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Where:
    """The place of a record in the input, for error messages.

    Attributes:
        file: the file, as given.
        record: the 1-based line (CSV) or ``"<section>[<index>] (line <n>)"`` (YAML).
        prefix: prepended to field names (``"steps.2."`` for a step nested in a pathway).
    """

    file: str
    record: int | str
    prefix: str = ""

    def error(self, message: str, fld: str | None = None) -> InvalidInput:
        """An ``InvalidInput`` at this place, for field ``fld`` (relative to ``prefix``)."""
        full = f"{self.prefix}{fld}" if fld else (self.prefix.rstrip(".") or None)
        return InvalidInput(message, file=self.file, record=self.record, field=full)


@dataclass(frozen=True)
class Entry(Generic[M]):
    """A validated record and where it came from."""

    value: M
    where: Where


@dataclass
class Catalogue:
    """A whole catalogue, validated and checked for internal consistency (not yet against a graph).

    Attributes:
        source: the file or folder read.
        spine: the spine to write (the catalogue's ``spine`` section or the bundled one).
        spine_source: the file the spine came from.
        destinations, themes, places, organisations, badges, opportunities, pathways:
            the records of each section, in input order.
        step_where: pathway id -> the place of each of its steps (in step order).
    """

    source: str
    spine: SpineFile
    spine_source: str
    destinations: list[Entry[DestinationRecord]] = field(default_factory=list)
    themes: list[Entry[ThemeRecord]] = field(default_factory=list)
    places: list[Entry[PlaceRecord]] = field(default_factory=list)
    organisations: list[Entry[OrganisationRecord]] = field(default_factory=list)
    badges: list[Entry[BadgeRecord]] = field(default_factory=list)
    opportunities: list[Entry[OpportunityRecord]] = field(default_factory=list)
    pathways: list[Entry[PathwayRecord]] = field(default_factory=list)
    step_where: dict[str, list[Where]] = field(default_factory=dict)


# --------------------------------------------------------------------------
# Parsing: files -> raw records with their places
# --------------------------------------------------------------------------

_Raw = list[tuple[dict[str, Any], Where]]


@dataclass
class _RawCatalogue:
    spine: tuple[dict[str, Any], Where] | None = None
    sections: dict[str, _Raw] = field(default_factory=dict)
    section_file: dict[str, str] = field(default_factory=dict)
    csv_sections: set[str] = field(default_factory=set)

    def add(self, section: str, records: _Raw, file: str, *, from_csv: bool = False) -> None:
        if section in self.section_file:
            raise InvalidInput(f"section '{section}' is also given in {self.section_file[section]}",
                               file=file)
        self.section_file[section] = file
        self.sections[section] = records
        if from_csv:
            self.csv_sections.add(section)

    def add_spine(self, data: Any, file: str, record: str) -> None:
        if "spine" in self.section_file:
            raise InvalidInput(f"section 'spine' is also given in {self.section_file['spine']}", file=file)
        if not isinstance(data, dict):
            raise InvalidInput("the spine must be a mapping (framework, layers, domains, destinations)",
                               file=file, record=record)
        self.section_file["spine"] = file
        self.spine = (data, Where(file, record))


def _load_yaml(file: Path) -> tuple[Any, yaml.Node | None]:
    """Parse one YAML document, keeping its node tree (for line numbers)."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read: {exc}", file=str(file)) from exc
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        record = f"line {mark.line + 1}" if mark is not None else None
        raise InvalidInput(f"not valid YAML: {exc}", file=str(file), record=record) from exc
    finally:
        loader.dispose()
    return data, node


def _yaml_records(file: str, section: str, items: Any, node: yaml.Node | None) -> _Raw:
    if items is None:
        return []
    if not isinstance(items, list):
        line = f"line {node.start_mark.line + 1}" if node is not None else None
        raise InvalidInput(f"section '{section}' must be a list of records", file=file, record=line)
    nodes = node.value if isinstance(node, yaml.SequenceNode) else []
    out: _Raw = []
    for i, item in enumerate(items):
        line = f" (line {nodes[i].start_mark.line + 1})" if i < len(nodes) else ""
        where = Where(file, f"{section}[{i}]{line}")
        if not isinstance(item, dict):
            raise where.error("a record must be a mapping of field: value")
        out.append((item, where))
    return out


def _read_yaml_file(file: Path, raw: _RawCatalogue) -> None:
    name = str(file)
    data, node = _load_yaml(file)
    stem = file.stem
    if data is None:
        return
    if isinstance(data, list):
        if stem not in SECTIONS[1:]:
            raise InvalidInput(
                f"a file holding a list must be named after its section ({', '.join(SECTIONS[1:])})",
                file=name)
        raw.add(stem, _yaml_records(name, stem, data, node), name)
        return
    if not isinstance(data, dict):
        raise InvalidInput("expected a mapping of sections or a list of records", file=name)
    if stem == "spine" and "spine" not in data:
        raw.add_spine(data, name, "spine")
        return
    values = {k.value: v for k, v in node.value} if isinstance(node, yaml.MappingNode) else {}
    for key, items in data.items():
        if key == "spine":
            raw.add_spine(items, name, "spine")
        elif key in SECTIONS:
            raw.add(key, _yaml_records(name, key, items, values.get(key)), name)
        else:
            hint = " (in YAML, steps are listed inside each pathway)" if key == "pathway_steps" else ""
            raise InvalidInput(f"unknown section '{key}'{hint}; expected one of {', '.join(SECTIONS)}",
                               file=name, field=str(key))


def _list_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(n for n, f in model.model_fields.items() if get_origin(f.annotation) is list)


_CSV_MODELS: dict[str, type[BaseModel]] = {
    "destinations": DestinationRecord, "themes": ThemeRecord, "places": PlaceRecord,
    "organisations": OrganisationRecord, "badges": BadgeRecord, "opportunities": OpportunityRecord,
    "pathways": PathwayRecord, "pathway_steps": StepRow,
}


def _read_csv_file(file: Path, raw: _RawCatalogue) -> None:
    name, section = str(file), file.stem
    if section not in CSV_SECTIONS:
        hint = " (the spine is YAML: spine.yaml)" if section == "spine" else ""
        raise InvalidInput(f"unknown section file{hint}; CSV files are named {', '.join(CSV_SECTIONS)}",
                           file=name)
    lists = _list_fields(_CSV_MODELS[section]) - {"steps"}
    records: _Raw = []
    try:
        with file.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = clean_header(reader, name)
            if section == "pathways" and "steps" in header:
                raise InvalidInput("in CSV, steps are rows of pathway_steps.csv", file=name, record=1,
                                   field="steps")
            for row in reader:
                where = Where(name, reader.line_num)
                if None in row:
                    raise where.error(f"the row has more cells than the header's {len(header)}")
                data: dict[str, Any] = {}
                for key, cell in row.items():
                    text = (cell or "").strip()
                    if not text:
                        continue
                    data[key] = [p.strip() for p in text.split(";") if p.strip()] if key in lists else text
                records.append((data, where))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInput(f"cannot read CSV: {exc}", file=name) from exc
    raw.add(section, records, name, from_csv=True)


def _read_raw(path: Path) -> _RawCatalogue:
    raw = _RawCatalogue()
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")
                       and p.suffix.lower() in (*_YAML_SUFFIXES, ".csv")
                       and p.name not in ACTIVITY_FILES)
        if not files:
            raise InvalidInput("no catalogue files (*.yaml, *.yml, *.csv) in this folder", file=str(path))
    elif path.is_file():
        files = [path]
    else:
        raise InvalidInput("no such file or folder", file=str(path))
    for file in files:
        if file.suffix.lower() == ".csv":
            _read_csv_file(file, raw)
        elif file.suffix.lower() in _YAML_SUFFIXES:
            _read_yaml_file(file, raw)
        else:
            raise InvalidInput("a catalogue file is YAML (.yaml, .yml) or CSV (.csv)", file=str(file))
    return raw


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


def _validated(model: type[M], raw: _RawCatalogue, section: str) -> list[Entry[M]]:
    return [Entry(validate(model, data, file=w.file, record=w.record), w)
            for data, w in raw.sections.get(section, [])]


def _pathways(raw: _RawCatalogue) -> tuple[list[Entry[PathwayRecord]], dict[str, list[Where]]]:
    """Validate pathways; CSV pathways take their steps from ``pathway_steps``."""
    rows = raw.sections.get("pathways", [])
    step_rows = [Entry(validate(StepRow, d, file=w.file, record=w.record), w)
                 for d, w in raw.sections.get("pathway_steps", [])]
    by_pathway: dict[str, list[Entry[StepRow]]] = {}
    for s in step_rows:
        by_pathway.setdefault(s.value.pathway, []).append(s)
    csv_pathways = "pathways" in raw.csv_sections
    if step_rows and "pathways" in raw.sections and not csv_pathways:
        raise step_rows[0].where.error(
            "pathway_steps.csv goes with pathways.csv; in YAML, steps are listed inside each pathway")
    ids = {str(d.get("id")) for d, _ in rows}
    for s in step_rows:
        if s.value.pathway not in ids:
            in_file = raw.section_file.get("pathways", "the catalogue (no pathways section)")
            raise s.where.error(f"no pathway '{s.value.pathway}' in {in_file}", "pathway")
    entries: list[Entry[PathwayRecord]] = []
    step_where: dict[str, list[Where]] = {}
    for data, where in rows:
        if csv_pathways:
            mine = by_pathway.get(str(data.get("id")), [])
            data = {**data, "steps": [s.value.model_dump(exclude={"pathway"}) for s in mine]}
            wheres = [s.where for s in mine]
        else:
            steps = data.get("steps")
            n = len(steps) if isinstance(steps, list) else 0
            wheres = [Where(where.file, where.record, f"steps.{i}.") for i in range(n)]
        pathway = validate(PathwayRecord, data, file=where.file, record=where.record)
        entries.append(Entry(pathway, where))
        step_where[pathway.id] = wheres
    return entries, step_where


def _check_unique(label: Label, entries: Iterable[Entry[Any]],
                  taken: dict[str, Where] | None = None) -> None:
    seen: dict[str, Where] = dict(taken or {})
    for e in entries:
        first = seen.get(e.value.id)
        if first is not None:
            raise e.where.error(f"duplicate {label} id '{e.value.id}' (first in {first.file}, "
                                f"record {first.record})", "id")
        seen[e.value.id] = e.where


def step_badge_problems(pathway: PathwayRecord) -> list[tuple[int | None, str, str]]:
    """A badge accepted by two steps of one pathway, or also its completion badge.

    Shared by the catalogue reader and the pathway authoring API.

    Returns:
        ``(step index or None for the pathway itself, field, message)`` for each
        problem, in step order; ``field`` is relative to the step
        (``badges.<j>``) or to the pathway (``completion_badge``).
    """
    problems: list[tuple[int | None, str, str]] = []
    accepted: dict[str, int] = {}
    for i, step in enumerate(pathway.steps):
        for j, badge in enumerate(step.badges):
            if badge in accepted:
                problems.append((i, f"badges.{j}", f"badge '{badge}' is already accepted by step "
                                 f"{accepted[badge]} of pathway '{pathway.id}'; a badge may appear in one step only"))
            else:
                accepted[badge] = i + 1
    if pathway.completion_badge is not None and pathway.completion_badge in accepted:
        problems.append((None, "completion_badge", f"the completion badge '{pathway.completion_badge}' is also "
                         f"accepted by step {accepted[pathway.completion_badge]}"))
    return problems


def _check_steps(catalogue: Catalogue) -> None:
    """A badge is accepted by one step of a pathway at most, and is not also its completion badge."""
    for e in catalogue.pathways:
        for i, fld, message in step_badge_problems(e.value)[:1]:
            where = e.where if i is None else catalogue.step_where[e.value.id][i]
            raise where.error(message, fld)


def read_catalogue(path: Path | str) -> Catalogue:
    """Parse and validate a catalogue without touching a graph.

    Args:
        path: a folder of YAML and/or CSV files, or one YAML file with top-level sections.

    Returns:
        The validated ``Catalogue``: every record well formed, no duplicate ids,
        steps consistent. References are checked against the graph by
        ``check_references``.

    Raises:
        InvalidInput: the first problem found, naming the file, the record and the field.
    """
    p = Path(path)
    raw = _read_raw(p)
    if raw.spine is not None:
        data, where = raw.spine
        spine = validate(SpineFile, data, file=where.file, record=where.record)
        spine_source = where.file
    else:
        spine, spine_source = read_spine(None), str(default_spine_path())
    cat = Catalogue(source=str(p), spine=spine, spine_source=spine_source)
    cat.destinations = _validated(DestinationRecord, raw, "destinations")
    cat.themes = _validated(ThemeRecord, raw, "themes")
    cat.places = _validated(PlaceRecord, raw, "places")
    cat.organisations = _validated(OrganisationRecord, raw, "organisations")
    cat.badges = _validated(BadgeRecord, raw, "badges")
    cat.opportunities = _validated(OpportunityRecord, raw, "opportunities")
    cat.pathways, cat.step_where = _pathways(raw)

    spine_dests = {d.id: Where(spine_source, "spine", f"destinations.{i}.")
                   for i, d in enumerate(spine.destinations)}
    _check_unique(Label.DESTINATION, cat.destinations, taken=spine_dests)
    _check_unique(Label.THEME, cat.themes)
    _check_unique(Label.PLACE, cat.places)
    _check_unique(Label.ORGANISATION, cat.organisations)
    _check_unique(Label.BADGE, cat.badges)
    _check_unique(Label.OPPORTUNITY, cat.opportunities)
    _check_unique(Label.PATHWAY, cat.pathways)
    _check_steps(cat)
    return cat


def _references(cat: Catalogue) -> list[tuple[Label, str, Where, str]]:
    """Every reference in the catalogue: ``(label, id, where, field)``, in input order."""
    refs: list[tuple[Label, str, Where, str]] = []

    def many(label: Label, ids: list[str], where: Where, fld: str) -> None:
        refs.extend((label, v, where, f"{fld}.{j}") for j, v in enumerate(ids))

    for t in cat.themes:
        many(Label.DESTINATION, t.value.destinations, t.where, "destinations")
    for pl in cat.places:
        if pl.value.within is not None:
            refs.append((Label.PLACE, pl.value.within, pl.where, "within"))
    for b in cat.badges:
        refs.append((Label.ORGANISATION, b.value.issuer, b.where, "issuer"))
        many(Label.SPINE_CELL, b.value.cells, b.where, "cells")
        many(Label.THEME, b.value.themes, b.where, "themes")
    for o in cat.opportunities:
        refs.append((Label.ORGANISATION, o.value.organisation, o.where, "organisation"))
        if o.value.place is not None:
            refs.append((Label.PLACE, o.value.place, o.where, "place"))
        many(Label.THEME, o.value.themes, o.where, "themes")
        many(Label.BADGE, o.value.badges, o.where, "badges")
    for pw in cat.pathways:
        p = pw.value
        refs.append((Label.ORGANISATION, p.organisation, pw.where, "organisation"))
        refs.append((Label.DESTINATION, p.destination, pw.where, "destination"))
        for step, where in zip(p.steps, cat.step_where[p.id]):
            many(Label.BADGE, step.badges, where, "badges")
        if p.completion_badge is not None:
            refs.append((Label.BADGE, p.completion_badge, pw.where, "completion_badge"))
    return refs


def _known_ids(cat: Catalogue) -> dict[Label, set[str]]:
    return {
        Label.SPINE_CELL: {r["id"] for r in spine_cell_rows(cat.spine)},
        Label.DESTINATION: {d.id for d in cat.spine.destinations} | {e.value.id for e in cat.destinations},
        Label.THEME: {e.value.id for e in cat.themes},
        Label.PLACE: {e.value.id for e in cat.places},
        Label.ORGANISATION: {e.value.id for e in cat.organisations},
        Label.BADGE: {e.value.id for e in cat.badges},
    }


def check_references(store: GraphStore, catalogue: Catalogue) -> None:
    """Check that every reference names a node in the catalogue or already in the graph.

    Reads only: one ``missing_ids`` query per (label, file) with references
    outside the catalogue.

    Args:
        store: the graph the catalogue will be written to.
        catalogue: from ``read_catalogue``.

    Raises:
        InvalidInput: the first unknown id, naming the file, the record and the field.
    """
    known = _known_ids(catalogue)
    groups: dict[tuple[Label, str], dict[str, tuple[int | str, str]]] = {}
    for label, ref, where, fld in _references(catalogue):
        if ref in known[label]:
            continue
        groups.setdefault((label, where.file), {}).setdefault(ref, (where.record, f"{where.prefix}{fld}"))
    for (label, file), where_map in groups.items():
        require_existing(store, label, where_map.keys(), file=file, where=where_map)


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------


def _epoch(value: datetime | date | None, *, end: bool = False) -> int | None:
    """Epoch seconds UTC: a date is its midnight UTC (with ``end``, the next
    midnight: a date given as an end includes that day); a naive datetime is
    taken as UTC."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = _utc(value)
    else:
        moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
        if end:
            moment += timedelta(days=1)
    return int(moment.timestamp())


def _node(id_: str, **props: Any) -> dict[str, Any]:
    """A ``merge_nodes`` row."""
    return {"id": id_, "props": props}


def _link(id_: str, targets: Iterable[str | None],
          props: Callable[[int], dict[str, Any]] | None = None) -> dict[str, Any]:
    """A ``set_links`` row: the owner and its targets (``None`` targets dropped)."""
    ids = [t for t in targets if t is not None]
    return {"id": id_,
            "targets": [{"id": t, "props": props(i) if props else {}} for i, t in enumerate(ids)]}


def write_catalogue(store: GraphStore, catalogue: Catalogue) -> IngestReport:
    """Write a checked catalogue: idempotent upserts, one ``UNWIND`` statement per batch.

    Order: spine cells, destinations, themes, places, organisations, badges,
    opportunities, pathways and their steps. Each record's links of one kind
    are replaced by the listed ones; steps a pathway no longer has are deleted.

    Args:
        store: the graph.
        catalogue: from ``read_catalogue``, checked with ``check_references``.

    Returns:
        Rows written per label and per relationship type (``{"Badge": 51, "ALIGNS_TO": 72, ...}``).

    Raises:
        ColearnError: the store rejected a statement (``StoreUnavailable`` if unreachable).
    """
    cat = catalogue
    report = IngestReport(source=cat.source)

    def nodes(label: Label, rows: list[dict[str, Any]]) -> None:
        report.add(str(label), write_batches(store, queries.merge_nodes(label), rows, label=str(label),
                                             record=feed.CATALOGUE))

    def links(owner: Label, rel: Rel, other: Label, rows: list[dict[str, Any]], *,
              outgoing: bool = True) -> None:
        write_batches(store, queries.set_links(owner, rel, other, outgoing=outgoing), rows, label=str(rel),
                      record=feed.CATALOGUE)
        report.add(str(rel), sum(len(r["targets"]) for r in rows))

    nodes(Label.SPINE_CELL, spine_cell_rows(cat.spine))
    dests = [*cat.spine.destinations, *(e.value for e in cat.destinations)]
    nodes(Label.DESTINATION, [_node(d.id, name=d.name, description=d.description) for d in dests])

    themes = [e.value for e in cat.themes]
    nodes(Label.THEME, [_node(t.id, name=t.name, kind=str(t.kind), description=t.description)
                        for t in themes])
    links(Label.THEME, Rel.LEADS_TO, Label.DESTINATION, [_link(t.id, t.destinations) for t in themes])

    nodes(Label.PLACE, [_node(pl.id, name=pl.name, kind=pl.kind, lat=pl.lat, lon=pl.lon)
                        for pl in (e.value for e in cat.places)])
    links(Label.PLACE, Rel.WITHIN, Label.PLACE, [_link(e.value.id, [e.value.within]) for e in cat.places])
    nodes(Label.ORGANISATION, [_node(o.id, name=o.name, kind=o.kind, url=o.url, email=o.email,
                                     description=o.description)
                               for o in (e.value for e in cat.organisations)])

    badges = [e.value for e in cat.badges]
    nodes(Label.BADGE, [_node(b.id, name=b.name, description=b.description, criteria=b.criteria,
                              expires_after_days=b.expires_after_days) for b in badges])
    links(Label.BADGE, Rel.DEFINES, Label.ORGANISATION, [_link(b.id, [b.issuer]) for b in badges],
          outgoing=False)
    links(Label.BADGE, Rel.ALIGNS_TO, Label.SPINE_CELL, [_link(b.id, b.cells) for b in badges])
    links(Label.BADGE, Rel.IN_THEME, Label.THEME, [_link(b.id, b.themes) for b in badges])

    opps = [e.value for e in cat.opportunities]
    nodes(Label.OPPORTUNITY, [_node(o.id, name=o.name, description=o.description, kind=o.kind,
                                    mode=str(o.mode), url=o.url, starts_on=o.starts_on,
                                    ends_on=o.ends_on,
                                    session_starts=[_epoch(a) for a, _ in o.sessions],
                                    session_ends=[_epoch(b) for _, b in o.sessions]) for o in opps])
    links(Label.OPPORTUNITY, Rel.OFFERS, Label.ORGANISATION, [_link(o.id, [o.organisation]) for o in opps],
          outgoing=False)
    links(Label.OPPORTUNITY, Rel.LOCATED_IN, Label.PLACE, [_link(o.id, [o.place]) for o in opps])
    links(Label.OPPORTUNITY, Rel.IN_THEME, Label.THEME, [_link(o.id, o.themes) for o in opps])
    links(Label.OPPORTUNITY, Rel.AWARDS, Label.BADGE, [_link(o.id, o.badges) for o in opps])

    pathways = [e.value for e in cat.pathways]
    nodes(Label.PATHWAY, [_node(p.id, title=p.title, description=p.description, status=str(p.status),
                                kind=str(p.kind)) for p in pathways])
    links(Label.PATHWAY, Rel.AUTHORED, Label.ORGANISATION, [_link(p.id, [p.organisation]) for p in pathways],
          outgoing=False)
    links(Label.PATHWAY, Rel.TOWARDS, Label.DESTINATION, [_link(p.id, [p.destination]) for p in pathways])
    links(Label.PATHWAY, Rel.COMPLETES_WITH, Label.BADGE,
          [_link(p.id, [p.completion_badge]) for p in pathways])
    step_ids = {p.id: [step_id(p.id, n) for n in range(1, len(p.steps) + 1)] for p in pathways}
    write_batches(store, queries.DELETE_STALE_STEPS,
                  [{"id": p.id, "step_ids": step_ids[p.id]} for p in pathways], label=str(Label.STEP),
                  record=feed.CATALOGUE)
    steps = [(sid, s) for p in pathways for sid, s in zip(step_ids[p.id], p.steps)]
    nodes(Label.STEP, [_node(sid, title=s.title, required=s.required, optional=s.optional)
                       for sid, s in steps])
    links(Label.PATHWAY, Rel.HAS_STEP, Label.STEP,
          [_link(p.id, step_ids[p.id], lambda i: {"order": i + 1}) for p in pathways])
    links(Label.STEP, Rel.ACCEPTS, Label.BADGE, [_link(sid, s.badges) for sid, s in steps])
    return report


def ingest_catalogue(store: GraphStore, path: Path | str) -> IngestReport:
    """Read, validate and write a city catalogue (idempotent).

    Everything is validated, references included, before the first write, so
    bad input leaves the graph as it was.

    Args:
        store: the graph.
        path: a folder of YAML and/or CSV files, or one YAML file with
            top-level sections (see the module docstring for the format).

    Returns:
        Rows written per label and relationship type.

    Raises:
        InvalidInput: the catalogue is malformed or refers to unknown ids; the
            message names the file, the record and the field.
        ColearnError: the store rejected a write (``StoreUnavailable`` if unreachable).
    """
    catalogue = read_catalogue(path)
    check_references(store, catalogue)
    return write_catalogue(store, catalogue)


def shift_dates(catalogue: Catalogue, days: int) -> Catalogue:
    """The same catalogue with every opportunity's ``start``, ``end`` and sessions
    moved by ``days`` days (negative: earlier). The input is not changed."""
    if not days:
        return catalogue
    by = timedelta(days=days)
    moved = []
    for e in catalogue.opportunities:
        o = e.value
        update = {"start": None if o.start is None else o.start + by,
                  "end": None if o.end is None else o.end + by,
                  "sessions": [(a + by, b + by) for a, b in o.sessions]}
        moved.append(Entry(o.model_copy(update=update), e.where))
    return replace(catalogue, opportunities=moved)


def demo_shift_days(today: date) -> int:
    """Days from ``DEMO_DATES_AS_OF`` to the Monday of ``today``'s week: a whole
    number of weeks, so that every demo date keeps its weekday."""
    monday = today - timedelta(days=today.weekday())
    return (monday - DEMO_DATES_AS_OF).days


def ingest_demo_catalogue(store: GraphStore, today: date | None = None) -> IngestReport:
    """Read the bundled demo city's catalogue, move its opportunities' dates to
    ``today``'s week (``demo_shift_days``; default: today, UTC) and write it.

    Raises:
        InvalidInput: the bundled catalogue is malformed (a packaging fault).
        ColearnError: the store rejected a write.
    """
    today = today or datetime.now(UTC).date()
    catalogue = shift_dates(read_catalogue(demo_city_path()), demo_shift_days(today))
    check_references(store, catalogue)
    return write_catalogue(store, catalogue)
