"""A learner's pathways (recommended ones scored, an interest pathway built), and for a
visitor (someone with no badges, e.g. on a partner's page) cold-start recommendations and
the published pathways ranked for what they say they want.

Who: the learner themself, admin, or a partner key the learner allows (their
``partner_access``: else 403 ``/problems/learner-not-shared``; read-only: these routes
compute, they write nothing); the visitor routes, any caller.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from colearn.recommender.pathways import (EMPTY_TARGET, ScoredPathway, interests_from, learner_interest_pathway,
                                          learner_pathways, visitor_pathways)
from colearn.service.catalogue import check_filters, validation_error
from colearn.service.deps import LearnerReaderDep, ReaderDep, RecommenderDep, StoreDep
from colearn.service.problems import learner_read_responses, problem_responses
from colearn.service.schemas import (COMPLETION_DETAIL, BlockedStepPublic, DistrictQuery, NextItem, OnlineQuery,
                                     OpportunityPublic, StepAhead, reach_of)

router = APIRouter(tags=["pathways for learners"], responses=problem_responses(401, 403, 422, 429))

LearnerId = Annotated[str, Path(min_length=1, max_length=200)]
_Ids = Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=20)]


class StatedInterests(BaseModel):
    """What a learner or visitor says they want: themes, destinations, free text."""

    model_config = ConfigDict(extra="forbid")  # a field the route does not read is refused, never ignored
    themes: _Ids = Field(default_factory=list, description="theme ids")
    destinations: _Ids = Field(default_factory=list, description="education, employment, enterprise, civic_engagement")
    text: str = Field(default="", max_length=500, description="free-text interests")


class InterestsIn(StatedInterests):
    """The target of an interest pathway: spine cells to reach, and what the learner wants."""

    cells: _Ids = Field(default_factory=list, description="target spine cells, e.g. skills.demonstration")

    @model_validator(mode="after")
    def _some_target(self) -> "InterestsIn":
        # refused here, as a body error (``body``), rather than by the recommender with no field
        if interests_from(self.themes, self.destinations, self.text, self.cells).is_empty:
            raise ValueError(EMPTY_TARGET)
        return self


class VisitorRequest(StatedInterests):
    """``POST /visitors/next``, and the query of ``GET /visitors/next`` and ``GET /visitors/pathways``
    (spine cells are a pathway's target, not read here)."""

    limit: int = Field(default=10, ge=1, le=100, description="at most this many answers")
    district: str | None = Field(default=None, min_length=1, max_length=200,
                                 description="home district: only badges with an opportunity in it "
                                             "(at the district or a venue within it)")
    online: bool = Field(default=False, description="only online opportunities (with district: in it or online)")


class StepPublic(BaseModel):
    """One step of an interest pathway."""

    badge_id: str
    name: str
    cell: str = Field(description="the spine cell this step climbs to")
    reasons: list[str]
    opportunities: list[OpportunityPublic]


class InterestPathwayPublic(BaseModel):
    """``POST /learners/{learner_id}/pathways/interest``."""

    learner_id: str
    target: InterestsIn
    steps: list[StepPublic]
    detail: str | None = Field(default=None, description="null with steps; without any, why: the learner has "
                                                          "already reached the target's layer in each of its "
                                                          "domains (e.g. a theme whose badges stop below the "
                                                          "layer they reached), or no badge they do not hold "
                                                          "yet fits the target")


class StepOpportunityPublic(OpportunityPublic):
    """A current opportunity that awards one or more of a step's badges (listed once per step)."""

    badge_id: str = Field(description="the first of ``badge_ids`` (kept for clients that read one badge)")
    badge_ids: list[str] = Field(description="the step's badges this opportunity awards, in the step's order")


class NextStepPublic(StepAhead):
    """The first unmet step of a recommended pathway the learner can still meet, with its rule
    in words and where to earn its badges."""

    rule: str = Field(description='the requirement in words: "any 1 of A or B", "both A and B", "2 of 3: A, B or C"')
    opportunities: list[StepOpportunityPublic] = Field(
        description="current opportunities (not ended; within the district/online filter) awarding its badges, "
                    "each once, with the badges of the step it awards")


class ScoredPathwayPublic(BaseModel):
    """A recommended pathway scored for the learner."""

    pathway_id: str
    title: str
    description: str | None = None
    destination: str | None
    score: float = Field(description="0.4 fit + 0.4 progress + 0.2 readiness")
    fit: float = Field(description="the mean of destination fit, theme fit and, when text is given, how well "
                                   "the text matches the pathway's title and description; for someone holding "
                                   "no badge, destination and theme fit count only when some are stated")
    progress: float = Field(description="non-optional steps met / non-optional steps")
    readiness: float
    steps_met: int
    steps_total: int
    next_step: NextStepPublic | None
    reasons: list[str]
    blocked: list[BlockedStepPublic] = Field(description="unmet steps the learner can no longer meet (a pathway "
                                                         "with one ranks after those they can still complete)")
    completion_detail: str | None = Field(description=COMPLETION_DETAIL + " (a pathway with one ranks after "
                                                                          "those they can still complete)")


class ScoredPathwaysPublic(BaseModel):
    """``GET /learners/{learner_id}/pathways``."""

    learner_id: str
    data: list[ScoredPathwayPublic]
    count: int = Field(description="how many are in ``data`` (every published pathway)")


class VisitorNextPublic(BaseModel):
    """``POST /visitors/next``."""

    items: list[NextItem]


class VisitorPathwaysPublic(BaseModel):
    """``GET /visitors/pathways``: best first."""

    data: list[ScoredPathwayPublic]
    count: int = Field(description="how many are in ``data`` (at most ``limit``)")


@router.get("/learners/{learner_id}/pathways", response_model=ScoredPathwaysPublic,
            responses=learner_read_responses(404))
def learner_recommended_pathways(
    _: LearnerReaderDep, recommender: RecommenderDep, store: StoreDep, learner_id: LearnerId,
    themes: Annotated[list[str], Query(max_length=20)] = [],  # noqa: B006 - FastAPI reads the default
    destinations: Annotated[list[str], Query(max_length=20)] = [],  # noqa: B006
    text: Annotated[str, Query(max_length=500, description="free-text interests, matched against each "
                                                           "pathway's title and description (part of fit)")] = "",
    district: DistrictQuery = None,
    online: OnlineQuery = False,
) -> Any:
    """The organisations' published pathways ranked for this learner: fit (destination,
    theme and, with ``text``, text fit), progress (a step is met by any ``required`` of
    its badges), readiness, the next step (its rule in words and its current
    opportunities, within ``district``/``online``), reasons, and the steps the learner
    can no longer meet (a badge they can never earn: a pathway completion already made
    for them, then revoked, declined, withdrawn or expired) with why, and why a pathway can no
    longer award them its completion badge when their completion of it was so.
    An unknown theme, destination or district is refused (422 naming it)."""
    check_filters(store, "query", themes=themes, destinations=destinations, district=district)
    scored = learner_pathways(recommender, learner_id, interests_from(themes, destinations, text),
                              reach_of(district, online))
    return ScoredPathwaysPublic(learner_id=learner_id, count=len(scored), data=[_scored_public(s) for s in scored])


def _scored_public(s: ScoredPathway) -> ScoredPathwayPublic:
    """A scored pathway as the pathway routes answer it."""
    return ScoredPathwayPublic(**{**vars(s), "next_step": None if s.next_step is None else NextStepPublic(
        **{**s.next_step, "opportunities": [StepOpportunityPublic(**OpportunityPublic.from_row(o).model_dump(),
                                                                  badge_id=o["badge_id"], badge_ids=o["badge_ids"])
                                            for o in s.next_step["opportunities"]]})})


@router.post("/learners/{learner_id}/pathways/interest", response_model=InterestPathwayPublic,
             responses=learner_read_responses(404))
def learner_interest(_: LearnerReaderDep, recommender: RecommenderDep, store: StoreDep, learner_id: LearnerId,
                     body: InterestsIn) -> Any:
    """An ordered list of steps from what the learner holds to the target: layers in
    order within a domain, each step justified, with the opportunities that award it;
    never a pathway's completion badge. No steps come with a ``detail`` saying why.
    An unknown spine cell, theme or destination is refused (422 naming it)."""
    check_filters(store, "body", cells=body.cells, themes=body.themes, destinations=body.destinations)
    built = learner_interest_pathway(recommender, learner_id,
                                     interests_from(body.themes, body.destinations, body.text, body.cells))
    return InterestPathwayPublic(learner_id=learner_id, target=body, detail=built.detail, steps=[
        StepPublic(badge_id=s.badge_id, name=s.name, cell=s.cell, reasons=s.reasons,
                   opportunities=[OpportunityPublic.from_row(o) for o in s.opportunities]) for s in built.steps])


def _visitor_query(
    themes: Annotated[list[str], Query(max_length=20, description="chosen theme ids")] = [],  # noqa: B006
    destinations: Annotated[list[str], Query(max_length=20, description="chosen destinations")] = [],  # noqa: B006
    text: Annotated[str, Query(max_length=500, description="free-text interests")] = "",
    limit: Annotated[int, Query(ge=1, le=100, description="at most this many answers")] = 10,
    district: DistrictQuery = None,
    online: OnlineQuery = False,
) -> VisitorRequest:
    """A visitor route's query as a ``VisitorRequest``, refused by its rules (ids not empty, ...)
    with a 422 naming the query field."""
    try:
        return VisitorRequest(themes=themes, destinations=destinations, text=text, limit=limit,
                              district=district, online=online)
    except ValidationError as exc:
        raise validation_error(exc, ("query",)) from exc


VisitorQuery = Annotated[VisitorRequest, Depends(_visitor_query)]


@router.get("/visitors/next", response_model=VisitorNextPublic, name="visitor_next_query")
def visitor_next_query(_: ReaderDep, recommender: RecommenderDep, store: StoreDep, body: VisitorQuery) -> Any:
    """``POST /visitors/next`` as a query, for partner pages (their keys may only
    read, and browsers send them GET requests without a preflight)."""
    check_filters(store, "query", themes=body.themes, destinations=body.destinations, district=body.district)
    return _visitor_next(recommender, body)


@router.get("/visitors/pathways", response_model=VisitorPathwaysPublic, name="visitor_pathways")
def visitor_pathways_query(_: ReaderDep, recommender: RecommenderDep, store: StoreDep, body: VisitorQuery) -> Any:
    """The organisations' published pathways ranked for a visitor, who holds no badge, as
    ``GET /learners/{learner_id}/pathways`` ranks them for a learner holding none: ``score``
    is 0.4 fit + 0.2 readiness (progress is 0), fit over what was stated (themes,
    destinations, text), readiness 1 for a pathway whose first step starts a spine domain;
    best first, at most ``limit``. Each comes with its first required step (its rule in
    words and its current opportunities, within ``district``/``online``) and reasons. An
    unknown theme, destination or district is refused (422 naming it)."""
    check_filters(store, "query", themes=body.themes, destinations=body.destinations, district=body.district)
    scored = visitor_pathways(recommender, interests_from(body.themes, body.destinations, body.text),
                              reach_of(body.district, body.online), body.limit)
    return VisitorPathwaysPublic(count=len(scored), data=[_scored_public(s) for s in scored])


@router.post("/visitors/next", response_model=VisitorNextPublic)
def visitor_next(_: ReaderDep, recommender: RecommenderDep, store: StoreDep, body: VisitorRequest) -> Any:
    """Cold start: badges for someone with none yet, from chosen themes, destinations
    and free-text interests (popularity when nothing is stated). An unknown theme,
    destination or district is refused (422 naming it)."""
    check_filters(store, "body", themes=body.themes, destinations=body.destinations, district=body.district)
    return _visitor_next(recommender, body)


def _visitor_next(recommender: Any, body: VisitorRequest) -> VisitorNextPublic:
    """The answer of both `/visitors/next` routes, once their filters are checked."""
    recs = recommender.recommend_for_interests(interests_from(body.themes, body.destinations, body.text),
                                               limit=body.limit, reach=reach_of(body.district, body.online))
    return VisitorNextPublic(items=[
        NextItem(badge_id=r.badge_id, name=r.name, score=float(r.score), reasons=list(r.reasons),
                 opportunities=[OpportunityPublic.from_row(o) for o in r.opportunities]) for r in recs])
