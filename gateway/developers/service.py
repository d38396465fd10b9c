"""Developer platform rules: apps are created with their configuration and default organization."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.crypto import generate_api_secret, hash_api_secret
from gateway.developers.repository import developer_repository
from gateway.models.developer import (
    DEFAULT_ORGANIZATION_KEY,
    ApiKey,
    App,
    AppConfiguration,
    Developer,
    Organization,
)

APP_MODES = ("sandbox", "live")
BOOTSTRAP_APP_NAME = "Sandbox"
BOOTSTRAP_KEY_NAME = "bootstrap"


@dataclass(frozen=True)
class IssuedApiKey:
    """A key as shown once at creation: the only time the secret exists outside the caller."""

    client_id: str
    client_secret: str
    row: ApiKey


@dataclass(frozen=True)
class BootstrapResult:
    developer_id: uuid.UUID
    app_id: uuid.UUID
    client_id: str
    client_secret: str
    created_developer: bool

    def as_json(self) -> dict[str, str | bool]:
        return {
            "developer_id": str(self.developer_id),
            "app_id": str(self.app_id),
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "created_developer": self.created_developer,
        }


class DeveloperService:
    async def create_developer(
        self, session: AsyncSession, *, email: str, name: str, password_hash: str | None = None
    ) -> Developer:
        developer = Developer(email=email.strip().lower(), name=name, password_hash=password_hash)
        await developer_repository.add(session, developer)
        return developer

    async def create_app(
        self, session: AsyncSession, *, developer_id: uuid.UUID, name: str, mode: str
    ) -> App:
        """An app with its configuration and its `default` organization; `mode` never changes afterwards."""
        if mode not in APP_MODES:
            raise ValueError(f"mode must be one of {APP_MODES}")
        app = App(id=uuid.uuid4(), developer_id=developer_id, name=name, mode=mode)
        await developer_repository.add(
            session,
            app,
            AppConfiguration(app_id=app.id),
            Organization(app_id=app.id, key=DEFAULT_ORGANIZATION_KEY, name="Default organization"),
        )
        return app

    async def issue_api_key(
        self,
        session: AsyncSession,
        *,
        app_id: uuid.UUID,
        name: str,
        master_key: str,
        scopes: list[str] | None = None,
    ) -> IssuedApiKey:
        client_id = secrets.token_hex(12)
        client_secret = generate_api_secret()
        key = ApiKey(
            app_id=app_id,
            client_id=client_id,
            secret_hash=hash_api_secret(master_key, client_secret),
            name=name,
            scopes=scopes or [],
        )
        await developer_repository.add(session, key)
        return IssuedApiKey(client_id=client_id, client_secret=client_secret, row=key)

    async def bootstrap(self, session: AsyncSession, *, email: str, master_key: str) -> BootstrapResult:
        """Create (or find, by email) a developer with a sandbox app, and issue a new API key for it.

        Secrets are stored only as HMACs, so a repeated bootstrap cannot show an earlier secret
        again: it returns the same developer and app with a freshly issued key.
        """
        developer = await developer_repository.get_by_email(session, email.strip().lower())
        created = developer is None
        if developer is None:
            developer = await self.create_developer(session, email=email, name="Sandbox developer")
        app = await developer_repository.first_app(session, developer.id, "sandbox")
        if app is None:
            app = await self.create_app(
                session, developer_id=developer.id, name=BOOTSTRAP_APP_NAME, mode="sandbox"
            )
        key = await self.issue_api_key(session, app_id=app.id, name=BOOTSTRAP_KEY_NAME, master_key=master_key)
        return BootstrapResult(developer.id, app.id, key.client_id, key.client_secret, created)

    async def has_developers(self, session: AsyncSession) -> bool:
        return await developer_repository.any_exists(session)


developer_service = DeveloperService()
