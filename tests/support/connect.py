"""Plays the hosted Connect pages over their JSON steps, as the page's script does."""

from __future__ import annotations

from typing import Any

import httpx


class ConnectPage:
    """Plays the hosted Connect pages: the JSON steps, with the link session token and the CSRF token
    the session hands out."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base, self.headers = f"{base_url}/connect/api/session", {"Link-Session-Token": token}
        self.csrf = httpx.get(self.base, headers=self.headers).json().get("csrf_token", "")

    def step(self, path: str = "", body: dict[str, Any] | None = None, status: int = 200) -> dict[str, Any]:
        method = "POST" if body is not None else "GET"
        headers = self.headers | ({"X-CSRF-Token": self.csrf} if method == "POST" else {})
        response = httpx.request(method, self.base + path, json=body, headers=headers)
        assert response.status_code == status, response.text
        result: dict[str, Any] = response.json()
        return result
