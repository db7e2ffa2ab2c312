"""A signed-in learner's own things: profile, awards awaiting an answer, pathways they
started; and, for organisations, how many learners started and completed their pathways.

``/me`` routes take a learner token only and act for that learner alone: no
learner id in the path, so there is nothing to point at someone else.
Accepting or declining an award is ``POST /assertions/{id}/accept|decline``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from colearn.domain import policy
from colearn.domain.policy import Action, Resource
from colearn.errors import NotFound
from colearn.graph import enrolments, profiles
from colearn.records.fields import Name
from colearn.insights.uptake import pathway_uptake
from colearn.recommender import progress
from colearn.service import learner_awards
from colearn.service.catalogue import request_fields
from colearn.service.deps import PrincipalDep, RecommenderDep, SettingsDep, StoreDep
from colearn.service.insights_schemas import PrivacyPublic
from colearn.service.learner_deps import LearnerDep
from colearn.service.problems import problem_responses
from colearn.service.schemas import COMPLETION_DETAIL, BlockedStepPublic, StepAhead

router = APIRouter(tags=["me"])
Id = Annotated[str, Path(min_length=1, max_length=200)]
_ERRORS = problem_responses(401, 403, 404, 422, 429)
_Ids = Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=20)]


def _time(epoch_s: Any) -> datetime | None:
    return None if epoch_s is None else datetime.fromtimestamp(int(epoch_s), UTC)


class ProfilePublic(BaseModel):
    """A learner's profile, as only they see it."""

    learner_id: str
    name: str | None = None
    interests: str = Field(description="free-text interests")
    themes: list[str]
    destinations: list[str]
    home_place: str | None = Field(description="the place (district) they live in")
    partner_access: bool = Field(description="whether the city's partner sites (their web pages, with a partner "
                                 "key) may read this learner's recommendations and pathways: the learner's "
                                 "choice, else the city's default (COLEARN_PARTNER_ACCESS_DEFAULT)")


class ProfilePatch(BaseModel):
    """``PATCH /me``: the fields given change; ``null`` clears one."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Name, Field(max_length=200)] | None = Field(
        default=None, description="one line, as every name here (no line breaks, controls or bidi overrides)")
    interests: str | None = Field(default=None, max_length=500)
    themes: _Ids | None = None
    destinations: _Ids | None = None
    home_place: str | None = Field(default=None, min_length=1, max_length=200,
                                   description="a district: a place that lies within no other (a venue is refused, "
                                               "422 naming its district)")
    partner_access: bool | None = Field(default=None, description="false: partner sites may not read this "
                                        "learner's recommendations (403 to a partner key); true: they may; "
                                        "null: the city's default")


class AwaitingAward(BaseModel):
    """An assertion outside the portfolio."""

    assertion_id: str
    badge_id: str
    name: str | None
    status: str = Field(description="issued (awaiting an answer), accepted, declined or revoked, as "
                                    "GET /assertions/{id} says")
    issued_on: datetime | None
    expires_on: datetime | None
    expired: bool = Field(description="true from expires_on on (awards.is_expired), as GET /assertions/{id} "
                                      "says: an accepted award is here, out of the portfolio, only when expired")


class AwardsPublic(BaseModel):
    """``GET /me/awards``."""

    data: list[AwaitingAward]
    count: int


class EnrolIn(BaseModel):
    """``POST /me/pathways``."""

    model_config = ConfigDict(extra="forbid")

    pathway_id: str = Field(min_length=1, max_length=200)


class MyPathway(BaseModel):
    """A pathway the learner started, with progress over its non-optional steps (the rules
    of ``GET /learners/{id}/pathways``: ``recommender.progress``)."""

    pathway_id: str
    title: str
    status: str | None
    destination: str | None
    started_on: datetime | None
    steps_met: int
    steps_total: int
    progress: float
    completed: bool
    next_step: StepAhead | None = Field(description="the first unmet step the learner can still meet; null when "
                                                   "every step is met or none left can be")
    blocked: list[BlockedStepPublic] = Field(description="unmet steps the learner can no longer meet: a badge they can "
                                                   "never earn (a pathway completion already made for them, then "
                                                   "revoked, declined, withdrawn or expired) leaves too few to meet them")
    completion_detail: str | None = Field(description=COMPLETION_DETAIL)


class MyPathways(BaseModel):
    """``GET /me/pathways``."""

    data: list[MyPathway]
    count: int


class Enrolment(BaseModel):
    """An enrolment: ``created`` is False when the learner had already started it."""

    pathway_id: str
    started_on: datetime | None
    created: bool


class UptakeCount(BaseModel):
    """A count of learners, hidden (null) when small, as an insight's cell."""

    learners: int | None = Field(description="null when suppressed")
    suppressed: str | None = Field(description="null, primary (1 to k-1 learners) or complementary (it differs "
                                               "from the started count shown by 1 to k-1)")


class PathwayUptake(BaseModel):
    """How many learners started and completed one pathway."""

    pathway_id: str
    title: str
    started: UptakeCount
    completed: UptakeCount


class PathwayUptakes(BaseModel):
    """``GET /organisations/{org_id}/pathway-enrolments``."""

    organisation_id: str
    privacy: PrivacyPublic
    data: list[PathwayUptake]


