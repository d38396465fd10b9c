"""Client credentials sent as HTTP Basic (`client_id:client_secret`), as token endpoints accept them."""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request

from gateway.errors import InvalidCredentials

BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="linkgate"'}


def basic_client_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, separator, secret = (
            base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        )
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCredentials(
            "The Basic credentials are not valid base64.", headers=dict(BASIC_CHALLENGE)
        ) from exc
    if not separator or not client_id or not secret:
        raise InvalidCredentials(
            "Basic credentials are client_id:client_secret.", headers=dict(BASIC_CHALLENGE)
        )
    return client_id, secret
