"""The dashboard's view of an app's providers, and what a developer may set on one."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from gateway.developers.schemas import Strict

CredentialValue = Annotated[str, Field(min_length=1, max_length=4096)]


class ProviderOut(BaseModel):
    provider: str = Field(description="The provider's name: sandbox, simplefin, ...")
    configured: bool = Field(description="The operator configured it for this deployment.")
    enabled: bool = Field(description="Offered to this app's end users.")
    app_credential_keys: list[str] = Field(
        description="The keys an app may bring for its own account at this upstream (none: it has no keys)."
    )
    credentials_set: bool = Field(description="The app set its own keys (they are never returned).")
    overridden: bool = Field(description="The app changed the operator's defaults.")
    problem: str | None = Field(
        default=None,
        description="The upstream refused the keys this app calls it with (its own, or the operator's): "
        "links through it fail until the keys work again or the app sets new ones.",
    )


class ProviderList(BaseModel):
    providers: list[ProviderOut]


class ProviderUpdate(Strict):
    enabled: bool = True
    credentials: dict[Annotated[str, Field(max_length=64)], CredentialValue] | None = Field(
        default=None,
        max_length=10,
        description="The app's own keys for this upstream; omit to keep those set before, `{}` to forget "
        "them.",
    )
