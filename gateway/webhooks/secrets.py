"""Per-app Standard Webhooks signing secrets (`whsec_…`), encrypted at rest, rotated with a grace period.

While a rotated secret's grace period lasts, deliveries are signed with both, so receivers can switch
to the new secret at their own pace.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.crypto import SecretBox
from gateway.models.base import utcnow
from gateway.models.developer import AppConfiguration

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def _aad(app_id: uuid.UUID) -> bytes:
    return b"linkgate/webhook-secret/v1:" + str(app_id).encode()


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


@dataclass(frozen=True)
class SigningSecrets:
    current: str
    previous: str | None
    previous_expires_at: datetime | None

    def active(self, now: datetime) -> list[str]:
        """The secrets a delivery sent at `now` is signed with: current first."""
        previous, expires_at = self.previous, self.previous_expires_at
        if previous is not None and expires_at is not None and now < expires_at:
            return [self.current, previous]
        return [self.current]


class WebhookSecrets:
    async def get(self, session: AsyncSession, box: SecretBox, app_id: uuid.UUID) -> SigningSecrets:
        """The app's secrets, creating the first one on first use."""
        configuration = await session.get(AppConfiguration, app_id)
        if configuration is None or configuration.webhook_secret_encrypted is None:
            configuration = await self._configuration(session, app_id)  # locked: two first uses agree
        if configuration.webhook_secret_encrypted is None:
            configuration.webhook_secret_encrypted = box.encrypt(
                generate_secret().encode(), associated_data=_aad(app_id)
            )
            await session.flush()
        return self._open(box, app_id, configuration)

    async def rotate(
        self, session: AsyncSession, box: SecretBox, app_id: uuid.UUID, grace: timedelta
    ) -> SigningSecrets:
        """A new current secret; the old one keeps signing for `grace` (zero: stops at once)."""
        configuration = await self._configuration(session, app_id)
        old = configuration.webhook_secret_encrypted
        configuration.previous_webhook_secret_encrypted = old
        configuration.previous_webhook_secret_expires_at = utcnow() + grace if old is not None else None
        configuration.webhook_secret_encrypted = box.encrypt(
            generate_secret().encode(), associated_data=_aad(app_id)
        )
        await session.flush()
        return self._open(box, app_id, configuration)

    async def _configuration(self, session: AsyncSession, app_id: uuid.UUID) -> AppConfiguration:
        configuration = await session.get(AppConfiguration, app_id, with_for_update=True)
        if configuration is None:
            configuration = AppConfiguration(app_id=app_id)
            session.add(configuration)
            await session.flush()
        return configuration

    @staticmethod
    def _open(box: SecretBox, app_id: uuid.UUID, configuration: AppConfiguration) -> SigningSecrets:
        assert configuration.webhook_secret_encrypted is not None
        current = box.decrypt(configuration.webhook_secret_encrypted, associated_data=_aad(app_id)).decode()
        previous = None
        if configuration.previous_webhook_secret_encrypted is not None:
            previous = box.decrypt(
                configuration.previous_webhook_secret_encrypted, associated_data=_aad(app_id)
            ).decode()
        return SigningSecrets(current, previous, configuration.previous_webhook_secret_expires_at)


webhook_secrets = WebhookSecrets()
