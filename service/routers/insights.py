"""Citywide insights: ``GET /insights/...`` as JSON, as CSV (the main table, with
names beside ids) with ``Accept: text/csv``, or as a chart with
``Accept: image/png`` or ``image/svg+xml``.

Who: admin and organisation keys. Organisation keys see the same citywide
aggregates as admin (one canonical, suppressed table per insight, so no two
callers can be shown numbers that differ by a small group); no insight
returns learner ids to anyone.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from colearn.insights.aggregates import DIMENSIONS, Insights, to_csv
from colearn.insights.charts import FORMATS, render
from colearn.insights.periods import parse_days
from colearn.domain import policy
from colearn.domain.policy import Action
from colearn.service.auth import Principal
from colearn.service.catalogue import filter_errors, refusing_also, request_errors, request_fields
from colearn.service.deps import SettingsDep, StoreDep, permit
from colearn.service.insights_schemas import InsightPublic
from colearn.service.schemas import Problem

router = APIRouter(prefix="/insights", tags=["insights"])

Reader = Annotated[Principal, Depends(permit(Action.READ_INSIGHTS))]

_MEDIA = {"application/json": "json", "text/csv": "csv", **{media: fmt for fmt, media in FORMATS.items()}}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {}, "image/svg+xml": {}, "text/csv": {"schema": {"type": "string"}}},
          "description": "JSON by default; the main table as CSV with Accept: text/csv; a chart with "
                         "Accept: image/png or image/svg+xml"},
    401: {"model": Problem, "description": "no or bad credentials"},
    403: {"model": Problem, "description": "not an admin or organisation key"},
    422: {"model": Problem, "description": "a bad parameter"},
}


def get_insights(request: Request, store: StoreDep, settings: SettingsDep) -> Insights:
    """The app's ``Insights`` (made on first use; it caches what it reads for
    ``COLEARN_INSIGHTS_CACHE_SECONDS``)."""
    insights = getattr(request.app.state, "insights", None)
    if insights is None or insights.store is not store:
        insights = Insights(store, min_learners=settings.insights_min_learners,
                            cache_seconds=settings.insights_cache_seconds)
        request.app.state.insights = insights
    return insights


InsightsDep = Annotated[Insights, Depends(get_insights)]


def negotiate(accept: str | None) -> str:
    """``json``, ``csv``, ``png`` or ``svg`` from an Accept header (highest q wins; JSON by default)."""
    best, best_q = "json", 0.0
    for part in (accept or "").split(","):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        fmt = _MEDIA.get(media.lower())
        if fmt is not None and q > best_q:
            best, best_q = fmt, q
    return best


def _answer(request: Request, body: dict[str, Any], names: dict[str, dict[str, str]] | None = None) -> Response:
    fmt = negotiate(request.headers.get("accept"))
    if fmt == "json":
        return JSONResponse(body)
    if fmt == "csv":
        return Response(to_csv(body, names), media_type="text/csv; charset=utf-8",
                        headers={"Vary": "Accept",
                                 "Content-Disposition": f'attachment; filename="{body["insight"]}.csv"'})
    return Response(render(body, fmt), media_type=FORMATS[fmt], headers={"Vary": "Accept"})


@router.get("/issued", response_model=InsightPublic, responses=_RESPONSES)
def issued(
    request: Request, _: Reader, insights: InsightsDep,
    by: Annotated[Literal[DIMENSIONS], Query(description="what to break awards down by")] = "theme",  # type: ignore[valid-type]
    interval: Annotated[Literal["week", "month"], Query()] = "month",
    start: Annotated[str | None, Query(alias="from", description="first day shown, YYYY-MM-DD")] = None,
    end: Annotated[str | None, Query(alias="to", description="last day shown, YYYY-MM-DD")] = None,
    group: Annotated[str | None, Query(description="show only this group (e.g. a theme id; by place, a district)")]
    = None,
) -> Response:
    """Accepted awards per week or month by theme, theme kind, destination, spine
    cell, place (the learner's home district) or issuing organisation.

    Answers ``periods`` (all groups, per period), ``groups`` (per group, all
    time), ``total`` (all time) and ``rows`` (per period and group), each cell
    ``{learners, assertions, suppressed}``. A month is the ISO weeks whose Thursday
    falls in it. Every period overlapping ``from`` (or the first award) to ``to`` (or
    the last award or today) is shown, none skipped: a period with no award is 0 (not
    hidden). ``from``, ``to`` and ``group`` only choose which cells are shown:
    ``groups`` and ``total`` stay all-time figures, as ``groups_and_total`` says. An
    unknown ``group`` and a bad ``from`` or ``to`` (not a day, or before 1970-01-01 or
    after 2999-12-31) are refused in one 422; so is a range of more than 520 weeks or
    120 months (``periods.MAX_PERIODS``).
    """
    group_errors = request_errors(lambda: insights.check_group(by, group), "query")
    with refusing_also(group_errors), request_fields("query"):
        first, last = parse_days(start, end, bounded=True)  # an unknown group and bad days named together
    with request_fields("query"):  # the insights' ``group``, ``from`` are query parameters
        answer = insights.issued(by, interval, start=first, end=last, group=group)
    return _answer(request, answer)


@router.get("/spine", response_model=InsightPublic, responses=_RESPONSES)
def spine(request: Request, _: Reader, insights: InsightsDep,
          domain: Annotated[str | None, Query()] = None, layer: Annotated[str | None, Query()] = None) -> Response:
    """The learning spine as a heat map: learners and accepted awards per cell, all time."""
    with request_fields("query"):
        answer = insights.spine(domain=domain, layer=layer)
    return _answer(request, answer, insights.names())


@router.get("/progression", response_model=InsightPublic, responses=_RESPONSES)
def progression(request: Request, _: Reader, insights: InsightsDep,
                domain: Annotated[str | None, Query()] = None) -> Response:
    """Learners who moved up a layer within each domain, per step, with the median days it took."""
    with request_fields("query"):
        answer = insights.progression(domain=domain)
    return _answer(request, answer, insights.names())


@router.get("/pathways", response_model=InsightPublic, responses=_RESPONSES)
def pathway_funnels(request: Request, principal: Reader, insights: InsightsDep,
                    pathway: Annotated[str | None, Query()] = None) -> Response:
    """Each recommended pathway's funnel: learners who met steps 1, 1-2, ... and completed.
    A draft pathway is shown only to its organisation and admins, as on its own page."""
    with request_fields("query"):  # an unknown ``pathway`` is named ``query.pathway``
        answer = insights.pathways(pathway=pathway, viewer=policy.draft_viewer(principal))
    return _answer(request, answer, insights.names())


@router.get("/supply-demand", response_model=InsightPublic, responses=_RESPONSES)
def supply_demand(request: Request, _: Reader, insights: InsightsDep, store: StoreDep,
                  theme: Annotated[str | None, Query()] = None,
                  place: Annotated[str | None, Query()] = None) -> Response:
    """Opportunities and venues per theme and district (or online) against the
    learners there who state an interest in the theme (an unknown ``theme`` is refused,
    422, and so is a ``place`` that is neither a district nor ``online``: a venue is
    refused naming its district, since places are counted by district)."""
    with refusing_also(filter_errors(store, "query", theme=theme)), request_fields("query"):
        insights.check_place(place, online=True)  # an unknown theme and place are named together
    with request_fields("query"):
        answer = insights.supply_demand(theme=theme, place=place)
    return _answer(request, answer)


@router.get("/unseen-talent", response_model=InsightPublic, responses=_RESPONSES)
def unseen_talent(request: Request, _: Reader, insights: InsightsDep, store: StoreDep,
                  place: Annotated[str | None, Query()] = None,
                  theme: Annotated[str | None, Query()] = None) -> Response:
    """Learners with sustained engagement and participation badges but none higher,
    by home district and theme, with the opportunities that would move them up
    (an unknown ``theme`` is refused, 422, and so is a ``place`` that is not a district:
    a venue is refused naming its district, since places are counted by district)."""
    with refusing_also(filter_errors(store, "query", theme=theme)), request_fields("query"):
        insights.check_place(place)  # an unknown theme and place are named together
    with request_fields("query"):
        answer = insights.unseen_talent(place=place, theme=theme)
    return _answer(request, answer)
