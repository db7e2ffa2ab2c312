"""The catalogue's records: destinations, themes, places, organisations, badges,
opportunities and pathways, as pydantic models.

The catalogue reader (``ingest.catalogue``), the catalogue and pathway API
(``service.catalogue``, ``service.authoring``) and their tests validate with
these same models, so a record the API accepts is one the reader accepts. The
file format around them (sections, CSV cells, line numbers) is the reader's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import (ConfigDict, Field, PositiveInt, TypeAdapter, ValidationError, ValidationInfo, field_validator,
                      model_validator)
from pydantic_core import InitErrorDetails, PydanticCustomError

from colearn import times
from colearn.records.fields import Email, Name, Record, Ref, RefList, Session, Slug, Url, epoch
from colearn.records.terms import OpportunityMode, PathwayKind, PathwayStatus, ThemeKind

__all__ = ["BadgeRecord", "DestinationRecord", "IssuerRecord", "OpportunityRecord", "OrganisationRecord", "PathwayRecord",
           "PathwayRefs", "PlaceRecord", "StepRecord", "StepRow", "ThemeRecord", "foreign_badge_problem",
           "no_required_step", "pathway_reference_problems", "pathway_refs", "step_badge_problems", "step_id", "time_problems",
           "within_cycle"]

T = TypeVar("T")


def step_id(pathway_id: str, n: int) -> str:
    """The id of a pathway's ``n``-th step (1-based): ``<pathway_id>.step-<n>``."""
    return f"{pathway_id}.step-{n}"



class DestinationRecord(Record):
    """A destination beyond the spine's own (``education``, ``employment``, ...)."""

    id: Slug
    name: Name
    description: str = ""


class ThemeRecord(Record):
    """A theme the city curates; ``destinations`` become ``LEADS_TO`` links."""

    id: Slug
    name: Name
    kind: ThemeKind
    description: str = ""
    destinations: RefList = Field(default_factory=list)


class PlaceRecord(Record):
    """A district or venue; ``lat`` and ``lon`` (WGS84 degrees) come together or not at all."""

    id: Slug
    name: Name
    kind: Slug
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180, validate_default=True)
    #: The place this one lies within (a venue's district, a room's venue: any depth, no
    #: cycle, ``within_cycle``); a place is in its district for filters and insights.
    within: Ref | None = None

    @field_validator("lon")
    @classmethod
    def _both_or_neither(cls, lon: float | None, info: ValidationInfo) -> float | None:
        if "lat" in info.data and (info.data["lat"] is None) != (lon is None):
            raise ValueError("give both lat and lon, or neither")
        return lon


def within_cycle(place: str, within: Mapping[str, str | None]) -> str | None:
    """Why ``place`` may not lie where ``within`` says: it lies within itself, at once
    or through other places (a cycle). The catalogue reader and the places API both
    ask, with the graph's links and their own on top.

    Args:
        place: the place's id.
        within: place id -> the place it lies within (None or absent: none), the
            links as they would be once written.

    Returns:
        A message naming the chain (``'a' lies within 'b', which lies within 'a'``),
        or None when following ``within`` from ``place`` never comes back to it.
    """
    chain, seen, at = [place], {place}, within.get(place)
    while at is not None:
        chain.append(at)
        if at == place:
            if len(chain) == 2:
                return f"place '{place}' cannot lie within itself"
            links = ", which lies within ".join(f"'{p}'" for p in chain[1:])
            return f"place '{place}' cannot lie within {links}: places may not lie within one another in a cycle"
        if at in seen:  # a cycle further on, not through this place
            return None
        seen.add(at)
        at = within.get(at)
    return None


class OrganisationRecord(Record):
    """An organisation: offers opportunities, defines badges, authors pathways."""

    id: Slug
    name: Name
    kind: Slug
    url: Url | None = None
    email: Email | None = None
    description: str = ""


class IssuerRecord(OrganisationRecord):
    """An organisation as the API writes it (``POST``/``PATCH /organisations``): an issuer,
    so ``email`` is required, as Open Badges 2.0 requires it of an issuer Profile (section
    "Profile", "a note on required properties": id, type, name, url and email). The
    catalogue reader still takes ``OrganisationRecord``, whose email is optional; awarding
    for an organisation without one is refused (``domain.award_rows.check_issuer``)."""

    email: Email = Field(description="contact address; required: an Open Badges 2.0 issuer Profile needs one")


class BadgeRecord(Record):
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


class OpportunityRecord(Record):
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

    @model_validator(mode="after")
    def _times_agree(self) -> OpportunityRecord:
        problems = time_problems(self)
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, [
                InitErrorDetails(type=PydanticCustomError("value_error", message), loc=tuple(
                    int(p) if p.isdigit() else p for p in fld.split(".")), input=getattr(self, fld.split(".")[0]))
                for fld, message in problems])
        self.sessions = sorted(self.sessions)
        return self

    @property
    def starts_on(self) -> int | None:
        """Epoch seconds UTC it starts: ``start``, else its first session's start."""
        return epoch(self.start) if self.start is not None else (
            min(epoch(s) for s, _ in self.sessions) if self.sessions else None)

    @property
    def ends_on(self) -> int | None:
        """Epoch seconds UTC it ends: ``end`` (a date: the end of that day), else its
        last session's end; ``None`` for an ongoing opportunity."""
        return epoch(self.end, end=True) if self.end is not None else (
            max(epoch(e) for _, e in self.sessions) if self.sessions else None)


