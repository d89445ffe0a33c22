"""The API documentation page: Swagger UI 5 over /openapi.json, every asset served from here.

The Swagger UI files come from the flask-swagger-ui package (its version is the Swagger UI
version it ships); only the two files the page loads are reachable, never the package's own
index or OAuth2 redirect pages.
"""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Response, abort, render_template, send_from_directory

from meatyapis_flask import APP_NAME

bp = Blueprint("docs", __name__)

SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).parent / "dist"
SWAGGER_UI_ASSETS = frozenset({"swagger-ui-bundle.js", "swagger-ui.css"})


@bp.get("/docs")
def swagger_ui() -> str:
    return render_template(
        "docs.html", title=f"{APP_NAME} - API documentation", openapi_url="/openapi.json"
    )


@bp.get("/docs/assets/<name>")
def swagger_ui_asset(name: str) -> Response:
    if name not in SWAGGER_UI_ASSETS:
        abort(404)
    return send_from_directory(SWAGGER_UI_DIST, name)
