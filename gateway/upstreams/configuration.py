"""Apps' own provider settings over the operator's: whether a provider is offered to the app's end
users, and the app's own upstream keys (sealed, never returned)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.crypto import SecretBox
from gateway.errors import InvalidRequest, NotFound
from gateway.models.base import utcnow
from gateway.models.developer import App
from gateway.models.provider_setting import AppProviderSetting, ProviderProblem
from providers.registry import ProviderRegistry


@dataclass(frozen=True)
class ProviderStatus:
    """One provider as an app sees it: configured by the operator, and what the app set on top."""

    provider: str
    configured: bool
    enabled: bool
    app_credential_keys: tuple[str, ...]
    credentials_set: bool
    overridden: bool
    problem: str | None = None  # the upstream refused the keys the app calls it with


def _context(app_id: uuid.UUID, provider: str) -> bytes:
    return f"linkgate/provider-credentials:{app_id}:{provider}".encode()


class ProviderConfiguration:
    async def statuses(
        self, session: AsyncSession, app_id: uuid.UUID, providers: ProviderRegistry
    ) -> list[ProviderStatus]:
        """Every provider this deployment configures, as the app has it."""
        rows, problems = await self._rows(session, app_id), await self._problems(session, app_id)
        return [
            self._status(name, providers, rows.get(name), problems.get(name)) for name in providers.names()
        ]

    async def status(
        self, session: AsyncSession, app_id: uuid.UUID, providers: ProviderRegistry, provider: str
    ) -> ProviderStatus:
        self._require_configured(providers, provider)
        problem = (await self._problems(session, app_id)).get(provider)
        return self._status(provider, providers, (await self._rows(session, app_id)).get(provider), problem)

    async def update(
        self,
        session: AsyncSession,
        box: SecretBox,
        app_id: uuid.UUID,
        providers: ProviderRegistry,
        provider: str,
        *,
        enabled: bool,
        credentials: Mapping[str, str] | None,
    ) -> ProviderStatus:
        """Set the app's override; `credentials` None keeps the keys set before, `{}` forgets them."""
        self._require_configured(providers, provider)
        accepted = set(providers.get(provider).app_credential_keys)
        if credentials and not accepted:
            raise InvalidRequest(f"{provider} takes no keys of an app's own.")
        if credentials and set(credentials) != accepted:
            raise InvalidRequest(f"{provider} takes exactly these keys: {', '.join(sorted(accepted))}.")
        row = (await self._rows(session, app_id)).get(provider)
        if row is None:
            row = AppProviderSetting(app_id=app_id, provider=provider)
            session.add(row)
        row.enabled = enabled
        if credentials is not None:
            sealed = box.encrypt(
                json.dumps(dict(credentials)).encode(), associated_data=_context(app_id, provider)
            )
            row.credentials_encrypted = sealed if credentials else None
            await self.clear_problem(session, app_id, provider)  # new keys: whatever was refused is past
        await session.flush()
        problem = (await self._problems(session, app_id)).get(provider)
        return self._status(provider, providers, row, problem)

    async def reset(
        self, session: AsyncSession, app_id: uuid.UUID, providers: ProviderRegistry, provider: str
    ) -> None:
        """Back to the operator's settings: the override and any keys are forgotten."""
        self._require_configured(providers, provider)
        await session.execute(
            delete(AppProviderSetting).where(
                AppProviderSetting.app_id == app_id, AppProviderSetting.provider == provider
            )
        )
        await self.clear_problem(session, app_id, provider)

    async def record_problem(
        self, session: AsyncSession, app_id: uuid.UUID, provider: str, problem: str
    ) -> None:
        """The upstream refused the app's keys (or the operator's, which the app uses): shown until they
        work again or change."""
        row = await session.scalar(
            select(ProviderProblem).where(
                ProviderProblem.app_id == app_id, ProviderProblem.provider == provider
            )
        )
        if row is None:
            row = ProviderProblem(app_id=app_id, provider=provider)
            session.add(row)
        row.problem, row.seen_at = problem[:500], utcnow()
        await session.flush()

    async def clear_problem(self, session: AsyncSession, app_id: uuid.UUID, provider: str) -> None:
        await session.execute(
            delete(ProviderProblem).where(
                ProviderProblem.app_id == app_id, ProviderProblem.provider == provider
            )
        )

    async def _problems(self, session: AsyncSession, app_id: uuid.UUID) -> dict[str, str]:
        statement = select(ProviderProblem.provider, ProviderProblem.problem).where(
            ProviderProblem.app_id == app_id
        )
        return {provider: problem for provider, problem in (await session.execute(statement)).all()}

    async def offered(
        self, session: AsyncSession, app_id: uuid.UUID, providers: ProviderRegistry
    ) -> set[str]:
        """The providers the app's end users may link through: enabled, with keys to call them with."""
        return {
            status.provider
            for status in await self.statuses(session, app_id, providers)
            if status.enabled
            and (status.credentials_set or providers.get(status.provider).serves_without_app_keys)
        }

    async def scoped(
        self, session: AsyncSession, box: SecretBox, app_id: uuid.UUID, providers: ProviderRegistry
    ) -> ProviderRegistry:
        """The providers as this app uses them: with its own keys where it set some, and the upstream's
        test environment for a sandbox app."""
        mode = await session.scalar(select(App.mode).where(App.id == app_id))
        keys = {
            provider: json.loads(
                box.decrypt(row.credentials_encrypted, associated_data=_context(app_id, provider))
            )
            for provider, row in (await self._rows(session, app_id)).items()
            if row.credentials_encrypted is not None and providers.offers(provider)
        }
        return providers.scoped(keys, live=mode == "live")

    async def _rows(self, session: AsyncSession, app_id: uuid.UUID) -> dict[str, AppProviderSetting]:
        statement = select(AppProviderSetting).where(AppProviderSetting.app_id == app_id)
        return {row.provider: row for row in (await session.execute(statement)).scalars()}

    def _status(
        self, provider: str, providers: ProviderRegistry, row: AppProviderSetting | None, problem: str | None
    ) -> ProviderStatus:
        return ProviderStatus(
            provider=provider, configured=providers.offers(provider),
            enabled=row.enabled if row is not None else providers.get(provider).serves_without_app_keys,
            app_credential_keys=providers.get(provider).app_credential_keys,
            credentials_set=row is not None and row.credentials_encrypted is not None,
            overridden=row is not None, problem=problem,
        )  # fmt: skip

    @staticmethod
    def _require_configured(providers: ProviderRegistry, provider: str) -> None:
        if not providers.offers(provider):
            raise NotFound("This deployment configures no such provider.")


provider_configuration = ProviderConfiguration()
