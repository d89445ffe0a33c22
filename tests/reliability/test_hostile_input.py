"""Hostile input: oversize bodies, deep JSON nesting, invalid UTF-8, header floods.

Each request gets a clear 4xx (never a 5xx, never a hang), the service keeps answering, and
the memory of its process tree stays bounded.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bench.services import Service
from tests.reliability.conftest import Stack
from tests.reliability.measure import figures, tree_rss_mib
from tests.support.net import HOST

pytestmark = pytest.mark.integration

REPEAT = 5
RSS_GROWTH_LIMIT_MIB = 64.0
IDENTITY = ("identity",)
BODY_LIMITS = {"catalog": 1024 * 1024, "identity": 65_536}  # MAX_BODY_BYTES defaults


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[int], bytes]  # body limit -> raw request
    expected: tuple[int, ...] = ()  # the statuses allowed, when not "any 4xx"
    services: tuple[str, ...] = ("catalog", "identity")


def post(path: str, body: bytes, content_type: str = "application/json") -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


def get(path: bytes, headers: bytes = b"") -> bytes:
    return b"GET " + path + b" HTTP/1.1\r\nHost: h\r\n" + headers + b"Connection: close\r\n\r\n"


def chunked(limit: int) -> bytes:
    chunk = b"x" * 65_536
    head = (
        b"POST /add HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    body = (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * (limit // len(chunk) + 4)
    return head + body + b"0\r\n\r\n"


def deep(limit: int, path: str = "/add", field: bytes = b"a") -> bytes:
    depth = limit // 2 - 100
    return post(path, b'{"' + field + b'": ' + b"[" * depth + b"]" * depth + b', "b": 1}')


def deep_objects(limit: int, path: str = "/add", field: bytes = b"a") -> bytes:
    depth = limit // (len(field) + 5)
    return post(path, b'{"' + field + b'":' * depth + b"1" + b"}" * depth)


def many_headers(count: int) -> bytes:
    return get(b"/hello", b"".join(b"X-Flood-%d: x\r\n" % i for i in range(count)))


CASES = [
    Case("oversize body", lambda n: post("/add", b'{"a": "' + b"x" * (n + 1000) + b'"}'), (413,)),
    Case("oversize chunked body", chunked),
    Case("deep JSON nesting", deep),
    Case("deep JSON objects", deep_objects),
    Case("deep JSON on /login", lambda n: deep(n, "/login", b"username"), services=IDENTITY),
    Case("deep objects on /login", lambda n: deep_objects(n, "/login", b"x"), services=IDENTITY),
    Case("deep JSON on /register", lambda n: deep(n, "/register", b"email"), services=IDENTITY),
    Case("invalid UTF-8 in JSON", lambda n: post("/add", b'{"a": "\xff\xfe", "b": 1}')),
    Case("invalid UTF-8 in the path", lambda n: get(b"/hel\xff\xfelo")),
    # Header values are opaque octets: /hello echoes the User-Agent (200) or refuses it (400).
    Case("bad UTF-8 User-Agent", lambda n: get(b"/hello", b"User-Agent: \xff\r\n"), (200, 400)),
    Case("1000 headers", lambda n: many_headers(1000)),
    Case("20000 headers", lambda n: many_headers(20_000)),
    Case("one 100 KiB header", lambda n: get(b"/hello", b"X-Big: " + b"a" * 102_400 + b"\r\n")),
    Case("1 MiB of headers", lambda n: get(b"/hello", b"X-Big: " + b"a" * 1_048_576 + b"\r\n")),
]  # fmt: skip


def exchange(port: int, request: bytes, timeout: float = 15.0) -> int | None:
    """Send raw bytes, return the response status (None if the server sent none)."""
    with socket.create_connection((HOST, port), timeout=timeout) as conn:
        # the server may answer and close before reading everything
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.sendall(request)
        response = b""
        try:
            while b"\r\n" not in response:
                data = conn.recv(4096)
                if not data:
                    break
                response += data
        except ConnectionResetError:
            pass
    if not response.startswith(b"HTTP/1."):
        return None
    return int(response.split(b" ", 2)[1])


@pytest.mark.parametrize("which", ["catalog", "identity"])
def test_hostile_requests_get_a_clear_4xx(stack: Stack, which: str) -> None:
    service: Service = getattr(stack, which)
    limit = BODY_LIMITS[which]
    assert exchange(service.port, get(b"/hello")) == 200
    rss_before = tree_rss_mib(service.process.pid)
    outcomes: dict[str, list[int | None]] = {}
    cases = [case for case in CASES if which in case.services]
    for case in cases:
        request = case.build(limit)
        outcomes[case.name] = [exchange(service.port, request) for _ in range(REPEAT)]
        assert exchange(service.port, get(b"/hello")) == 200, f"not answering after {case.name}"
    rss_after = tree_rss_mib(service.process.pid)
    figures(
        f"hostile/{which}",
        requests=REPEAT * len(cases),
        outcomes={name: sorted(set(statuses), key=str) for name, statuses in outcomes.items()},
        rss_before_mib=f"{rss_before:.0f}",
        rss_after_mib=f"{rss_after:.0f}",
    )
    wrong = {
        case.name: outcomes[case.name]
        for case in cases
        if not all(
            status is not None
            and (status in case.expected if case.expected else 400 <= status < 500)
            for status in outcomes[case.name]
        )
    }
    assert not wrong, f"expected a clear 4xx: {wrong}"
    assert rss_after - rss_before < RSS_GROWTH_LIMIT_MIB
