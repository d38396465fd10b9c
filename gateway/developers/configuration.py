"""An app's configuration: user id field, webhook URI and format, date format, IP allow-list."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.client_address import parse_networks
from gateway.developers.repository import developer_repository
from gateway.developers.schemas import Configuration, ConfigurationPatch, ConfigurationWrite
from gateway.errors import InvalidRequest
from gateway.models.developer import DEFAULT_CONFIGURATION_NAME, AppConfiguration
from gateway.outbound.addresses import is_public_address, resolve
from gateway.webhooks.uris import UnusableWebhookUri, parse_webhook_uri

WEBHOOK_URI_DOCS = "/docs#/webhooks/configure_webhook_uri"


class InvalidWebhookUri(InvalidRequest):
    code = "invalid_webhook_uri"
    default_message = "The webhook URI is not a valid absolute http(s) URI."

    def __init__(self, reason: str, *, documentation_url: str) -> None:
        super().__init__(
            f"The webhook URI is not usable: {reason}.",
            details=[{"field": "webhook_uri", "message": reason}],
            documentation_url=documentation_url,
        )
        self.reason = reason  # for collections that word the error their own way


def render(configuration: AppConfiguration) -> Configuration:
    return Configuration(
        id=f"CFG-{configuration.app_id}",
        name=configuration.name,
        user_id_field=configuration.user_id_field,
        webhook_format=configuration.webhook_format,
        webhook_uri=configuration.webhook_uri,
        date_format=configuration.date_format,
        ip_allowlist=list(configuration.ip_allow_list),
    )


async def check_webhook_uri(uri: str, *, app_mode: str, documentation_url: str) -> str:
    """A URI the sender can use (see `gateway.webhooks.uris`); live apps need https to a public host."""

    def invalid(reason: str) -> InvalidWebhookUri:
        return InvalidWebhookUri(reason, documentation_url=documentation_url)

    try:
        parsed = parse_webhook_uri(uri)
    except UnusableWebhookUri as exc:
        raise invalid(str(exc)) from exc
    if app_mode == "live":
        if parsed.scheme != "https":
            raise invalid("live apps must use https")
        try:
            addresses = await resolve(parsed.host, parsed.port)
        except OSError as exc:
            raise invalid("its host does not resolve") from exc
        if not addresses or not all(is_public_address(address) for address in addresses):
            raise invalid("live apps may not send webhooks to private, loopback or link-local addresses")
    return uri.strip()


def _check_allow_list(entries: list[str]) -> list[str]:
    try:
        parse_networks(entries)
    except ValueError as exc:
        raise InvalidRequest(str(exc), details=[{"field": "ip_allowlist", "message": str(exc)}]) from exc
    return [entry.strip() for entry in entries]


class ConfigurationService:
    async def get(self, session: AsyncSession, app_id: uuid.UUID) -> AppConfiguration:
        return await developer_repository.get_configuration(session, app_id)

    async def update(
        self,
        session: AsyncSession,
        *,
        app_id: uuid.UUID,
        changes: ConfigurationWrite | ConfigurationPatch,
        documentation_url: str,
    ) -> AppConfiguration:
        """Apply a whole configuration (every field) or a patch (only the fields sent)."""
        configuration = await developer_repository.get_configuration(session, app_id)
        app = await developer_repository.get_app_by_id(session, app_id)
        fields = changes.model_dump(exclude_unset=isinstance(changes, ConfigurationPatch))
        if fields.get("webhook_uri") is not None:
            fields["webhook_uri"] = await check_webhook_uri(
                fields["webhook_uri"], app_mode=app.mode, documentation_url=documentation_url
            )
        if "ip_allowlist" in fields:
            configuration.ip_allow_list = _check_allow_list(fields.pop("ip_allowlist") or [])
        for name, value in fields.items():
            if value is not None or name == "webhook_uri":
                setattr(configuration, name, value)
        await session.flush()
        return configuration

    async def reset(self, session: AsyncSession, *, app_id: uuid.UUID) -> AppConfiguration:
        configuration = await developer_repository.get_configuration(session, app_id)
        configuration.name = DEFAULT_CONFIGURATION_NAME
        configuration.user_id_field = "guid"
        configuration.webhook_format = "moneykit"
        configuration.webhook_uri = None
        configuration.date_format = "ISO"
        configuration.ip_allow_list = []
        await session.flush()
        return configuration

    async def set_webhook_uri(
        self, session: AsyncSession, *, app_id: uuid.UUID, uri: str, documentation_url: str
    ) -> AppConfiguration:
        configuration = await developer_repository.get_configuration(session, app_id)
        app = await developer_repository.get_app_by_id(session, app_id)
        configuration.webhook_uri = await check_webhook_uri(
            uri, app_mode=app.mode, documentation_url=documentation_url
        )
        await session.flush()
        return configuration


configuration_service = ConfigurationService()
