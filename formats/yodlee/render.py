"""Unified rows rendered as Yodlee Core API 1.1 JSON (swagger `Account`, `Transaction`, `Holding`, ...).

Pure functions: callers pass the int64 ids Yodlee clients see (see gateway.collections.yodlee.ids).
Money is `{amount: number, currency}`; the number is the Decimal's value as a JSON double, as the
wire format demands.
"""

from __future__ import annotations

import bisect
import datetime as dt
from decimal import Decimal
from typing import Any

from formats.yodlee.categories import category_ids
from gateway.models.account import Account
from gateway.models.institution import Institution
from gateway.models.investment import Holding, Security

DATASET_NAMES = {
    "accounts": "BASIC_AGG_DATA",
    "transactions": "BASIC_AGG_DATA",
    "account_numbers": "ACCT_PROFILE",
    "identity": "ACCT_PROFILE",
    "investments": "BASIC_AGG_DATA",
}
ACCOUNT_TYPES = {
    "checking": "CHECKING",
    "savings": "SAVINGS",
    "credit_card": "CREDIT",
    "brokerage": "BROKERAGE_CASH",
}
HOLDING_TYPES = {
    "equity": "stock", "etf": "ETF", "mutual fund": "mutualFund", "fixed income": "bond",
    "cash": "moneyMarketFund", "derivative": "option", "cryptocurrency": "digitalAsset",
}  # fmt: skip


def money(amount: Decimal | None, currency: str) -> dict[str, Any] | None:
    return None if amount is None else {"amount": float(amount), "currency": currency}


