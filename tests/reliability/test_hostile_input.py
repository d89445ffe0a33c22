"""Hostile input: oversize bodies (also chunked), deep JSON nesting, invalid UTF-8, header
floods, non-ASCII credentials, odd bytes in every header the services read, numbers beyond any
decimal context, path parameters with a trailing newline, invisible and bidi names.

Each request gets a clear 4xx (never a 5xx, never a hang) — or, where the input is merely odd
and the request fine, its usual answer — the service keeps answering, and the memory of its
process tree stays bounded. Both services get every case.
"""

from __future__ import annotations

import contextlib
import json
import socket
import uuid
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
class Target:
    """What a case may use of the service it is sent to."""

    limit: int  # MAX_BODY_BYTES
    token: str  # an editor's bearer token
    product: int  # a product id that exists on the catalog


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Target], bytes]  # -> raw request
    expected: tuple[int, ...] = ()  # the statuses allowed, when not "any 4xx"
    services: tuple[str, ...] = ("catalog", "identity")


def post(
    path: str, body: bytes, content_type: str = "application/json", headers: bytes = b""
) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n"
    )
    return head.encode() + headers + b"\r\n" + body


def get(path: bytes, headers: bytes = b"") -> bytes:
    return b"GET " + path + b" HTTP/1.1\r\nHost: h\r\n" + headers + b"Connection: close\r\n\r\n"