def time_problems(opportunity: OpportunityRecord) -> list[tuple[str, str]]:
    """Where an opportunity's times disagree: its ``end`` before its start (``start``,
    else its first session's start), or a session outside ``[start, end]`` (an end
    date includes its day; a bound not given does not limit).

    Every record is checked by it when validated (the catalogue files and the API
    alike), so this is the one place the rule lives.

    Returns:
        ``(field, message)`` per problem: ``end``, then ``sessions.<i>`` with ``i``
        the session's index as given (before the sessions are put in time order).
    """
    problems: list[tuple[str, str]] = []
    starts, ends = opportunity.starts_on, opportunity.ends_on
    # a date as end covers its day: ending when it starts means the date is before the start's
    # (but for the range's last day, whose end is its last second: starting then is within it)
    day_end = opportunity.end is not None and not isinstance(opportunity.end, datetime)
    if starts is not None and ends is not None and (
            ends < starts or (ends == starts and day_end and ends != times.LATEST_S)):
        since = "it starts" if opportunity.start is not None else "its first session starts"
        problems.append(("end", f"end is before start: it ends at {times.iso_z(ends)} and {since} at "
                                f"{times.iso_z(starts)}"))
    lower = epoch(opportunity.start) if opportunity.start is not None else None
    upper = epoch(opportunity.end, end=True) if opportunity.end is not None else None
    for i, (a, b) in enumerate(opportunity.sessions):
        if lower is not None and epoch(a) < lower:
            problems.append((f"sessions.{i}", f"the session starts ({times.iso_z(epoch(a))}) before the "
                                              f"opportunity's start ({times.iso_z(lower)})"))
        elif upper is not None and epoch(b) > upper:
            problems.append((f"sessions.{i}", f"the session ends ({times.iso_z(epoch(b))}) after the "
                                              f"opportunity's end ({times.iso_z(upper)})"))
    return problems


class StepRecord(Record):
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


class PathwayRecord(Record):
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
        problem = no_required_step([s.optional for s in steps])
        if problem:
            raise ValueError(problem)
        return steps


def no_required_step(optional: Sequence[bool]) -> str | None:
    """The one rule that a pathway has a step that is not optional (``optional`` is each
    step's flag, in order): the problem in words when every step is optional, else None.
    A pathway whose steps are all optional is met by holding nothing, so its completion
    badge would be anyone's for the asking; ``PathwayRecord`` applies this, and so does
    publishing a stored pathway (``service.authoring.set_status``)."""
    if optional and all(optional):
        return ("every step is optional, so a learner holding none of its badges would complete it: "
                "at least one step must be required (\"optional\": false)")
    return None


@dataclass(frozen=True)
class PathwayRefs:
    """What a pathway names, read field by field: each with its own type
    (``Ref``, a list of ``Ref``), so that a pathway whose other fields are
    invalid is still checked against the graph, and one request or file hears
    of every problem at once.

    Attributes:
        id: the pathway's id as given (for messages; None: not text).
        organisation, destination, completion_badge: the id named, or None
            when absent or not a valid reference (its problem is the record's).
        steps: per step as given, its badges, or None when the step's
            ``badges`` are not a list of references (nothing of it can be checked).
    """

    id: str | None
    organisation: str | None
    destination: str | None
    completion_badge: str | None
    steps: tuple[tuple[str, ...] | None, ...]

    def named(self) -> dict[str, set[str]]:
        """The ids to look up: ``{"Organisation": ..., "Destination": ..., "Badge": ...}``."""
        badges = {b for s in self.steps if s is not None for b in s}
        if self.completion_badge is not None:
            badges.add(self.completion_badge)
        return {"Organisation": {self.organisation} if self.organisation is not None else set(),
                "Destination": {self.destination} if self.destination is not None else set(), "Badge": badges}


_TEXT = ConfigDict(str_strip_whitespace=True)
_REF: TypeAdapter[str] = TypeAdapter(Ref, config=_TEXT)
_REFS: TypeAdapter[list[str]] = TypeAdapter(list[Ref], config=_TEXT)


def _read(adapter: TypeAdapter[T], value: Any) -> T | None:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


