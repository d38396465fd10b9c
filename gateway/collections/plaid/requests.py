"""Plaid request bodies: every one may carry `client_id` and `secret`; unknown fields are ignored,
as newer Plaid clients send options this gateway does not model."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from gateway.developers.schemas import BodyPart, StorableInput

AccountIds = Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=500)]


class PlaidRequest(StorableInput):
    model_config = ConfigDict(extra="ignore")

    client_id: str | None = Field(default=None, max_length=64)
    secret: str | None = Field(default=None, max_length=256)


class ItemRequest(PlaidRequest):
    """A request about one Item. `access_token` may be left out only by a Link Money item token."""

    access_token: str | None = Field(default=None, max_length=200)


class AccountFilter(BodyPart):
    model_config = ConfigDict(extra="ignore")

    account_ids: AccountIds | None = None


class AccountsRequest(ItemRequest):
    options: AccountFilter | None = None
