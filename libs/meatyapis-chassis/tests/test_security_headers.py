"""The security headers: nosniff on every answer, the CSP and framing rules on HTML ones."""

from __future__ import annotations

import asyncio
from typing import Any

from meatyapis_chassis.security_headers import (
    CONTENT_SECURITY_POLICY,
    AsgiSecurityHeaders,
    security_headers,
    wsgi_security_headers,
)

HTML = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def test_html_gets_every_header_json_only_nosniff() -> None:
    assert dict(security_headers([("Content-Type", "text/html; charset=utf-8")])) == HTML
    assert dict(security_headers([("content-type", "application/json")])) == {
        "X-Content-Type-Options": "nosniff"
    }
    assert dict(security_headers([])) == {"X-Content-Type-Options": "nosniff"}


def test_a_header_the_response_sets_itself_is_kept() -> None:
    own = [("Content-Type", "text/html"), ("X-Frame-Options", "SAMEORIGIN")]
    assert "X-Frame-Options" not in dict(security_headers(own))


def test_the_policy_loads_nothing_from_elsewhere_and_cannot_be_framed() -> None:
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY
    assert all(
        source in {"'self'", "'none'", "data:"}
        for value in directives.values()
        for source in value.split()
    )


def test_the_wsgi_wrapper() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", environ["type"])])
        return [b"x"]

    seen: list[list[tuple[str, str]]] = []
    wrapped = wsgi_security_headers(app)
    for content_type in ("text/html", "application/problem+json"):
        wrapped({"type": content_type}, lambda status, headers, exc_info=None: seen.append(headers))
    assert {name: value for name, value in seen[0] if name != "Content-Type"} == HTML
    assert dict(seen[1])["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in dict(seen[1])


def test_the_asgi_wrapper() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/html")],
            }
        )
        await send({"type": "http.response.body", "body": b"x"})

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(AsgiSecurityHeaders(app)({"type": "http"}, None, send))
    headers = {name.decode(): value.decode() for name, value in sent[0]["headers"]}
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert headers["x-content-type-options"] == "nosniff"
    assert sent[1]["body"] == b"x"


def _asgi_answer_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": list(raw)})

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(AsgiSecurityHeaders(app)({"type": "http"}, None, send))
    return list(sent[0]["headers"])


def test_the_asgi_wrapper_adds_the_same_headers_as_the_rule() -> None:
    cases = [
        [(b"content-type", b"Text/HTML; charset=utf-8")],
        [(b"content-type", b"application/json")],
        [(b"content-type", b"text/html"), (b"x-frame-options", b"SAMEORIGIN")],
        [(b"X-Content-Type-Options", b"nosniff"), (b"content-type", b"text/html")],
        [],
    ]
    for raw in cases:
        decoded = [(n.decode(), v.decode()) for n, v in raw]
        rule = [(n.lower(), v) for n, v in decoded + security_headers(decoded)]
        answered = _asgi_answer_headers(raw)
        assert [(n.decode().lower(), v.decode()) for n, v in answered] == rule
