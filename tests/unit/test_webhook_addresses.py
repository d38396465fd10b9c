"""The SSRF guard on the address a webhook actually dials (OWASP API7, Convoy's dispatcher table)."""

from __future__ import annotations

import pytest

from gateway.outbound.transport import webhook_client
from gateway.webhooks.sender import post_webhook
from gateway.webhooks.uris import UnusableWebhookUri, parse_webhook_uri
from tests.support.receiver import WebhookReceiver

REFUSED_HOSTS = [
    "127.0.0.1", "[::1]", "10.1.2.3", "172.16.0.1", "172.31.255.254", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "[::ffff:127.0.0.1]", "[::ffff:169.254.169.254]", "0.0.0.0", "[fd00:ec2::254]",
    "[64:ff9b::a9fe:a9fe]", "[2002:a9fe:a9fe::]", "[fe80::1]", "[fc00::1]", "localhost",
]  # fmt: skip


@pytest.fixture
def receiver():
    with WebhookReceiver() as running:
        yield running


@pytest.mark.parametrize("host", REFUSED_HOSTS)
async def test_private_addresses_are_refused_before_connecting(host: str, receiver: WebhookReceiver) -> None:
    port = receiver.url.split(":")[2].split("/")[0]
    async with webhook_client(timeout_s=2, allow_private_networks=False) as client:
        result = await post_webhook(client, f"http://{host}:{port}/hook", b"{}", {})
    assert result.refused, result
    assert result.error is not None
    assert result.error.startswith("refused:")
    assert result.status_code is None
    assert not receiver.requests


async def test_the_same_receiver_is_reached_when_private_networks_are_allowed(
    receiver: WebhookReceiver,
) -> None:
    async with webhook_client(timeout_s=2, allow_private_networks=True) as client:
        for url in (receiver.url, receiver.url.replace("127.0.0.1", "localhost")):
            result = await post_webhook(client, url, b"{}", {})
            assert (result.status_code, result.refused) == (200, False), url
    assert len(receiver.requests) == 2


async def test_redirects_are_not_followed_even_to_public_addresses() -> None:
    from tests.support.receiver import Reply

    with WebhookReceiver(lambda _n: Reply(302, headers={"location": "http://93.184.216.34/"})) as redirecting:
        async with webhook_client(timeout_s=2, allow_private_networks=True) as client:
            result = await post_webhook(client, redirecting.url, b"{}", {})
    assert (result.status_code, result.error) == (302, "HTTP 302")
    assert len(redirecting.requests) == 1


# The one URI parser (configuration and sender) ------------------------------------------------

NON_STANDARD_IPV4 = ["http://0177.0.0.1/x", "http://0x7f.1/", "http://0X7F.0.0.1/", "http://2130706433/",
                     "http://127.1/", "http://017700000001/", "http://1.2.3.4.5/"]  # fmt: skip
UNICODE_DIGITS = ["http://１２７.0.0.1/", "http://٣.example/", "http://hooks.example.com１/"]


@pytest.mark.parametrize("uri", NON_STANDARD_IPV4)
def test_ipv4_in_other_notations_is_refused(uri: str) -> None:
    with pytest.raises(UnusableWebhookUri, match="non-standard notation"):
        parse_webhook_uri(uri)


@pytest.mark.parametrize("uri", UNICODE_DIGITS)
def test_digits_outside_ascii_are_refused(uri: str) -> None:
    with pytest.raises(UnusableWebhookUri, match="digits outside ASCII"):
        parse_webhook_uri(uri)


@pytest.mark.parametrize(
    ("uri", "reason"),
    [("ftp://example.com/", "absolute http or https"), ("//example.com/", "absolute http or https"),
     ("http://u:p@example.com/", "credentials"), ("http://example.com:0/", "port"),
     ("http://example.com:65536/", "port"), ("http://exa_mple.com/", "DNS name"),
     ("http://a..b/", "DNS name"), ("http://[fe80::1%25eth0]/", "network interface"),
     ("http://ex ample.com/", "spaces"), ("", "characters"),
     ("http://[::1/", "cannot be parsed")],
)  # fmt: skip
def test_other_unusable_uris_say_why(uri: str, reason: str) -> None:
    with pytest.raises(UnusableWebhookUri, match=reason):
        parse_webhook_uri(uri)


@pytest.mark.parametrize(
    ("uri", "endpoint", "address"),
    [("https://hooks.example.com/w?x=1", "https://hooks.example.com:443", None),
     ("http://127.0.0.1:8001/hook", "http://127.0.0.1:8001", "127.0.0.1"),
     ("http://[::1]:8080/a", "http://[::1]:8080", "::1"),
     ("https://Bücher.Example/", "https://xn--bcher-kva.example:443", None),
     ("  http://localhost:9/  ", "http://localhost:9", None)],
)  # fmt: skip
def test_usable_uris_parse_to_what_the_sender_dials(uri: str, endpoint: str, address: str | None) -> None:
    parsed = parse_webhook_uri(uri)
    assert parsed.endpoint == endpoint
    assert (str(parsed.address) if parsed.address else None) == address
    assert (
        parsed.url.host.encode("idna") == parsed.host.encode() or parsed.url.raw_host == parsed.host.encode()
    )


async def test_the_sender_refuses_an_unusable_uri_without_a_request() -> None:
    async with webhook_client(timeout_s=2, allow_private_networks=True) as client:
        result = await post_webhook(client, "http://0177.0.0.1/hook", b"{}", {})
    assert (result.refused, result.status_code) == (True, None)
    assert result.error is not None
    assert result.error.startswith("refused: the URI is not usable: its host is an IPv4 address")
