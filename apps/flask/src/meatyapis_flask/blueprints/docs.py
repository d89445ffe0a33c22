"""The API documentation page (the chassis's, as the identity service serves it): Swagger UI 5
over /openapi.json, its files from the flask-swagger-ui package (its version is the Swagger UI
version it ships)."""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Response, abort, send_file, url_for
from meatyapis_chassis.docs_page import (
    ASSET_MAX_AGE,
    ASSETS_PATH,
    DOCS_PATH,
    asset_files,
    docs_page,
)

from meatyapis_flask import APP_NAME

bp = Blueprint("docs", __name__)

SWAGGER_UI_FILES = asset_files(Path(flask_swagger_ui.__file__).parent / "dist")


@bp.get(DOCS_PATH)
def swagger_ui() -> str:
    icon = url_for("static", filename="favicon.svg")
    return docs_page(APP_NAME, openapi_url="/openapi.json", icon=icon)


@bp.get(f"{ASSETS_PATH}/<name>")
def swagger_ui_asset(name: str) -> Response:
    file = SWAGGER_UI_FILES.get(name)
    if file is None:
        abort(404)
    return send_file(file, max_age=ASSET_MAX_AGE)
