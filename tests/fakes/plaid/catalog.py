"""The fake's institution catalog and the data a new Item starts with (sandbox-like, deterministic).

Names and ids follow Plaid's Sandbox (plaid.md §8): the "Plaid Checking" family of accounts and the
First Platypus / Platypus OAuth banks.
"""

from __future__ import annotations

from tests.fakes.plaid.models import AccountSpec, Institution, JsonObject

DEPOSITORY_PRODUCTS = ("assets", "auth", "balance", "identity", "transactions", "investments", "liabilities")
INSTITUTIONS: tuple[Institution, ...] = (
    Institution(
        "ins_109508",
        "First Platypus Bank",
        DEPOSITORY_PRODUCTS,
        ("US",),
        ("011000138", "011200365"),
        oauth=False,
        url="https://www.platypus.com",
        primary_color="#1f1f1f",
    ),
    Institution(
        "ins_109509",
        "First Gingham Credit Union",
        DEPOSITORY_PRODUCTS,
        ("US",),
        ("011000390",),
        oauth=False,
        url="https://www.gingham.com",
    ),
    Institution(
        "ins_109510",
        "Tattersall Federal Credit Union",
        DEPOSITORY_PRODUCTS,
        ("US",),
        ("011000524",),
        oauth=False,
    ),
    Institution("ins_109511", "Tartan Bank", DEPOSITORY_PRODUCTS, ("US",), ("011001234",), oauth=False),
    Institution(
        "ins_127287",
        "Platypus OAuth Bank",
        DEPOSITORY_PRODUCTS,
        ("US",),
        ("011000001",),
        oauth=True,
        url="https://oauth.platypus.com",
        primary_color="#ffb000",
    ),
    Institution("ins_43", "Tartan-Dominion Bank of Canada", DEPOSITORY_PRODUCTS, ("CA",), (), oauth=False),
    Institution(
        "ins_117650", "Royal Bank of Plaid", ("auth", "balance", "transactions"), ("GB",), (), oauth=True
    ),
)

DEFAULT_ACCOUNTS: tuple[AccountSpec, ...] = (
    AccountSpec("Plaid Checking", "depository", "checking", "0000", 110.0, 100.0, None,
                "Plaid Gold Standard 0% Interest Checking"),
    AccountSpec("Plaid Saving", "depository", "savings", "1111", 210.0, 200.0, None,
                "Plaid Silver Standard 0.1% Interest Saving"),
    AccountSpec("Plaid Credit Card", "credit", "credit card", "3333", 410.0, None, 2000.0,
                "Plaid Diamond 12.5% APR Interest Credit Card"),
    AccountSpec("Plaid IRA", "investment", "ira", "5555", 320.76, None, None, None),
)  # fmt: skip

DEFAULT_OWNER: JsonObject = {
    "names": ["Alberta Bobbeth Charleson"],
    "phone_numbers": [
        {"data": "+1 111-555-3333", "primary": False, "type": "home"},
        {"data": "+1 111-555-4444", "primary": True, "type": "mobile"},
    ],
    "emails": [{"data": "accountholder0@example.com", "primary": True, "type": "primary"}],
    "addresses": [
        {
            "data": {
                "city": "Malakoff",
                "region": "NY",
                "street": "2992 Cameron Road",
                "postal_code": "14236",
                "country": "US",
            },
            "primary": True,
        }
    ],
}

# (name, merchant, amount, days back, pending, payment_channel): Plaid signs, positive = money out.
SEED_TRANSACTIONS: tuple[tuple[str, str | None, float, int, bool, str], ...] = (
    ("Uber 063015 SF**POOL**", "Uber", 5.4, 1, True, "online"),
    ("Starbucks", "Starbucks", 4.33, 2, False, "in store"),
    ("McDonald's", "McDonald's", 12.0, 3, False, "in store"),
    ("INTRST PYMNT", None, -4.22, 5, False, "other"),
    ("United Airlines", "United Airlines", 500.0, 7, False, "online"),
    ("CREDIT CARD 3333 PAYMENT *//", None, 25.0, 9, False, "other"),
    ("Touchstone Climbing", None, 78.5, 12, False, "in store"),
    ("ACH Electronic CreditGUSTO PAY 123456", None, -5850.0, 14, False, "online"),
)

SECURITIES: tuple[JsonObject, ...] = (
    {
        "security_id": "d6ePmbPxgWCWmMVv66q9iPV94n91vMtov5Are",
        "isin": "US9229087690",
        "cusip": "922908769",
        "sedol": None,
        "institution_security_id": None,
        "institution_id": None,
        "proxy_security_id": None,
        "name": "Vanguard Total Stock Market ETF",
        "ticker_symbol": "VTI",
        "is_cash_equivalent": False,
        "type": "etf",
        "subtype": "etf",
        "close_price": 27.0,
        "close_price_as_of": None,
        "update_datetime": None,
        "iso_currency_code": "USD",
        "unofficial_currency_code": None,
        "market_identifier_code": "XNAS",
        "sector": None,
        "industry": None,
        "cfi_code": None,
        "option_contract": None,
        "fixed_income": None,
        "figi": None,
    },
    {
        "security_id": "JDdP7XPMklt5vwPmDN45t3KAoWAPmjtpaW7DP",
        "isin": None,
        "cusip": None,
        "sedol": None,
        "institution_security_id": None,
        "institution_id": None,
        "proxy_security_id": None,
        "name": "U S Dollar",
        "ticker_symbol": "CUR:USD",
        "is_cash_equivalent": True,
        "type": "cash",
        "subtype": "cash",
        "close_price": 1.0,
        "close_price_as_of": None,
        "update_datetime": None,
        "iso_currency_code": "USD",
        "unofficial_currency_code": None,
        "market_identifier_code": None,
        "sector": None,
        "industry": None,
        "cfi_code": None,
        "option_contract": None,
        "fixed_income": None,
        "figi": None,
    },
)
