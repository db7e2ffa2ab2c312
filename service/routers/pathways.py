"""Recommended pathways: list, get, author (create, patch, delete), publish, archive,
and claim a completion. Who: reads, every role (drafts only their authors and
admin); writes, the authoring organisation or admin; completions, also the
learner themself."""

from typing import Annotated, Any, Optional

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import Field

from colearn.graph.schema import PathwayStatus
from colearn.service import authoring
from colearn.service.bodies import unvalidated
from colearn.service.catalogue import check_filters
from colearn.service.deps import PrincipalDep, StoreDep
from colearn.service.openbadges_deps import PublisherDep, ensure_badge_key
from colearn.service.problems import problem_responses
from colearn.service.routers.catalogue import IdPath, Paging, partial_model
from colearn.service.schemas import CompletionPublic, CompletionRequest, PathwayPublic, PathwaysPublic
from colearn.records.catalogue import PathwayRecord

router = APIRouter(prefix="/pathways", tags=["pathways"], responses=problem_responses(401, 403, 422, 429))

PathwayUpdate = partial_model(PathwayRecord, "PathwayUpdate")
#: The bodies of create and patch, documented as their models and validated by
#: ``authoring`` with the graph's checks, so that one 422 lists every problem.
CreateBody = Annotated[unvalidated(authoring.PathwayCreate), Body(title="PathwayCreate")]
UpdateBody = Annotated[unvalidated(PathwayUpdate), Body(title="PathwayUpdate")]


class PathwayFilters(Paging):
    """Filters of pathways."""

    status: Optional[PathwayStatus] = None
    destination: Optional[Annotated[str, Field(min_length=1, max_length=200)]] = None
    organisation: Optional[Annotated[str, Field(min_length=1, max_length=200)]] = None


def _public(written: authoring.Written) -> dict[str, Any]:
    return {**written.record, "warnings": written.warnings}


@router.get("", response_model=PathwaysPublic, name="list_pathways")
def list_pathways(principal: PrincipalDep, store: StoreDep, params: Annotated[PathwayFilters, Query()]) -> Any:
    """Pathways, by id; drafts only for their organisation and admin. A
    ``destination`` or ``organisation`` that names nothing is refused (422)."""
    check_filters(store, "query", destination=params.destination, organisation=params.organisation)
    total, data = authoring.page(store, principal, q=params.q, status=params.status and str(params.status),
                                 destination=params.destination, organisation=params.organisation,
                                 limit=params.limit, offset=params.offset)
    return PathwaysPublic(data=data, count=total, limit=params.limit, offset=params.offset)


@router.get("/{item_id}", response_model=PathwayPublic, name="get_pathway", responses=problem_responses(404))
def get_pathway(principal: PrincipalDep, store: StoreDep, item_id: IdPath) -> Any:
    """One pathway with its steps in order."""
    return authoring.get(store, principal, item_id)


@router.post("", response_model=PathwayPublic, status_code=status.HTTP_201_CREATED, name="create_pathway",
             responses=problem_responses(409))
def create_pathway(principal: PrincipalDep, store: StoreDep, body: CreateBody) -> Any:
    """Author a recommended pathway: a draft by default, or published at once with
    ``"status": "published"`` (the same checks and warnings as ``POST
    /pathways/{id}/publish``); ``archived`` is a 422 naming ``body.status``. A 422
    lists every problem of the body at once, each naming its field
    (``body.steps.2.badges.0``): its shape and what the graph says (unknown ids, a
    badge in two steps, a completion badge that is a step's or another
    organisation's); a step lower on the spine than the one before is a warning."""
    return _public(authoring.create(store, principal, body))


@router.patch("/{item_id}", response_model=PathwayPublic, name="update_pathway",
              responses=problem_responses(404, 409))
def update_pathway(principal: PrincipalDep, store: StoreDep, item_id: IdPath, body: UpdateBody) -> Any:
    """Change a pathway; ``steps``, when given, replace all of them. The patched
    pathway is checked whole, and a 422 lists every problem at once, as on create."""
    return _public(authoring.update(store, principal, item_id, body))


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT, name="delete_pathway",
               responses=problem_responses(404, 409))
def delete_pathway(principal: PrincipalDep, store: StoreDep, item_id: IdPath) -> Response:
    """Delete a pathway and its steps (a draft, published or archived one); learners'
    enrolments in it go too. Refused (409, naming them) while learners hold live
    completion awards of it: revoke those first, or archive it instead. Who: admin,
    or the organisation that authored it."""
    authoring.delete(store, principal, item_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{item_id}/publish", response_model=PathwayPublic, name="publish_pathway",
             responses=problem_responses(404))
def publish_pathway(principal: PrincipalDep, store: StoreDep, item_id: IdPath) -> Any:
    """Offer the pathway to learners (again, if archived)."""
    return _public(authoring.set_status(store, principal, item_id, PathwayStatus.PUBLISHED))


@router.post("/{item_id}/archive", response_model=PathwayPublic, name="archive_pathway",
             responses=problem_responses(404))
def archive_pathway(principal: PrincipalDep, store: StoreDep, item_id: IdPath) -> Any:
    """Withdraw the pathway; it stays on record."""
    return _public(authoring.set_status(store, principal, item_id, PathwayStatus.ARCHIVED))


@router.post("/{item_id}/completions", response_model=CompletionPublic, name="complete_pathway",
             responses=problem_responses(404))
def complete_pathway(principal: PrincipalDep, store: StoreDep, pub: PublisherDep, item_id: IdPath,
                     body: CompletionRequest) -> Any:
    """Check a learner's portfolio against every step; when all are met, award the
    completion badge once (asking again changes nothing; a learner who already
    holds it live gets no second one). Who: admin, the pathway's organisation, or
    the learner themself."""
    done = authoring.complete(store, principal, item_id, body.learner_id, base_url=pub.urls.base)
    if done.created:
        ensure_badge_key(pub, done.badge_id)
    return vars(done)
