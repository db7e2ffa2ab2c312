"""Reader for a city's learners and their past awards: ``learners.csv`` and ``award_history.csv``.

They sit in a city folder beside the catalogue (the catalogue reader leaves
them alone, see ``catalogue.ACTIVITY_FILES``); either may be absent. The award
history is still read under its former name ``awards.csv`` (a folder holding
both is refused); it is not the bulk award CSV of ``colearn issue --csv``
(``domain.awards.parse_award_csv``), which asks for new awards.

``learners.csv`` (header row; ``;`` separates list cells; empty means not given)::

    id, home_place, themes, destinations, interests

``home_place`` is a ``Place`` id (a district) -> ``(:Learner)-[:LIVES_IN]->(:Place)``;
``themes`` and ``destinations`` are the learner's stated interests ->
``(:Learner)-[:INTERESTED_IN]->(:Theme|:Destination)``; ``interests`` is free
text kept on the learner (``interests_text``) and never used in aggregates.

``award_history.csv``::

    id, learner, badge, organisation, issued_on, status, expires_on

One ``Assertion`` per row, ``(:Organisation)-[:ISSUED]->(a)-[:OF]->(:Badge)``,
``(a)-[:TO]->(:Learner)``. ``organisation`` must be the organisation that
defines the badge (an assertion's issuer is its BadgeClass's issuer);
``status`` is ``issued``, ``accepted`` (default), ``declined`` or ``revoked``;
dates are ISO 8601 (a date is midnight UTC), stored as epoch seconds.

Everything is validated before anything is written (record shapes, duplicate
ids, references to learners, places, themes, destinations, badges and
organisations in the files or the graph, the issuer); errors are
``InvalidInput`` naming the file, the line and the field, and every unknown
reference and wrong issuer is reported at once (``InvalidInputs``), found with
one read of the graph. Writes are
idempotent, one ``UNWIND`` statement per batch of 5,000 rows; an existing
assertion keeps its properties.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from colearn import times
from colearn.errors import InvalidInput, refuse
from colearn.graph import feed, queries, references
from colearn.graph.schema import AssertionStatus, Label, Rel
from colearn.graph.store import GraphStore
from colearn.ingest.catalogue_files import ACTIVITY_FILES
from colearn.ingest.common import IngestReport, clean_header, read_utf8, validation_problems, write_batches
from colearn.records.fields import Ref, RefList

__all__ = ["HISTORY_FILE", "LEARNERS_FILE", "OLD_HISTORY_FILE", "Activity", "AwardRow", "LearnerRow", "has_activity",
           "AWARD_PROPS", "AWARD_STATEMENT", "ingest_awards", "read_activity"]

#: The learners, their award history, and the history's former name (still read).
LEARNERS_FILE, HISTORY_FILE, OLD_HISTORY_FILE = ACTIVITY_FILES
#: ``source`` property of the learners and assertions this reader writes.
SOURCE = "csv"
#: The properties of an assertion this reader writes (``expires_on`` null, i.e. left out, when
#: the row has none), and the statement that writes its award rows with them.
AWARD_PROPS = ("status", "issued_on", "expires_on", "source")
#: ``queries.merge_assertions(AWARD_PROPS)``: the properties in the ``CREATE`` map; its
#: parameters are ``queries.assertion_groups(rows)``.
AWARD_STATEMENT = queries.merge_assertions(AWARD_PROPS)


def _epoch(value: datetime | date) -> int:
    """Epoch seconds UTC: a date is its midnight UTC, a naive datetime is taken as UTC
    (records were range-checked by ``times.BoundedDateOrTime``)."""
    return int(times.in_range(value).timestamp())


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LearnerRow(_Row):
    """One row of ``learners.csv``."""

    id: str = Field(min_length=1, max_length=200, pattern=r"^\S+$")
    home_place: Ref | None = None
    themes: RefList = Field(default_factory=list)
    destinations: RefList = Field(default_factory=list)
    interests: str = ""


class AwardRow(_Row):
    """One row of ``award_history.csv``."""

    id: str = Field(min_length=1, max_length=200, pattern=r"^\S+$")
    learner: Ref
    badge: Ref
    organisation: Ref
    issued_on: times.BoundedDateOrTime
    status: AssertionStatus = AssertionStatus.ACCEPTED
    expires_on: times.BoundedDateOrTime | None = None

    @field_validator("expires_on")
    @classmethod
    def _after_issue(cls, expires: datetime | date | None, info: Any) -> datetime | date | None:
        issued = info.data.get("issued_on")
        if expires is not None and issued is not None and _epoch(expires) <= _epoch(issued):
            raise ValueError("expires_on is not after issued_on")
        return expires


@dataclass
class Activity:
    """Validated learners and awards of one folder, each with its 1-based line.

    Attributes:
        folder: the folder read.
        learners: ``(line, row)`` from ``learners.csv``.
        awards: ``(line, row)`` from the award history.
        history_file: the name the award history was read under
            (``award_history.csv``, or its former name ``awards.csv``).
    """

    folder: str
    learners: list[tuple[int, LearnerRow]] = field(default_factory=list)
    awards: list[tuple[int, AwardRow]] = field(default_factory=list)
    history_file: str = HISTORY_FILE

    def file(self, name: str) -> str:
        """The path of one of the files, for messages."""
        return str(Path(self.folder) / name)


def has_activity(folder: Path | str) -> bool:
    """Whether ``folder`` holds ``learners.csv`` or an award history (either name)."""
    p = Path(folder)
    return p.is_dir() and any((p / name).is_file() for name in ACTIVITY_FILES)


def _read_csv(path: Path, model: type[_Row], lists: frozenset[str],
              problems: list[InvalidInput]) -> list[tuple[int, Any]]:
    """The well-shaped rows of ``path``; each problem of the others (one per field) added to ``problems``."""
    name = str(path)
    out: list[tuple[int, Any]] = []
    content = read_utf8(path)
    try:
        with io.StringIO(content, newline="") as fh:
            reader = csv.DictReader(fh)
            header = clean_header(reader, name)
            for row in reader:
                line = reader.line_num
                if None in row:
                    problems.append(InvalidInput(f"the row has more cells than the header's {len(header)}",
                                                 file=name, record=line))
                    continue
                data: dict[str, Any] = {}
                for key, cell in row.items():
                    text = (cell or "").strip()
                    if text:
                        data[key] = [p.strip() for p in text.split(";") if p.strip()] if key in lists else text
                try:
                    out.append((line, model.model_validate(data)))
                except ValidationError as exc:
                    problems += validation_problems(exc, file=name, record=line)
    except csv.Error as exc:
        raise InvalidInput(f"cannot read CSV: {exc}", file=name) from exc
    return out


def _check_unique(rows: list[tuple[int, Any]], file: str, problems: list[InvalidInput]) -> None:
    first: dict[str, int] = {}
    for line, row in rows:
        if row.id in first:
            problems.append(InvalidInput(f"duplicate id '{row.id}' (first on line {first[row.id]})",
                                         file=file, record=line, field="id"))
        first.setdefault(row.id, line)


def read_activity(folder: Path | str) -> Activity:
    """Parse and validate ``learners.csv`` and ``award_history.csv`` (or its former name
    ``awards.csv``) of ``folder`` (either may be absent).

    Raises:
        InvalidInput: a malformed row or a duplicate id, naming the file, line and
            field (``InvalidInputs`` for several: every one of every row, one per
            field); or both names of the award history in one folder.
    """
    act, problems = _read_activity(folder)
    refuse(problems)
    return act


def _read_activity(folder: Path | str) -> tuple[Activity, list[InvalidInput]]:
    """The well-shaped rows of ``folder`` and the problems of the others (``read_activity``)."""
    p = Path(folder)
    problems: list[InvalidInput] = []
    act = Activity(folder=str(p))
    if (p / OLD_HISTORY_FILE).is_file():
        if (p / HISTORY_FILE).is_file():
            raise InvalidInput(f"both {HISTORY_FILE} and {OLD_HISTORY_FILE} (its former name) are here: "
                               "keep one", file=act.file(OLD_HISTORY_FILE))
        act.history_file = OLD_HISTORY_FILE
    if (p / LEARNERS_FILE).is_file():
        act.learners = _read_csv(p / LEARNERS_FILE, LearnerRow, frozenset({"themes", "destinations"}), problems)
        _check_unique(act.learners, act.file(LEARNERS_FILE), problems)
    if (p / act.history_file).is_file():
        act.awards = _read_csv(p / act.history_file, AwardRow, frozenset(), problems)
        _check_unique(act.awards, act.file(act.history_file), problems)
    return act, problems


def _reference_problems(store: GraphStore, act: Activity) -> list[InvalidInput]:
    """Every reference that names a node in neither the files nor the graph, and every
    award whose organisation does not define its badge (asked when both exist: an unknown
    one is its own problem): one problem per row and field, naming the file, the line
    and the field.

    Reads only: one ``references.missing`` for all the references together, one
    ``BADGE_ISSUERS``.
    """
    lfile, afile = act.file(LEARNERS_FILE), act.file(act.history_file)
    refs: list[tuple[Label, str, str, int, str]] = []
    for line, r in act.learners:
        if r.home_place is not None:
            refs.append((Label.PLACE, r.home_place, lfile, line, "home_place"))
        refs += [(Label.THEME, t, lfile, line, f"themes.{j}") for j, t in enumerate(r.themes)]
        refs += [(Label.DESTINATION, d, lfile, line, f"destinations.{j}") for j, d in enumerate(r.destinations)]
    in_file = {r.id for _, r in act.learners}
    for line, a in act.awards:
        if a.learner not in in_file:
            refs.append((Label.LEARNER, a.learner, afile, line, "learner"))
        refs += [(Label.BADGE, a.badge, afile, line, "badge"),
                 (Label.ORGANISATION, a.organisation, afile, line, "organisation")]
    missing = references.missing(store, references.by_label((label, ref) for label, ref, *_ in refs))
    problems = [InvalidInput(f"unknown {label} '{ref}'", file=file, record=line, field=fld)
                for label, ref, file, line, fld in refs if ref in missing[label]]
    known = [(line, a) for line, a in act.awards
             if a.badge not in missing[Label.BADGE] and a.organisation not in missing[Label.ORGANISATION]]
    if known:
        issuers = {r["badge_id"]: r["issuer_id"] for r in store.read(
            queries.BADGE_ISSUERS, {"badge_ids": sorted({a.badge for _, a in known})})}
        problems += [InvalidInput(f"badge '{a.badge}' is defined by '{issuers.get(a.badge)}', not "
                                  f"'{a.organisation}': an award's issuer is its badge's issuer",
                                  file=afile, record=line, field="organisation")
                     for line, a in known if issuers.get(a.badge) != a.organisation]
    return problems


def _links(rows: list[tuple[str, list[str]]]) -> list[dict[str, Any]]:
    return [{"id": i, "targets": [{"id": t, "props": {}} for t in targets]} for i, targets in rows]


def ingest_awards(store: GraphStore, folder: Path | str) -> IngestReport:
    """Read, validate and write the learners and awards of a city folder (idempotent).

    Args:
        store: the graph, already holding the catalogue the files refer to.
        folder: a folder with ``learners.csv`` and/or ``award_history.csv`` (or ``awards.csv``).

    Returns:
        Rows written per label and relationship type.

    Raises:
        InvalidInput: malformed rows (one problem per field), duplicate ids, unknown
            references of the well-shaped rows and awards whose organisation does not
            define their badge, all of them at once (``InvalidInputs`` for several),
            by file and line. Each names the file, the line and the field. Nothing
            is written then.
        ColearnError: the store rejected a write (``StoreUnavailable`` if unreachable).
    """
    act, problems = _read_activity(folder)  # every row's shape, and the references of the well-shaped ones
    problems += _reference_problems(store, act)
    refuse(sorted(problems, key=lambda e: (str(e.file), e.record if isinstance(e.record, int) else 0)))
    report = IngestReport(source=act.folder)
    learners = [r for _, r in act.learners]
    report.add(str(Label.LEARNER), write_batches(store, queries.merge_nodes(Label.LEARNER), [
        {"id": r.id, "props": {"interests_text": r.interests, "source": SOURCE}} for r in learners]))
    for rel, other, targets in (
            (Rel.LIVES_IN, Label.PLACE, lambda r: [r.home_place] if r.home_place else []),
            (Rel.INTERESTED_IN, Label.THEME, lambda r: r.themes),
            (Rel.INTERESTED_IN, Label.DESTINATION, lambda r: r.destinations)):
        rows = _links([(r.id, targets(r)) for r in learners])
        write_batches(store, queries.set_links(Label.LEARNER, rel, other), rows, label=str(rel))
        report.add(str(rel), sum(len(r["targets"]) for r in rows))
    rows = [{"id": a.id, "organisation_id": a.organisation, "badge_id": a.badge, "learner_id": a.learner,
             "learner_props": {"source": SOURCE},
             "props": {"status": str(a.status), "issued_on": _epoch(a.issued_on),
                       "expires_on": _epoch(a.expires_on) if a.expires_on is not None else None,
                       "source": SOURCE}}
            for _, a in act.awards]
    report.add(str(Label.ASSERTION), write_batches(store, AWARD_STATEMENT, rows, label="awards",
                                                   record=feed.AWARDS, batch_params=queries.assertion_groups))
    return report
