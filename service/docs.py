"""The API's documentation pages, ``/docs`` (Swagger UI, with FastAPI's usual
``/docs/oauth2-redirect``) and ``/redoc`` (ReDoc),
with every asset served by the app itself, so that they work offline.

The Swagger UI and ReDoc bundles come from the ``fastapi-offline`` package
(MIT; it ships ``swagger-ui-bundle.js``, ``swagger-ui.css``,
``redoc.standalone.js`` and a favicon in its ``static/`` folder) and are
served under ``/docs-assets/``. The pages themselves are FastAPI's own
(``get_swagger_ui_html``, ``get_redoc_html``) pointed at those files, without
Google Fonts, never framed (``NOT_FRAMED``), and Swagger UI does not keep a key pasted
into "Authorize" (``persistAuthorization`` off: it would sit in the browser's
``localStorage`` for any script of this origin to read). The security schemes that make "Try it out" authenticate are
declared where credentials are read (``service/deps.py``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

#: Where the bundled assets are served.
ASSETS = "/docs-assets"


def assets_dir() -> Path:
    """The folder of Swagger UI and ReDoc files inside the ``fastapi-offline`` package."""
    return Path(str(resources.files("fastapi_offline").joinpath("static")))


#: The documentation pages are never shown in another site's frame (where a click could be
#: steered onto "Authorize" or "Execute"): ``X-Frame-Options`` and CSP ``frame-ancestors``.
NOT_FRAMED = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}


def not_framed(page: HTMLResponse) -> HTMLResponse:
    """``page`` with the ``NOT_FRAMED`` headers."""
    page.headers.update(NOT_FRAMED)
    return page


def install(app: FastAPI) -> None:
    """Serve ``/docs``, ``/redoc`` and their assets from the app (create the app with
    ``docs_url=None, redoc_url=None``)."""
    app.mount(ASSETS, StaticFiles(directory=assets_dir()), name="docs-assets")
    title = f"{app.title} {app.version}"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return not_framed(get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{title}: API documentation",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png", oauth2_redirect_url="/docs/oauth2-redirect",
            # persistAuthorization off: a key pasted into "Authorize" is not kept in localStorage
            swagger_ui_parameters={"persistAuthorization": False, "tryItOutEnabled": False}))

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return not_framed(get_redoc_html(openapi_url=app.openapi_url or "/openapi.json",
                                         title=f"{title}: API reference", redoc_js_url=f"{ASSETS}/redoc.standalone.js",
                                         redoc_favicon_url=f"{ASSETS}/favicon.png", with_google_fonts=False))
