"""API keys: issued with a gateway-generated secret shown once, listed without it, revoked for good."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.principal import ALL_SCOPES
from gateway.crypto import generate_api_secret, hash_api_secret
from gateway.developers.repository import developer_repository
from gateway.errors import NotFound
from gateway.models.developer import ApiKey


@dataclass(frozen=True)
class IssuedApiKey:
    """A key as shown once at creation: the only time the secret exists outside the caller."""

    client_id: str
    client_secret: str
    row: ApiKey


class ApiKeyService:
    async def issue(
        self,
        session: AsyncSession,
        *,
        app_id: uuid.UUID,
        name: str,
        master_key: str,
        scopes: Sequence[str] | None = None,
    ) -> IssuedApiKey:
        client_id = secrets.token_hex(12)
        client_secret = generate_api_secret()
        key = ApiKey(
            app_id=app_id,
            client_id=client_id,
            secret_hash=hash_api_secret(master_key, client_secret),
            name=name,
            scopes=sorted(set(scopes)) if scopes else list(ALL_SCOPES),
        )
        await developer_repository.add(session, key)
        return IssuedApiKey(client_id=client_id, client_secret=client_secret, row=key)

    async def list(
        self, session: AsyncSession, developer_id: uuid.UUID, app_id: uuid.UUID
    ) -> Sequence[ApiKey]:
        return await developer_repository.list_keys(session, developer_id, app_id)

    async def revoke(
        self, session: AsyncSession, developer_id: uuid.UUID, app_id: uuid.UUID, client_id: str
    ) -> datetime:
        """When the key was revoked; NotFound when the app has no such live key."""
        revoked_at = await developer_repository.revoke_key(session, developer_id, app_id, client_id)
        if revoked_at is None:
            raise NotFound("No such API key.")
        return revoked_at


api_key_service = ApiKeyService()
