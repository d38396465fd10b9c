"""Who is calling: an app's API client (through a token or Basic credentials) or a dashboard developer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from gateway.auth.tokens import TokenKind


class Scope(StrEnum):
    """What tokens minted from an API key may do."""

    read = "data:read"
    write_links = "links:write"
    configure = "configure"


ALL_SCOPES: tuple[str, ...] = tuple(scope.value for scope in Scope)


@dataclass(frozen=True)
class ApiClient:
    """An API key joined with its app and the app configuration that authentication needs."""

    api_key_id: uuid.UUID
    client_id: str
    secret_hash: str
    scopes: tuple[str, ...]
    revoked: bool
    app_id: uuid.UUID
    app_mode: str
    developer_id: uuid.UUID
    user_id_field: str
    ip_allow_list: tuple[str, ...]


@dataclass(frozen=True)
class AppPrincipal:
    """A caller acting for one app; `user` / `item` narrow it to one end user or one link."""

    kind: TokenKind
    client: ApiClient
    scopes: tuple[str, ...]
    organization: str | None = None
    user_field: str | None = None
    user: str | None = None
    item: str | None = None
    expires_at: int | None = None

    @property
    def app_id(self) -> uuid.UUID:
        return self.client.app_id

    @property
    def app_mode(self) -> str:
        return self.client.app_mode


@dataclass(frozen=True)
class DeveloperPrincipal:
    """A dashboard session: one developer, their apps only."""

    developer_id: uuid.UUID
    expires_at: int
