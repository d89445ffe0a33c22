"""The request id of each request (the caller's when it follows the rule) and its access line."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, request
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


# Each `request.x` goes through a context-local proxy: the hooks, run on every request, read each
# value once. A request's own state is kept in its WSGI environ, not in `g`, which a request made
# while another one runs (a test client inside a view) shares with it.
CONTEXT = "meatyapis.request_context"


def _begin() -> None:
    request_id = accept_or_generate_request_id(request.headers.get(REQUEST_ID_HEADER))
    request.environ[CONTEXT] = (request_id_var.set(request_id), time.perf_counter())


def _end(response: Response) -> Response:
    request_id = request_id_var.get()
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    req = request
    context = req.environ.get(CONTEXT)
    headers = req.headers
    rule = req.url_rule
    log_access(
        access_log,
        method=req.method,
        path=req.path,
        status=response.status_code,
        duration_ms=round((time.perf_counter() - context[1]) * 1000, 3) if context else None,
        route=rule.rule if rule else None,
        client=req.remote_addr,
        user_agent=headers.get("User-Agent"),
        traceparent=headers.get("traceparent"),
    )
    return response


def _reset(_exc: BaseException | None) -> None:
    context = request.environ.pop(CONTEXT, None)
    if context is not None:
        request_id_var.reset(context[0])
