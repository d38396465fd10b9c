"""Where Connect may send the end user back to: the app's redirect URI, checked when a session is made."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator

# Schemes a browser would run or read locally instead of navigating to an app.
REFUSED_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "blob", "about"})
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def check_redirect_uri(value: str) -> str:
    """An https URL, http on loopback for local development, or a mobile app's own scheme (`myapp://`)."""
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if not scheme or scheme in REFUSED_SCHEMES:
        raise ValueError("redirect_uri must be an https URL or an app's own URL scheme")
    if scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError("redirect_uri must use https (http only for localhost)")
    if scheme in ("http", "https") and not parts.hostname:
        raise ValueError("redirect_uri must name a host")
    if any(c.isspace() for c in value):
        raise ValueError("redirect_uri must not contain whitespace")
    return value


RedirectUri = Annotated[str, AfterValidator(check_redirect_uri)]
