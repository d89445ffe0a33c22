"""The request id of each request (the caller's when it follows the rule) and its access line."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request
from meatyapis_chassis.logs import log_access
from meatyapis_chassis.request_id import (
    REQUEST_ID_HEADER,
    accept_or_generate_request_id,
    request_id_var,
)

access_log = logging.getLogger("meatyapis_flask.access")


def init_request_context(app: Flask) -> None:
    # Registered first, so the request id is set before any other hook may log.
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request(_end)
    app.teardown_request(_reset)


def _begin() -> None:
    request_id = accept_or_generate_request_id(request.headers.get(REQUEST_ID_HEADER))
    # A stack: a request made while serving one (a test's nested client) shares the app
    # context and so `g`; each teardown resets its own.
    g.setdefault("request_id_tokens", []).append(request_id_var.set(request_id))
    g.request_started = time.perf_counter()


def _end(response: Response) -> Response:
    request_id = request_id_var.get()
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    log_access(
        access_log,
        method=request.method,
        path=request.path,
        status=response.status_code,
        duration_ms=round((time.perf_counter() - started) * 1000, 3) if started else None,
        route=request.url_rule.rule if request.url_rule else None,
        client=request.remote_addr,
        user_agent=request.user_agent.string,
        traceparent=request.headers.get("traceparent"),
    )
    return response


def _reset(_exc: BaseException | None) -> None:
    tokens = g.get("request_id_tokens")
    if tokens:
        request_id_var.reset(tokens.pop())
