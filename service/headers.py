"""Response headers: redirects that do not trust ``Host``, and the pages' Content-Security-Policy.

Starlette's router redirects ``/badges/`` to ``/badges`` (``redirect_slashes``) with an
absolute ``Location`` built from the request's ``Host`` header, so ``Host: evil.example``
sent the caller (or a cache keyed on the path) to ``http://evil.example/badges``.
``RelativeRedirects`` makes the ``Location`` of every redirect that starts with the request's
own scheme and ``Host`` (or the server's address, which Starlette uses when ``Host`` is missing or
malformed) relative (``/badges``, query kept): a browser resolves it against the URL it
asked for (RFC 9110 section 10.2.2), whatever ``Host`` said.

``content_security_policy(html)``: the CSP of an HTML page the service serves (the learner
pages). Scripts run only from this origin and the page's own inline scripts, each allowed by
its SHA-256 (CSP level 2 hash sources), so an injected script does not run; no plugins
(``object-src 'none'``), no ``<base>`` (``base-uri 'none'``), no framing
(``frame-ancestors 'none'``: these pages are never embedded; partner sites embed the widget's
script, ``/widget/colearn.js``, not a page), forms post only here. Styles may be inline: the
widget (shown on ``/portfolio``) styles its shadow root with a ``<style>`` element and
``style`` attributes. Images may come from anywhere and be ``data:``: ``/claim`` shows the badge
image at ``COLEARN_BASE_URL``, which need not be the origin the page was opened at, and
``/issue/claim-codes`` draws QR images as ``data:`` URLs (an image runs nothing).
"""

from __future__ import annotations

import base64
import hashlib
import re
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


#: An inline script (no ``src``): group 2 is its text, as the browser hashes it.
_INLINE_SCRIPT = re.compile(r"<script(\s[^>]*)?>(.*?)</script>", re.S | re.I)


def content_security_policy(html: str) -> str:
    """The ``Content-Security-Policy`` for the page ``html`` (see the module docstring): every
    inline ``<script>`` of it allowed by its ``'sha256-...'``, nothing else inline."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(m.group(2).encode()).digest()).decode()}'"
        for m in _INLINE_SCRIPT.finditer(html) if "src=" not in (m.group(1) or "").lower())
    return (f"default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
            "img-src * data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
