"""What each Plaid endpoint answers (plaid-upstream.md §2-§7, §11; plaid.md §3): functions of the state,
the authenticated client id and the (already validated) JSON body, returning the success body without
`request_id`, or raising PlaidFailure."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from tests.fakes.plaid import render
from tests.fakes.plaid.clock import iso_datetime
from tests.fakes.plaid.errors import PlaidFailure
from tests.fakes.plaid.models import ENDPOINTS, Account, Item, JsonObject
from tests.fakes.plaid.state import PlaidState

Body = dict[str, Any]
Handler = Callable[[PlaidState, str, Body], JsonObject]
MAX_SEARCH_RESULTS = 10


def link_token_create(state: PlaidState, client_id: str, body: Body) -> JsonObject:
    if body.get("user") is None and body.get("user_id") is None:
        raise PlaidFailure("MISSING_FIELDS", "the following required fields are missing: user")
    request = {k: v for k, v in body.items() if k not in ("client_id", "secret")}
    token = state.create_link_token(client_id, request)
    return {"link_token": token.link_token, "expiration": iso_datetime(token.expires_at)}


def item_public_token_exchange(state: PlaidState, client_id: str, body: Body) -> JsonObject:
    item = state.exchange(client_id, str(body["public_token"]))
    return {"access_token": item.access_token, "item_id": item.item_id}


def _item(state: PlaidState, client_id: str, body: Body, product: str | None = None) -> Item:
    item = state.item_for_token(client_id, str(body["access_token"]))
    if product is not None and product not in item.products:
        if product not in state.institution(item.institution_id).products:
            raise PlaidFailure("PRODUCTS_NOT_SUPPORTED")
        item.products.append(product)  # Plaid adds a supported product on first use
    return item


def _chosen(item: Item, body: Body, keep: Callable[[Account], bool] = lambda _a: True) -> list[Account]:
    wanted = (body.get("options") or {}).get("account_ids")
    if wanted is not None and any(account_id not in item.accounts for account_id in wanted):
        raise PlaidFailure("INVALID_ACCOUNT_ID")
    return [a for a in item.accounts.values() if keep(a) and (wanted is None or a.account_id in wanted)]


def _item_body(state: PlaidState, item: Item) -> JsonObject:
    return render.item(item, state.institution(item.institution_id))


def accounts_get(state: PlaidState, client_id: str, body: Body) -> JsonObject:
    with state.lock:
        item = _item(state, client_id, body)
        return {"accounts": [render.account(a) for a in _chosen(item, body)], "item": _item_body(state, item)}


def auth_get(state: PlaidState, client_id: str, body: Body) -> JsonObject:
    with state.lock:
        item = _item(state, client_id, body, "auth")
        accounts = _chosen(item, body, lambda a: a.spec.subtype in ("checking", "savings", "cash management"))
        numbers = {
            "ach": [render.ach_numbers(a) for a in accounts],
            "eft": [],
            "international": [],
            "bacs": [],
        }
        return {
            "accounts": [render.account(a) for a in accounts],
            "numbers": numbers,
            "item": _item_body(state, item),
        }


def identity_get(state: PlaidState, client_id: str, body: Body) -> JsonObject:
    with state.lock:
        item = _item(state, client_id, body, "identity")
        accounts = [render.identity_account(a) for a in _chosen(item, body)]
        return {"accounts": accounts, "item": _item_body(state, item)}


def transactions_sync(state: PlaidState, client_id: str, body: Body) -> JsonObject:
    count = int(body.get("count", 100))
    if not 1 <= count <= 500:
        raise PlaidFailure("INVALID_FIELD", "count must be between 1 and 500")
    account_id = (body.get("options") or {}).get("account_id")
    cursor = body.get("cursor")
    with state.lock:
        item = _item(state, client_id, body, "transactions")
        if account_id is not None and account_id not in item.accounts:
            raise PlaidFailure("INVALID_ACCOUNT_ID")
        item.synced_once = True
        accounts = [
            render.account(a)
            for a in item.accounts.values()
            if a.spec.type != "investment" and account_id in (None, a.account_id)
        ]
        answer: JsonObject = {
            "transactions_update_status": item.update_status,
            "accounts": accounts,
            "added": [],
            "modified": [],
            "removed": [],
            "next_cursor": cursor or "",
            "has_more": False,
        }
        if item.update_status in ("NOT_READY", "TRANSACTIONS_UPDATE_STATUS_UNKNOWN"):
            return answer
        page = state.sync_engine.page(item, cursor, count, account_id)
        added: list[JsonObject] = []
        modified: list[JsonObject] = []
        removed: list[JsonObject] = []
        for change in page.changes:
            if change.kind == "removed":
                removed.append({"transaction_id": change.transaction_id, "account_id": change.account_id})
            else:
                transaction = render.transaction(item.transactions[change.transaction_id])
                (added if change.kind == "added" else modified).append(transaction)
        item.last_sync_success = state.clock()
        answer.update(
            added=added,
            modified=modified,
            removed=removed,
            next_cursor=page.next_cursor.encode(),
            has_more=page.has_more,
        )
        return answer


def investments_holdings_get(state: PlaidState, client_id: str, body: Body) -> JsonObject:
    with state.lock:
        item = _item(state, client_id, body, "investments")
        accounts = _chosen(item, body, lambda a: a.spec.type == "investment")
        ids = {a.account_id for a in accounts}
        holdings = [h for h in item.holdings if h["account_id"] in ids]
        held = {h["security_id"] for h in holdings}
        return {
            "accounts": [render.account(a, investment=True) for a in accounts],
            "holdings": holdings,
            "securities": [s for s in item.securities if s["security_id"] in held],
            "item": _item_body(state, item),
        }


def investments_transactions_get(state: PlaidState, client_id: str, body: Body) -> JsonObject:
    options = body.get("options") or {}
    count, offset = int(options.get("count", 100)), int(options.get("offset", 0))
    start, end = str(body["start_date"]), str(body["end_date"])
    if start > end:
        raise PlaidFailure("INVALID_FIELD", "start_date must not be after end_date")
    with state.lock:
        item = _item(state, client_id, body, "investments")
        accounts = _chosen(item, body, lambda a: a.spec.type == "investment")
        ids = {a.account_id for a in accounts}
        matching = [
            t
            for t in item.investment_transactions
            if t["account_id"] in ids and start <= str(t["date"]) <= end
        ]
        # Reverse-chronological and stable across pages (plaid.md §7.2).
        ordered = sorted(
            matching, key=lambda t: (str(t["date"]), str(t["investment_transaction_id"])), reverse=True
        )
        chosen = ordered[offset : offset + count]
        used = {t["security_id"] for t in chosen}
        return {
            "item": _item_body(state, item),
            "accounts": [render.account(a, investment=True) for a in accounts],
            "securities": [s for s in item.securities if s["security_id"] in used],
            "investment_transactions": chosen,
            "total_investment_transactions": len(ordered),
        }


def item_get(state: PlaidState, client_id: str, body: Body) -> JsonObject:
    with state.lock:
        item = state.item_for_token(client_id, str(body["access_token"]), check_error=False)
        institution = state.institution(item.institution_id)
        return {"item": render.item_with_consent(item, institution), "status": render.item_status(item)}


def item_remove(state: PlaidState, client_id: str, body: Body) -> JsonObject:
    with state.lock:
        item = state.item_for_token(client_id, str(body["access_token"]), check_error=False)
        state.remove_item(item.item_id)
        return {}


def institutions_search(state: PlaidState, client_id: str, body: Body) -> JsonObject:
    query = str(body["query"]).strip().lower()
    countries = set(body["country_codes"])
    products = set(body.get("products") or [])
    options = body.get("options") or {}
    oauth = options.get("oauth")
    found = [
        i
        for i in state.institutions()
        if query in i.name.lower()
        and countries & set(i.country_codes)
        and products <= set(i.products)
        and (oauth is None or i.oauth == oauth)
    ]
    metadata = bool(options.get("include_optional_metadata", False))
    return {
        "institutions": [
            render.institution(i, optional_metadata=metadata) for i in found[:MAX_SEARCH_RESULTS]
        ]
    }


def institutions_get_by_id(state: PlaidState, client_id: str, body: Body) -> JsonObject:
    institution = state.institution(str(body["institution_id"]))
    if not set(body["country_codes"]) & set(institution.country_codes):
        raise PlaidFailure(
            "INVALID_INSTITUTION", "the institution does not serve the requested country_codes"
        )
    metadata = bool((body.get("options") or {}).get("include_optional_metadata", False))
    return {"institution": render.institution(institution, optional_metadata=metadata)}


def webhook_verification_key_get(state: PlaidState, client_id: str, body: Body) -> JsonObject:
    return {"key": state.jwk(str(body["key_id"]))}


def sandbox_public_token_create(state: PlaidState, client_id: str, body: Body) -> JsonObject:
    options = body.get("options") or {}
    products = list(body["initial_products"])
    if not products:
        raise PlaidFailure("INVALID_FIELD", "initial_products must not be empty")
    password = str(options.get("override_password") or "pass_good")
    forced = password.removeprefix("error_") if password.startswith("error_") else None
    if forced is not None and forced != "ITEM_LOGIN_REQUIRED":
        raise PlaidFailure(forced)
    with state.lock:
        item = state.create_item(
            institution_id=str(body["institution_id"]),
            products=products,
            webhook=options.get("webhook"),
            client_id=client_id,
        )
        if forced is not None:
            state.set_error(item.item_id, forced)
        return {"public_token": state.public_token_for(item.item_id)}


def sandbox_item_fire_webhook(state: PlaidState, client_id: str, body: Body) -> JsonObject:
    webhook_type = str(body.get("webhook_type") or "TRANSACTIONS")
    webhook_code = str(body["webhook_code"])
    with state.lock:
        item = state.item_for_token(client_id, str(body["access_token"]), check_error=False)
        needs = {
            "TRANSACTIONS": "transactions",
            "INVESTMENTS_TRANSACTIONS": "investments",
            "HOLDINGS": "investments",
        }
        if webhook_type in needs and needs[webhook_type] not in item.products:
            raise PlaidFailure("SANDBOX_PRODUCT_NOT_ENABLED")
        if item.webhook is None:
            raise PlaidFailure("SANDBOX_WEBHOOK_INVALID")
        item_id = item.item_id
    try:
        state.fire_webhook(item_id, webhook_type, webhook_code)
    except ValueError as error:  # a webhook URL the fake refuses to call (not loopback)
        raise PlaidFailure("SANDBOX_WEBHOOK_INVALID", str(error)) from error
    return {"webhook_fired": True}


def sandbox_item_reset_login(state: PlaidState, client_id: str, body: Body) -> JsonObject:
    with state.lock:
        item = state.item_for_token(client_id, str(body["access_token"]), check_error=False)
        state.require_login(item.item_id)
        webhook, item_id = item.webhook, item.item_id
    if webhook is not None:
        with contextlib.suppress(ValueError):  # a webhook URL the fake refuses to call: nothing is sent
            state.fire_webhook(item_id, "ITEM", "ERROR")
    return {"reset_login": True}


def item_webhook_update(state: PlaidState, client_id: str, body: Body) -> JsonObject:
    """Set the Item's webhook URL and acknowledge with ITEM / WEBHOOK_UPDATE_ACKNOWLEDGED sent to the new
    URL (plaid.md §3 #6)."""
    new_url = body.get("webhook")
    with state.lock:
        item = state.item_for_token(client_id, str(body["access_token"]), check_error=False)
        state.set_webhook(item.item_id, new_url)
        item_id = item.item_id
    if new_url is not None:
        with contextlib.suppress(ValueError):  # a URL the fake refuses to call: nothing is sent
            state.fire_webhook(item_id, "ITEM", "WEBHOOK_UPDATE_ACKNOWLEDGED", new_webhook_url=new_url)
    with state.lock:
        return {"item": _item_body(state, item)}


def transactions_refresh(state: PlaidState, client_id: str, body: Body) -> JsonObject:
    """Accepted; the fake has no bank to re-read, so tests add data and fire webhooks themselves."""
    _item(state, client_id, body, "transactions")
    return {}


HANDLERS: dict[str, Handler] = {
    "/link/token/create": link_token_create,
    "/item/public_token/exchange": item_public_token_exchange,
    "/accounts/get": accounts_get,
    "/auth/get": auth_get,
    "/identity/get": identity_get,
    "/transactions/sync": transactions_sync,
    "/investments/holdings/get": investments_holdings_get,
    "/investments/transactions/get": investments_transactions_get,
    "/item/get": item_get,
    "/item/remove": item_remove,
    "/institutions/search": institutions_search,
    "/institutions/get_by_id": institutions_get_by_id,
    "/webhook_verification_key/get": webhook_verification_key_get,
    "/sandbox/public_token/create": sandbox_public_token_create,
    "/sandbox/item/fire_webhook": sandbox_item_fire_webhook,
    "/sandbox/item/reset_login": sandbox_item_reset_login,
    "/accounts/balance/get": accounts_get,  # the fake's balances are always "realtime"
    "/item/webhook/update": item_webhook_update,
    "/transactions/refresh": transactions_refresh,
}
assert tuple(HANDLERS) == ENDPOINTS, "api.HANDLERS and models.ENDPOINTS list the same paths"
