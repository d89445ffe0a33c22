"""The API documentation: the OpenAPI document and Swagger UI 5, every asset served from here.

The page is the chassis's (both services serve the same one); the Swagger UI files come from the
fastapi-offline package. The OAuth2 password flow of the Authorize dialog posts to /login, so
"Try it out" on a protected route sends the token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, HTTPException
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse
from meatyapis_chassis.docs_page import (
    ASSET_MAX_AGE,
    ASSETS_PATH,
    DOCS_PATH,
    asset_files,
    docs_page,
)

from meatyapis_fastapi.problems import ProblemDocument

SWAGGER_UI_FILES = asset_files(Path(fastapi_offline.__file__).parent / "static")
STATIC = Path(__file__).parent / "static"
ASSET_CACHE_CONTROL = f"public, max-age={ASSET_MAX_AGE}"
ICON_CACHE_CONTROL = "public, max-age=86400"


def install_docs(app: FastAPI, *, enabled: bool = True) -> None:
    """`/favicon.ico`, the OpenAPI document with the Problem schema, and unless DOCS_ENABLED is
    false `/docs` with its assets (the app serves `/openapi.json` only then: see create_app)."""
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
    app.add_api_route("/favicon.ico", favicon, methods=["GET"], include_in_schema=False)
    if not enabled:
        return
    page = docs_page(app.title, openapi_url=app.openapi_url or "/openapi.json", icon="/favicon.ico")

    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(page)

    def swagger_ui_asset(name: str) -> FileResponse:
        file = SWAGGER_UI_FILES.get(name)
        if file is None:
            raise HTTPException(404)
        return FileResponse(file, headers={"Cache-Control": ASSET_CACHE_CONTROL})

    app.add_api_route(DOCS_PATH, swagger_ui, methods=["GET"], include_in_schema=False)
    app.add_api_route(
        ASSETS_PATH + "/{name}", swagger_ui_asset, methods=["GET"], include_in_schema=False
    )


def favicon() -> FileResponse:
    return FileResponse(STATIC / "favicon.ico", headers={"Cache-Control": ICON_CACHE_CONTROL})


def openapi_document(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        problem = ProblemDocument.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem.pop("$defs", {}))
        schemas["Problem"] = problem
        app.openapi_schema = schema
    return app.openapi_schema