def _profile(row: dict[str, Any], partner_access_default: bool) -> ProfilePublic:
    return ProfilePublic(learner_id=row["id"], name=row.get("name"), interests=row["interests"],
                         themes=row["themes"], destinations=row["destinations"], home_place=row.get("home_place"),
                         partner_access=profiles.partner_access_in_force(row.get("partner_access"),
                                                                         partner_access_default))


@router.get("/me", response_model=ProfilePublic, responses=_ERRORS)
def me(principal: LearnerDep, store: StoreDep, settings: SettingsDep) -> ProfilePublic:
    """The signed-in learner's profile. Who: a learner (token), for themself."""
    return _profile(profiles.profile(store, str(principal.learner_id)), settings.partner_access_default)


@router.patch("/me", response_model=ProfilePublic, responses=_ERRORS)
def edit_me(principal: LearnerDep, store: StoreDep, settings: SettingsDep, body: ProfilePatch) -> ProfilePublic:
    """Change the profile: name, free-text interests, themes, destinations, home place
    (every id must exist: every one that names nothing is answered at once, one ``errors``
    entry each, and nothing changes), and whether partner sites may read the learner's
    recommendations (``partner_access``; at once, on every process: each partner read asks
    the graph). Who: a learner (token), for themself."""
    with request_fields("body"):  # the graph's ``themes.1`` is the body's
        row = profiles.set_profile(store, str(principal.learner_id), body.model_dump(exclude_unset=True))
    return _profile(row, settings.partner_access_default)


@router.get("/me/awards", response_model=AwardsPublic, responses=_ERRORS)
def my_awards(principal: LearnerDep, store: StoreDep) -> AwardsPublic:
    """Awards outside the portfolio: those awaiting an answer (status ``issued``) first,
    then the declined, revoked and expired ones, newest first (``issued_on``) within each
    of the two. Who: a learner (token), for themself."""
    rows = learner_awards.awaiting(store, str(principal.learner_id))
    rows.sort(key=lambda r: (r["status"] != "issued", -(r.get("issued_on") or 0)))
    data = [AwaitingAward(assertion_id=r["assertion_id"], badge_id=r["badge_id"], name=r.get("name"),
                          status=r["status"], issued_on=_time(r.get("issued_on")),
                          expires_on=_time(r.get("expires_on")), expired=learner_awards.is_expired(r.get("expires_on")))
            for r in rows]
    return AwardsPublic(data=data, count=len(data))


@router.get("/me/pathways", response_model=MyPathways, responses=_ERRORS)
def my_pathways(principal: LearnerDep, store: StoreDep, recommender: RecommenderDep) -> MyPathways:
    """The pathways the learner started, each with progress, the next step they can still
    meet (its badges by id and, in ``named_badges``, each with its name), the steps they can
    no longer meet with why (``blocked``), and why the pathway can no longer award them its
    completion badge when so (``completion_detail``), by the rules of the scored pathways
    (``GET /learners/{id}/pathways``). Who: a learner (token), for themself."""
    rows = progress.my_pathways(store, str(principal.learner_id), kept=getattr(recommender, "pathways_", None))
    data = [MyPathway(**{**r, "started_on": _time(r["on"])}) for r in rows]
    return MyPathways(data=data, count=len(data))


@router.post("/me/pathways", response_model=Enrolment, status_code=201, responses=_ERRORS)
def enrol(principal: LearnerDep, store: StoreDep, response: Response, body: EnrolIn) -> Enrolment:
    """Start a published pathway (201; 200 if already started).
    Who: a learner (token), for themself."""
    row = enrolments.enrol(store, str(principal.learner_id), body.pathway_id)
    response.status_code = 201 if row["created"] else 200
    return Enrolment(pathway_id=row["pathway_id"], started_on=_time(row["on"]), created=row["created"])


@router.delete("/me/pathways/{pathway_id}", status_code=204, response_class=Response, responses=_ERRORS)
def leave(principal: LearnerDep, store: StoreDep, pathway_id: Id) -> Response:
    """Leave a pathway (204; 404 if not started). Who: a learner (token), for themself."""
    if not enrolments.leave(store, str(principal.learner_id), pathway_id):
        raise NotFound(f"you have not started pathway '{pathway_id}'")
    return Response(status_code=204)


@router.get("/organisations/{org_id}/pathway-enrolments", response_model=PathwayUptakes, responses=_ERRORS)
def uptake(principal: PrincipalDep, store: StoreDep, settings: SettingsDep, org_id: Id) -> PathwayUptakes:
    """How many learners started and completed each of the organisation's pathways
    (completed: every non-optional step met by badges they hold now). Counts only,
    never who, with small counts hidden as in the insights (``insights.uptake``:
    k is ``COLEARN_INSIGHTS_MIN_LEARNERS``) and the insights' ``privacy`` block.
    Who: admin, or the organisation's key."""
    policy.require(principal, Action.READ_ORGANISATION_RECORDS, Resource(f"organisation '{org_id}'",
                                                                         owners=(org_id,)))
    return PathwayUptakes(**pathway_uptake(store, org_id, settings.insights_min_learners))
