"""Request and response bodies of the developer platform (dashboard, configuration, webhook configuration)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gateway.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from gateway.auth.principal import Scope
from gateway.models.audit import AuditAction
from gateway.pagination import Pagination
from gateway.text import first_unstorable_path

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"

AppMode = Literal["sandbox", "live"]
UserIdField = Literal["guid", "uid", "id"]
WebhookFormat = Literal["moneykit", "plaid", "mx", "yodlee"]
DateFormat = Literal["ISO", "UTC", "unix"]


class StorableInput(BaseModel):
    """Request bodies whose text the database can store (no NUL, no unpaired surrogates).

    The check walks the whole body once, so models nested inside a request derive from `BodyPart`,
    which does not repeat it.
    """

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        path = first_unstorable_path(data)
        if path is not None:
            raise ValueError(
                f"{'.'.join(path) or 'the body'} contains a NUL character or an unpaired surrogate"
            )
        return data


class BodyPart(BaseModel):
    """A model nested inside a `StorableInput` request body (already checked by it)."""


class Strict(StorableInput):
    """Request bodies refuse unknown fields, so a typo is an error rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class SignupRequest(Strict):
    email: str = Field(max_length=320, pattern=EMAIL_PATTERN)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
    name: str = Field(min_length=1, max_length=200)


class SignupResponse(BaseModel):
    developer_id: uuid.UUID
    email: str
    name: str


class LoginRequest(Strict):
    email: str = Field(max_length=320)
    password: str = Field(max_length=MAX_PASSWORD_LENGTH)


class SessionToken(BaseModel):
    token: str
    type: Literal["Bearer"] = "Bearer"
    expires_in: int


class AppCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    mode: AppMode


class AppOut(BaseModel):
    app_id: uuid.UUID
    name: str
    mode: AppMode
    created_at: datetime


class AppList(BaseModel):
    apps: list[AppOut]
    pagination: Pagination


class KeyCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[Scope] | None = Field(
        default=None, description="What tokens minted from this key may do; all scopes when omitted."
    )


class KeyOut(BaseModel):
    client_id: str
    name: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None = None


class KeyCreated(BaseModel):
    client_id: str
    client_secret: str = Field(description="Shown only in this response; stored only as a keyed HMAC.")
    name: str
    scopes: list[str]
    created_at: datetime


class KeyList(BaseModel):
    keys: list[KeyOut]


class OrganizationCreate(Strict):
    id: str | None = Field(default=None, pattern=SLUG_PATTERN, description="Generated when omitted.")
    name: str = Field(min_length=1, max_length=200)


class OrganizationOut(BaseModel):
    id: str
    name: str
    created_at: datetime


class OrganizationList(BaseModel):
    organizations: list[OrganizationOut]


class Configuration(BaseModel):
    id: str = Field(description="CFG-<app id>")
    name: str
    user_id_field: UserIdField
    webhook_format: WebhookFormat
    webhook_uri: str | None
    date_format: DateFormat
    ip_allowlist: list[str]


class ConfigurationWrite(Strict):
    """A whole configuration (POST, PUT); omitted fields take their defaults."""

    name: str = Field(default="My developer configuration", min_length=1, max_length=200)
    user_id_field: UserIdField = "guid"
    webhook_format: WebhookFormat = "moneykit"
    webhook_uri: str | None = Field(default=None, max_length=2048)
    date_format: DateFormat = "ISO"
    ip_allowlist: list[str] = Field(default_factory=list, max_length=100)


class ConfigurationPatch(Strict):
    """Only the fields present change."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    user_id_field: UserIdField | None = None
    webhook_format: WebhookFormat | None = None
    webhook_uri: str | None = Field(default=None, max_length=2048)
    date_format: DateFormat | None = None
    ip_allowlist: list[str] | None = Field(default=None, max_length=100)


class WebhookConfigurationRequest(Strict):
    webhookUri: str = Field(max_length=2048)


class WebhookConfigurationResponse(BaseModel):
    name: str
    callbackUri: str
    aggregator: str


class TokenInfo(BaseModel):
    """What a token is allowed to do (introspection for the developer holding it)."""

    kind: Literal["generic", "user", "item"]
    app_id: uuid.UUID
    client_id: str
    mode: AppMode
    scopes: list[str]
    organization: str | None = None
    user_id_field: UserIdField | None = None
    user: str | None = None
    item_id: str | None = None
    expires_at: int | None = None


class AuditActorOut(BaseModel):
    kind: Literal["developer", "api_key"] = Field(
        description="`developer`: a dashboard session; `api_key`: a configuration route called with a "
        "token minted from one of the app's keys."
    )
    id: uuid.UUID = Field(description="The developer's id, or the API key's.")
    name: str = Field(description="The developer's email, or the API key's client_id.")


class FieldChange(BaseModel):
    before: Any = Field(description="The value before the action (`null`: none); secrets read `***`.")
    after: Any = Field(description="The value after the action (`null`: none); secrets read `***`.")


class AuditEntryOut(BaseModel):
    id: uuid.UUID
    app_id: uuid.UUID
    action: AuditAction
    actor: AuditActorOut
    subject: str | None = Field(
        description="What the action was on: an API key's client_id, an organization's id or a provider."
    )
    organization: str | None = Field(description="The organization's id, for organization actions.")
    request_id: str | None = Field(description="The `X-Request-Id` of the request that acted.")
    occurred_at: datetime
    changes: dict[str, FieldChange] = Field(
        description="Each field the action changed; secrets, keys and credentials are masked."
    )


class AuditEntryList(BaseModel):
    entries: list[AuditEntryOut]
    pagination: Pagination
