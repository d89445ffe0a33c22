"""The HTML welcome page, and the site icon browsers ask for on every origin."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, send_from_directory

from meatyapis_flask import APP_NAME, __version__

bp = Blueprint("pages", __name__)

PAGES = (
    {"title": "Home", "href": "/"},
    {"title": "API docs", "href": "/docs"},
    {"title": "Products", "href": "/products"},
    {"title": "Hello", "href": "/hello"},
    {"title": "Health", "href": "/healthz"},
)
CARDS = (
    {"title": "API documentation", "href": "/docs", "text": "Swagger UI: try every operation."},
    {"title": "OpenAPI document", "href": "/openapi.json", "text": "The API as OpenAPI 3.1."},
    {"title": "Products", "href": "/products", "text": "The catalog, a page at a time."},
)


@bp.get("/")
def index() -> str:
    return render_template(
        "index.html",
        title="Welcome",
        message="Welcome to the MeatyAPIs Flask service!",
        pages=PAGES,
        cards=CARDS,
        app_name=APP_NAME,
        version=__version__,
    )


@bp.get("/favicon.ico")
def favicon() -> Response:
    static = current_app.static_folder
    assert static is not None
    return send_from_directory(static, "favicon.ico")
