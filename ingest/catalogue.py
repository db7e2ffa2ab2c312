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
that accept no badge or require more badges than they list, the pathway rules
the authoring API applies too (``records.catalogue``: a badge accepted by two
steps of one pathway, a completion badge that is also a step's or is not its
organisation's own), and a place that lies within itself, at once or in a cycle
through other places (with the graph's places). Every problem is found before
the catalogue is refused (``catalogue_checks``), so one run lists them all: an
``InvalidInput`` for one, ``InvalidInputs`` listing each for several. Each names
the file, the record (the 1-based line for CSV; ``badges[12] (line 140)`` for
YAML, section, 0-based index and the record's first line) and the field.

Writes are idempotent upserts in dependency order, one ``UNWIND`` statement per
batch; each record's links of a kind are replaced, so re-reading an edited
catalogue leaves no stale links. Validation errors leave the graph untouched;
a store failure part-way can leave earlier sections written (neither engine
offers one transaction over all of them through this interface), and running
the ingest again completes it.

The records themselves are ``colearn.records`` (shared with the API); reading
the files is ``catalogue_files``, checking them ``catalogue_checks``, writing the
graph ``catalogue_write``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from colearn.errors import InvalidInput, refuse
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue_checks import place_problems, read_checked, reference_problems
from colearn.ingest.catalogue_files import ACTIVITY_FILES, CSV_SECTIONS, SECTIONS, Catalogue, Entry, Where
from colearn.ingest.catalogue_write import write_catalogue
from colearn.ingest.common import IngestReport
from colearn.records.catalogue import (BadgeRecord, DestinationRecord, OpportunityRecord, OrganisationRecord,
                                       PathwayRecord, PlaceRecord, StepRecord, StepRow, ThemeRecord,
                                       step_badge_problems, step_id)
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


def demo_city_path() -> Path:
    """The demo city bundled with colearn (``data/demo-city/``, a folder of YAML files)."""
    return Path(str(resources.files("colearn.data").joinpath("demo-city")))


#: The Monday the demo city's opportunity dates are written relative to (its
#: README says so): ``ingest_demo_catalogue`` moves every date by the whole weeks
#: from this Monday to the current week's, so that the city always has a few
#: ended opportunities, some running now and most still to come.
DEMO_DATES_AS_OF = date(2026, 10, 5)


# --------------------------------------------------------------------------
# Validation (the checks themselves: ``catalogue_checks``)
# --------------------------------------------------------------------------


def _refuse(problems: list[InvalidInput]) -> None:
    """Raise every problem found (each once, in the order found), if any."""
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for p in problems:
        key = (p.file, p.record, p.field, p.detail)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    refuse(unique)


def read_catalogue(path: Path | str) -> Catalogue:
    """Parse and validate a catalogue without touching a graph.

    Args:
        path: a folder of YAML and/or CSV files, or one YAML file with top-level sections.

    Returns:
        The validated ``Catalogue``: every record well formed, no duplicate ids,
        steps consistent. References are checked against the graph by
        ``check_references``.

    Raises:
        InvalidInput: one problem, naming the file, the record and the field
            (``InvalidInputs``: several, each so named; every problem that needs no
            graph is found before refusing).
    """
    catalogue, problems = read_checked(Path(path))
    _refuse(problems)
    return catalogue


def check_references(store: GraphStore, catalogue: Catalogue) -> None:
    """Check that every reference names a node in the catalogue or already in the
    graph, with the rules that need the graph (``catalogue_checks.reference_problems``:
    a pathway's completion badge its organisation's own, a badge with live awards
    keeps its issuer). Reads only.

    Raises:
        InvalidInput: an unknown id or broken rule, naming the file, the record and
            the field (``InvalidInputs``: several, all of them).
    """
    _refuse(reference_problems(store, catalogue))


def check_places(store: GraphStore, catalogue: Catalogue) -> None:
    """Check that no place lies within itself, at once or through other places, once
    the catalogue's ``within`` links replace the graph's (``records.catalogue.within_cycle``).

    Reads only: the graph's ``WITHIN`` links (``queries.PLACES_WITHIN``).

    Raises:
        InvalidInput: a place in a cycle, naming the file, the record and ``within``
            (``InvalidInputs``: every such place).
    """
    _refuse(place_problems(store, catalogue))


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
            the record and the field. Every problem is found before refusing,
            the graph's included: several are one ``InvalidInputs`` listing each.
        ColearnError: the store rejected a write (``StoreUnavailable`` if unreachable).
    """
    catalogue, problems = read_checked(Path(path))
    _refuse(problems + reference_problems(store, catalogue) + place_problems(store, catalogue))
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
    _refuse(reference_problems(store, catalogue) + place_problems(store, catalogue))
    return write_catalogue(store, catalogue)
