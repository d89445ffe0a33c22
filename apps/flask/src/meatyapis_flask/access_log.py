"""X-Request-ID handling and the one access-log line per request."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from meatyapis_flask.logs import accept_or_generate_request_id, request_id_var

log = logging.getLogger("meatyapis_flask.access")

REQUEST_ID_HEADER = "X-Request-ID"


def init_access_log(app: Flask) -> None:
    # Registered first, so the request id is set before any other hook may log.
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request(_end)
    app.teardown_request(_reset)


def _begin() -> None:
    request_id = accept_or_generate_request_id(request.headers.get(REQUEST_ID_HEADER))
    g.request_id_token = request_id_var.set(request_id)
    g.request_started = time.perf_counter()


def _end(response: Response) -> Response:
    request_id = request_id_var.get()
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 3) if started else None
    log.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "method": request.method,
            "route": request.url_rule.rule if request.url_rule else None,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "remote_addr": request.remote_addr,
            "user_agent": request.user_agent.string or None,
        },
    )
    return response


def _reset(_exc: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        request_id_var.reset(token)
