"""Records → wire objects, with every key the OpenAPI description requires (plaid.md §4, §10)."""

from __future__ import annotations

from tests.fakes.plaid.clock import iso_datetime
from tests.fakes.plaid.errors import PlaidFailure
from tests.fakes.plaid.models import Account, Institution, Item, JsonObject, Transaction

NULL_LOCATION: JsonObject = dict.fromkeys(
    ("address", "city", "region", "postal_code", "country", "lat", "lon", "store_number")
)
NULL_PAYMENT_META: JsonObject = dict.fromkeys(
    (
        "reference_number",
        "ppd_id",
        "payee",
        "by_order_of",
        "payer",
        "payment_method",
        "payment_processor",
        "reason",
    )
)


def account(record: Account, *, investment: bool = False) -> JsonObject:
    spec = record.spec
    balances: JsonObject = {
        "available": spec.available,
        "current": spec.current,
        "limit": spec.limit,
        "iso_currency_code": spec.currency,
        "unofficial_currency_code": None,
    }
    if investment:
        balances["margin_loan_amount"] = record.margin_loan_amount
    return {
        "account_id": record.account_id,
        "balances": balances,
        "mask": spec.mask,
        "name": spec.name,
        "official_name": spec.official_name,
        "type": spec.type,
        "subtype": spec.subtype,
    }


def identity_account(record: Account) -> JsonObject:
    return {**account(record), "owners": record.owners}


def ach_numbers(record: Account) -> JsonObject:
    return {
        "account_id": record.account_id,
        "account": record.account_number,
        "routing": record.routing,
        "wire_routing": record.wire_routing,
    }


def transaction(record: Transaction) -> JsonObject:
    return {
        "account_id": record.account_id,
        "amount": record.amount,
        "iso_currency_code": record.currency,
        "unofficial_currency_code": None,
        "date": record.date,
        "authorized_date": record.authorized_date,
        "authorized_datetime": None,
        "datetime": None,
        "name": record.name,
        "merchant_name": record.merchant_name,
        "pending": record.pending,
        "pending_transaction_id": record.pending_transaction_id,
        "transaction_id": record.transaction_id,
        "account_owner": None,
        "location": dict(NULL_LOCATION),
        "payment_meta": dict(NULL_PAYMENT_META),
        "payment_channel": record.payment_channel,
        "transaction_code": None,
        "check_number": None,
        "category": None,
        "category_id": None,
        "counterparties": [],
    }


def item(record: Item, institution: Institution) -> JsonObject:
    error = PlaidFailure(record.error_code).webhook_error() if record.error_code else None
    if error is not None:
        del error["status"]  # only webhooks carry it
    available = [p for p in institution.products if p not in record.products and p != "balance"]
    return {
        "item_id": record.item_id,
        "institution_id": institution.institution_id,
        "institution_name": institution.name,
        "webhook": record.webhook,
        "error": error,
        "available_products": available,
        "billed_products": list(record.products),
        "products": list(record.products),
        "consented_products": list(record.products),
        "consent_expiration_time": None,
        "update_type": "background",
    }


def item_with_consent(record: Item, institution: Institution) -> JsonObject:
    return {**item(record, institution), "created_at": iso_datetime(record.created_at)}


def item_status(record: Item) -> JsonObject:
    transactions: JsonObject = {
        "last_successful_update": iso_datetime(record.last_sync_success)
        if record.last_sync_success
        else None,
        "last_failed_update": None,
    }
    last_webhook = (
        {"sent_at": iso_datetime(record.last_webhook[0]), "code_sent": record.last_webhook[1]}
        if record.last_webhook
        else None
    )
    return {"investments": None, "transactions": transactions, "last_webhook": last_webhook}


def institution(record: Institution, *, optional_metadata: bool) -> JsonObject:
    body: JsonObject = {
        "institution_id": record.institution_id,
        "name": record.name,
        "products": list(record.products),
        "country_codes": list(record.country_codes),
        "routing_numbers": list(record.routing_numbers),
        "dtc_numbers": [],
        "oauth": record.oauth,
        "status": None,
        "connection_availability": "SUPPORTED",  # newer plaid-python releases require it (plaid.md §9.4)
    }
    if optional_metadata:
        body.update({"url": record.url, "primary_color": record.primary_color, "logo": None})
    return body
