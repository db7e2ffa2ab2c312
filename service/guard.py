"""Limits every request meets before a route sees it: body size, field and list
length, nesting, control characters in the URL and NUL in text. (Uploaded text
is decoded strictly by ``colearn.text.decode_strict``.)

``RequestGuard`` is an ASGI middleware. It reads a request body as it streams
in and stops at the limit (413, ``application/problem+json``) without reading
the rest: ``MAX_CSV_BYTES`` for a CSV body, ``MAX_JSON_BYTES`` for JSON,
``MAX_OTHER_BYTES`` for anything else (baked images, VC-JWTs). A CSV body
(``csv_body``) is any body the bulk award route reads as CSV: ``text/csv``,
``text/plain``, ``application/csv`` or no Content-Type (the CSV text), or
``application/json`` (the CSV text as one JSON string), each held to the same
limits. Its lines (``MAX_CSV_LINES``) can only be counted once it is decoded
(UTF-16, a JSON string), so the route checks them with ``check_csv_lines`` on
the text it reads, counted as its CSV reader counts them (CR, LF or CRLF).
A JSON body is then checked once, before any route parses it:
no text longer than ``MAX_TEXT_CHARS`` (the CSV-as-a-JSON-string upload is
bounded by the CSV limits instead), no list or map with more than
``MAX_ITEMS``, nothing nested deeper than ``MAX_DEPTH``, and no NUL character
(the embedded store cannot hold one); each refusal is a 422 naming the field
(``body.awards.3.narrative``). A path or query with a control character
(U+0000 to U+001F, U+007F) is refused with 422 too, naming ``path`` or
``query.<name>``. Other control characters in JSON text are stored and
answered exactly as sent.

The limits are per request and per process. A JSON body whose bytes are not
UTF-8 is a 422 on ``body`` here (naming the byte), as JSON that does not parse is
at the route; any other body that is not JSON is left to the route.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from colearn.service.bodies import BodyTooLarge
from colearn.text import count_lines

#: Largest CSV body (``csv_body``: a bulk award file, in any form the route reads): 10 MiB,
#: as the route itself reads.
MAX_CSV_BYTES = 10 * 1024 * 1024
#: Most lines in a CSV body's text (``check_csv_lines``; a quoted newline counts as a line too).
MAX_CSV_LINES = 100_000
#: Largest JSON body: 6 MiB (a 5,000-award list with narratives, or a credential
#: for ``/verify``, which itself takes 5 MiB, fits).
MAX_JSON_BYTES = 6 * 1024 * 1024
#: Largest body of any other type (a baked PNG or SVG, a VC-JWT): 6 MiB.
MAX_OTHER_BYTES = 6 * 1024 * 1024
#: Longest text in a JSON body, in characters (a narrative, a description).
MAX_TEXT_CHARS = 20_000
#: Most items in one JSON list or map.
MAX_ITEMS = 10_000
#: Deepest nesting of JSON lists and maps (an Open Badges credential needs about 6).
MAX_DEPTH = 32

_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
#: The route that reads its body as CSV (the bulk award, ``service.routers.assertions.award_csv``).
CSV_ROUTE = re.compile(r"^/organisations/[^/]+/assertions/csv$")
#: How that route reads a body, by media type (lower-cased, without parameters): ``"text"``,
#: the CSV text itself (``""``: no Content-Type), or ``"json"``, the CSV text as one JSON
#: string. Any other type is not read (415).
CSV_READINGS: dict[str, str] = {"text/csv": "text", "text/plain": "text", "application/csv": "text", "": "text",
                                "application/json": "json"}
PROBLEM_JSON = b"application/problem+json"


def csv_body(path: str, kind: str) -> bool:
    """Whether a body sent to ``path`` with media type ``kind`` (lower-cased, without
    parameters) is read as CSV (``CSV_ROUTE``, ``CSV_READINGS``), so held to the CSV limits."""
    return kind in CSV_READINGS and CSV_ROUTE.match(path) is not None


def check_csv_lines(text: str) -> None:
    """Refuse a CSV text of more than ``MAX_CSV_LINES`` physical lines, counted as the CSV
    reader counts them (``colearn.text.count_lines``: CR, LF or CRLF ends a line).

    Raises:
        BodyTooLarge: (HTTP 413) naming the count and the limit.
    """
    if (lines := count_lines(text)) > MAX_CSV_LINES:
        raise BodyTooLarge(f"the CSV has {lines:,} lines; at most {MAX_CSV_LINES:,} (a line ends at CR, LF or CRLF)")


def json_problem(value: Any, *, max_text: int | None = MAX_TEXT_CHARS) -> tuple[str, str] | None:
    """The first field of a parsed JSON body that breaks a limit, as ``(field, message)``.

    Args:
        value: the parsed body.
        max_text: longest text; None: no text limit.

    Returns:
        ``("body.a.0.b", message)``, or None when every limit holds.
    """
    stack: list[tuple[Any, str, int]] = [(value, "body", 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            if max_text is not None and len(item) > max_text:
                return where, f"text of {len(item)} characters; at most {max_text}"
            if "\x00" in item:
                return where, "text holds a NUL character (U+0000), which is not accepted"
        elif isinstance(item, (list, dict)):
            if depth >= MAX_DEPTH:
                return where, f"nested deeper than {MAX_DEPTH} levels"
            if len(item) > MAX_ITEMS:
                return where, f"{len(item)} items; at most {MAX_ITEMS}"
            if isinstance(item, dict):
                for key, sub in item.items():
                    if "\x00" in key or (max_text is not None and len(key) > max_text):
                        return where, "a key is too long or holds a NUL character"
                    stack.append((sub, f"{where}.{key}", depth + 1))
            else:
                stack.extend((sub, f"{where}.{i}", depth + 1) for i, sub in enumerate(item))
    return None


def _problem(status: int, slug: str, title: str, detail: str, errors: list[dict] | None = None) -> tuple[int, bytes]:
    body: dict[str, Any] = {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return status, json.dumps(body).encode()


def _invalid(field: str, message: str) -> tuple[int, bytes]:
    return _problem(422, "invalid-input", "Invalid input", f"{field}: {message}",
                    [{"field": field, "message": message}])


class _TooLarge(Exception):
    def __init__(self, detail: str) -> None:
        self.detail = detail


def _control_in_url(raw_path: bytes, query: bytes) -> str | None:
    """Where the URL holds a control character: ``path``, ``query.<name>``, or None."""
    if _CONTROL.search(unquote_to_bytes(raw_path)):
        return "path"
    if not _CONTROL.search(unquote_to_bytes(query)):
        return None
    for pair in query.split(b"&"):
        name, _, value = pair.partition(b"=")
        if _CONTROL.search(unquote_to_bytes(value.replace(b"+", b" "))):
            return "query." + unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8", "replace")
    return "query"


def is_json_media(kind: str) -> bool:
    """Whether a body of media type ``kind`` (lower-cased, without parameters) is read as JSON:
    ``application/json``, any ``+json`` type, or none given (FastAPI reads an untyped body as JSON)."""
    return kind in ("", "application/json") or kind.endswith("+json")


class RequestGuard:
    """ASGI middleware applying the module's limits (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
        if (where := _control_in_url(raw_path, scope["query_string"])) is not None:
            await self._answer(send, *_invalid(where, "a control character (U+0000 to U+001F or U+007F) "
                                                      "is not accepted in the URL"))
            return
        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope["headers"]}
        kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower().decode("latin-1")
        is_csv = csv_body(scope["path"], kind)
        is_json = CSV_READINGS[kind] == "json" if is_csv else is_json_media(kind)
        limit = MAX_CSV_BYTES if is_csv else MAX_JSON_BYTES if is_json else MAX_OTHER_BYTES
        what = "CSV" if is_csv else "JSON" if is_json else "request"
        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            await self._answer(send, *_problem(413, "content-too-large", "Content too large",
                                               f"the {what} body has {declared} bytes; at most {limit}"))
            return
        try:
            body = await self._read(receive, limit, what)
        except _TooLarge as exc:
            await self._answer(send, *_problem(413, "content-too-large", "Content too large", exc.detail))
            return
        if is_json and body:
            refusal = self._check_json(body, is_csv)
            if refusal is not None:
                await self._answer(send, *refusal)
                return
        await self.app(scope, self._replay(body, receive), send)

    @staticmethod
    async def _read(receive: Receive, limit: int, what: str) -> bytes:
        """The whole body, read chunk by chunk; ``_TooLarge`` as soon as it passes a limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)  # the client went away; the app sees it too
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _TooLarge(f"the {what} body is larger than {limit} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    @staticmethod
    def _check_json(body: bytes, is_csv: bool) -> tuple[int, bytes] | None:
        try:
            value = json.loads(body)
        except RecursionError:
            return _invalid("body", f"nested deeper than {MAX_DEPTH} levels")
        except UnicodeDecodeError as exc:  # FastAPI would answer 400 with no errors
            return _invalid("body", f"not valid JSON at byte {exc.start + 1}: byte 0x{body[exc.start]:02x} "
                                    f"cannot be decoded as {exc.encoding.upper()} (send JSON as UTF-8)")
        except ValueError:
            return None  # not JSON: the route answers as it always has
        problem = json_problem(value, max_text=None if is_csv else MAX_TEXT_CHARS)
        return None if problem is None else _invalid(*problem)

    @staticmethod
    def _replay(body: bytes, receive: Receive) -> Receive:
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    @staticmethod
    async def _answer(send: Send, status: int, body: bytes) -> None:
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", PROBLEM_JSON), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
