"""Developer accounts and apps: signup, login, apps with their configuration and default organization."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.passwords import hash_password, verify_password
from gateway.developers.api_keys import api_key_service
from gateway.developers.repository import developer_repository
from gateway.errors import Conflict, InvalidCredentials, NotFound, RateLimited
from gateway.models.developer import DEFAULT_ORGANIZATION_KEY, App, AppConfiguration, Developer, Organization
from gateway.ratelimit import RateLimiter
from gateway.settings import Settings

APP_MODES = ("sandbox", "live")
BOOTSTRAP_APP_NAME = "Sandbox"
BOOTSTRAP_KEY_NAME = "bootstrap"


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


def normalise_email(email: str) -> str:
    return email.strip().lower()


class DeveloperService:
    async def create_developer(
        self, session: AsyncSession, *, email: str, name: str, password_hash: str | None = None
    ) -> Developer:
        developer = Developer(email=normalise_email(email), name=name, password_hash=password_hash)
        try:
            async with session.begin_nested():
                await developer_repository.add(session, developer)
        except IntegrityError as exc:
            raise Conflict("An account with this email already exists.") from exc
        return developer

    async def signup(self, session: AsyncSession, *, email: str, password: str, name: str) -> Developer:
        return await self.create_developer(
            session, email=email, name=name, password_hash=await hash_password(password)
        )

    async def login(
        self,
        session: AsyncSession,
        limiter: RateLimiter,
        settings: Settings,
        *,
        email: str,
        password: str,
        client_address: str,
    ) -> Developer:
        """The developer these credentials belong to; rate limited per email and per address."""
        email = normalise_email(email)
        window = settings.login_window_s
        # Every attempt counts against both limits, so hammering one email also spends the address's budget.
        verdicts = [
            await limiter.hit(key, limit=limit, window_s=window)
            for key, limit in (
                (f"login:email:{email}", settings.login_max_attempts_per_email),
                (f"login:address:{client_address}", settings.login_max_attempts_per_address),
            )
        ]
        refused = [verdict for verdict in verdicts if not verdict.allowed]
        if refused:
            retry_after = max(verdict.retry_after_s for verdict in refused)
            raise RateLimited(
                "Too many login attempts; try again later.",
                limit="login_attempts",
                headers={"Retry-After": str(retry_after)},
            )
        developer = await developer_repository.get_by_email(session, email)
        stored = developer.password_hash if developer is not None else None
        if not await verify_password(password, stored) or developer is None:
            raise InvalidCredentials("The email or password is not correct.")
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

    async def list_apps(
        self, session: AsyncSession, developer_id: uuid.UUID, *, offset: int, limit: int
    ) -> tuple[Sequence[App], int]:
        return await developer_repository.list_apps(session, developer_id, offset=offset, limit=limit)

    async def get_app(self, session: AsyncSession, developer_id: uuid.UUID, app_id: uuid.UUID) -> App:
        app = await developer_repository.get_app(session, developer_id, app_id)
        if app is None:
            raise NotFound("No such app.")
        return app

    async def bootstrap(self, session: AsyncSession, *, email: str, master_key: str) -> BootstrapResult:
        """Create (or find, by email) a developer with a sandbox app, and issue a new API key for it.

        Secrets are stored only as HMACs, so a repeated bootstrap cannot show an earlier secret
        again: it returns the same developer and app with a freshly issued key.
        """
        developer = await developer_repository.get_by_email(session, normalise_email(email))
        created = developer is None
        if developer is None:
            developer = await self.create_developer(session, email=email, name="Sandbox developer")
        app = await developer_repository.first_app(session, developer.id, "sandbox")
        if app is None:
            app = await self.create_app(
                session, developer_id=developer.id, name=BOOTSTRAP_APP_NAME, mode="sandbox"
            )
        key = await api_key_service.issue(
            session, app_id=app.id, name=BOOTSTRAP_KEY_NAME, master_key=master_key
        )
        return BootstrapResult(developer.id, app.id, key.client_id, key.client_secret, created)

    async def has_developers(self, session: AsyncSession) -> bool:
        return await developer_repository.any_exists(session)


developer_service = DeveloperService()
