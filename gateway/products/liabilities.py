"""Credit card liabilities of a link's accounts, in the unified shape (`providers.base.CreditLiability`).

No upstream adapter reports liabilities yet; the sandbox derives them from the card's account, so
they need no storage of their own. Other links' cards have none until their adapters report them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from gateway.models.account import Account
from gateway.models.link import Link
from providers.base import CreditLiability
from providers.sandbox.liabilities import credit_liability

CREDIT_CARD = ("liability", "credit_card")


def is_credit_card(account: Account) -> bool:
    return (account.type, account.subtype) == CREDIT_CARD


def credit_liabilities(
    link: Link, accounts: Sequence[Account], today: dt.date
) -> list[tuple[Account, CreditLiability]]:
    """Each credit card among `accounts` with its liability, where the link's provider has one."""
    if link.provider != "sandbox":
        return []
    return [
        (account, credit_liability(account.provider_account_id, account.balance_current or Decimal(0), today))
        for account in accounts
        if is_credit_card(account)
    ]
