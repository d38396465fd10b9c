"""The HTTP client for outbound calls (webhooks, upstream providers): the SSRF guard runs on the address
actually dialled.

A URL is checked when it is configured, but a name can resolve elsewhere by the time it is called
(DNS rebinding). So the connection itself resolves the host, refuses it if any address it resolves to
is not public, and connects to a checked address; TLS still verifies the certificate for the name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx

from gateway.outbound.addresses import is_public_address, resolve


class AddressRefused(httpx.ConnectError):
    """The host is, or resolves to, a private, loopback, link-local or metadata address.

    A connection error to httpx's callers, so code that handles "could not connect" handles it too."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, *, allow_private_networks: bool) -> None:
        self.allow_private_networks = allow_private_networks
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await resolve(host, port)
        except (OSError, UnicodeError) as exc:  # the idna codec refuses some names before the lookup
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise httpcore.ConnectError(f"{host} resolves to no address")
        if not self.allow_private_networks:
            refused = [str(a) for a in addresses if not is_public_address(a)]
            if refused:
                raise AddressRefused(f"{host} resolves to a non-public address ({', '.join(refused)})")
        return await self._inner.connect_tcp(
            str(addresses[0]), port, timeout=timeout, local_address=local_address,
            socket_options=socket_options,
        )  # fmt: skip

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("outbound calls never go to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the guarded backend; proxies from the environment are ignored."""

    def __init__(self, *, allow_private_networks: bool, limits: httpx.Limits) -> None:
        super().__init__(limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedNetworkBackend(allow_private_networks=allow_private_networks),
        )


def outbound_client(
    *,
    timeout_s: float,
    allow_private_networks: bool,
    user_agent: str,
    wrap: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport] | None = None,
) -> httpx.AsyncClient:
    """One per process and purpose: guarded, no redirects followed, no proxies from the environment.
    `wrap` may put a layer around the guarded transport (metrics)."""
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
    transport: httpx.AsyncBaseTransport = GuardedTransport(
        allow_private_networks=allow_private_networks, limits=limits
    )
    return httpx.AsyncClient(
        transport=wrap(transport) if wrap is not None else transport,
        follow_redirects=False,
        timeout=httpx.Timeout(timeout_s),
        headers={"user-agent": user_agent},
    )


def webhook_client(*, timeout_s: float, allow_private_networks: bool) -> httpx.AsyncClient:
    return outbound_client(
        timeout_s=timeout_s, allow_private_networks=allow_private_networks, user_agent="Linkgate-Webhooks/1"
    )
