"""SQL that authentication needs: one API client by client_id, joined with its app and configuration."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.principal import ApiClient
from gateway.models.developer import ApiKey, App, AppConfiguration


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


auth_repository = AuthRepository()
