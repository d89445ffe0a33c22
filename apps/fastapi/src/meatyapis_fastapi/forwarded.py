"""The caller's address and scheme behind the trusted proxies (FORWARDED_ALLOW_IPS).

Only a proxy's word is taken: when the socket peer is in a trusted network, `X-Forwarded-For`
is read from the right (each proxy appends the address it saw), and the first entry outside the
trusted networks is the client. Only a syntactically valid IP address is ever taken as the
client; anything else (a name, a 100-character string, an address with a zone) leaves the socket
peer as the client. uvicorn's own proxy-header handling is off (see `uvicorn_worker`): it would
take any string a proxy passes on.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence

from meatyapis_chassis.settings import Network
from starlette.types import ASGIApp, Receive, Scope, Send

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
SCHEMES = frozenset({"http", "https"})
# Answers kept per (peer, X-Forwarded-For, X-Forwarded-Proto): a service sees few peers (its
# proxies) and few clients at a time; a caller sending a new header value on every request only
# pushes older answers out of the table, which stays small (at most 4096 x 256 characters).
RESOLVED_CACHE_SIZE = 4096
MAX_KEPT_HEADER_LENGTH = 256  # longer X-Forwarded-* values are resolved, never kept


def parse_address(text: str) -> Address | None:
    """An IP address as a proxy writes one (bare, `[v6]`, `[v6]:port` or `v4:port`), else None.

    IPv4-mapped IPv6 addresses are taken as the IPv4 address they map.
    """
    text = text.strip()
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not (rest.startswith(":") and rest[1:].isdigit())):
            return None
        text = host
    elif text.count(":") == 1:
        text, _, port = text.partition(":")
        if not port.isdigit():
            return None
    if "%" in text:  # a zone index names an interface of the sender, not an address
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address in network for network in trusted)


def client_address(peer: str, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str:
    """The client's address: from `X-Forwarded-For` when `peer` is a trusted proxy, else `peer`."""
    peer_address = parse_address(peer)
    if peer_address is None:
        return peer
    if not is_trusted(peer_address, trusted):
        return str(peer_address)
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    if not hops:
        return str(peer_address)
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            return str(peer_address)
        if not is_trusted(address, trusted):
            return str(address)
    # Every hop is a trusted proxy: the client is one of them, the one farthest away.
    return str(parse_address(hops[0]))


def resolve(
    host: str, forwarded_for: tuple[str, ...], proto: str | None, trusted: tuple[Network, ...]
) -> tuple[str, bool, str | None]:
    """The client, whether it is the socket peer (keeping its port), and the scheme a trusted
    proxy reports (None: keep the connection's)."""
    client = client_address(host, forwarded_for, trusted)
    peer = parse_address(host)
    keeps_port = peer is not None and client == str(peer)
    scheme = proto.strip().lower() if proto is not None else None
    if scheme not in SCHEMES or peer is None or not is_trusted(peer, trusted):
        scheme = None
    return client, keeps_port, scheme


class ForwardedMiddleware:
    """Sets the scope's `client` and `scheme` from the trusted proxies' headers (outermost)."""

    def __init__(self, app: ASGIApp, trusted: Sequence[Network]) -> None:
        self.app = app
        self.trusted = tuple(trusted)
        self._resolve_kept = functools.lru_cache(maxsize=RESOLVED_CACHE_SIZE)(self._resolve)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope.get("client"):
            host, port = scope["client"]
            forwarded_for: list[str] = []
            proto: str | None = None
            for name, value in scope["headers"]:
                if name == b"x-forwarded-for":
                    forwarded_for.append(value.decode("latin-1"))
                elif name == b"x-forwarded-proto":
                    proto = value.decode("latin-1")
            hops = tuple(forwarded_for)
            if sum(map(len, hops)) + len(proto or "") <= MAX_KEPT_HEADER_LENGTH:
                client, keeps_port, scheme = self._resolve_kept(host, hops, proto)
            else:
                client, keeps_port, scheme = self._resolve(host, hops, proto)
            if client != host:
                scope["client"] = (client, port if keeps_port else 0)
            if scheme is not None and scope["type"] == "websocket":
                scheme = scheme.replace("http", "ws")
            if scheme is not None:
                scope["scheme"] = scheme
        await self.app(scope, receive, send)

    def _resolve(
        self, host: str, forwarded_for: tuple[str, ...], proto: str | None
    ) -> tuple[str, bool, str | None]:
        return resolve(host, forwarded_for, proto, self.trusted)
