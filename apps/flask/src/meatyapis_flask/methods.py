"""Requests with a method no route can take are refused before the app (and its metrics) run.

gunicorn accepts any method token (`FOO`, `XKCDQ` …) and prometheus-flask-exporter labels the
request metrics with the method, so random methods would add metric series without bound. The
methods of RFC 9110 reach the app as before (routing answers 404 or 405).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
ALLOW = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def reject_unknown_methods(app: WSGIApp) -> WSGIApp:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Method Not Allowed",
            "status": 405,
            "detail": f"the request method is not one of {ALLOW}",
        }
    ).encode()
    headers = [
        ("Content-Type", "application/problem+json"),
        ("Content-Length", str(len(body))),
        ("Allow", ALLOW),
    ]

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD", "GET") in KNOWN_METHODS:
            return app(environ, start_response)
        start_response("405 METHOD NOT ALLOWED", headers)
        return [body]

    return guarded
