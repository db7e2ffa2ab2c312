"""Response headers set for every route: redirects that do not trust ``Host``.

Starlette's router redirects ``/badges/`` to ``/badges`` (``redirect_slashes``) with an
absolute ``Location`` built from the request's ``Host`` header, so ``Host: evil.example``
sent the caller (or a cache keyed on the path) to ``http://evil.example/badges``.
``RelativeRedirects`` makes the ``Location`` of every redirect that starts with the request's
own scheme and ``Host`` (or the server's address, which Starlette uses when ``Host`` is missing or
malformed) relative (``/badges``, query kept): a browser resolves it against the URL it
asked for (RFC 9110 section 10.2.2), whatever ``Host`` said.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.types import ASGIApp, Message, Receive, Scope, Send


#: The characters ``starlette.responses.RedirectResponse`` leaves unquoted in a ``Location``.
LOCATION_SAFE = ":/%#?=@[]!$&'()*+,;"


def relative_location(location: bytes, origins: tuple[str, ...]) -> bytes:
    """``location`` without the one of ``origins`` (``scheme://host``, as is or quoted as a
    redirect quotes it) it starts with, when a path follows (``http://h/a?b`` -> ``/a?b``;
    leading slashes kept to one, so it never becomes ``//other.example``); any other
    ``location`` as it is."""
    rest = b""
    for origin in origins:
        for prefix in (origin.encode("latin-1"), quote(origin, safe=LOCATION_SAFE).encode("latin-1")):
            if location.startswith(prefix):
                rest = location[len(prefix):]
    if not rest.startswith(b"/"):
        return location
    return b"/" + rest.lstrip(b"/")


class RelativeRedirects:
    """ASGI middleware: a redirect's ``Location`` that starts with the request's ``Host`` is made
    relative (see the module docstring).

    Args:
        app: the application it wraps.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scheme = f"{scope.get('scheme', 'http')}://"
        hosts = [v.decode("latin-1") for k, v in scope["headers"] if k.lower() == b"host"]
        if scope.get("server"):  # Starlette's URL falls back on it when Host is missing or not a host
            name, port = scope["server"]
            hosts += [name, f"{name}:{port}"]
        origins = tuple(scheme + host for host in hosts)

        async def relative(message: Message) -> None:
            if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
                message["headers"] = [(k, relative_location(v, origins) if k.lower() == b"location" else v)
                                      for k, v in message.get("headers", [])]
            await send(message)

        await self.app(scope, receive, relative)

