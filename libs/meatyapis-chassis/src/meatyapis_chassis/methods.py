"""Requests with a method no route can take are refused before the app and its metrics run.

gunicorn and uvicorn accept any method token (`PROPFIND`, `MKCOL`, `XKCDQ` …), and both metric
libraries label requests with their method, so made-up methods would add series without bound.
Each service wraps its whole app (WSGI or ASGI) in one of these filters, outermost: the methods
of RFC 9110 reach the app as before (routing answers 404 or 405); any other gets a 405 problem
with the request id, and one access line, from here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from meatyapis_chassis.logs import log_access
from meatyapis_chassis.problems import PROBLEM_JSON, problem_json
from meatyapis_chassis.request_id import (
    REQUEST_ID_HEADER,
    accept_or_generate_request_id,
    request_id_var,
)
from meatyapis_chassis.security_headers import EVERY_RESPONSE

KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
ALLOW = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ASGIApp = Callable[..., Any]


def method_not_allowed(
    access_log: logging.Logger,
    method: str,
    path: str,
    incoming_id: str | None,
    fields: dict[str, str | None],
) -> tuple[list[tuple[str, str]], bytes]:
    """The headers and body of the 405 answer; its access line is logged here."""
    started = time.perf_counter()
    request_id = accept_or_generate_request_id(incoming_id)
    token = request_id_var.set(request_id)
    try:
        body = problem_json(405, f"the request method is not one of {ALLOW}", path=path)
        log_access(
            access_log,
            method=method,
            path=path,
            status=405,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            route=None,
            client=fields.get("client"),
            user_agent=fields.get("user_agent"),
            traceparent=fields.get("traceparent"),
        )
    finally:
        request_id_var.reset(token)
    headers = [
        ("Content-Type", PROBLEM_JSON),
        ("Content-Length", str(len(body))),
        ("Allow", ALLOW),
        (REQUEST_ID_HEADER, request_id),
        *EVERY_RESPONSE,  # also where the answer is written below the app (uvicorn's parser)
    ]
    return headers, body


def wsgi_method_filter(app: WSGIApp, access_log: logging.Logger) -> WSGIApp:
    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method in KNOWN_METHODS:
            return app(environ, start_response)
        # PEP 3333 hands the path over as latin-1 decoded bytes.
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
        headers, body = method_not_allowed(
            access_log,
            method,
            path,
            environ.get("HTTP_X_REQUEST_ID"),
            {
                "client": environ.get("REMOTE_ADDR"),
                "user_agent": environ.get("HTTP_USER_AGENT"),
                "traceparent": environ.get("HTTP_TRACEPARENT"),
            },
        )
        start_response("405 Method Not Allowed", headers)
        return [body]

    return guarded


class AsgiMethodFilter:
    def __init__(self, app: ASGIApp, access_log: logging.Logger) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in KNOWN_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope.get("headers", ())
        }
        answer, body = method_not_allowed(
            self.access_log,
            scope["method"],
            scope["path"],
            headers.get(REQUEST_ID_HEADER.lower()),
            {
                "client": (scope.get("client") or ("", 0))[0],
                "user_agent": headers.get("user-agent"),
                "traceparent": headers.get("traceparent"),
            },
        )
        await send(
            {
                "type": "http.response.start",
                "status": 405,
                "headers": [(name.lower().encode(), value.encode()) for name, value in answer],
            }
        )
        await send({"type": "http.response.body", "body": body})
