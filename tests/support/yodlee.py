"""A plain-HTTP Yodlee 1.1 client for contract tests (there is no maintained official Python client)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx

from tests.support.moneykit import Gateway
from tests.support.processes import wait_until

VERSION = {"Api-Version": "1.1"}
GOOD_LOGIN = [{"id": "username", "value": "user_good"}, {"id": "password", "value": "pass_good"}]
CREDENTIALS_BANK = 100001


class Yodlee:
    """One app's view of `/v2/yodlee`, with an admin token and user tokens on demand."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.base = f"{gateway.base_url}/v2/yodlee"
        self.admin = self.token()

    def token(self, login_name: str | None = None) -> str:
        headers = VERSION | ({"loginName": login_name} if login_name else {})
        form = {"clientId": self.gateway.client_id, "secret": self.gateway.client_secret}
        response = httpx.post(f"{self.base}/auth/token", headers=headers, data=form)
        assert response.status_code == 201, response.text
        token: str = response.json()["token"]["accessToken"]
        return token

    def call(self, method: str, path: str, token: str | None, **kwargs: Any) -> httpx.Response:
        headers = (
            VERSION | ({"authorization": f"Bearer {token}"} if token else {}) | kwargs.pop("headers", {})
        )
        return httpx.request(method, f"{self.base}{path}", headers=headers, timeout=30, **kwargs)

    def ok(self, method: str, path: str, token: str | None, status: int = 200, **kwargs: Any) -> Any:
        response = self.call(method, path, token, **kwargs)
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    def new_user(self) -> tuple[str, str]:
        name = f"ysl-{uuid.uuid4().hex[:10]}"
        return name, self.token(name)

    def add_provider_account(self, token: str, fields: list[dict[str, str]] | None = None) -> dict[str, Any]:
        body = self.ok("POST", f"/providerAccounts?providerId={CREDENTIALS_BANK}", token, status=201,
                       json={"field": fields or GOOD_LOGIN})  # fmt: skip
        account: dict[str, Any] = body["providerAccount"][0]
        return account

    def wait_success(self, token: str, provider_account_id: int) -> dict[str, Any]:
        def done() -> bool:
            got = self.ok("GET", f"/providerAccounts/{provider_account_id}", token)["providerAccount"][0]
            return bool(got["status"] == "SUCCESS")

        wait_until(done, timeout_s=30, what=f"provider account {provider_account_id} to refresh")
        latest: dict[str, Any] = self.ok("GET", f"/providerAccounts/{provider_account_id}", token)[
            "providerAccount"
        ][0]
        return latest

    def linked_user(self) -> tuple[str, str, int]:
        """A new user with one provider account at Credentials Bank, refreshed."""
        name, token = self.new_user()
        added = self.add_provider_account(token)
        self.wait_success(token, added["id"])
        return name, token, int(added["id"])


def all_time() -> dict[str, str]:
    today = dt.date.today()
    return {"fromDate": (today - dt.timedelta(days=365)).isoformat(), "toDate": today.isoformat()}
