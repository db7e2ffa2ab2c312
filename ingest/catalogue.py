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
                     within -> WITHIN (a venue's district; any depth,
                     never a cycle)}]
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
``2026-10-07T17:00:00Z/2026-10-07T18:30:00Z`` with time zones (``;``-separated in CSV), stored
as two lists ``session_starts`` and ``session_ends`` (epoch seconds, in time
order); an opportunity with sessions and no ``start``/``end`` runs from its first
session's start to its last session's end. A date alone means a date in a CSV cell
as in YAML, and the times must agree (``records.catalogue.time_problems``: the end
not before the start, every session within ``[start, end]``). An opportunity has ended when its
``ends_on`` is in the past; one with no ``end`` is ongoing.

Everything is validated before anything is written: the shape of each record
(pydantic, unknown fields refused, ids lower-case slugs), duplicate ids,
references to ids that are neither in the catalogue nor in the graph, steps
that accept no badge or require more badges than they list, and a badge
accepted by two steps of one pathway, and a place that lies within itself, at
once or in a cycle through other places (with the graph's places). Errors are ``InvalidInput`` naming the
file, the record (the 1-based line for CSV; ``badges[12] (line 140)`` for YAML,
section, 0-based index and the record's first line) and the field.

Writes are idempotent upserts in dependency order, one ``UNWIND`` statement per
batch; each record's links of a kind are replaced, so re-reading an edited
catalogue leaves no stale links. Validation errors leave the graph untouched;
a store failure part-way can leave earlier sections written (neither engine
offers one transaction over all of them through this interface), and running
the ingest again completes it.

The records themselves are ``colearn.records`` (shared with the API); reading
the files is ``catalogue_files``, writing the graph ``catalogue_write``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from colearn.graph import queries
from colearn.graph.issuing import issuer_change_problem
from colearn.graph.schema import Label
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue_files import (ACTIVITY_FILES, CSV_SECTIONS, SECTIONS, Catalogue, Entry, RawCatalogue,
                                            Where, read_raw)
from colearn.ingest.catalogue_write import write_catalogue
from colearn.ingest.common import IngestReport, require_existing, validate
from colearn.ingest.spine import default_spine_path, read_spine, spine_cell_rows
from colearn.records.catalogue import (BadgeRecord, DestinationRecord, OpportunityRecord, OrganisationRecord,
                                       PathwayRecord, PlaceRecord, StepRecord, StepRow, ThemeRecord,
                                       foreign_badge_problem, step_badge_problems, step_id, within_cycle)
from colearn.records.fields import Email, Name, Ref, RefList, Session, Slug, Url
from colearn.records.spine import SpineFile

# The records, the file side and the writer live in their own modules
# (``colearn.records``, ``catalogue_files``, ``catalogue_write``); their names
# stay importable from here, where the readers and the tests have always found them.
__all__ = [
    "ACTIVITY_FILES",
    "SECTIONS",
    "CSV_SECTIONS",
    "DEMO_DATES_AS_OF",
    "BadgeRecord",
    "Catalogue",
    "DestinationRecord",
    "Email",
    "Entry",
    "Name",
    "OpportunityRecord",
    "OrganisationRecord",
    "PathwayRecord",
    "PlaceRecord",
    "Ref",
    "RefList",
    "Session",
    "Slug",
    "SpineFile",
    "StepRecord",
    "StepRow",
    "ThemeRecord",
    "Url",
    "Where",
    "check_places",
    "check_references",
    "demo_city_path",
    "demo_shift_days",
    "ingest_catalogue",
    "ingest_demo_catalogue",
    "shift_dates",
    "read_catalogue",
    "step_badge_problems",
    "step_id",
    "write_catalogue",
]

M = TypeVar("M", bound=BaseModel)


def demo_city_path() -> Path:
    """The demo city bundled with colearn (``data/demo-city/``, a folder of YAML files)."""
    return Path(str(resources.files("colearn.data").joinpath("demo-city")))


#: The Monday the demo city's opportunity dates are written relative to (its
#: README says so): ``ingest_demo_catalogue`` moves every date by the whole weeks
#: from this Monday to the current week's, so that the city always has a few
#: ended opportunities, some running now and most still to come.
DEMO_DATES_AS_OF = date(2026, 10, 5)


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


def _validated(model: type[M], raw: RawCatalogue, section: str) -> list[Entry[M]]:
    return [Entry(validate(model, data, file=w.file, record=w.record), w)
            for data, w in raw.sections.get(section, [])]


def _pathways(raw: RawCatalogue) -> tuple[list[Entry[PathwayRecord]], dict[str, list[Where]]]:
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
    raw = read_raw(p)
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

    Also the rules that need the graph: a pathway's completion badge is its
    organisation's own (``foreign_badge_problem``), and a badge with live awards
    or a pathway to complete keeps its issuer (``issuing.issuer_change_problem``).

    Reads only: one ``missing_ids`` query per (label, file) with references
    outside the catalogue, one read of the badges' issuers, and a few more per
    completion badge or badge whose issuer changes.

    Args:
        store: the graph the catalogue will be written to.
        catalogue: from ``read_catalogue``.

    Raises:
        InvalidInput: the first unknown id or broken rule, naming the file, the record
            and the field.
    """
    known = _known_ids(catalogue)
    groups: dict[tuple[Label, str], dict[str, tuple[int | str, str]]] = {}
    for label, ref, where, fld in _references(catalogue):
        if ref in known[label]:
            continue
        groups.setdefault((label, where.file), {}).setdefault(ref, (where.record, f"{where.prefix}{fld}"))
    for (label, file), where_map in groups.items():
        require_existing(store, label, where_map.keys(), file=file, where=where_map)
    _check_completion_owners(store, catalogue)
    stored = {r["badge_id"]: r["issuer_id"] for r in store.read(
        queries.BADGE_ISSUERS, {"badge_ids": [b.value.id for b in catalogue.badges]})}
    for b in catalogue.badges:  # only a badge whose issuer changes costs more reads
        fixed = issuer_change_problem(store, b.value.id, b.value.issuer) \
            if stored.get(b.value.id) not in (None, b.value.issuer) else None
        if fixed:
            raise b.where.error(fixed, "issuer")


def _check_completion_owners(store: GraphStore, catalogue: Catalogue) -> None:
    """A pathway's completion badge is awarded in its organisation's name, so that
    organisation must define it (``foreign_badge_problem``, the API's rule): the
    badge's issuer in this catalogue, else the one in the graph."""
    issuers = {e.value.id: e.value.issuer for e in catalogue.badges}
    for pw in catalogue.pathways:
        p = pw.value
        if p.completion_badge is None:
            continue
        if p.completion_badge in issuers:
            issuer: str | None = issuers[p.completion_badge]
        else:
            rows = store.read(queries.BADGES_NOT_DEFINED_BY, {"ids": [p.completion_badge],
                                                              "organisation": p.organisation})
            issuer = rows[0]["issuer"] if rows else p.organisation
        problem = foreign_badge_problem(p.completion_badge, issuer, p.organisation)
        if problem:
            raise pw.where.error(f"pathway '{p.id}': {problem}", "completion_badge")



def check_places(store: GraphStore, catalogue: Catalogue) -> None:
    """Check that no place lies within itself, at once or through other places, once
    the catalogue's ``within`` links replace the graph's (``records.catalogue.within_cycle``).

    Reads only: the graph's ``WITHIN`` links (``queries.PLACES_WITHIN``).

    Raises:
        InvalidInput: the first place in a cycle, naming the file, the record and ``within``.
    """
    if not catalogue.places:
        return
    within: dict[str, str | None] = {r["id"]: r["within"] for r in store.read(queries.PLACES_WITHIN)}
    within |= {e.value.id: e.value.within for e in catalogue.places}
    for e in catalogue.places:
        problem = within_cycle(e.value.id, within)
        if problem is not None:
            raise e.where.error(problem, "within")


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
        InvalidInput: the catalogue is malformed, refers to unknown ids, or puts
            a place within itself (``check_places``); the message names the file,
            the record and the field.
        ColearnError: the store rejected a write (``StoreUnavailable`` if unreachable).
    """
    catalogue = read_catalogue(path)
    check_references(store, catalogue)
    check_places(store, catalogue)
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
    check_places(store, catalogue)
    return write_catalogue(store, catalogue)
