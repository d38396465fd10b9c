"""A delivery whose URI the sender cannot use fails that attempt with its reason, at once.

Before, a URI that httpx could not parse raised out of the batch: nothing was recorded and the row
stayed `running` until its lease expired, then ran (and failed the same way) again. The resolver is
stubbed, so nothing is ever dialled.
"""

from __future__ import annotations

import ipaddress
import uuid

import pytest
from sqlalchemy import select

from gateway.models import WebhookAttempt, WebhookDelivery
from gateway.outbound import transport
from gateway.outbound.addresses import IPAddress
from gateway.outbound.transport import webhook_client
from gateway.webhooks.delivery import WebhookDeliverer
from gateway.webhooks.endpoint_slots import LocalEndpointSlots
from gateway.webhooks.key_ring import RingCache
from gateway.webhooks.service import webhook_service

PRIVATE = ipaddress.ip_address("10.0.0.7")


@pytest.fixture
def resolver_says_private(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every name resolves to a private address; the names asked for are recorded."""
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[IPAddress]:
        asked.append(host)
        return [PRIVATE]

    monkeypatch.setattr(transport, "resolve", resolve)
    return asked


async def deliver_once(
    database, settings, app_id: uuid.UUID, url: str
) -> tuple[WebhookDelivery, list[WebhookAttempt]]:
    async with database.unit_of_work() as session:
        delivery = await webhook_service.create_delivery(
            session, app_id=app_id, url=url, body="{}", format="moneykit"
        )
    async with webhook_client(timeout_s=2, allow_private_networks=False) as http:
        deliverer = WebhookDeliverer(database, http, settings, RingCache(), LocalEndpointSlots(limit=4))
        await deliverer.deliver([delivery.id])
    async with database.unit_of_work() as session:
        row = (
            await session.execute(select(WebhookDelivery).where(WebhookDelivery.id == delivery.id))
        ).scalar_one()
        attempts = (
            await session.execute(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id))
        ).scalars().all()  # fmt: skip
    return row, list(attempts)


@pytest.mark.parametrize(
    "url",
    ["http://0177.0.0.1/hook", "http://１２７.0.0.1/hook", "http://0x7f.1/hook", "http://127.0.0.1:99999/hook",
     "http://a..example/hook"],
)  # fmt: skip
async def test_a_uri_that_no_longer_parses_fails_its_attempt_with_the_reason(
    database, settings, sandbox_app, resolver_says_private: list[str], url: str
) -> None:
    row, attempts = await deliver_once(database, settings, sandbox_app.app_id, url)
    assert (row.status, row.lease_expires_at, row.attempts) == ("failed", None, 1)
    assert [(a.attempt_number, a.succeeded, a.status_code) for a in attempts] == [(1, False, None)]
    assert attempts[0].error is not None
    assert attempts[0].error.startswith("refused: the URI is not usable: its "), attempts[0].error
    assert row.last_error == attempts[0].error
    assert resolver_says_private == []  # refused before any lookup


async def test_a_host_the_resolver_says_is_private_fails_its_attempt_with_the_reason(
    database, settings, sandbox_app, resolver_says_private: list[str]
) -> None:
    row, attempts = await deliver_once(database, settings, sandbox_app.app_id, "https://hooks.example.com/x")
    assert (row.status, row.lease_expires_at) == ("failed", None)
    assert resolver_says_private == ["hooks.example.com"]
    reason = "refused: hooks.example.com resolves to a non-public address (10.0.0.7)"
    assert [(a.succeeded, a.error) for a in attempts] == [(False, reason)]
    assert row.last_error == reason
