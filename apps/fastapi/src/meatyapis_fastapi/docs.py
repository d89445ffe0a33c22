"""The API documentation: the OpenAPI document and Swagger UI 5, every asset served from here.

The Swagger UI files come from the fastapi-offline package; only the two files the page loads
are reachable (no vendor demo or redirect pages). The OAuth2 password flow of the Authorize
dialog posts to /login, so "Try it out" on a protected route sends the token.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, HTTPException
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse

from meatyapis_fastapi.problems import Problem

DOCS = "/docs"
ASSETS = "/docs/assets"
SWAGGER_UI_DIST = Path(fastapi_offline.__file__).parent / "static"
STATIC = Path(__file__).parent / "static"
# name -> folder: the Swagger UI files the page loads, and the page's own start-up script
ASSET_FILES = {
    "swagger-ui-bundle.js": SWAGGER_UI_DIST,
    "swagger-ui.css": SWAGGER_UI_DIST,
    "swagger-init.js": STATIC,
}
ASSET_CACHE_CONTROL = "public, max-age=3600"  # the names carry no version: not immutable
ICON_CACHE_CONTROL = "public, max-age=86400"

PAGE = """<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{title}</title>
    <link rel="icon" href="/favicon.ico">
    <link rel="stylesheet" href="{assets}/swagger-ui.css">
  </head>
  <body>
    <div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
    <script src="{assets}/swagger-ui-bundle.js"></script>
    <script src="{assets}/swagger-init.js"></script>
  </body>
</html>
"""


def install_docs(app: FastAPI) -> None:
    """`/docs` and its assets, `/favicon.ico`, and `/openapi.json` with the Problem schema."""
    page = PAGE.format(
        title=escape(f"{app.title} - API documentation"),
        assets=ASSETS,
        openapi_url=escape(app.openapi_url or "/openapi.json"),
    )

    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(page)

    def swagger_ui_asset(name: str) -> FileResponse:
        folder = ASSET_FILES.get(name)
        if folder is None:
            raise HTTPException(404)
        return FileResponse(folder / name, headers={"Cache-Control": ASSET_CACHE_CONTROL})

    def favicon() -> FileResponse:
        return FileResponse(STATIC / "favicon.ico", headers={"Cache-Control": ICON_CACHE_CONTROL})

    app.add_api_route(DOCS, swagger_ui, methods=["GET"], include_in_schema=False)
    app.add_api_route(
        ASSETS + "/{name}", swagger_ui_asset, methods=["GET"], include_in_schema=False
    )
    app.add_api_route("/favicon.ico", favicon, methods=["GET"], include_in_schema=False)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(problem.pop("$defs", {}))
            schemas["Problem"] = problem
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
