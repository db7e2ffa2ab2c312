"""Errors as ``application/problem+json`` (RFC 9457, "Problem Details for HTTP APIs").

Every error answer has ``type`` (a stable URI under ``/problems/``), ``title``,
``status`` and ``detail``; validation errors add ``errors`` with field paths.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from colearn.errors import ColearnError, RateLimited
from colearn.service.schemas import InvalidProblem, Problem

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: "Bad request", 401: "Unauthorised", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 409: "Conflict", 422: "Invalid input",
    429: "Too many requests", 500: "Internal error", 503: "Service unavailable",
}


def problem(status: int, slug: str, detail: str, headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    """A problem+json response.

    Args:
        status: the HTTP status.
        slug: the stable short name; the ``type`` is ``/problems/<slug>``.
        detail: a human-readable explanation of this occurrence.
        headers: extra response headers (e.g. ``WWW-Authenticate``).
        **extra: extension members (e.g. ``errors``).
    """
    body = {"type": f"/problems/{slug}", "title": _TITLES.get(status, "Error"),
            "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install(app: FastAPI) -> None:
    """Map colearn's errors, validation errors and HTTP errors to problem+json."""

    @app.exception_handler(ColearnError)
    async def _colearn(_: Request, exc: ColearnError) -> JSONResponse:
        headers = {"WWW-Authenticate": 'Bearer realm="colearn"'} if exc.status == 401 else None
        if isinstance(exc, RateLimited):
            headers = {"Retry-After": str(exc.retry_after)}
        return problem(exc.status, exc.type_slug, exc.message, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                  for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, "invalid-input", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return problem(exc.status_code, slug, str(exc.detail))


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` documenting problem+json answers for ``statuses``
    (422 with its ``errors`` list; 429 with ``Retry-After``)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        model = InvalidProblem if status == 422 else Problem
        entry: dict[str, Any] = {
            "model": model,
            "description": _TITLES.get(status, "Error"),
            "content": {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
        }
        if status == 429:
            entry["headers"] = {"Retry-After": {"description": "seconds to wait before trying again",
                                                "schema": {"type": "integer"}}}
        out[status] = entry
    return out
