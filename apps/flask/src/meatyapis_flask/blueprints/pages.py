"""The HTML welcome page."""

from __future__ import annotations

from flask import Blueprint, render_template

from meatyapis_flask import APP_NAME, __version__

bp = Blueprint("pages", __name__)

PAGES = (
    {"title": "Home", "href": "/"},
    {"title": "Hello", "href": "/hello"},
    {"title": "Products", "href": "/products"},
    {"title": "API (OpenAPI)", "href": "/openapi.json"},
    {"title": "Health", "href": "/healthz"},
)


@bp.get("/")
def index() -> str:
    return render_template(
        "index.html",
        title="Welcome",
        message="Welcome to the MeatyAPIs Flask service!",
        pages=PAGES,
        app_name=APP_NAME,
        version=__version__,
    )
