"""CSRF protection for Connect's forms.

Connect holds no cookies, so a forged cross-site request has no ambient authority to borrow; the
token is still checked on every state-changing step, so a page that learned nothing but the URL of a
step cannot drive it. The token is a keyed HMAC of the link session token: the server renders it into
the page (and `GET /connect/api/session` returns it for custom UIs), the page sends it back in
`X-CSRF-Token`, and it is compared in constant time. Browsers that say a request is cross-site
(`Sec-Fetch-Site`) are refused before the token is looked at.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from fastapi import Request

from gateway.crypto import derive_key
from gateway.errors import Forbidden
from gateway.state import get_app_state

CSRF_PURPOSE = b"linkgate/connect-csrf/v1"
CSRF_HEADER = "X-CSRF-Token"


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    default_message = "This page is out of date. Reload Connect and try again."


def csrf_token(master_key: str, link_session_token: str) -> str:
    """The CSRF token that goes with one link session token."""
    digest = hmac.new(derive_key(master_key, CSRF_PURPOSE), link_session_token.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def token_for(request: Request, link_session_token: str) -> str:
    return csrf_token(get_app_state(request).auth.master_key, link_session_token)


def require_csrf(request: Request, link_session_token: str) -> None:
    """Refuse a state-changing step that is cross-site or does not carry the session's CSRF token."""
    if request.headers.get("sec-fetch-site", "same-origin") == "cross-site":
        raise CsrfFailed("Connect's steps cannot be sent from another site.")
    presented = request.headers.get(CSRF_HEADER, "")
    expected = token_for(request, link_session_token)
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise CsrfFailed()
