"""The partner widget's script (``/widget/colearn.js``) and a demo partner page (``/demo``).

Both are public static content: the script calls the API with the partner key
the page gives it, and the API checks that key and the page's origin.
"""

from __future__ import annotations

import html
from functools import lru_cache
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

router = APIRouter(tags=["widget"], include_in_schema=False)


@lru_cache
def asset(name: str) -> str:
    """A file of ``service/widget/``."""
    return resources.files("colearn.service").joinpath("widget", name).read_text(encoding="utf-8")


def render_demo(api: str, key: str, learner: str) -> str:
    """The demo partner page, loading the widget from ``api`` with ``key`` for ``learner``.

    The values are HTML-escaped; a partner site embeds the same two elements.
    """
    page = asset("demo.html")
    for name, value in (("API", api.rstrip("/")), ("KEY", key), ("LEARNER", learner)):
        page = page.replace("{{" + name + "}}", html.escape(value, quote=True))
    return page


@router.get("/widget/colearn.js")
def widget_script() -> Response:
    """The web components ``<colearn-next>`` and ``<colearn-pathways>``."""
    return Response(asset("colearn.js"), media_type="text/javascript",
                    headers={"Cache-Control": "public, max-age=300"})


@router.get("/demo", response_class=HTMLResponse)
def demo_page(request: Request,
              key: Annotated[str, Query(max_length=300)] = "",
              learner: Annotated[str, Query(max_length=200)] = "demo-learner-1") -> HTMLResponse:
    """A partner page showing both widgets (``?key=<partner key>&learner=<id>``)."""
    return HTMLResponse(render_demo(str(request.base_url), key, learner))
