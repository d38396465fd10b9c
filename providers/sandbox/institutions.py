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
    login="oauth",
    credential_fields=(),
    products=ALL_PRODUCTS,
    is_featured=True,
)
INSTANT_BANK = InstitutionInfo(
    provider_institution_id="instant_bank",
    name="Instant Bank",
    url="https://instant-bank.sandbox.linkgate.dev",
    color="#1a7f37",
    login="instant",
    credential_fields=(),
    products=ALL_PRODUCTS,
    is_featured=True,
)

INSTITUTIONS = {institution.provider_institution_id: institution for institution in (
    CREDENTIALS_BANK, OAUTH_BANK, INSTANT_BANK, MX_BANK,
)}  # fmt: skip
