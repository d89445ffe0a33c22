"""The OpenAPI 3.1 document of the whole API, served as JSON."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from flask import Blueprint

from meatyapis_flask import __version__

bp = Blueprint("openapi", __name__)


@cache
def openapi_document() -> dict[str, Any]:
    text = files("meatyapis_flask").joinpath("openapi.yaml").read_text(encoding="utf-8")
    document: dict[str, Any] = yaml.safe_load(text)
    document["info"]["version"] = __version__
    return document


@bp.get("/openapi.json")
def openapi_json() -> dict[str, Any]:
    return openapi_document()