def pathway_refs(pathway: PathwayRecord | Mapping[str, Any]) -> PathwayRefs:
    """The references of a validated pathway, or of a raw one (a request body, a
    catalogue record) as far as each field is valid on its own.

    A step's ``badges`` are read as a list of references without the rule that
    none repeats within the step (the record's own problem): each is still looked up.
    """
    if isinstance(pathway, PathwayRecord):
        return PathwayRefs(pathway.id, pathway.organisation, pathway.destination, pathway.completion_badge,
                           tuple(tuple(s.badges) for s in pathway.steps))
    steps = pathway.get("steps")
    pid = pathway.get("id")
    return PathwayRefs(
        pid.strip() if isinstance(pid, str) else None,
        _read(_REF, pathway.get("organisation")), _read(_REF, pathway.get("destination")),
        _read(_REF, pathway.get("completion_badge")),
        tuple(_steps(steps) if isinstance(steps, list) else ()))


def _steps(steps: list[Any]) -> Iterator[tuple[str, ...] | None]:
    for s in steps:
        badges = _read(_REFS, s.get("badges")) if isinstance(s, Mapping) else None
        yield None if badges is None else tuple(badges)


def step_badge_problems(pathway: PathwayRefs | PathwayRecord) -> list[tuple[int | None, str, str]]:
    """A badge accepted by two steps of one pathway, or also its completion badge.

    The rules of a pathway's badges that need no graph; with
    ``pathway_reference_problems`` the whole pathway rule set, shared by the
    catalogue reader and the pathway authoring API. A badge listed twice in one
    step is the step's own problem (``RefList``), not reported again here.

    Returns:
        ``(step index or None for the pathway itself, field, message)`` for each
        problem, in step order; ``field`` is relative to the step
        (``badges.<j>``) or to the pathway (``completion_badge``).
    """
    refs = pathway if isinstance(pathway, PathwayRefs) else pathway_refs(pathway)
    problems: list[tuple[int | None, str, str]] = []
    accepted: dict[str, int] = {}
    for i, badges in enumerate(refs.steps):
        for j, badge in enumerate(badges or ()):
            if accepted.get(badge, i + 1) != i + 1:
                problems.append((i, f"badges.{j}", f"badge '{badge}' is already accepted by step "
                                 f"{accepted[badge]} of pathway '{refs.id}'; a badge may appear in one step only"))
            else:
                accepted.setdefault(badge, i + 1)
    if refs.completion_badge is not None and refs.completion_badge in accepted:
        problems.append((None, "completion_badge", f"the completion badge '{refs.completion_badge}' is also "
                         f"accepted by step {accepted[refs.completion_badge]}"))
    return problems


def pathway_reference_problems(pathway: PathwayRefs, *, unknown: Callable[[str, str], bool],
                               issuers: Mapping[str, str | None]) -> list[tuple[str, str]]:
    """Every reference of a pathway that names nothing, and a completion badge its
    organisation does not define (``foreign_badge_problem``).

    The rules of a pathway that need the graph (with ``step_badge_problems``, the
    whole pathway rule set): the API asks the graph, the catalogue reader the
    catalogue and then the graph; both through ``unknown`` and ``issuers``. Parts
    that could not be read (``None`` in ``pathway``) are skipped: their problem is
    the record's. Whose the completion badge is can be told only of a badge that
    exists; it is asked even when the organisation is unknown (a typo there should
    not hide a foreign badge until the next try).

    Args:
        pathway: its references (``pathway_refs``).
        unknown: ``(kind, id) -> True`` when no node of ``kind`` (``Organisation``,
            ``Destination``, ``Badge``) has that id.
        issuers: badge -> the organisation that defines it (None: none); a
            completion badge not in it is not checked (whose it is cannot be told:
            the catalogue reader's badge record that was itself refused).

    Returns:
        ``(field, message)`` per problem, fields relative to the pathway
        (``organisation``, ``destination``, ``steps.<i>.badges.<j>``, ``completion_badge``),
        in that order.
    """
    problems: list[tuple[str, str]] = []
    for kind, ref, fld in (("Organisation", pathway.organisation, "organisation"),
                           ("Destination", pathway.destination, "destination")):
        if ref is not None and unknown(kind, ref):
            problems.append((fld, f"unknown {kind} '{ref}'"))
    for i, badges in enumerate(pathway.steps):
        problems.extend((f"steps.{i}.badges.{j}", f"unknown Badge '{b}'")
                        for j, b in enumerate(badges or ()) if unknown("Badge", b))
    done = pathway.completion_badge
    if done is not None:
        if unknown("Badge", done):
            problems.append(("completion_badge", f"unknown Badge '{done}'"))
        elif pathway.organisation is not None and done in issuers:
            foreign = foreign_badge_problem(done, issuers[done], pathway.organisation)
            if foreign:
                problems.append(("completion_badge", foreign))
    return problems


def foreign_badge_problem(badge: str, issuer: str | None, organisation: str) -> str | None:
    """Why ``organisation`` may not issue ``badge`` in its name (a pathway's completion
    badge is awarded as the pathway's organisation), or None when it defines it.

    Shared by the catalogue reader and the authoring API (``pathway_reference_problems``).

    Args:
        badge: the badge id.
        issuer: the organisation that defines it (None: none).
        organisation: the organisation that would issue it.
    """
    if issuer == organisation:
        return None
    return (f"badge '{badge}' is defined by '{issuer}', not by '{organisation}': "
            "an organisation may award only its own badges")
