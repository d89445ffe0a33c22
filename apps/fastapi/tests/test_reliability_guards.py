"""The guards the reliability suite asked for: a bounded request head, keep-alive connections
that linger on shutdown, 503 while the database is down (the chassis's tests cover the bounded
metrics directory)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from meatyapis_fastapi.dependencies import get_session
from meatyapis_fastapi.http_protocol import MAX_HEADER_FIELDS, GuardedHttpToolsProtocol
from sqlalchemy.exc import OperationalError
from uvicorn.config import Config
from uvicorn.server import ServerState

from apps.fastapi.tests.helpers import make_settings, open_client


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closed = False

    def write(self, data: Any) -> None:
        self.written += bytes(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8080), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def hello(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def connection() -> tuple[GuardedHttpToolsProtocol, Transport]:
    config = Config(app=hello, http=GuardedHttpToolsProtocol, lifespan="off", access_log=False)
    config.load()
    protocol = GuardedHttpToolsProtocol(config=config, server_state=ServerState(), app_state={})
    transport = Transport()
    protocol.connection_made(transport)
    return protocol, transport


def test_an_endless_request_head_gets_431_and_is_closed() -> None:
    async def scenario() -> Transport:
        protocol, transport = connection()
        protocol.data_received(b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 70_000)
        return transport

    transport = asyncio.run(scenario())
    assert transport.written.startswith(b"HTTP/1.1 431 ")
    assert b"application/problem+json" in transport.written
    assert transport.closed


@pytest.mark.parametrize(
    "head",
    [
        b"".join(b"X-F-%d: x\r\n" % i for i in range(MAX_HEADER_FIELDS + 1)),
        b"X-Big: " + b"a" * 66_000 + b"\r\n",
    ],
    ids=["too many fields", "one huge field"],
)
def test_an_oversize_parsed_head_is_refused(head: bytes) -> None:
    async def scenario() -> Transport:
        protocol, transport = connection()
        protocol.data_received(b"GET / HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n")
        await asyncio.sleep(0.01)
        return transport

    transport = asyncio.run(scenario())
    assert transport.written.startswith(b"HTTP/1.1 400 ")
    assert transport.closed


def test_a_method_the_parser_does_not_know_gets_the_405_problem() -> None:
    async def scenario(head: bytes) -> Transport:
        protocol, transport = connection()
        protocol.data_received(head)
        await asyncio.sleep(0.01)
        return transport

    made_up = asyncio.run(scenario(b"XKCDQ /hello?x=1 HTTP/1.1\r\nX-Request-ID: dGVzdA==\r\n\r\n"))
    head, _, body = made_up.written.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 405 Method Not Allowed\r\n")
    assert b"\r\nX-Request-ID: dGVzdA==\r\n" in head
    assert b"\r\nAllow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n" in head
    problem = json.loads(body)
    assert (problem["status"], problem["instance"], problem["request_id"]) == (
        405,
        "/hello",
        "dGVzdA==",
    )
    assert made_up.closed
    garbage = asyncio.run(scenario(b"\x00\x01 / HTTP/1.1\r\n\r\n"))
    assert garbage.written.startswith(b"HTTP/1.1 400 ")  # not a method at all: still a 400


def test_an_idle_connection_still_answers_a_request_that_arrives_during_shutdown() -> None:
    async def scenario() -> Transport:
        protocol, transport = connection()
        protocol.data_received(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.sleep(0.01)
        protocol.shutdown()
        assert not transport.closed  # lingers instead of cutting the idle connection
        protocol.data_received(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.sleep(0.01)
        return transport

    transport = asyncio.run(scenario())
    assert transport.written.count(b"HTTP/1.1 200 OK") == 2
    assert b"connection: close" in transport.written.lower()
    assert transport.closed


def test_a_database_outage_is_503_with_retry_after(sqlite_url: str) -> None:
    def unavailable() -> Iterator[Any]:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("database down"))
        yield  # pragma: no cover

    client = open_client(make_settings(sqlite_url))
    client.app.dependency_overrides[get_session] = unavailable  # type: ignore[attr-defined]
    response = client.post(
        "/register", json={"username": "ada", "email": "ada@example.com", "password": "x" * 12}
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
