"""Credentials Bank, OAuth Bank and Instant Bank, as the MoneyKit seed describes them."""

from __future__ import annotations

from providers.base import CredentialField, InstitutionInfo, Product
from providers.sandbox.mxbank import MX_BANK

ALL_PRODUCTS = (
    Product.accounts,
    Product.account_numbers,
    Product.identity,
    Product.transactions,
    Product.investments,
)

CREDENTIALS_BANK = InstitutionInfo(
    provider_institution_id="credentials_bank",
    name="Credentials Bank",
    url="https://credentials-bank.sandbox.linkgate.dev",
    color="#1f6feb",
    login="credentials",
    credential_fields=(
        CredentialField("username", "Username"),
        CredentialField("password", "Password", secret=True),
    ),
    products=ALL_PRODUCTS,
    is_featured=True,
)
OAUTH_BANK = InstitutionInfo(
    provider_institution_id="oauth_bank",
    name="OAuth Bank",
    url="https://oauth-bank.sandbox.linkgate.dev",
    color="#8250df",
    login="redirect",
    credential_fields=(),
    products=ALL_PRODUCTS,
    is_featured=True,
)
INSTANT_BANK = InstitutionInfo(
    provider_institution_id="instant_bank",
    name="Instant Bank",
    url="https://instant-bank.sandbox.linkgate.dev",
    color="#1a7f37",
    login="credentials",
    credential_fields=(),
    products=ALL_PRODUCTS,
    is_featured=True,
)

USERNAME_AND_PASSWORD = CREDENTIALS_BANK.credential_fields


def _plaid_sandbox_bank(
    plaid_id: str, name: str, color: str, *, oauth: bool = False, country: str = "US"
) -> InstitutionInfo:
    """One of Plaid's sandbox institutions under its Plaid id, so code written against Plaid's sandbox
    (`ins_109508` and the rest) finds it; logins work as at Credentials Bank (or OAuth Bank)."""
    return InstitutionInfo(
        provider_institution_id=plaid_id,
        name=name,
        url=f"https://{plaid_id.replace('_', '-')}.sandbox.linkgate.dev",
        color=color,
        login="redirect" if oauth else "credentials",
        credential_fields=() if oauth else USERNAME_AND_PASSWORD,
        products=ALL_PRODUCTS,
        country_codes=(country,),
    )


PLAID_SANDBOX_BANKS = (
    _plaid_sandbox_bank("ins_109508", "First Platypus Bank", "#0a5c36"),
    _plaid_sandbox_bank("ins_109509", "First Gingham Credit Union", "#b3261e"),
    _plaid_sandbox_bank("ins_109510", "Tattersall Federal Credit Union", "#6b4f1d"),
    _plaid_sandbox_bank("ins_109511", "Tartan Bank", "#1b4f8a"),
    _plaid_sandbox_bank("ins_109512", "Houndstooth Bank", "#333333"),
    _plaid_sandbox_bank("ins_130016", "First Platypus Balance Bank", "#0b7a75"),
    _plaid_sandbox_bank("ins_43", "Tartan-Dominion Bank of Canada", "#7a1b2e", country="CA"),
    _plaid_sandbox_bank("ins_127287", "Platypus OAuth Bank", "#5a2d82", oauth=True),
)

INSTITUTIONS = {institution.provider_institution_id: institution for institution in (
    CREDENTIALS_BANK, OAUTH_BANK, INSTANT_BANK, MX_BANK, *PLAID_SANDBOX_BANKS,
)}  # fmt: skip
