"""HTTP methods: HEAD served as GET without content, and the ``Allow`` header of a 405.

RFC 9110 section 9.1: "All general-purpose servers MUST support the methods
GET and HEAD." FastAPI's routes take only the methods they declare, so a HEAD
on any GET route answered 405. ``HeadAsGet`` is an ASGI middleware that runs a
HEAD request as the GET of the same URL (same checks, same status, same
headers, ``Content-Length`` included, as section 9.3.2 allows) and sends no
content. A HEAD on a path that has no GET answers as that GET would: 405, or 404.

A 405 must name the methods the resource supports in ``Allow`` (section
15.5.6). Starlette's router names those of the first route that matches the
path only (``/badges`` has a GET route and a POST route: it said ``GET``);
``allowed_methods`` names those of every route that matches it, HEAD included
wherever GET is.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Match, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """ASGI middleware: a ``HEAD`` request is served as ``GET`` and its body messages are emptied.

    Args:
        app: the application it wraps.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_content(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_content)


#: The methods a route of this service may take, in the order ``Allow`` names them.
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> str:
    """The ``Allow`` value for ``request``'s path: each method some route takes there
    (``"GET, HEAD, POST"``: ``HEAD`` with ``GET``); empty when no route matches the path.

    Each method is tried on the app's routes as a request of that method to the same path
    (``BaseRoute.matches``), so routes in included routers count as well; a mount of static
    files serves GET (and HEAD)."""
    routes = request.app.router.routes
    # from the app's top (a 405 raised inside a mount, e.g. the docs' static files, has the
    # mount's prefix as its root_path, which would hide the path from the app's routes)
    top = {**request.scope, "root_path": request.scope.get("app_root_path", ""),
           "path_params": {}}
    served: set[str] = set()
    for route in routes:
        if isinstance(route, Mount):  # a mount takes any method; what it serves decides
            if isinstance(route.app, StaticFiles) and route.matches(top)[0] != Match.NONE:
                served.add("GET")
            continue
        served |= {m for m in _METHODS if m != "HEAD" and route.matches({**top, "method": m})[0] == Match.FULL}
    if "GET" in served:
        served.add("HEAD")
    return ", ".join(m for m in _METHODS if m in served)