def timestamp(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _compact(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if value is not None}


# Providers ------------------------------------------------------------------------------------


def provider(institution: Institution, provider_id: int, *, detail: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": provider_id,
        "name": institution.name,
        "loginUrl": institution.url,
        "baseUrl": institution.url,
        "logo": institution.logo_url,
        "status": "Supported",
        "authType": "OAUTH" if institution.is_oauth else "CREDENTIALS",
        "countryISOCode": (institution.country_codes or ["US"])[0],
        "languageISOCode": "EN",
        "PRIORITY": "POPULAR" if institution.is_featured else "SEARCH",
        "isAutoRefreshEnabled": True,
        "isConsentRequired": False,
        "lastModified": timestamp(institution.updated_at),
        "dataset": _provider_datasets(institution.products),
    }
    if detail:
        body["loginForm"] = [login_form(institution)] if not institution.is_oauth else []
    return _compact(body)


def _provider_datasets(products: list[str]) -> list[dict[str, Any]]:
    containers = {
        "accounts": ["bank", "creditCard", "investment"],
        "transactions": ["bank", "creditCard"],
        "investments": ["investment"],
        "account_numbers": ["bank"],
        "identity": ["bank", "creditCard"],
    }
    attributes = {"accounts": "BASIC_ACCOUNT_INFO", "transactions": "TRANSACTIONS", "investments": "HOLDINGS",
                  "account_numbers": "FULL_ACCT_NUMBER", "identity": "HOLDER_NAME"}  # fmt: skip
    grouped: dict[str, list[dict[str, Any]]] = {}
    for product in products:
        if product in attributes:
            grouped.setdefault(DATASET_NAMES[product], []).append(
                {"name": attributes[product], "container": containers[product]}
            )
    return [{"name": name, "attribute": attribute} for name, attribute in grouped.items()]


def login_form(institution: Institution) -> dict[str, Any]:
    """The provider's login form; each field's `id` is what `POST /providerAccounts` takes back."""
    rows = [
        {"id": f"row-{index}", "label": field["label"], "form": "0001", "fieldRowChoice": f"{index:04d}",
         "field": [{"id": field["name"], "name": "PASSWORD" if field.get("secret") else "LOGIN",
                    "type": "password" if field.get("secret") else "text", "value": "", "isOptional": False,
                    "minLength": 1, "maxLength": 255}]}
        for index, field in enumerate(institution.credential_fields, start=1)
    ]  # fmt: skip
    return {"id": 1, "formType": "login", "row": rows}


# Provider accounts ----------------------------------------------------------------------------


def provider_account_status(state: str, refreshing: bool, challenged: bool = False) -> str:
    if challenged:
        return "USER_INPUT_REQUIRED"
    if state == "error":
        return "FAILED"
    if state in ("connected", "deleted"):
        return "IN_PROGRESS" if refreshing else "SUCCESS"
    return "LOGIN_IN_PROGRESS"


def provider_account(
    *, provider_account_id: int, consent_id: int | None, provider_id: int, status: str, products: list[str],
    created: dt.datetime, last_updated: dt.datetime | None, error_code: str | None,
    request_id: str | None = None, challenge: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """`challenge`: the MFA prompts waiting for an answer (gateway.links.direct.pending_challenge), sent
    as the `loginForm` that `PUT /providerAccounts` answers."""
    progress = {"SUCCESS": "AVAILABLE_DATA_RETRIEVED", "IN_PROGRESS": "DATA_RETRIEVAL_IN_PROGRESS",
                "LOGIN_IN_PROGRESS": "LOGIN_IN_PROGRESS",
                "USER_INPUT_REQUIRED": "ADDL_AUTHENTICATION_REQUIRED"}  # fmt: skip
    additional = progress.get(status, _failure_status(error_code))
    names = sorted({DATASET_NAMES[p] for p in products if p in DATASET_NAMES})
    dataset = [
        _compact({"name": name, "additionalStatus": additional, "updateEligibility": "ALLOW_UPDATE",
                  "lastUpdated": timestamp(last_updated), "lastUpdateAttempt": timestamp(last_updated)})
        for name in names
    ]  # fmt: skip
    return _compact({
        "id": provider_account_id, "providerId": provider_id, "consentId": consent_id,
        "requestId": request_id, "status": status,
        "dataset": dataset, "aggregationSource": "USER", "isManual": False, "isRealTimeMFA": False,
        "createdDate": timestamp(created), "lastUpdated": timestamp(last_updated),
        "loginForm": [mfa_form(challenge)] if challenge else None,
    })  # fmt: skip


MFA_FORM_TYPES = {"otp": "token", "questions": "questionAndAnswer"}


def mfa_form(challenge: dict[str, Any]) -> dict[str, Any]:
    """Pending MFA prompts as Yodlee's MFA `loginForm`: a row per prompt, whose field `id` is what
    `PUT /providerAccounts` takes back with the answer as `value`."""
    rows = []
    for index, prompt in enumerate(challenge.get("prompts", []), start=1):
        options = [
            {"displayText": o, "optionValue": o, "isSelected": False} for o in prompt.get("options") or []
        ]
        field = {"id": prompt["id"], "name": prompt["id"], "type": "options" if options else "text",
                 "value": "", "isOptional": False, "valueEditable": "true",
                 "option": options or None}  # fmt: skip
        rows.append({"id": f"row-{index}", "label": prompt["text"], "form": "0001",
                     "fieldRowChoice": f"{index:04d}", "field": [_compact(field)]})  # fmt: skip
    return {"id": 1, "formType": MFA_FORM_TYPES.get(str(challenge.get("kind")), "login"),
            "mfaInfoTitle": "Additional authentication", "row": rows}  # fmt: skip


def _failure_status(error_code: str | None) -> str:
    return {"invalid_credentials": "INCORRECT_CREDENTIALS", "auth_expired": "CREDENTIALS_UPDATE_NEEDED",
            "user_error": "USER_ACTION_NEEDED_AT_SITE", "user_input_incorrect": "INVALID_ADDL_INFO_PROVIDED",
            }.get(error_code or "", "DATA_RETRIEVAL_FAILED")  # fmt: skip


# Accounts -------------------------------------------------------------------------------------


def container(account_type: str, subtype: str | None) -> str:
    if account_type == "depository":
        return "bank"
    if account_type == "investment":
        return "investment"
    if account_type == "liability":
        return "creditCard" if subtype in ("credit_card", "credit card", "credit") else "loan"
    return "otherAssets"


def account(
    row: Account, *, account_id: int, provider_account_id: int, provider_id: int, provider_name: str,
    status: str = "ACTIVE",
) -> dict[str, Any]:  # fmt: skip
    kind = container(row.type, row.subtype)
    balance = money(row.balance_current, row.currency)
    body: dict[str, Any] = {
        "id": account_id,
        "CONTAINER": kind,
        "providerAccountId": provider_account_id,
        "providerId": str(provider_id),
        "providerName": provider_name,
        "accountName": row.name,
        "accountNumber": f"xxxx{row.mask}" if row.mask else None,
        "accountType": ACCOUNT_TYPES.get(row.subtype or "", (row.subtype or "other").upper()),
        "accountStatus": status,
        "isAsset": kind not in ("creditCard", "loan"),
        "isManual": False,
        "includeInNetWorth": True,
        "aggregationSource": "USER",
        "classification": "PERSONAL",
        "balance": balance,
        "createdDate": timestamp(row.created_at),
        "lastUpdated": timestamp(row.balances_as_of or row.updated_at),
        "dataset": [_compact({"name": "BASIC_AGG_DATA", "additionalStatus": "AVAILABLE_DATA_RETRIEVED",
                              "updateEligibility": "ALLOW_UPDATE",
                              "lastUpdated": timestamp(row.balances_as_of)})],
    }  # fmt: skip
    if kind in ("bank", "investment"):
        body["currentBalance"] = balance
        body["availableBalance"] = money(row.balance_available, row.currency)
    if kind in ("creditCard", "loan"):
        body["runningBalance"] = balance
        body["availableCredit"] = money(row.balance_available, row.currency)
        body["totalCreditLine"] = money(row.balance_limit, row.currency)
    return _compact(body)


# Transactions ---------------------------------------------------------------------------------


def category_type(direction: str, categories: list[str]) -> str:
    first = categories[0] if categories else ""
    if first.startswith("transfer"):
        return "TRANSFER"
    if first.startswith("income") or (direction == "credit" and not first):
        return "INCOME"
    return "EXPENSE" if first else "UNCATEGORIZE"


def transaction(row: Any, *, transaction_id: int, account_id: int, container_name: str) -> dict[str, Any]:
    """`row` is a Transaction or a Core row with the same attributes (see TransactionRow)."""
    categories: list[str] = list(row.categories or [])
    day = row.date.isoformat()
    original = row.original_description or row.description
    body: dict[str, Any] = {
        "id": transaction_id,
        "accountId": account_id,
        "CONTAINER": container_name,
        "amount": money(row.amount, row.currency),
        "baseType": "CREDIT" if row.direction == "credit" else "DEBIT",
        "status": "PENDING" if row.pending else "POSTED",
        "date": day,
        "transactionDate": day,
        "postDate": None if row.pending else day,
        "description": {"original": original, "simple": row.description},
        "category": categories[0].split(".")[-1].replace("_", " ").title() if categories else "Uncategorized",
        "categoryType": category_type(row.direction, categories),
        "categorySource": "SYSTEM",
        **category_ids(categories),
        "merchant": {"name": row.merchant_name, "source": "YODLEE"} if row.merchant_name else None,
        "isManual": False,
        "isPhysical": False,
        "sourceType": "AGGREGATED",
        "createdDate": timestamp(row.created_at),
        "lastUpdated": timestamp(row.updated_at),
    }  # fmt: skip
    return _compact(body)


# Holdings -------------------------------------------------------------------------------------


def holding(
    row: Holding, security: Security, *, holding_id: int, account_id: int, provider_account_id: int
) -> dict[str, Any]:
    price = row.institution_price if row.institution_price is not None else security.close_price
    return _compact({
        "id": holding_id, "accountId": account_id, "providerAccountId": provider_account_id,
        "holdingType": HOLDING_TYPES.get((security.type or "").lower(), "other"),
        "symbol": security.ticker_symbol, "cusipNumber": security.cusip, "isin": security.isin,
        "sedol": security.sedol, "description": security.name, "quantity": float(row.quantity),
        "price": money(price, row.currency), "value": money(row.institution_value, row.currency),
        "costBasis": money(row.cost_basis, row.currency), "createdDate": timestamp(row.created_at),
        "lastUpdated": timestamp(row.as_of or row.updated_at),
    })  # fmt: skip


# Balances -------------------------------------------------------------------------------------

BALANCE_INTERVALS = ("D", "W", "M")


def requested_days(start: dt.date, end: dt.date, interval: str) -> list[dt.date]:
    """The dates a balance history reports, newest first: every day (D), every 7th day back from `end`
    (W), or `end` and the last day of each earlier month (M), none before `start`."""
    if interval == "D":
        return [end - dt.timedelta(days=n) for n in range((end - start).days + 1)]
    if interval == "W":
        return [end - dt.timedelta(days=n) for n in range(0, (end - start).days + 1, 7)]
    days = [end]
    month_end = end.replace(day=1) - dt.timedelta(days=1)
    while month_end >= start:
        days.append(month_end)
        month_end = month_end.replace(day=1) - dt.timedelta(days=1)
    return days


def historical_balances(
    snapshots: list[tuple[dt.date, Decimal, str]], days: list[dt.date], *, carry_forward: bool, is_asset: bool
) -> list[dict[str, Any]]:
    """One entry per requested day: that day's snapshot (`S`), or with `carry_forward` the latest one
    before it (`CF`); a day with neither is left out. `snapshots` are (day, balance, currency)."""
    ordered = sorted(snapshots)
    known = [snapshot[0] for snapshot in ordered]
    entries = []
    for day in days:
        index = bisect.bisect_right(known, day) - 1
        if index < 0 or (known[index] != day and not carry_forward):
            continue
        as_of, amount, currency = ordered[index]
        entries.append({"date": day.isoformat(), "asOfDate": as_of.isoformat(), "isAsset": is_asset,
                        "balance": money(amount, currency),
                        "dataSourceType": "S" if as_of == day else "CF"})  # fmt: skip
    return entries