def chunked(target: Target) -> bytes:
    limit = target.limit
    chunk = b"x" * 65_536
    head = (
        b"POST /add HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    body = (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * (limit // len(chunk) + 4)
    return head + body + b"0\r\n\r\n"


def deep(target: Target, path: str = "/add", field: bytes = b"a") -> bytes:
    depth = target.limit // 2 - 100
    return post(path, b'{"' + field + b'": ' + b"[" * depth + b"]" * depth + b', "b": 1}')


def deep_objects(target: Target, path: str = "/add", field: bytes = b"a") -> bytes:
    depth = target.limit // (len(field) + 5)
    return post(path, b'{"' + field + b'":' * depth + b"1" + b"}" * depth)


def many_headers(count: int) -> bytes:
    return get(b"/hello", b"".join(b"X-Flood-%d: x\r\n" % i for i in range(count)))


def bearer(value: bytes) -> bytes:
    return b"Authorization: Bearer " + value + b"\r\n"


def write(target: Target, body: bytes, headers: bytes = b"") -> bytes:
    """POST /products with an editor's token (a 404 on the identity service)."""
    return post("/products", body, headers=bearer(target.token.encode()) + headers)


def named(name: str) -> bytes:
    return json.dumps({"name": name, "price": "1.00", "quantity": 1}).encode()


def patch_if_match(target: Target, value: bytes) -> bytes:
    body = b'{"quantity": 1}'
    return (
        b"PATCH /products/%d HTTP/1.1\r\nHost: h\r\n" % target.product
        + bearer(target.token.encode())
        + b"If-Match: "
        + value
        + b"\r\nContent-Type: application/json\r\n"
        + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        + body
    )


def odd_header(name: str) -> Case:
    """Header values are opaque octets: a request that reads one either ignores odd bytes (its
    usual answer) or refuses them (a 4xx), never a 5xx."""
    return Case(
        f"odd bytes in {name}",
        lambda t: get(b"/hello", name.encode() + b": " + ODD + b"\r\n"),
        (200, 400),
    )


CAFE = "café".encode()  # what a client sends for `Bearer café`: UTF-8 bytes in the header
ODD = b"\xff\xfe\x80 caf\xc3\xa9 \xe2\x80\xae"  # not UTF-8, UTF-8, and a bidi override
CRLF = b"\r\n"
HEADERS_READ = (
    "User-Agent",
    "X-Request-ID",
    "traceparent",
    "Accept",
    "Origin",
    "If-None-Match",
    "X-Forwarded-For",
    "Cookie",
)
HUGE = b"1e999999999"
WRITE = (422, 404)  # a write the catalog refuses; the identity service has no such route

CASES = [
    Case("oversize body", lambda t: post("/add", b'{"a": "' + b"x" * (t.limit + 1000) + b'"}'),
         (413,)),
    Case("oversize chunked body", chunked, (413,)),
    Case("deep JSON nesting", deep),
    Case("deep JSON objects", deep_objects),
    Case("deep JSON on /login", lambda t: deep(t, "/login", b"username"), services=IDENTITY),
    Case("deep objects on /login", lambda t: deep_objects(t, "/login", b"x"), services=IDENTITY),
    Case("deep JSON on /register", lambda t: deep(t, "/register", b"email"), services=IDENTITY),
    Case("invalid UTF-8 in JSON", lambda t: post("/add", b'{"a": "\xff\xfe", "b": 1}')),
    Case("invalid UTF-8 in the path", lambda t: get(b"/hel\xff\xfelo")),
    # Header values are opaque octets: /hello echoes the User-Agent (200) or refuses it (400).
    Case("bad UTF-8 User-Agent", lambda t: get(b"/hello", b"User-Agent: \xff\r\n"), (200, 400)),
    Case("1000 headers", lambda t: many_headers(1000)),
    Case("20000 headers", lambda t: many_headers(20_000)),
    Case("one 100 KiB header", lambda t: get(b"/hello", b"X-Big: " + b"a" * 102_400 + b"\r\n")),
    Case("1 MiB of headers", lambda t: get(b"/hello", b"X-Big: " + b"a" * 1_048_576 + b"\r\n")),
    # Credentials no header can carry (RFC 6750 b64token): a 401 before anything is asked of the
    # identity service, so its circuit breaker's bookkeeping is not touched either.
    Case("non-ASCII token on a write",
         lambda t: post("/products", named("Tri-tip"), headers=bearer(CAFE)), (401, 404)),
    Case("non-ASCII token on /verify", lambda t: get(b"/verify", bearer(CAFE)), (401, 404)),
    Case("odd bytes in Authorization",
         lambda t: get(b"/verify", b"Authorization: " + ODD + b"\r\n"), (401, 404)),
    *(odd_header(name) for name in HEADERS_READ),
    Case("odd bytes in If-Match", lambda t: patch_if_match(t, ODD), (412, 404)),
    Case("odd bytes in the traceparent of a write",
         lambda t: write(t, named(f"trace-{uuid.uuid4().hex[:8]}"), b"traceparent: " + ODD + CRLF),
         (201, 409, 404)),
    Case("odd bytes in Content-Type",
         lambda t: post("/add", b'{"a": 1, "b": 2}', content_type="application/json; q=\xff"),
         (200, 400, 415)),
    # Numbers beyond any decimal context, in every numeric field and parameter.
    Case("1e999999999 on /add", lambda t: post("/add", b'{"a": ' + HUGE + b', "b": 1}'), (422,)),
    Case("-1E+999999999 on /add", lambda t: post("/add", b'{"a": 1, "b": -1E+999999999}'), (422,)),
    Case("1e999999999 as a price",
         lambda t: write(t, b'{"name": "big", "price": ' + HUGE + b', "quantity": 1}'), WRITE),
    Case("1e999999999 as a quantity",
         lambda t: write(t, b'{"name": "big", "price": 1, "quantity": ' + HUGE + b"}"), WRITE),
    Case("a limit with a newline", lambda t: get(b"/products?limit=5%0A")),
    Case("a limit in full-width digits", lambda t: get(b"/products?limit=%EF%BC%95")),
    # Path parameters match the whole segment: a trailing newline is not part of a name.
    Case("a check-in name with a newline", lambda t: post("/checkin/bob%0A", b"")),
    Case("a product id with a newline", lambda t: get(b"/products/%d%%0A" % t.product), (404,)),
    Case("a product id in Arabic-Indic digits", lambda t: get(b"/products/%D9%A1"), (404,)),
    # Names: NFC, not blank without their format characters, no bidi controls.
    Case("a name of a zero-width space", lambda t: write(t, named("\u200b")), WRITE),
    Case("a name with a right-to-left override", lambda t: write(t, named("Ribeye\u202e")), WRITE),
    Case("a username with a right-to-left override", lambda t: post("/register", json.dumps(
        {"username": "ada\u202e", "email": "a@example.com", "password": "correct horse"}
    ).encode()), (422, 404, 405)),
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
    target = Target(BODY_LIMITS[which], stack.token, stack.product_id)
    assert exchange(service.port, get(b"/hello")) == 200
    rss_before = tree_rss_mib(service.process.pid)
    outcomes: dict[str, list[int | None]] = {}
    cases = [case for case in CASES if which in case.services]
    for case in cases:
        request = case.build(target)
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
