"""SQL that authentication needs: one API client by client_id, joined with its app and configuration."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.principal import ApiClient
from gateway.db import conflict_insert
from gateway.models.base import utcnow
from gateway.models.developer import ApiKey, App, AppConfiguration
from gateway.models.revoked_token import RevokedToken


class AuthRepository:
    async def api_client(self, session: AsyncSession, client_id: str) -> ApiClient | None:
        row = (
            await session.execute(
                select(
                    ApiKey.id,
                    ApiKey.client_id,
                    ApiKey.secret_hash,
                    ApiKey.scopes,
                    ApiKey.revoked_at,
                    App.id,
                    App.mode,
                    App.developer_id,
                    AppConfiguration.user_id_field,
                    AppConfiguration.ip_allow_list,
                )
                .join(App, App.id == ApiKey.app_id)
                .join(AppConfiguration, AppConfiguration.app_id == App.id)
                .where(ApiKey.client_id == client_id)
            )
        ).one_or_none()
        if row is None:
            return None
        key_id, client, secret_hash, scopes, revoked_at, app_id, mode, developer_id, user_field, allow = row
        return ApiClient(
            api_key_id=key_id,
            client_id=client,
            secret_hash=secret_hash,
            scopes=tuple(scopes),
            revoked=revoked_at is not None,
            app_id=app_id,
            app_mode=mode,
            developer_id=developer_id,
            user_id_field=user_field,
            ip_allow_list=tuple(allow),
        )

    async def revoke_token(
        self, session: AsyncSession, app_id: uuid.UUID, jti: str, expires_at: datetime
    ) -> None:
        """Remember a revoked token until it expires; tokens that expired meanwhile are forgotten."""
        await session.execute(delete(RevokedToken).where(RevokedToken.expires_at < utcnow()))
        row = {"jti": jti, "app_id": app_id, "expires_at": expires_at, "revoked_at": utcnow()}
        insert = await conflict_insert(session, RevokedToken)
        await session.execute(insert.values(row).on_conflict_do_nothing(index_elements=["jti"]))

    async def is_revoked(self, session: AsyncSession, jti: str) -> bool:
        found = await session.execute(select(RevokedToken.jti).where(RevokedToken.jti == jti))
        return found.first() is not None


auth_repository = AuthRepository()
