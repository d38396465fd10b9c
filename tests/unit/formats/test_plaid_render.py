"""The Plaid renderer's mappings from the unified schema to Plaid's enums."""

from __future__ import annotations

from decimal import Decimal

import pytest

from formats.plaid import render
from gateway.models.investment import InvestmentTransaction


@pytest.mark.parametrize(
    ("unified", "amount", "expected"),
    [
        ("cash.dividend", "-4.80", ("cash", "dividend")),
        ("buy", "1255.60", ("buy", "buy")),
        ("buy.buy_to_cover", "10", ("buy", "buy to cover")),
        ("fee.transfer_fee", "2", ("fee", "transfer fee")),
        ("cash", "-100", ("cash", "deposit")),
        ("cash", "100", ("cash", "withdrawal")),
        ("sell.not_a_plaid_subtype", "-5", ("sell", "sell")),
        ("other", "1", ("cash", "adjustment")),
    ],
)
def test_a_dotted_unified_type_is_plaids_type_and_subtype(
    unified: str, amount: str, expected: tuple[str, str]
) -> None:
    row = InvestmentTransaction(type=unified, amount=Decimal(amount))
    kind = render.investment_kind(row)
    assert (kind["type"], kind["subtype"]) == expected
    assert kind["type"] in render.INVESTMENT_TYPES
    assert kind["subtype"] in render.INVESTMENT_SUBTYPES
