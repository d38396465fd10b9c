"""The audit log: who changed what on an app, recorded in the same transaction as the change.

A route records its action after the service call that made it, on the request's session, so the entry
commits with the action or not at all. What changed is kept as `{field: {"before", "after"}}`; the
diff is taken on the real values and only then masked, so a secret that changed shows as a change of
`***` to `***` and is never stored, not even hashed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.principal import AppPrincipal
from gateway.developers.repository import audit_repository, developer_repository
from gateway.developers.schemas import Configuration
from gateway.middleware import current_request_id
from gateway.models.audit import AuditAction, AuditEntry
from gateway.upstreams.configuration import ProviderStatus

MASK = "***"

Changes = dict[str, dict[str, Any]]
Masker = Callable[[Any], Any]


ActorKind = Literal["developer", "api_key"]


@dataclass(frozen=True)
class Actor:
    """Who acted: a developer (id, email) or an app's API key (id, client id)."""

    kind: ActorKind
    id: uuid.UUID
    name: str

    @classmethod
    def of_key(cls, principal: AppPrincipal) -> Actor:
        return cls("api_key", principal.client.api_key_id, principal.client.client_id)


def secret(value: Any) -> str | None:
    """A secret as the log shows it: `***` when there is one."""
    return MASK if value else None


def masked_uri(uri: Any) -> Any:
    """A URI with its query values masked: receivers often take a shared token there."""
    if not isinstance(uri, str) or not uri:
        return uri
    parts = urlsplit(uri)
    if not parts.query:
        return uri
    names = (field.partition("=") for field in parts.query.split("&"))
    query = "&".join(f"{name}={MASK}" if equals else name for name, equals, _ in names)
    return urlunsplit(parts._replace(query=query))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def field_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], masks: Mapping[str, Masker] | None = None
) -> Changes:
    """`{field: {"before", "after"}}` for each field whose value differs, masked per `masks`."""
    changes: Changes = {}
    for name in dict.fromkeys([*before, *after]):
        old, new = before.get(name), after.get(name)
        if old != new:
            mask = (masks or {}).get(name, _plain)
            changes[name] = {"before": mask(old), "after": mask(new)}
    return changes


def configuration_changes(before: Configuration, after: Configuration) -> Changes:
    return field_changes(
        before.model_dump(exclude={"id"}),
        after.model_dump(exclude={"id"}),
        {"webhook_uri": masked_uri},
    )


def provider_changes(
    before: ProviderStatus, after: ProviderStatus, *, credentials: Mapping[str, str] | None = None
) -> Changes:
    """What a provider update or reset changed; `credentials` are the keys sent, if any were."""
    changes = field_changes(
        {"enabled": before.enabled, "overridden": before.overridden},
        {"enabled": after.enabled, "overridden": after.overridden},
    )
    replaced = credentials is not None and before.credentials_set and after.credentials_set
    if replaced or before.credentials_set != after.credentials_set:
        keys = sorted(credentials or {})
        changes["credentials"] = {
            "before": secret(before.credentials_set),
            "after": {key: MASK for key in keys} if after.credentials_set else None,
        }
    return changes


class AuditLog:
    async def developer(self, session: AsyncSession, developer_id: uuid.UUID) -> Actor:
        """The developer of a dashboard session, as the log names them."""
        developer = await developer_repository.get_developer(session, developer_id)
        return Actor("developer", developer.id, developer.email)

    async def record(
        self,
        session: AsyncSession,
        actor: Actor,
        app_id: uuid.UUID,
        action: AuditAction,
        *,
        changes: Changes,
        subject: str | None = None,
        organization: str | None = None,
    ) -> AuditEntry:
        """Add an entry to the request's transaction: it commits with the action or not at all."""
        entry = AuditEntry(
            app_id=app_id,
            action=action.value,
            actor_kind=actor.kind,
            actor_id=actor.id,
            actor_name=actor.name,
            subject=subject,
            organization=organization,
            request_id=current_request_id() or None,
            changes=changes,
        )
        await audit_repository.add(session, entry)
        return entry

    async def page(
        self, session: AsyncSession, developer_id: uuid.UUID, app_id: uuid.UUID, *, offset: int, limit: int
    ) -> tuple[Sequence[AuditEntry], int]:
        return await audit_repository.page(session, developer_id, app_id, offset=offset, limit=limit)


audit_log = AuditLog()
