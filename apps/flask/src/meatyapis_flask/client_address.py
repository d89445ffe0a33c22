"""The client a request comes from: the TCP peer, or the address a trusted proxy forwarded.

Behind a proxy (an Ingress controller, a Gateway) every request comes from the proxy's address;
when the peer is one of FORWARDED_ALLOW_IPS, the client is the rightmost `X-Forwarded-For`
address that is not itself a trusted proxy (the leftmost ones are whatever the client wrote).
An IPv6 client is counted by its /64 network: one host gets a whole /64 and can use any of it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from functools import cache
from typing import Any

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
UNKNOWN = "unknown"


@cache
def trusted_networks(forwarded_allow_ips: str) -> tuple[IPNetwork, ...] | None:
    """The proxies of FORWARDED_ALLOW_IPS as networks; None for `*` (every peer is trusted)."""
    entries = [entry.strip() for entry in forwarded_allow_ips.split(",") if entry.strip()]
    if "*" in entries:
        return None
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue  # a host name or a unix socket path: not an address a peer can have
    return tuple(networks)


def _address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address: IPAddress, networks: tuple[IPNetwork, ...] | None) -> bool:
    return networks is None or any(address in network for network in networks)


def client_key(environ: Mapping[str, Any], forwarded_allow_ips: str) -> str:
    """The client's address (IPv4) or /64 network (IPv6) as text, or "unknown"."""
    networks = trusted_networks(forwarded_allow_ips)
    client = _address(str(environ.get("REMOTE_ADDR", "")))
    if client is not None and _trusted(client, networks):
        forwarded = str(environ.get("HTTP_X_FORWARDED_FOR", ""))
        for hop in reversed(forwarded.split(",")):
            address = _address(hop)
            if address is None:
                break
            client = address
            if not _trusted(address, networks):
                break
    if client is None:
        return UNKNOWN
    if isinstance(client, ipaddress.IPv6Address):
        if client.ipv4_mapped is not None:
            return str(client.ipv4_mapped)
        return str(ipaddress.IPv6Network((client, 64), strict=False))
    return str(client)
