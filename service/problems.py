"""Errors as ``application/problem+json`` (RFC 9457, "Problem Details for HTTP APIs").

Every error answer has ``type`` (a stable URI under ``/problems/``), ``title``,
``status`` and ``detail``; validation errors add ``errors`` with field paths.
"""

from __future__ import annotations

import logging
from typing import Any, get_args, get_origin

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from colearn.records.fields import PATTERN_MESSAGES
from colearn.service.bodies import media_type
from colearn.service.guard import is_json_media
from colearn.errors import BatchRefused, ColearnError, InvalidInputs, RateLimited, StoreUnavailable
from colearn.service.methods import allowed_methods
from colearn.service.schemas import InvalidProblem, Problem

PROBLEM_JSON = "application/problem+json"

log = logging.getLogger(__name__)

_TITLES = {
    400: "Bad request", 401: "Unauthorised", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 409: "Conflict", 410: "Gone", 413: "Content too large", 415: "Unsupported media type",
    422: "Invalid input",
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
    """Map colearn's errors, validation errors and HTTP errors to problem+json,
    and document them so in the OpenAPI schema (``normalise_openapi``)."""
    install_openapi(app)

    @app.exception_handler(ColearnError)
    async def _colearn(request: Request, exc: ColearnError) -> JSONResponse:
        headers = {"WWW-Authenticate": 'Bearer realm="colearn"'} if exc.status == 401 else None
        if isinstance(exc, RateLimited):
            headers = {"Retry-After": str(exc.retry_after)}
        # InvalidInput's field: one ``errors`` entry, as a validation error gives; one that names
        # only a record is a line of an uploaded file (its header, a byte that does not decode),
        # spelt as a refused CSV row is (``line 4``)
        field = request_field(request, getattr(exc, "field", None))
        record = getattr(exc, "record", None)
        where = field or (f"line {record}" if record is not None else None)
        if where is None and exc.status == 422:  # a refusal of the request as a whole: its body, else its query
            where = "body" if request.method in ("POST", "PUT", "PATCH") else "query"
        extra: dict[str, Any] = {}
        if isinstance(exc, BatchRefused):  # one entry per refused record
            extra = {"errors": [{"field": where, "message": reason} for where, reason in exc.refused]}
        elif isinstance(exc, InvalidInputs):  # one entry per problem
            extra = {"errors": [{"field": request_field(request, p.field)
                                 or (f"line {p.record}" if p.record is not None else "body"),
                                 "message": p.detail} for p in exc.problems]}
        elif where:
            extra = {"errors": [{"field": where, "message": getattr(exc, "detail", exc.message)}]}
        detail = exc.message
        if field and field != getattr(exc, "field", None) and getattr(exc, "file", None) is None and record is None:
            detail = f"{field}: {getattr(exc, 'detail', exc.message)}"  # the field as the request spells it
        if isinstance(exc, StoreUnavailable):
            # the store's own words name its address and the resolved hosts: the server's log
            # has them, a caller (perhaps anonymous) is told only that the store is down
            log.warning("store unavailable on %s %s: %s", request.method, request.url.path, exc.message)
            detail = "the graph store cannot be reached now; try again shortly (the server's log says why)"
        return problem(exc.status, exc.type_slug, detail, headers=headers, **extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        kind, _ = media_type(request)
        if not is_json_media(kind) and any(tuple(e["loc"]) == ("body",) for e in exc.errors()):
            # FastAPI reads only JSON (or a body without a type) as JSON; `curl -d` sends a form type
            return problem(415, "unsupported-media-type", f"this operation takes a JSON body: send it with "
                                                          f"Content-Type: application/json, not {kind}")
        errors = [field_error_entry(e) for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, "invalid-input", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed", 413: "content-too-large"}.get(exc.status_code, "http-error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return problem(exc.status_code, slug, str(exc.detail), headers=headers or None)

    @app.exception_handler(RecursionError)
    async def _too_deep(_: Request, exc: RecursionError) -> JSONResponse:
        return problem(422, "invalid-input", "the input is nested too deeply to read")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Any other error: logged with its trace, answered as problem+json without its text.
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(500, "internal-error", "an unexpected error; it has been logged")


_LOCATIONS = ("body", "query", "path", "header", "line ")


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models a body annotation may be (through Annotated, unions and lists)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models(arg)]


def _may_be_list(annotation: Any) -> bool:
    return get_origin(annotation) is list or any(_may_be_list(a) for a in get_args(annotation))


def request_field(request: Request, field: str | None) -> str | None:
    """A field a lower layer named bare (``code``, ``themes.1``) spelt where it is in
    the request, as a validation error spells it: ``body.code`` when the route's JSON
    body has that field (or the body is a list and it starts with an index),
    ``query.from`` when it is one of the route's query parameters; unchanged
    otherwise, and when it already says where (``body.issuer``, ``line 4``)."""
    if not field or field.startswith(_LOCATIONS):
        return field
    head = field.split(".", 1)[0]
    route = request.scope.get("route")
    body = getattr(route, "body_field", None)
    if body is not None:
        annotation = body.field_info.annotation
        if any(head in m.model_fields for m in _models(annotation)) or (head.isdigit() and _may_be_list(annotation)):
            return f"body.{field}"
    dependant = getattr(route, "dependant", None)
    queries = {getattr(p, "alias", None) or p.name for p in getattr(dependant, "query_params", ())}
    if head in queries or head in request.query_params:
        return f"query.{field}"
    return field


def field_error_entry(error: Any) -> dict[str, str]:
    """``{field, message}`` of one of FastAPI's validation errors, in plain words: JSON that does not
    parse is named ``body`` (FastAPI puts the character offset in its ``loc``) with where and why it
    breaks; a URL or email pattern is named, not quoted (``PATTERN_MESSAGES``); pydantic's
    "Value error, " before a validator's own message is dropped."""
    loc = tuple(error["loc"])
    if error.get("type") == "json_invalid" and loc[:1] == ("body",):
        where = f" at character {int(loc[1]) + 1}" if len(loc) > 1 and isinstance(loc[1], int) else ""
        why = (error.get("ctx") or {}).get("error")
        return {"field": "body", "message": f"not valid JSON{where}" + (f": {why}" if why else "")}
    message = str(error["msg"])
    if error.get("type") == "string_pattern_mismatch":
        message = PATTERN_MESSAGES.get((error.get("ctx") or {}).get("pattern", ""), message)
    return {"field": ".".join(str(p) for p in loc), "message": message.removeprefix("Value error, ")}


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


def learner_read_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``problem_responses(403, *statuses)`` for a route that reads one learner's
    recommendations or pathways (``deps.require_learner_reader``), its 403 described."""
    out = problem_responses(403, *statuses)
    out[403] = {**out[403], "description": "not this learner's reader (an organisation key, another learner's "
                "token); or, with type /problems/learner-not-shared, a partner key the learner does not allow "
                "(their partner_access, else COLEARN_PARTNER_ACCESS_DEFAULT)"}
    return out


def _problem_content(status: str) -> dict[str, Any]:
    name = "InvalidProblem" if status == "422" else "Problem"
    return {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def normalise_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Make the OpenAPI document say what the service answers on errors, for every route.

    Every 4xx/5xx response documented as JSON (or with no content) is documented as
    ``application/problem+json`` (the handlers of ``install`` answer so whatever a
    route declared); one a route documents in a media type of its own (a revoked
    Open Badges assertion, as JSON-LD) keeps it. FastAPI's
    default 422 (``HTTPValidationError``) becomes ``InvalidProblem``; and an
    operation with a request body also documents 400, 413 (a body over the limits
    of ``service.guard``) and 415 (a body of a media type it does not take).

    Args:
        schema: the document ``FastAPI.openapi()`` built.

    Returns:
        The same document, changed in place.
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}"))
    invalid = InvalidProblem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in invalid.pop("$defs", {}).items():
        components.setdefault(name, sub)
    components.setdefault("InvalidProblem", invalid)
    for methods in schema.get("paths", {}).values():
        for operation in methods.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if "requestBody" in operation:
                responses.setdefault("400", {"description": _TITLES[400]})
                responses.setdefault("413", {"description": _TITLES[413]})
                responses.setdefault("415", {"description": _TITLES[415]})
            for status, response in responses.items():
                # an error a route documents in its own media type (e.g. a revoked
                # Open Badges assertion, answered as JSON-LD) keeps it
                media = set(response.get("content", {}))
                if status[:1] in ("4", "5") and (PROBLEM_JSON in media or media <= {"application/json"}):
                    response["content"] = _problem_content(status)
    return schema


def install_openapi(app: FastAPI) -> None:
    """Build the app's OpenAPI document once, through ``normalise_openapi``."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = normalise_openapi(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
