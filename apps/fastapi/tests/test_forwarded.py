"""Which address is the client's: only valid IP addresses, only from trusted proxies."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest
from meatyapis_chassis.settings import proxy_networks
from meatyapis_fastapi.forwarded import ForwardedMiddleware, client_address, parse_address
from starlette.types import Receive, Scope, Send

PROXY = "10.1.2.3"
TRUSTED = proxy_networks("10.0.0.0/8, 192.0.2.7, 2001:db8:1::/48")


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        # no proxy, or one not trusted: the socket peer, whatever the header says
        ("203.0.113.5", [], "203.0.113.5"),
        ("203.0.113.5", ["6.6.6.6"], "203.0.113.5"),
        # a trusted proxy: the rightmost address it did not add itself
        (PROXY, ["198.51.100.4"], "198.51.100.4"),
        (PROXY, ["6.6.6.6, 198.51.100.4"], "198.51.100.4"),
        (PROXY, ["6.6.6.6", "198.51.100.4, 10.9.9.9"], "198.51.100.4"),
        (PROXY, ["6.6.6.6, 127.0.0.1"], "127.0.0.1"),  # a spoofed hop stays outside
        (PROXY, ["198.51.100.4:5150"], "198.51.100.4"),
        (PROXY, ["[2001:db8::1]:443"], "2001:db8::1"),
        (PROXY, ["2001:DB8:0::1"], "2001:db8::1"),
        (PROXY, ["::ffff:198.51.100.4"], "198.51.100.4"),
        # anything but an address is never the client: the socket peer is
        (PROXY, ["1" * 100], PROXY),
        (PROXY, ["a" * 65], PROXY),
        (PROXY, ["unknown"], PROXY),
        (PROXY, ["198.51.100.4, not-an-ip"], PROXY),
        (PROXY, ["fe80::1%eth0"], PROXY),
        (PROXY, ["[2001:db8::1"], PROXY),
        (PROXY, ["198.51.100.4:http"], PROXY),
        (PROXY, [""], PROXY),
        # every hop a trusted proxy: the farthest one
        (PROXY, ["10.7.7.7, 10.8.8.8"], "10.7.7.7"),
        # a peer that is not an address (a test client, a socket path) stays as it is
        ("testclient", ["198.51.100.4"], "testclient"),
    ],
)
def test_client_address(peer: str, forwarded_for: list[str], client: str) -> None:
    assert client_address(peer, forwarded_for, TRUSTED) == client


def test_every_client_address_is_a_valid_ip() -> None:
    hostile = ["x" * 1000, "1.2.3.4.5", "256.1.1.1", "1.2.3.4/8", "::1%lo", " ", ",,,", "[]"]
    for value in hostile:
        result = client_address(PROXY, [value], TRUSTED)
        assert ipaddress.ip_address(result) == ipaddress.ip_address(PROXY)
    assert parse_address("x" * 1000) is None


def _scope_after(middleware: ForwardedMiddleware, headers: list[tuple[bytes, bytes]]) -> Scope:
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)

    middleware.app = app
    scope: Scope = {"type": "http", "client": (PROXY, 40000), "scheme": "http", "headers": headers}
    asyncio.run(middleware(scope, None, None))  # type: ignore[arg-type]
    return seen[0]


def test_the_middleware_keeps_answers_for_short_headers_only() -> None:
    middleware = ForwardedMiddleware(None, TRUSTED)  # type: ignore[arg-type]
    short = [(b"x-forwarded-for", b"198.51.100.4"), (b"x-forwarded-proto", b"HTTPS")]
    for _ in range(3):  # the kept answer is the answer
        scope = _scope_after(middleware, short)
        assert scope["client"] == ("198.51.100.4", 0)
        assert scope["scheme"] == "https"
    assert middleware._resolve_kept.cache_info().currsize == 1
    # A long header is resolved every time and never kept: the table cannot be filled with them.
    long = [(b"x-forwarded-for", b"6.6.6.6, " * 100 + b"198.51.100.9")]
    assert _scope_after(middleware, long)["client"] == ("198.51.100.9", 0)
    assert middleware._resolve_kept.cache_info().currsize == 1
    # The socket peer with no header keeps its port; an untrusted peer's headers are not read.
    assert _scope_after(middleware, [])["client"] == (PROXY, 40000)
    outsider = ForwardedMiddleware(None, proxy_networks("192.0.2.7"))  # type: ignore[arg-type]
    assert _scope_after(outsider, short)["client"] == (PROXY, 40000)
    assert _scope_after(outsider, short)["scheme"] == "http"
