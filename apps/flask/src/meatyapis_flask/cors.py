"""CORS for the origins listed in CORS_ALLOWED_ORIGINS (none by default: no CORS headers)."""

from __future__ import annotations

from flask import Flask, Response, request

ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type, If-Match, If-None-Match, X-Request-ID"
EXPOSED_HEADERS = "ETag, Location, X-Request-ID"
PREFLIGHT_MAX_AGE = "600"


def init_cors(app: Flask, allowed_origins: tuple[str, ...]) -> None:
    if not allowed_origins:
        return
    allow_any = "*" in allowed_origins

    def allowed(origin: str | None) -> bool:
        return origin is not None and (allow_any or origin in allowed_origins)

    @app.before_request
    def _preflight() -> Response | None:
        origin = request.headers.get("Origin")
        if (
            request.method == "OPTIONS"
            and "Access-Control-Request-Method" in request.headers
            and allowed(origin)
            and request.url_rule is not None
        ):
            response = Response(status=204)
            response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
            return response
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        origin = request.headers.get("Origin")
        response.vary.add("Origin")
        if allowed(origin):
            response.headers["Access-Control-Allow-Origin"] = "*" if allow_any else str(origin)
            response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        return response
