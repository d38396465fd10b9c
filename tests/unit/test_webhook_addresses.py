"""The SSRF guard on the address a webhook actually dials (OWASP API7, Convoy's dispatcher table)."""

from __future__ import annotations

import pytest

from gateway.webhooks.sender import post_webhook
from gateway.webhooks.transport import webhook_client
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
