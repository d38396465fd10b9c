"""What every Plaid data route checks before it reads: the Item is healthy, has the product, and its
first data has arrived; and which of its accounts `options.account_ids` names."""

from __future__ import annotations

from formats.plaid import ids
from gateway.collections.plaid.errors import (
    ItemLoginRequired,
    ProductNotReady,
    ProductsNotSupported,
    plaid_error,
)
from gateway.dependencies import DbSession
from gateway.models.account import Account
from gateway.models.link import Link
from gateway.products.repository import product_reader

InvalidAccountId = plaid_error(400, "INVALID_INPUT", "INVALID_ACCOUNT_ID",
                               "one or more of the account IDs is invalid")  # fmt: skip


def require_ready(link: Link, product: str) -> None:
    """ITEM_LOGIN_REQUIRED while the user must log in again; PRODUCTS_NOT_SUPPORTED for a product the
    Item was not linked with; PRODUCT_NOT_READY until the product's first refresh stored data."""
    if link.state == "error":
        raise ItemLoginRequired()
    if product not in link.products:
        raise ProductsNotSupported(f"this item was not linked with the {product} product")
    if not (link.product_status.get(product) or {}).get("refreshed_at"):
        raise ProductNotReady()


async def item_accounts(session: DbSession, link: Link, account_ids: list[str] | None) -> list[Account]:
    """The Item's accounts, or those `account_ids` names (all of which must be the Item's)."""
    accounts = await product_reader.accounts(session, link.app_id, link.id)
    if account_ids is None:
        return accounts
    by_id = {ids.encode(account.id): account for account in accounts}
    unknown = [account_id for account_id in account_ids if account_id not in by_id]
    if unknown:
        raise InvalidAccountId(f"unknown account_ids: {', '.join(unknown)}")
    return [by_id[account_id] for account_id in dict.fromkeys(account_ids)]
