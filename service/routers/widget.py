"""The partner widget's script (``/widget/colearn.js``) and a demo partner page (``/demo``).

Both are public static content at ``Settings.base_url``: the script calls the API with the partner key
the page gives it, and the API checks that key and the page's origin.
"""

from __future__ import annotations

import html
from functools import lru_cache
from importlib import resources
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from colearn.service.deps import SettingsDep

router = APIRouter(tags=["widget"], include_in_schema=False)

#: The learner ``/demo`` opens on: a Brackenford learner (``data/demo-city/learners.csv``)
#: part-way along the Digital Careers pathway, with a few badges to go on.
DEMO_LEARNER = "bf-0476"


@lru_cache
def asset(name: str) -> str:
    """A file of ``service/widget/``."""
    return resources.files("colearn.service").joinpath("widget", name).read_text(encoding="utf-8")


def render_demo(api: str, key: str, learner: str | None, district: str = "", online: bool = False) -> str:
    """The demo partner page, loading the widget from ``api`` with ``key`` for
    ``learner`` (``None``: visitor mode, no learner), within ``district`` and/or
    ``online`` when given.

    Every value is HTML-escaped, and the links to the learner and visitor views
    carry theirs URL-encoded first (``urlencode``: a ``learner`` of ``a&key=x``
    stays one parameter); a partner site embeds the same two elements. No value is
    written into script text: the page's script reads the district it selects from the
    selector's ``data-district`` attribute (an HTML-escaped ``\\`` or ``"`` inside a
    JavaScript string broke or changed the script).
    """
    page = asset("demo.html")
    who = 'visitor themes="digital"' if learner is None else f'learner="{html.escape(learner, quote=True)}"'
    where = (f' district="{html.escape(district, quote=True)}"' if district else "") + (" online" if online else "")
    values = {"API": api.rstrip("/"), "KEY": key, "LEARNER": learner or "", "DISTRICT": district,
              "MODE": "a visitor" if learner is None else f"learner {learner}",
              "AS_LEARNER": urlencode({"learner": learner or DEMO_LEARNER, "key": key}),
              "AS_VISITOR": urlencode({"visitor": "true", "key": key})}
    page = page.replace("{{WHO}}", who + where).replace("{{ONLINE}}", " checked" if online else "")
    for name, value in values.items():
        page = page.replace("{{" + name + "}}", html.escape(value, quote=True))
    return page


@router.get("/widget/colearn.js")
def widget_script() -> Response:
    """The web components ``<colearn-next>`` and ``<colearn-pathways>``."""
    return Response(asset("colearn.js"), media_type="text/javascript",
                    headers={"Cache-Control": "public, max-age=300"})


@router.get("/demo", response_class=HTMLResponse)
def demo_page(settings: SettingsDep,
              key: Annotated[str, Query(max_length=300)] = "",
              learner: Annotated[str, Query(max_length=200)] = DEMO_LEARNER,
              visitor: Annotated[bool, Query()] = False,
              district: Annotated[str, Query(max_length=200)] = "",
              online: Annotated[bool, Query()] = False) -> HTMLResponse:
    """A partner page showing both widgets: for ``learner`` (default ``DEMO_LEARNER``)
    or, with ``visitor=true``, for a visitor; ``district`` and ``online`` filter
    where (``?key=<partner key>`` when the API asks for one). The widget's script is
    named by a root-relative URL (``/widget/colearn.js``), so the browser loads it, and the
    widget calls the API, at the address the page itself was opened at (a LAN address of
    a server bound to 0.0.0.0, a proxy's), never one read from the request's ``Host``
    header: the page is the same whatever the request says."""
    return HTMLResponse(render_demo("", key, None if visitor or not learner else learner, district, online))
