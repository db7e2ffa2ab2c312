"""An organisation's own view: the awards it issued (filtered, paged, each with
the link that revokes it) and the funnels of the pathways it authored, as JSON
or, with ``Accept: text/csv``, as CSV for a spreadsheet.

Who: admin, or a key acting for that organisation (403 for any other).
Revoking is ``POST /assertions/{id}/revoke`` with a reason, as each listed
award's ``revoke_url`` says.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from colearn import times
from colearn.csv_export import csv_text
from colearn.domain import policy
from colearn.domain.policy import Action, Resource
from colearn.errors import NotFound
from colearn.graph import queries
from colearn.graph.schema import Label
from colearn.insights.aggregates import to_csv
from colearn.insights.periods import parse_days
from colearn.insights.privacy import with_privacy
from colearn.service.catalogue import filter_errors, refusing_also, request_fields
from colearn.service.deps import PrincipalDep, SettingsDep, StoreDep
from colearn.service.problems import problem_responses
from colearn.service.routers.insights import InsightsDep
from colearn.service.auth import Principal
from colearn.service.schemas import Page

router = APIRouter(prefix="/organisations/{org_id}", tags=["organisation's own view"],
                   responses=problem_responses(401, 403, 404, 422, 429))

_EPOCH, _DAY_S = date(1970, 1, 1), 86_400
OrgId = Annotated[str, Path(min_length=1, max_length=200)]
_CSV = {200: {"content": {"text/csv": {"schema": {"type": "string"}}},
              "description": "JSON by default; CSV with Accept: text/csv"}}


class IssuedAward(BaseModel):
    """An award the organisation issued."""

    id: str
    badge_id: str
    badge_name: str | None = None
    learner_id: str
    status: str = Field(description="issued (awaiting the learner), accepted, declined or revoked")
    issued_on: str | None = Field(default=None, description="ISO 8601, UTC")
    expires_on: str | None = None
    revocation_reason: str | None = None
    revoke_url: str | None = Field(default=None, description="POST here with {\"reason\": ...} to revoke "
                                                               "(absent once revoked)")


class IssuedAwardsPublic(Page[IssuedAward]):
    """``GET /organisations/{org_id}/assertions``."""


def _own(store: Any, principal: Principal, org_id: str) -> None:
    policy.require(principal, Action.READ_ORGANISATION_RECORDS, Resource(f"organisation '{org_id}'",
                                                                         owners=(org_id,)))
    if not store.read(queries.catalogue_get(Label.ORGANISATION), {"id": org_id}):
        raise NotFound(f"organisation '{org_id}' does not exist")


def _wants_csv(request: Request) -> bool:
    accept = (request.headers.get("accept") or "").lower()
    return "text/csv" in accept and "application/json" not in accept.split("text/csv")[0]


def _csv_response(text: str, name: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Vary": "Accept", "Content-Disposition": f'attachment; filename="{name}.csv"'})


@router.get("/assertions", response_model=IssuedAwardsPublic, responses=_CSV, name="list_organisation_assertions")
def issued_awards(
    request: Request, principal: PrincipalDep, store: StoreDep, settings: SettingsDep, org_id: OrgId,
    status: Annotated[Literal["issued", "accepted", "declined", "revoked"] | None, Query()] = None,
    badge: Annotated[str | None, Query(min_length=1, max_length=200, description="a badge id")] = None,
    learner: Annotated[str | None, Query(min_length=1, max_length=200, description="a learner id")] = None,
    start: Annotated[str | None, Query(alias="from", description="issued on or after this day, YYYY-MM-DD")] = None,
    end: Annotated[str | None, Query(alias="to", description="issued on or before this day, YYYY-MM-DD")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Any:
    """The awards this organisation issued, newest first, filtered and paged
    (``count`` is the total before paging); each not yet revoked has its
    ``revoke_url`` (at ``Settings.base_url``, never the ``Host`` header). ``Accept: text/csv`` answers the same page as CSV. A ``badge``
    or ``learner`` that names nothing is refused (422), with any bad ``from`` or ``to`` in
    the same answer."""
    _own(store, principal, org_id)
    with refusing_also(filter_errors(store, "query", badge=badge, learner=learner)), request_fields("query"):
        first, last = parse_days(start, end)  # unknown ids and bad days are named together
    row = store.read(queries.ORGANISATION_ASSERTIONS, {
        "org": org_id, "status": status, "badge": badge, "learner": learner,
        "from_s": _day_s(first), "to_s": _day_s(last, end=True),
        "limit": limit, "offset": offset})[0]
    base = settings.base_url.rstrip("/")
    data = [IssuedAward(**{**r, "issued_on": _iso(r["issued_on"]), "expires_on": _iso(r["expires_on"]),
                           "revoke_url": None if r["status"] == "revoked" else f"{base}/assertions/{r['id']}/revoke"})
            for r in row["data"]]
    if _wants_csv(request):
        return _csv_response(csv_text(list(IssuedAward.model_fields), [a.model_dump() for a in data]),
                             f"{org_id}-awards")
    return IssuedAwardsPublic(data=data, count=row["total"], limit=limit, offset=offset)


@router.get("/pathways/funnels", responses=_CSV, name="organisation_pathway_funnels")
def pathway_funnels(request: Request, principal: PrincipalDep, store: StoreDep, insights: InsightsDep,
                    org_id: OrgId) -> Any:
    """The funnels of the recommended pathways this organisation authored: per
    stage, the learners who met every step so far, ending with those who
    completed it (small counts hidden as in the city's insights).
    ``Accept: text/csv`` answers one row per stage."""
    _own(store, principal, org_id)
    mine = {p["id"] for p in store.read(queries.PATHWAY_PAGE, {
        "q": None, "status": None, "destination": None, "organisation": org_id,
        "viewer": policy.draft_viewer(principal), "offset": 0, "limit": 10_000})[0]["data"]}
    answer = insights.pathways()
    answer = with_privacy({**answer, "params": {"organisation": org_id},
                           "pathways": [p for p in answer["pathways"] if p["pathway"] in mine]}, insights.k)
    if _wants_csv(request):
        return _csv_response(to_csv(answer), f"{org_id}-pathway-funnels")
    return JSONResponse(answer)


def _day_s(day: date | None, *, end: bool = False) -> int | None:
    """Epoch seconds of a day's start (with ``end``, of the next day's), for any day: a bound
    outside the times stored (1970 to 2999) leaves nothing out, and is not refused."""
    return None if day is None else ((day - _EPOCH).days + end) * _DAY_S


def _iso(epoch: int | None) -> str | None:
    return None if epoch is None else times.iso_z(epoch)
