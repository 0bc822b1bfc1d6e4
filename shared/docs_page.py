"""The API docs page of every service (``/docs``), with Swagger UI served by the service
itself: a government network has no internet, and the page FastAPI makes by default loads
its scripts from a CDN and stays blank there."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/docs-assets"


def add_docs_page(app: FastAPI) -> None:
    """``/docs`` and the Swagger UI files it needs, under the app's own path (mounted under
    ``/<service>`` in ``duban run``, at the root alone)."""
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    async def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} · 接口文档",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon-32x32.png",
            oauth2_redirect_url=None,
        )

    app.add_api_route("/docs", docs, include_in_schema=False)
