"""Request and response bodies of the API (pydantic v2)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query

from pydantic import BaseModel, ConfigDict, Field

from colearn.recommender.opportunities import Reach


class Health(BaseModel):
    """``GET /health``."""

    status: str = Field(examples=["ok"], description="ok, or degraded while build_error says why the "
                                                     "recommender cannot be rebuilt")
    backend: str = Field(description="the graph engine: falkordb or neo4j")
    learners: int = Field(description="learners in the recommender's projection")
    badges: int = Field(description="badges in the recommender's projection")
    text_model: str = Field(description="the text model the recommender's text similarity uses: "
                                        "all-MiniLM-L6-v2, or tfidf (the fallback)")
    nodes_without_vectors: int = Field(description="badges and opportunities with no stored MiniLM vector "
                                                   "(queued for embedding when the model is installed)")
    feed_position: int = Field(description="the last change-feed sequence this process applied")
    feed_head: int = Field(description="the last change-feed sequence recorded in the graph")
    rebuilds: int = Field(description="recommender rebuilds this process swapped in since start")
    build_error: str | None = Field(None, description="why the recommender cannot be rebuilt now (it is "
                                    "retried every second; the last one built serves meanwhile, and "
                                    "status is 'degraded'); null when it can")

    ranking: str = Field("blend", description="what ranks recommendations: 'ranker' (the learned model), "
                         "'signal:<name>' (the guard found the model no better than that one signal on the "
                         "latest training events, so it is served), or 'blend' (no trained ranker)")


class SessionPublic(BaseModel):
    """One meeting of an opportunity that runs on several occasions (UTC)."""

    start: datetime
    end: datetime


def _when(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(int(epoch), tz=UTC)


class OpportunityPublic(BaseModel):
    """A current opportunity (not ended) that awards a recommended badge: who runs
    it, where (place and district; none when online) and when (UTC)."""

    id: str
    name: str | None = None
    mode: str | None = Field(default=None, description="online, offline or blended")
    url: str | None = None
    organisation_id: str | None = None
    organisation_name: str | None = None
    place_id: str | None = None
    place_name: str | None = None
    district_id: str | None = Field(default=None, description="the district the place is, or lies within")
    district_name: str | None = None
    start: datetime | None = Field(default=None, description="none: ongoing, join any time")
    end: datetime | None = Field(default=None, description="none: ongoing")
    sessions: list[SessionPublic] = Field(default_factory=list)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "OpportunityPublic":
        """From a ``BADGE_OPPORTUNITIES`` map (epoch-second dates and session lists)."""
        return cls.model_validate(cls.data_of(row))

    @staticmethod
    def data_of(row: Mapping[str, Any]) -> dict[str, Any]:
        """The fields of ``from_row(row)`` as a plain dict, not yet validated: for a response
        that validates all of its opportunities in one call (``NextPublic.model_validate``),
        which costs a third of making each model on its own (measured on a "what next" answer
        of 10 badges with 4 opportunities each: 0.31 ms against 1.1 ms)."""
        data = {k: row[k] for k in _OPPORTUNITY_FIELDS if k in row}
        data["start"] = _when(row.get("starts_on"))
        data["end"] = _when(row.get("ends_on"))
        starts = row.get("session_starts")
        data["sessions"] = [{"start": _when(a), "end": _when(b)}
                            for a, b in zip(starts, row.get("session_ends") or [])] if starts else []
        return data


#: The fields of ``OpportunityPublic`` a ``BADGE_OPPORTUNITIES`` map gives as they are
#: (read once: pydantic's ``model_fields`` is slow to ask per key).
_OPPORTUNITY_FIELDS = tuple(k for k in OpportunityPublic.model_fields if k not in ("start", "end", "sessions"))


class NamedBadge(BaseModel):
    """A badge named beside its id, as a learner reads it."""

    badge_id: str
    name: str | None


class StepAhead(BaseModel):
    """The first unmet step of a pathway the learner can still meet (1-based ``index`` among
    the pathway's steps; ``recommender.progress``)."""

    index: int
    title: str | None
    badges: list[str] = Field(description="the ids of the badges that meet the step (less those the learner "
                                          "can never earn: see ``detail``)")
    named_badges: list[NamedBadge] = Field(description="the same badges, in the same order, each with its name")
    required: int = Field(description="how many of ``badges`` meet the step")
    detail: str | None = Field(default=None, description="null, or which of the step's badges are left out and "
                                                         "why: a pathway completion already made for the learner "
                                                         "(then revoked, declined, withdrawn or expired) is made only once")


class BlockedStepPublic(BaseModel):
    """An unmet step of a pathway the learner can no longer meet (1-based ``index`` among its steps)."""

    index: int
    title: str | None
    detail: str = Field(description="why, in plain words")


#: ``completion_detail`` of a pathway in a learner's answers (``recommender.progress.completion_detail``).
COMPLETION_DETAIL = ("null, or why the pathway can no longer award the learner its completion badge: their "
                     "completion of it was already made, then revoked, declined, withdrawn or expired")


class NextItem(BaseModel):
    """One recommended badge."""

    badge_id: str
    name: str | None
    score: float = Field(description="the combined score; higher ranks first")
    reasons: list[str] = Field(description="one plain sentence per signal that scored it")
    opportunities: list[OpportunityPublic]


class NextPublic(BaseModel):
    """``GET /learners/{learner_id}/next``."""

    learner_id: str
    items: list[NextItem]


class Problem(BaseModel):
    """An error (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str


# --------------------------------------------------------------------------
# Catalogue API (service/routers/catalogue.py, service/routers/pathways.py)
# --------------------------------------------------------------------------

T = TypeVar("T")


class FieldProblem(BaseModel):
    """One invalid field of a request: its dotted path (``body.steps.2.badges.0``) and what is wrong."""

    field: str
    message: str


class InvalidProblem(Problem):
    """A 422 problem: ``errors`` lists every invalid field."""

    errors: list[FieldProblem] = Field(default_factory=list)


class Page(BaseModel, Generic[T]):
    """A page of a list: ``count`` is the total matching the filters, before paging."""

    data: list[T]
    count: int = Field(ge=0, description="how many match the filters, over all pages")
    limit: int
    offset: int


class OrganisationPublic(BaseModel):
    """An organisation: offers opportunities, defines badges, authors pathways."""

    id: str
    name: str | None = None
    kind: str | None = None
    url: str | None = None
    email: str | None = None
    description: str | None = None


class PlacePublic(BaseModel):
    """A district or venue (WGS84 degrees)."""

    id: str
    name: str | None = None
    kind: str | None = None
    lat: float | None = None
    lon: float | None = None
    within: str | None = Field(default=None, description="the place it lies within (a venue's district)")


class DestinationPublic(BaseModel):
    """Where learning leads: education, employment, enterprise, civic engagement, ..."""

    id: str
    name: str | None = None
    description: str | None = None


class SpineCellPublic(BaseModel):
    """A cell of the learning spine (``<domain>.<layer>``)."""

    id: str
    name: str | None = None
    layer: str | None = None
    domain: str | None = None
    layer_rank: int | None = None
    domain_rank: int | None = None
    description: str | None = None


class ThemePublic(BaseModel):
    """A theme the city curates, and the destinations it leads to."""

    id: str
    name: str | None = None
    kind: str | None = None
    description: str | None = None
    destinations: list[str] = Field(default_factory=list)


class BadgePublic(BaseModel):
    """A BadgeClass: its issuer, spine cells and themes."""

    id: str
    name: str | None = None
    description: str | None = None
    issuer: str | None = None
    cells: list[str] = Field(default_factory=list)
    themes: list[str] = Field(default_factory=list)
    criteria: str | None = None
    expires_after_days: int | None = None


class OpportunityDetailPublic(BaseModel):
    """Something a learner can do: who runs it, where, and the badges it awards."""

    id: str
    name: str | None = None
    description: str | None = None
    kind: str | None = None
    organisation: str | None = None
    mode: str | None = None
    place: str | None = None
    url: str | None = None
    themes: list[str] = Field(default_factory=list)
    badges: list[str] = Field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None
    sessions: list[SessionPublic] = Field(default_factory=list)


class OrganisationsPublic(Page[OrganisationPublic]):
    """``GET /organisations``."""


class PlacesPublic(Page[PlacePublic]):
    """``GET /places``."""


class DestinationsPublic(Page[DestinationPublic]):
    """``GET /destinations``."""


class SpineCellsPublic(Page[SpineCellPublic]):
    """``GET /spine-cells``."""


class ThemesPublic(Page[ThemePublic]):
    """``GET /themes``."""


class BadgesPublic(Page[BadgePublic]):
    """``GET /badges``."""


class OpportunitiesPublic(Page[OpportunityDetailPublic]):
    """``GET /opportunities``."""


class StepPublic(BaseModel):
    """A pathway step: met by any ``required`` of its ``badges``."""

    title: str | None = None
    badges: list[str]
    required: int = 1
    optional: bool = False


class PathwayPublic(BaseModel):
    """A recommended pathway; ``warnings`` (on writes) are advice, not errors."""

    id: str
    title: str | None = None
    description: str | None = None
    status: str | None = None
    kind: str | None = None
    organisation: str | None = None
    destination: str | None = None
    completion_badge: str | None = None
    steps: list[StepPublic] = Field(default_factory=list)
    warnings: list[FieldProblem] = Field(default_factory=list)


class PathwaysPublic(Page[PathwayPublic]):
    """``GET /pathways``."""


class CompletionRequest(BaseModel):
    """``POST /pathways/{pathway_id}/completions``: whose portfolio to check."""

    model_config = ConfigDict(extra="forbid")

    learner_id: str = Field(min_length=1, max_length=200)


class CompletionPublic(BaseModel):
    """The outcome of a completion check: awarded now, awarded before, or not yet met."""

    pathway_id: str
    learner_id: str
    completed: bool
    awarded: bool = Field(description="an assertion of the completion badge exists for this completion")
    created: bool = Field(description="this request created it; false when it existed already, which "
                                      "includes the usual case: accepting the last step badge awards the "
                                      "completion at once (POST /assertions/{id}/accept), before any request here")
    assertion_id: str | None = None
    badge_id: str | None = None
    unmet_steps: list[int] = Field(default_factory=list, description="1-based orders of the steps not met")


#: The "where" filters of the next list and pathways (see ``recommender.opportunities.Reach``).
DistrictQuery = Annotated[str | None, Query(min_length=1, max_length=200, description=(
    "home district's place id: only opportunities at the district or a venue within it "
    "(the next list leaves out badges with none; a pathway is kept, its step listing no opportunity)"))]
OnlineQuery = Annotated[bool, Query(description="only online opportunities (with district: in it or online)")]


def reach_of(district: str | None, online: bool) -> Reach | None:
    """The recommender's ``Reach`` for the query's filters, ``None`` when none is given."""
    return None if district is None and not online else Reach(district=district, online=online)
