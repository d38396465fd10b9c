"""The caller's address, and whether it is inside an allow-list.

Forwarded headers are believed only from peers in LINKGATE_TRUSTED_PROXIES; then the client is the
rightmost X-Forwarded-For hop that is not itself a trusted proxy (the leftmost hops are the caller's
to invent).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache

from starlette.requests import Request

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Addresses or CIDRs; raises ValueError naming the first bad entry."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"{entry!r} is not an IP address or CIDR") from exc
    return tuple(networks)


@lru_cache(maxsize=4096)
def _address(value: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _within(address: IPAddress, networks: Sequence[IPNetwork]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_address(request: Request, trusted_proxies: Sequence[IPNetwork]) -> IPAddress | None:
    peer = _address(request.client.host) if request.client else None
    if peer is None or not _within(peer, trusted_proxies):
        return peer
    forwarded = [hop for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    for hop in reversed(forwarded):
        address = _address(hop)
        if address is None:
            return peer  # a garbled chain is not evidence of anything; keep the proxy's own address
        if not _within(address, trusted_proxies):
            return address
    return peer


def address_allowed(address: IPAddress | None, allow_list: Sequence[str]) -> bool:
    if not allow_list:
        return True
    if address is None:
        return False
    return _within(address, _networks(tuple(allow_list)))


@lru_cache(maxsize=1024)
def _networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return parse_networks(entries)
