"""Reading a request body within a size limit, and its declared media type.

Used by the routes that take a raw body (``POST /verify``, the CSV bulk
award): a ``Content-Length`` over the limit is refused before anything is
read, and a body streamed without one is refused as soon as it passes the
limit, so a large upload is never held whole in memory. Over the limit the
answer is 413 (RFC 9110 section 15.5.14), not 422.
"""

from __future__ import annotations

from fastapi import Request

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
