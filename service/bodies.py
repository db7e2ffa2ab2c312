"""Reading a request body within a size limit, and its declared media type.

Used by the routes that take a raw body (``POST /verify``, the CSV bulk
award; ``unvalidated``: pathway authoring, which validates its JSON body itself): a ``Content-Length`` over the limit is refused before anything is
read, and a body streamed without one is refused as soon as it passes the
limit, so a large upload is never held whole in memory. Over the limit the
answer is 413 (RFC 9110 section 15.5.14), not 422.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request
from pydantic import BaseModel, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from colearn.errors import ColearnError


class BodyTooLarge(ColearnError):
    """The request body is larger than the route accepts (HTTP 413)."""

    type_slug = "content-too-large"
    status = 413




async def read_body(request: Request, limit: int) -> bytes:
    """The body, at most ``limit`` bytes.

    Raises:
        BodyTooLarge: the declared or the streamed length is over ``limit``.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"the body is {int(declared):,} bytes; this route takes at most {limit:,}")
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the body is over {limit:,} bytes; this route takes at most {limit:,}")
        parts.append(chunk)
    return b"".join(parts)


def media_type(request: Request) -> tuple[str, str | None]:
    """``(type/subtype lower-cased, charset parameter or None)`` of the Content-Type."""
    raw = request.headers.get("content-type", "")
    kind, *params = [p.strip() for p in raw.split(";")]
    charset = None
    for p in params:
        key, _, value = p.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    return kind.lower(), charset


def unvalidated(model: type[BaseModel]) -> Any:
    """The type of a JSON object body that the route validates itself, documented
    in OpenAPI as ``model``.

    FastAPI validates a body typed as a model before the route runs, so a body's
    shape problems would be answered in one 422 and the problems only the graph
    can tell (an unknown badge) in the next. A route that wants one answer
    listing both takes its body as this type (any JSON object, as a ``dict``),
    validates it with ``model`` and checks the graph, then refuses with every
    problem (``service.authoring.validated``).

    Returns:
        ``Annotated[dict[str, Any], ...]``: a body that is not a JSON object is
        still refused by FastAPI (422 naming ``body``).
    """

    class _Documented:
        @classmethod
        def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
            return core_schema.dict_schema(core_schema.str_schema(), core_schema.any_schema())

        @classmethod
        def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema,
                                         handler: GetJsonSchemaHandler) -> JsonSchemaValue:
            return {**handler(model.__pydantic_core_schema__), "title": model.__name__}

    return Annotated[dict[str, Any], _Documented]
