"""What an operator sets for Plaid (`LINKGATE_PLAID_*`), as the adapter receives it, and the keys one
call is made with (the operator's, or an app's own)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PlaidEnvironment = Literal["sandbox", "production"]
HOSTS: dict[PlaidEnvironment, str] = {
    "sandbox": "https://sandbox.plaid.com",
    "production": "https://production.plaid.com",
}
LINK_SCRIPT_URL = "https://cdn.plaid.com/link/v2/stable/link-initialize.js"
API_VERSION = "2020-09-14"


@dataclass(frozen=True)
class PlaidKeys:
    """One Plaid account's API keys and the environment they are for (a secret: never logged)."""

    client_id: str
    secret: str = field(repr=False)
    environment: PlaidEnvironment = "sandbox"


@dataclass(frozen=True)
class PlaidSettings:
    """The operator's keys: `secret` for `environment` (where live apps' Items live; sandbox apps always
    use Plaid's sandbox), and `sandbox_secret` for sandbox apps when `environment` is production.
    `base_url` overrides Plaid's host (tests, an egress proxy); `webhook_url` is Linkgate's inbound
    endpoint for Plaid, given to every Item; `client_name` is what Link shows the end user."""

    client_id: str | None = None
    secret: str | None = field(default=None, repr=False)
    environment: PlaidEnvironment = "sandbox"
    sandbox_secret: str | None = field(default=None, repr=False)
    base_url: str | None = None
    link_script_url: str = LINK_SCRIPT_URL
    webhook_url: str | None = None
    client_name: str = "Linkgate"
    country_codes: tuple[str, ...] = ("US", "CA")
    language: str = "en"
    timeout_s: float = 30.0
    sync_page_size: int = 500
    days_requested: int = 730

    def host(self, environment: PlaidEnvironment) -> str:
        return (self.base_url or HOSTS[environment]).rstrip("/")

    def environment_for(self, *, live: bool) -> PlaidEnvironment:
        return self.environment if live else "sandbox"

    def operator_keys(self, environment: PlaidEnvironment) -> PlaidKeys | None:
        """The operator's keys for `environment`, if the operator set them."""
        if not self.client_id:
            return None
        if environment == self.environment and self.secret:
            return PlaidKeys(self.client_id, self.secret, environment)
        if environment == "sandbox" and self.sandbox_secret:
            return PlaidKeys(self.client_id, self.sandbox_secret, "sandbox")
        return None
