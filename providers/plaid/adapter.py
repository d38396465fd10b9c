"""The Plaid adapter: Plaid Link inside Connect (a widget handoff), one Item per link, transactions by
`/transactions/sync` with the cursor kept on the link, and Plaid's signed webhooks.

Connecting: `begin` makes a `link_token` (`/link/token/create`: the session's products, Linkgate's id
of the end user, the inbound webhook URL and, for an OAuth bank, Connect's return URL) that Connect
opens Link with; `complete` exchanges the `public_token` Link handed back for the Item's access token,
which Linkgate keeps sealed with the link. Repairing a link opens Link in update mode (a `link_token`
made with the Item's access token) and keeps the Item.

Every call names one Plaid account's keys (`PlaidKeys`): the operator's, or an app's own (`bound`).
Plaid's errors become what Linkgate does next (`translate`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from providers.base import (
    Adopted,
    Connected,
    ConnectResult,
    DataNotReady,
    FatalProviderError,
    Fetched,
    Handoff,
    HandoffRequest,
    InboundWebhook,
    InstitutionInfo,
    Investments,
    Misconfigured,
    NormalizedAccount,
    NormalizedAccountNumbers,
    NormalizedOwner,
    NormalizedTransaction,
    Notice,
    Product,
    ProviderError,
    ProviderState,
    ReconnectRequired,
    RefreshBudget,
    RetryLater,
    TransactionsDelta,
    WebhookRefused,
    WidgetHandoff,
    read_each,
)
from providers.plaid import normalize
from providers.plaid.client import PlaidApiError, PlaidClient
from providers.plaid.settings import PlaidKeys, PlaidSettings
from providers.plaid.webhooks import WebhookVerifier

# Linkgate's products → Plaid's (accounts and balances come with every Item).
PLAID_PRODUCTS = {
    Product.account_numbers: "auth", Product.identity: "identity", Product.transactions: "transactions",
    Product.investments: "investments",
}  # fmt: skip
SYNC_RESTARTS = 3  # mutation during pagination: restart the loop from its first cursor this many times
MUTATED = "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"
INVESTMENT_HISTORY_DAYS = 730  # Plaid serves up to 24 months of investment transactions
INVESTMENT_PAGE = 500
ITEM_NOTICES: dict[tuple[str, str], Notice] = {
    ("ITEM", "USER_PERMISSION_REVOKED"): "permission_revoked", ("ITEM", "LOGIN_REPAIRED"): "login_repaired",
    ("ITEM", "PENDING_EXPIRATION"): "consent_expiring", ("ITEM", "PENDING_DISCONNECT"): "consent_expiring",
    ("ITEM", "NEW_ACCOUNTS_AVAILABLE"): "new_accounts",
}  # fmt: skip
RECONNECT_CODES = frozenset({
    "ITEM_LOGIN_REQUIRED", "INVALID_ACCESS_TOKEN", "ITEM_NOT_FOUND", "ACCESS_NOT_GRANTED",
    "USER_PERMISSION_REVOKED", "INVALID_CREDENTIALS", "ITEM_LOCKED", "NO_ACCOUNTS",
})  # fmt: skip
INSTITUTION_CODES = frozenset({"INSTITUTION_DOWN", "INSTITUTION_NOT_RESPONDING", "INSTITUTION_NOT_AVAILABLE"})
INSTITUTION_RETRY_S = 300.0
NOT_READY_RETRY_S = 120.0
RATE_LIMIT_RETRY_S = 60.0


def translate(error: PlaidApiError) -> ProviderError:
    """What Linkgate does about a Plaid error (plaid-upstream.md §10)."""
    code = error.error_code
    if code in RECONNECT_CODES:
        return ReconnectRequired(str(error), error_code="auth_expired")
    if code in INSTITUTION_CODES:
        return RetryLater(str(error), defer_s=INSTITUTION_RETRY_S)
    if code == "PRODUCT_NOT_READY":
        return DataNotReady(str(error), defer_s=NOT_READY_RETRY_S)
    if code == "INVALID_API_KEYS":
        return Misconfigured(str(error))
    if error.status == 429 or error.error_type == "RATE_LIMIT_EXCEEDED" or code.endswith("_LIMIT"):
        return RetryLater(str(error), defer_s=RATE_LIMIT_RETRY_S)
    if error.status >= 500 or error.error_type == "API_ERROR":
        return RetryLater(str(error), defer_s=RATE_LIMIT_RETRY_S)
    return FatalProviderError(str(error))


class PlaidProvider:
    name = "plaid"
    budget: RefreshBudget | None = None
    app_credential_keys: tuple[str, ...] = ("client_id", "secret")

    def __init__(
        self,
        settings: PlaidSettings,
        client: PlaidClient,
        *,
        keys: PlaidKeys | None = None,
        verifier: WebhookVerifier | None = None,
    ) -> None:
        """`keys` None: no keys at all (every call is `Misconfigured`); see `for_operator`, `for_app`."""
        self.settings = settings
        self.client = client
        self._keys = keys
        self.verifier = verifier or WebhookVerifier()

    @classmethod
    def for_operator(cls, settings: PlaidSettings, client: PlaidClient) -> PlaidProvider:
        """The process's adapter: the operator's keys for live apps' environment (or the sandbox's),
        which is what verifying an inbound webhook calls Plaid with."""
        keys = settings.operator_keys(settings.environment) or settings.operator_keys("sandbox")
        return cls(settings, client, keys=keys)

    @property
    def serves_without_app_keys(self) -> bool:
        return self.settings.operator_keys(self.settings.environment) is not None

    def for_app(self, keys: Mapping[str, str] | None, *, live: bool) -> PlaidProvider:
        """This adapter as one app uses it: its own keys if it set them, else the operator's, in Plaid's
        sandbox for a sandbox app and the operator's environment for a live one."""
        environment = self.settings.environment_for(live=live)
        chosen = (
            PlaidKeys(keys["client_id"], keys["secret"], environment)
            if keys
            else self.settings.operator_keys(environment)
        )
        return PlaidProvider(self.settings, self.client, keys=chosen, verifier=self.verifier)

    @property
    def keys(self) -> PlaidKeys:
        if self._keys is None:
            raise Misconfigured("no Plaid keys are set for this app or deployment")
        return self._keys

    async def _call(self, endpoint: str, body: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return await self.client.call(self.keys, endpoint, body)
        except PlaidApiError as exc:
            raise translate(exc) from exc

    # Connecting -------------------------------------------------------------------------------

    async def institutions(self) -> Sequence[InstitutionInfo]:
        """Plaid's directory is searched, not listed (`search_institutions`): none up front."""
        return ()

    async def search_institutions(self, query: str) -> Sequence[InstitutionInfo]:
        """`/institutions/search` (at most 10, with their web address and routing numbers)."""
        found = await self._call("/institutions/search", {
            "query": query[:100], "country_codes": list(self.settings.country_codes),
            "options": {"include_optional_metadata": True},
        })  # fmt: skip
        return [normalize.institution(item) for item in found["institutions"]]

    async def begin(self, request: HandoffRequest) -> Handoff:
        if not request.user_id:  # Plaid wants a stable id of the end user, and nothing personal
            raise FatalProviderError("Plaid Link needs Linkgate's id of the end user")
        access_token = (request.connection or {}).get("access_token")
        body: dict[str, Any] = {
            "client_name": self.settings.client_name[:30],
            "language": self.settings.language,
            "country_codes": list(self.settings.country_codes),
            "user": {"client_user_id": request.user_id},
        }
        if access_token:  # update mode: the Item stays, its login is repaired
            body["access_token"] = access_token
        else:
            wanted = [PLAID_PRODUCTS[Product(p)] for p in request.products if p in PLAID_PRODUCTS]
            body["products"] = list(dict.fromkeys(wanted)) or ["transactions"]
            body["institution_id"] = request.provider_institution_id
            if "transactions" in body["products"]:
                body["transactions"] = {"days_requested": self.settings.days_requested}
        if self.settings.webhook_url:
            body["webhook"] = self.settings.webhook_url
        if request.return_url:
            body["redirect_uri"] = request.return_url
        made = await self._call("/link/token/create", body)
        pending = {
            "link_token": made["link_token"],
            **({"access_token": access_token} if access_token else {}),
        }
        return WidgetHandoff(
            script_url=self.settings.link_script_url, options={"token": made["link_token"]}, pending=pending
        )

    async def complete(
        self, provider_institution_id: str, pending: ProviderState, submitted: Mapping[str, str]
    ) -> ConnectResult:
        """Link's `onSuccess`: the `public_token` exchanged for the Item's access token (in update mode
        the Item keeps the one it had)."""
        access_token = pending.get("access_token")
        if not access_token:
            public_token = submitted.get("public_token", "")
            if not public_token:
                raise ReconnectRequired("Plaid Link did not finish", error_code="user_input_incorrect")
            exchanged = await self._call("/item/public_token/exchange", {"public_token": public_token})
            access_token = exchanged["access_token"]
        state = {"access_token": access_token, "environment": self.keys.environment}
        found = await self._call("/accounts/get", {"access_token": access_token})
        item_id = str(found["item"]["item_id"])
        return Connected(
            provider_link_id=item_id,
            state={**state, "item_id": item_id},
            accounts=tuple(normalize.accounts(found["accounts"], dt.datetime.now(dt.UTC))),
        )

    async def get_institution(self, provider_institution_id: str) -> InstitutionInfo:
        found = await self._call("/institutions/get_by_id", {
            "institution_id": provider_institution_id, "country_codes": list(self.settings.country_codes),
            "options": {"include_optional_metadata": True},
        })  # fmt: skip
        return normalize.institution(found["institution"])

    async def adopt(self, credentials: Mapping[str, str]) -> Adopted:
        """An Item the developer made with their own Plaid account: `/item/get` says what it is and
        reaches (an access token Plaid refuses is the developer's to fix), `/accounts/get` its accounts."""
        access_token = credentials.get("access_token", "")
        item = (await self._call("/item/get", {"access_token": access_token}))["item"]
        if not item.get("institution_id"):
            raise FatalProviderError("the Item names no institution")
        found = await self._call("/accounts/get", {"access_token": access_token})
        item_id = str(item["item_id"])
        products = [p for p in (*(item.get("products") or ()), *(item.get("billed_products") or ()))]
        ours = tuple(dict.fromkeys(["accounts", *(str(normalize.PRODUCTS_OF[p]) for p in products
                                                  if p in normalize.PRODUCTS_OF)]))  # fmt: skip
        connection = Connected(
            provider_link_id=item_id,
            state={"access_token": access_token, "environment": self.keys.environment, "item_id": item_id},
            accounts=tuple(normalize.accounts(found["accounts"], dt.datetime.now(dt.UTC))),
        )
        return Adopted(connection, str(item["institution_id"]), ours)

    async def answer(self, pending: ProviderState, answers: Mapping[str, str]) -> ConnectResult:
        raise FatalProviderError("Plaid Link asks its own questions; Linkgate relays none")

    async def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> InboundWebhook:
        """Verified as Plaid documents; what it means for the Item's links (plaid-upstream.md §8)."""
        webhook = await self.verifier.verify(headers, body, self._verification_key)
        item_id = webhook.get("item_id")
        if not isinstance(item_id, str) or not item_id:
            raise WebhookRefused("a Plaid webhook without an item_id concerns no link")
        kind = (str(webhook.get("webhook_type")), str(webhook.get("webhook_code")))
        if kind == ("ITEM", "ERROR"):
            code = (webhook.get("error") or {}).get("error_code")
            notice: Notice = "login_required" if code == "ITEM_LOGIN_REQUIRED" else "refresh"
            return InboundWebhook((item_id,), notice=notice)
        if kind in ITEM_NOTICES:
            expires = webhook.get("consent_expiration_time") or webhook.get("disconnect_time")
            details = {"consent_expiration_time": expires} if expires else {}
            return InboundWebhook((item_id,), notice=ITEM_NOTICES[kind], details=details)
        if kind == ("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE"):
            return InboundWebhook((item_id,), products=("transactions",))
        if kind[0] in ("HOLDINGS", "INVESTMENTS_TRANSACTIONS") and kind[1] == "DEFAULT_UPDATE":
            return InboundWebhook((item_id,), products=("investments",))
        return InboundWebhook((item_id,), notice="ignored")  # legacy transactions codes and the rest

    def connections_named(self, body: bytes) -> tuple[str, ...]:
        """The Item a webhook body names, unverified (it only picks whose keys ask Plaid for its key)."""
        try:
            item_id = json.loads(body).get("item_id")
        except (ValueError, AttributeError):
            return ()
        return (item_id,) if isinstance(item_id, str) and item_id else ()

    async def _verification_key(self, kid: str) -> Mapping[str, Any]:
        found = await self._call("/webhook_verification_key/get", {"key_id": kid})
        key: Mapping[str, Any] = found["key"]
        return key

    # Reading ----------------------------------------------------------------------------------

    async def read(self, connection: ProviderState, products: Sequence[str], since: str | None) -> Fetched:
        return await read_each(self, connection, products, since)

    async def accounts(self, connection: ProviderState) -> Sequence[NormalizedAccount]:
        found = await self._call("/accounts/get", {"access_token": connection["access_token"]})
        return normalize.accounts(found["accounts"], dt.datetime.now(dt.UTC))

    async def account_numbers(self, connection: ProviderState) -> Sequence[NormalizedAccountNumbers]:
        found = await self._call("/auth/get", {"access_token": connection["access_token"]})
        return normalize.account_numbers(found.get("numbers") or {})

    async def identity(self, connection: ProviderState) -> Sequence[NormalizedOwner]:
        found = await self._call("/identity/get", {"access_token": connection["access_token"]})
        return normalize.owners(found["accounts"])

    async def transactions(self, connection: ProviderState, since: str | None) -> TransactionsDelta:
        """Every page from the cursor `since` (None or "": the whole history); a mutation during
        pagination restarts the whole loop from its first cursor, as Plaid asks."""
        for _ in range(SYNC_RESTARTS):
            try:
                return await self._sync(connection["access_token"], since or None)
            except _MutatedDuringPagination:
                continue
        raise RetryLater("Plaid's transactions kept changing while they were read")

    async def _sync(self, access_token: str, first_cursor: str | None) -> TransactionsDelta:
        cursor, upserted, removed = first_cursor, [], []
        while True:
            body: dict[str, Any] = {"access_token": access_token, "count": self.settings.sync_page_size}
            if cursor:
                body["cursor"] = cursor
            try:
                page = await self.client.call(self.keys, "/transactions/sync", body)
            except PlaidApiError as exc:
                if exc.error_code == MUTATED:
                    raise _MutatedDuringPagination from exc
                raise translate(exc) from exc
            upserted += [*page["added"], *page["modified"]]
            removed += page["removed"]
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return TransactionsDelta(
                    upserted=tuple(_transactions(upserted)), removed=tuple(normalize.removed_ids(removed)),
                    next_cursor=cursor or "",
                )  # fmt: skip

    async def investments(self, connection: ProviderState) -> Investments:
        access_token = connection["access_token"]
        holdings = await self._call("/investments/holdings/get", {"access_token": access_token})
        end = dt.date.today()
        start = end - dt.timedelta(days=INVESTMENT_HISTORY_DAYS)
        trades: list[Mapping[str, Any]] = []
        while True:
            page = await self._call("/investments/transactions/get", {
                "access_token": access_token, "start_date": start.isoformat(), "end_date": end.isoformat(),
                "options": {"count": INVESTMENT_PAGE, "offset": len(trades)},
            })  # fmt: skip
            trades += page["investment_transactions"]
            if not page["investment_transactions"] or len(trades) >= page["total_investment_transactions"]:
                return normalize.investments(holdings, trades)

    async def disconnect(self, connection: ProviderState) -> None:
        """`/item/remove`: Plaid stops billing and invalidates the access token."""
        await self._call("/item/remove", {"access_token": connection["access_token"]})


class _MutatedDuringPagination(Exception):
    """Plaid's data changed between two pages of one sync loop."""


def _transactions(items: Sequence[Mapping[str, Any]]) -> list[NormalizedTransaction]:
    return [normalize.transaction(item) for item in items]
