"""The unknown-method filter, as WSGI and as ASGI middleware: the same 405 answer and access line
before the app (and its metrics) see the request."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from meatyapis_chassis.methods import ALLOW, KNOWN_METHODS, AsgiMethodFilter, wsgi_method_filter

LOGGER = logging.getLogger("chassis.test.access")
UNKNOWN = ["PROPFIND", "MKCOL", "XKCDQ", "get"]


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"app"]


def call_wsgi(method: str, **environ: str) -> tuple[str, dict[str, str], bytes]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer.update(status=status, headers=dict(headers))

    body = b"".join(
        wsgi_method_filter(wsgi_app, LOGGER)(
            {"REQUEST_METHOD": method, "PATH_INFO": "/hello", **environ}, start_response
        )
    )
    return answer["status"], answer["headers"], body


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"app"})


def call_asgi(method: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, dict[str, str], bytes]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": "/hello",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
    }
    asyncio.run(AsgiMethodFilter(asgi_app, LOGGER)(scope, None, send))
    start, body = sent
    answer = {name.decode(): value.decode() for name, value in start["headers"]}
    return start["status"], answer, body["body"]


@pytest.mark.parametrize("method", sorted(KNOWN_METHODS))
def test_known_methods_reach_the_app(method: str) -> None:
    assert call_wsgi(method)[2] == b"app"
    assert call_asgi(method, [])[2] == b"app"


@pytest.mark.parametrize("method", UNKNOWN)
def test_unknown_methods_get_the_same_405_from_both(
    method: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, LOGGER.name):
        status, headers, body = call_wsgi(
            method, HTTP_X_REQUEST_ID="dGVzdA==", REMOTE_ADDR="127.0.0.1"
        )
        code, asgi_headers, asgi_body = call_asgi(method, [(b"x-request-id", b"dGVzdA==")])
    assert status == "405 Method Not Allowed"
    assert code == 405
    assert body == asgi_body
    problem = json.loads(body)
    assert problem["status"] == 405
    assert problem["type"] == "about:blank"
    assert problem["instance"] == "/hello"
    assert problem["request_id"] == "dGVzdA=="
    assert headers["Allow"] == asgi_headers["allow"] == ALLOW
    assert headers["X-Request-ID"] == asgi_headers["x-request-id"] == "dGVzdA=="
    assert headers["Content-Type"] == asgi_headers["content-type"] == "application/problem+json"
    lines = [r for r in caplog.records if r.name == LOGGER.name]
    assert [(r.__dict__["method"], r.__dict__["status"]) for r in lines] == [(method, 405)] * 2
    assert [r.__dict__["client"] for r in lines] == ["127.0.0.1"] * 2


def test_a_bad_request_id_is_replaced_in_the_405(caplog: pytest.LogCaptureFixture) -> None:
    _, headers, body = call_wsgi("MKCOL", HTTP_X_REQUEST_ID="bad id")
    assert headers["X-Request-ID"] != "bad id"
    assert json.loads(body)["request_id"] == headers["X-Request-ID"]
    _, asgi_headers, asgi_body = call_asgi("MKCOL", [(b"x-request-id", "bad\u00e9".encode())])
    assert len(asgi_headers["x-request-id"]) == 32
    assert json.loads(asgi_body)["request_id"] == asgi_headers["x-request-id"]
