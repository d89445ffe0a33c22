"""The API documentation page both services serve at /docs: Swagger UI 5 over the service's
OpenAPI document, every asset from the service itself (no CDN, nothing leaves the page), and no
inline script, so a strict Content-Security-Policy holds.

Each service ships the Swagger UI files in a package of its framework and serves exactly the
files `asset_files` names under /docs/assets: never a vendor demo, index or redirect page.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"
ASSET_MAX_AGE = 3600  # seconds; the names carry no version, so the files are not immutable
SWAGGER_INIT = Path(__file__).parent / "static" / "swagger-init.js"

_PAGE = """<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{title}</title>
    <link rel="icon" href="{icon}">
    <link rel="stylesheet" href="{assets}/swagger-ui.css">
  </head>
  <body>
    <div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
    <script src="{assets}/swagger-ui-bundle.js"></script>
    <script src="{assets}/swagger-init.js"></script>
  </body>
</html>
"""


def docs_page(app_name: str, *, openapi_url: str, icon: str) -> str:
    return _PAGE.format(
        title=escape(f"{app_name} - API documentation"),
        icon=escape(icon),
        assets=ASSETS_PATH,
        openapi_url=escape(openapi_url),
    )


def asset_files(swagger_ui_dist: Path) -> dict[str, Path]:
    """Name -> file of every asset the page loads: the two Swagger UI files from the service's
    copy of the distribution, and the page's start-up script from here."""
    return {
        "swagger-ui-bundle.js": swagger_ui_dist / "swagger-ui-bundle.js",
        "swagger-ui.css": swagger_ui_dist / "swagger-ui.css",
        "swagger-init.js": SWAGGER_INIT,
    }
