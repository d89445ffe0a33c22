"""The security headers of every response both services send.

Every response: `X-Content-Type-Options: nosniff` (a browser never runs a JSON answer or a
problem document as something else). Every HTML response (the catalog's welcome page, both
docs pages): a Content-Security-Policy that their own assets satisfy (scripts, styles and
images from the service itself, Swagger UI's inline SVG icons as data: URIs, calls only back to
the service), which refuses to be framed (`frame-ancestors 'none'`, and `X-Frame-Options: DENY`
for browsers without CSP 2), and `Referrer-Policy: no-referrer`.

Each service wraps its whole app in one of these (WSGI or ASGI), outermost, so the answers of
the method filter and the error handlers carry them too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
EVERY_RESPONSE: tuple[tuple[str, str], ...] = (("X-Content-Type-Options", "nosniff"),)
HTML_RESPONSE: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
)


def security_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers to add to a response that has `headers` (those it sets itself stay)."""
    present = {name.lower(): value for name, value in headers}
    wanted = list(EVERY_RESPONSE)
    if present.get("content-type", "").lower().startswith("text/html"):
        wanted += HTML_RESPONSE
    return [(name, value) for name, value in wanted if name.lower() not in present]


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def wsgi_security_headers(app: WSGIApp) -> WSGIApp:
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, headers + security_headers(headers), exc_info)

        return app(environ, start)

    return wrapped


_RAW_EVERY = [(name.lower().encode(), value.encode()) for name, value in EVERY_RESPONSE]
_RAW_HTML = [(name.lower().encode(), value.encode()) for name, value in HTML_RESPONSE]
_RAW_NAMES = frozenset(name for name, _ in _RAW_EVERY + _RAW_HTML)


class AsgiSecurityHeaders:
    """The same headers as `security_headers`, on the raw header list of each answer (ASGI
    header names are lower-case bytes): nothing is decoded on the way."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": with_security_headers(message.get("headers", ()))}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def with_security_headers(raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    headers = list(raw)
    html = False
    present: set[bytes] = set()
    for name, value in headers:
        name = name.lower()
        if name == b"content-type":
            html = value[:9].lower() == b"text/html"
        elif name in _RAW_NAMES:
            present.add(name)
    wanted = _RAW_EVERY + _RAW_HTML if html else _RAW_EVERY
    if present:
        wanted = [(name, value) for name, value in wanted if name not in present]
    return headers + wanted
