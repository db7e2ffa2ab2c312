"""Learner routes: "what next?"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from colearn.recommender.pathways import interests_from
from colearn.service.catalogue import check_filters
from colearn.service.deps import LearnerReaderDep, RecommenderDep, StoreDep
from colearn.service.problems import learner_read_responses
from colearn.service.schemas import (DistrictQuery, NextPublic, OnlineQuery, OpportunityPublic, Problem,
                                    reach_of)

router = APIRouter(prefix="/learners", tags=["learners"])


@router.get(
    "/{learner_id}/next",
    response_model=NextPublic,
    responses={401: {"model": Problem, "description": "no or bad credentials"},
               **learner_read_responses(),
               404: {"model": Problem, "description": "unknown learner"},
               422: {"model": Problem, "description": "a bad parameter, or a filter naming no theme, "
                                                     "destination or place of the city"}},
)
def next_badges(
    _: LearnerReaderDep,
    recommender: RecommenderDep,
    store: StoreDep,
    learner_id: Annotated[str, Path(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    themes: Annotated[list[str], Query(max_length=20, description="chosen theme ids (cold start)")] = [],  # noqa: B006
    destinations: Annotated[list[str], Query(max_length=20, description="chosen destinations")] = [],  # noqa: B006
    interests: Annotated[str, Query(max_length=500, description="free-text interests")] = "",
    district: DistrictQuery = None,
    online: OnlineQuery = False,
) -> Response:
    """The badges a learner could earn next, best first, each with its reasons and
    the current opportunities that award it (never an ended one), with where
    (place, district, online/offline/blended) and when (start, end, sessions).
    A badge whose every opportunity has ended is left out; with ``district``
    and/or ``online``, so is one with no current opportunity within reach. A
    pathway's completion badge is offered only when the learner has met a step
    of its published pathway and its completion was never made for them (not
    revoked, declined, withdrawn or expired), its first reason naming the pathway and
    the steps met.

    An unknown theme, destination or district is refused (422 naming it).

    Who: admin, the learner themself (token), or a partner key (read-only) the learner
    allows (their ``partner_access``, else the city's default: 403
    ``/problems/learner-not-shared``).
    """
    check_filters(store, "query", themes=themes, destinations=destinations, district=district)
    stated = interests_from(themes, destinations, interests)
    recs = recommender.recommend(learner_id, limit=limit, interests=None if stated.is_empty else stated,
                                 reach=reach_of(district, online))
    # Validated once, in one call over plain data (``OpportunityPublic.data_of``), and
    # written with pydantic's serializer; returning the model would make FastAPI
    # validate and convert it again (a tenth of the request's CPU, py-spy on bench S),
    # and making each item's models one by one cost three times the one call.
    body = NextPublic.model_validate({"learner_id": learner_id, "items": [
        {"badge_id": r.badge_id, "name": r.name, "score": float(r.score), "reasons": list(r.reasons),
         "opportunities": [OpportunityPublic.data_of(o) for o in r.opportunities]}
        for r in recs]})
    return Response(body.model_dump_json(), media_type="application/json")
