"""The request body size limit: 413 problem above MAX_BODY_BYTES, by Content-Length or while
the body streams in."""

from __future__ import annotations

from meatyapis_chassis.problems import Problem
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from meatyapis_fastapi.problems import problem_response


class BodySizeLimitMiddleware:
    """413 problem for request bodies above `max_bytes`, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for n, v in scope["headers"] if n == b"content-length"), b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = problem_response(Problem(413, self._detail()), scope["path"])
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the endpoint's body read: the problem handlers answer it.
                    raise HTTPException(413, self._detail())
            return message

        await self.app(scope, counting_receive, send)

    def _detail(self) -> str:
        return f"request body larger than {self.max_bytes} bytes"
