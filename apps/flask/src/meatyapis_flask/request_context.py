"""The request id of each request (the caller's when it follows the rule), the headers every
answer carries (the id and the security headers) and its access line: one WSGI layer around the
Flask app, rather than before/after/teardown hooks that each go through Flask's hook machinery
and the context-local `request` on every request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Request
from meatyapis_chassis.logs import log_access
from meatyapis_chassis.methods import WSGIApp
from meatyapis_chassis.request_id import (
    REQUEST_ID_HEADER,
    accept_or_generate_request_id,
    request_id_var,
)
from meatyapis_chassis.security_headers import security_headers

access_log = logging.getLogger("meatyapis_flask.access")

# The request's Flask `Request`, put in its environ by CatalogApp.request_context: Flask clears
# its own reference when the request context ends, and the access line needs the matched rule.
REQUEST = "meatyapis.request"
_REQUEST_ID = REQUEST_ID_HEADER.lower()


def wsgi_request_context(app: WSGIApp) -> WSGIApp:
    def handle(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        request_id = accept_or_generate_request_id(environ.get("HTTP_X_REQUEST_ID"))
        status = 0

        def start(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            nonlocal status
            status = int(status_line[:3])
            headers = [(name, value) for name, value in headers if name.lower() != _REQUEST_ID]
            headers.append((REQUEST_ID_HEADER, request_id))
            headers += security_headers(headers)
            return start_response(status_line, headers, exc_info)

        token = request_id_var.set(request_id)
        try:
            body = app(environ, start)
            request: Request | None = environ.pop(REQUEST, None)
            if request is None:  # not a request of this app (cannot happen below CatalogApp)
                return body
            rule = request.url_rule
            log_access(
                access_log,
                method=request.method,
                path=request.path,
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                route=rule.rule if rule else None,
                client=request.remote_addr,
                user_agent=environ.get("HTTP_USER_AGENT"),
                traceparent=environ.get("HTTP_TRACEPARENT"),
            )
            return body
        finally:
            request_id_var.reset(token)

    return handle
