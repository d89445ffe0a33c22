"""The outermost app middleware: the request id (the caller's when it follows the rule), the
last-resort 500 problem, and one access line per request."""

from __future__ import annotations

import logging
import time

from meatyapis_chassis.logs import log_access
from meatyapis_chassis.request_id import (
    REQUEST_ID_HEADER,
    accept_or_generate_request_id,
    request_id_var,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from meatyapis_fastapi.problems import internal_error_response

access_log = logging.getLogger("meatyapis_fastapi.access")
error_log = logging.getLogger("meatyapis_fastapi.errors")


_REQUEST_ID = REQUEST_ID_HEADER.lower().encode("latin-1")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # One pass over the raw headers (ASGI names are lower-case) for the three it needs.
        incoming = user_agent = traceparent = None
        for name, value in scope["headers"]:
            if name == _REQUEST_ID:
                incoming = incoming or value.decode("latin-1")
            elif name == b"user-agent":
                user_agent = user_agent or value.decode("latin-1")
            elif name == b"traceparent":
                traceparent = traceparent or value.decode("latin-1")
        request_id = accept_or_generate_request_id(incoming)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False
        id_header = (_REQUEST_ID, request_id.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                # This middleware is the only one that sets the header.
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            error_log.exception("unhandled error")
            if response_started:
                raise
            await internal_error_response(scope["path"])(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            log_access(
                access_log,
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                route=getattr(route, "path", None),
                client=(scope.get("client") or ("", 0))[0],
                user_agent=user_agent,
                traceparent=traceparent,
            )
            request_id_var.reset(token)
