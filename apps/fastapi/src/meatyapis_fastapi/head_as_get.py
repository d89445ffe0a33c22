"""HEAD answered as GET without the body, on every route that takes GET."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGetMiddleware:
    """HEAD answered as GET without the body (RFC 9110 §9.3.2), on every route that takes GET.

    FastAPI routes take only the methods they declare, so HEAD would be 405 wherever GET works.
    Here a HEAD request is routed as a GET and only the response's start (status and headers)
    is sent on. It is the innermost middleware: the metrics and the access log still see HEAD.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        as_get = {**scope, "method": "GET"}

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.start":
                await send(message)
            elif not message.get("more_body", False):
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        try:
            await self.app(as_get, receive, send_headers_only)
        finally:
            if "route" in as_get:  # the matched route, for the access log
                scope["route"] = as_get["route"]
