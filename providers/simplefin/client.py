"""SimpleFIN over HTTP: decoding a setup token, claiming it once, and reading `/accounts`.

Every URL comes from an end user's token, so each is held to the operator's rules before it is
called: https (unless the operator allows plain http), a host on the allowed list, no credentials
in a claim URL. The HTTP client is injected (one per process; it refuses private addresses when the
deployment does and never follows redirects). The access URL's credentials travel as a Basic
`Authorization` header, never in a URL that an error message or a log could repeat.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

import httpx

from providers.base import FatalProviderError, ReconnectRequired, RetryLater, upstream_call
from providers.bodies import AnswerTooLarge, read_capped
from providers.simplefin.settings import SimpleFinSettings

MAX_TOKEN_CHARS = 2048
MAX_BODY_BYTES = 20 * 1024 * 1024
DEFAULT_RETRY_S = 300.0


@dataclass(frozen=True)
class Answer:
    """A SimpleFIN server's answer, its body read (within `MAX_BODY_BYTES`) and decoded."""

    status_code: int
    headers: httpx.Headers
    body: bytes

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class TokenUnusable(ReconnectRequired):
    """The pasted token cannot be used (malformed, not allowed, already claimed): the end user's to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message, error_code="user_input_incorrect")


@dataclass(frozen=True)
class AccessUrl:
    """Where a grant's data lives and the Basic credentials that read it (a secret: stored sealed)."""

    base: str  # scheme://host[:port]/path, no credentials, no trailing slash
    username: str
    password: str

    def serialise(self) -> str:
        scheme, rest = self.base.split("://", 1)
        return f"{scheme}://{quote(self.username, safe='')}:{quote(self.password, safe='')}@{rest}"

    @classmethod
    def parse(cls, text: str, settings: SimpleFinSettings) -> AccessUrl:
        try:
            url = httpx.URL(text.strip())
        except httpx.InvalidURL as exc:
            raise ValueError("not a URL") from exc
        if not url.username or not url.password:
            raise ValueError("an access URL carries Basic credentials")
        _check_target(url, settings)
        base = str(url.copy_with(username=None, password=None, query=None, fragment=None)).rstrip("/")
        return cls(base=base, username=unquote(url.username), password=unquote(url.password))


def claim_url_of(setup_token: str, settings: SimpleFinSettings) -> str:
    """The claim URL a setup token encodes (Base64 of the URL), checked against the operator's rules."""
    token = "".join(setup_token.split())
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise TokenUnusable("Paste the whole setup token from SimpleFIN Bridge.")
    try:
        padded = token + "=" * (-len(token) % 4)
        decoded = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True).decode("ascii")
        url = httpx.URL(decoded)
    except (binascii.Error, UnicodeDecodeError, httpx.InvalidURL, ValueError):
        raise TokenUnusable(
            "This is not a SimpleFIN setup token. Copy it again from SimpleFIN Bridge."
        ) from None
    if url.scheme not in ("http", "https") or not url.host or url.userinfo:
        raise TokenUnusable("This is not a SimpleFIN setup token. Copy it again from SimpleFIN Bridge.")
    try:
        _check_target(url, settings)
    except ValueError as exc:
        raise TokenUnusable(f"This setup token cannot be used here: {exc}.") from None
    return str(url)


def _check_target(url: httpx.URL, settings: SimpleFinSettings) -> None:
    if settings.require_https and url.scheme != "https":
        raise ValueError("its server must be reached over https")
    if url.scheme not in ("http", "https"):
        raise ValueError("its server must be an http or https URL")
    if not settings.allows_host(url.host):
        raise ValueError(f"{url.host} is not a SimpleFIN server this service accepts")


