"""Webhook URIs: the one parser that configuration (every collection's) and the sender both use.

A URI is read exactly as httpx, which sends webhooks, reads it, and then held to stricter rules, so
nothing is accepted at configuration that the sender would read differently or not at all:
- the host is a DNS name of letters, digits and hyphens (IDNA names in their `xn--` form) or an IP
  address written the standard way (four decimal numbers, or IPv6 in brackets);
- IPv4 addresses in other notations (`0177.0.0.1` octal, `0x7f.1` hex, `2130706433` integer, `127.1`)
  are refused: resolvers read them as addresses while other parsers read them as names;
- digits outside ASCII (`１２７.0.0.1`, `٣.example`) are refused for the same reason.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from gateway.outbound.addresses import IPAddress

MAX_URI_CHARS = 2048
MAX_HOST_CHARS = 253
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
# A last label that a resolver reads as a number makes the whole host an IPv4 address (WHATWG URL).
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")


class UnusableWebhookUri(ValueError):
    """The URI cannot be used for webhooks; the message says why, for the developer to read."""


@dataclass(frozen=True)
class WebhookUri:
    url: httpx.URL  # what the sender posts to
    scheme: str
    host: str  # ASCII: a DNS name or an IP address without brackets
    port: int
    address: IPAddress | None  # set when the host is an IP address

    @property
    def endpoint(self) -> str:
        """Deliveries to one scheme, host and port share an endpoint's slots."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def parse_webhook_uri(uri: str) -> WebhookUri:
    """The URI as the sender will use it, or UnusableWebhookUri with the reason."""
    uri = uri.strip()
    if not uri or len(uri) > MAX_URI_CHARS:
        raise UnusableWebhookUri(f"it must be 1 to {MAX_URI_CHARS} characters long")
    if any(unicodedata.category(char)[0] in "CZ" for char in uri):
        raise UnusableWebhookUri("it must not contain spaces, control or invisible characters")
    _refuse_ambiguous_host(uri)
    try:
        url = httpx.URL(uri)
    except httpx.InvalidURL as exc:
        raise UnusableWebhookUri(f"it cannot be parsed as a URI ({exc})") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise UnusableWebhookUri("it must be an absolute http or https URI")
    if url.userinfo:
        raise UnusableWebhookUri("it must not carry credentials")
    port = url.port if url.port is not None else (443 if url.scheme == "https" else 80)
    if not 1 <= port <= 65535:
        raise UnusableWebhookUri("its port must be between 1 and 65535")
    host, address = _host(url.raw_host.decode("ascii"))
    return WebhookUri(url=url, scheme=url.scheme, host=host, port=port, address=address)


def _refuse_ambiguous_host(uri: str) -> None:
    """Hosts that parsers and resolvers read differently, refused with a reason httpx would not give."""
    try:
        host = urlsplit(uri).hostname or ""
    except ValueError as exc:
        raise UnusableWebhookUri(f"it cannot be parsed as a URI ({exc})") from exc
    if any(char.isdigit() and not char.isascii() for char in host):
        raise UnusableWebhookUri("its host contains digits outside ASCII; write numbers with 0-9")
    if ":" not in host:
        _refuse_numeric_name(host)


def _refuse_numeric_name(host: str) -> None:
    """A host whose last label is a number is an IPv4 address; only the four-decimal form is accepted."""
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        if _NUMERIC_LABEL.fullmatch(host.removesuffix(".").rsplit(".", 1)[-1]):
            raise UnusableWebhookUri(
                "its host is an IPv4 address in a non-standard notation (octal, hex, integer or"
                " shortened); write it as four decimal numbers such as 192.0.2.10"
            ) from None


def _host(raw: str) -> tuple[str, IPAddress | None]:
    """The host in canonical ASCII form with its address when it is an IP literal."""
    host = raw.lower()
    if ":" in host:  # only an IPv6 literal has colons, and httpx has checked it
        try:
            address = ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise UnusableWebhookUri("its host is not a valid IPv6 address") from exc
        if address.scope_id:
            raise UnusableWebhookUri("its host must not name a network interface (`%` zone)")
        return host, address
    try:
        return host, ipaddress.IPv4Address(host)
    except ValueError:
        pass
    name = host.removesuffix(".")
    labels = name.split(".")
    if len(name) > MAX_HOST_CHARS or not all(_LABEL.fullmatch(label) for label in labels):
        raise UnusableWebhookUri(
            "its host must be a DNS name (letters, digits and hyphens between dots) or an IP address"
        )
    _refuse_numeric_name(name)
    return host, None