class SimpleFinClient:
    def __init__(self, http: httpx.AsyncClient, settings: SimpleFinSettings) -> None:
        self._http = http
        self._settings = settings

    async def claim(self, claim_url: str) -> AccessUrl:
        """POST the claim URL once (its token is single use) and return the access URL it answers."""
        response = await self._call("POST", claim_url, "/claim", headers={"Content-Length": "0"}, content=b"")
        if response.status_code == 403:
            raise TokenUnusable(
                "SimpleFIN Bridge refused this setup token: it was already used or is not valid. If you"
                " did not use it yourself, disable it at SimpleFIN Bridge, since someone else may have."
            )
        if response.status_code != 200:
            raise _unavailable(response)
        try:
            return AccessUrl.parse(response.text(), self._settings)
        except ValueError as exc:
            raise RetryLater(
                f"the SimpleFIN server's claim answer is not a usable access URL: {exc}"
            ) from None

    async def accounts(
        self, access: AccessUrl, *, start: int | None, balances_only: bool = False
    ) -> Mapping[str, Any]:
        """One `GET {access}/accounts`: pending transactions included, version 2 asked for (a server
        that only speaks version 1 ignores the parameter and answers in version 1)."""
        params: dict[str, str] = {"version": "2"}
        if balances_only:
            params["balances-only"] = "1"
        else:
            params["pending"] = "1"  # presence-checked by the Bridge: never send pending=0
            if start is not None:
                params["start-date"] = str(start)
        response = await self._call(
            "GET",
            f"{access.base}/accounts",
            "/accounts",
            params=params,
            auth=(access.username, access.password),
        )
        if response.status_code == 403 and not _is_html(response):
            raise ReconnectRequired(
                "SimpleFIN Bridge no longer accepts this connection's access (it was disabled or"
                " expired): link it again with a new setup token.",
                error_code="auth_expired",
            )
        if response.status_code == 402:
            raise ReconnectRequired(
                "The SimpleFIN Bridge subscription behind this connection needs payment.",
                error_code="auth_expired",
            )
        if response.status_code != 200:
            raise _unavailable(response)
        return _json_object(response)

    async def _call(self, method: str, url: str, endpoint: str, **options: Any) -> Answer:
        """One call; `endpoint` names it for metrics (the URL itself holds the user's token or host)."""
        try:
            async with self._http.stream(
                method, url, timeout=self._settings.timeout_s, follow_redirects=False,
                extensions=upstream_call("simplefin", endpoint), **options,
            ) as response:  # fmt: skip
                try:
                    body = await read_capped(response, MAX_BODY_BYTES)  # decoded: compressed ones inflated
                except AnswerTooLarge:
                    raise FatalProviderError(
                        "the SimpleFIN server's answer is larger than Linkgate accepts"
                    ) from None
                return Answer(response.status_code, response.headers, body)
        except httpx.TimeoutException:
            raise RetryLater("the SimpleFIN server did not answer in time") from None
        except httpx.HTTPError as exc:
            raise RetryLater(f"the SimpleFIN server could not be reached: {exc}") from None


def _is_html(response: Answer) -> bool:
    """Cloudflare in front of the Bridge answers throttled callers with HTML 403 and 429 pages: that
    is not a revoked access."""
    kind = response.headers.get("content-type", "")
    return "html" in kind or response.body.lstrip()[:1] == b"<"


def _unavailable(response: Answer) -> RetryLater:
    """A 429 or 5xx (or any other unexpected answer): try again later, when the server says if it does."""
    return RetryLater(
        f"the SimpleFIN server answered {response.status_code}",
        defer_s=_retry_after(response.headers.get("retry-after")),
    )


def _retry_after(value: str | None) -> float:
    try:
        return max(1.0, min(float(value), 86_400.0)) if value else DEFAULT_RETRY_S
    except ValueError:
        return DEFAULT_RETRY_S


def _json_object(response: Answer) -> Mapping[str, Any]:
    try:
        body = json.loads(response.body)
    except ValueError:
        raise RetryLater("the SimpleFIN server's answer is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("accounts"), list):
        raise RetryLater("the SimpleFIN server's answer is not an account set")
    return body
