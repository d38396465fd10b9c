"""`/webhook_verification_key/get`: the public key a `Plaid-Verification` JWT names by `kid`.

Keys stay retrievable after rotation, with `expired_at` set, so webhooks already sent still verify.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field

from gateway.auth.signing_keys import signing_key_by_kid
from gateway.collections.plaid.auth import READER
from gateway.collections.plaid.errors import plaid_error
from gateway.collections.plaid.requests import PlaidRequest
from gateway.collections.plaid.routing import PlaidRoute, plaid_response
from gateway.dependencies import DbSession

router = APIRouter(route_class=PlaidRoute, tags=["plaid"])

InvalidKeyId = plaid_error(400, "INVALID_INPUT", "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
                           "no webhook verification key has this key_id")  # fmt: skip


class WebhookVerificationKeyGetRequest(PlaidRequest):
    key_id: str = Field(min_length=1, max_length=64)


@router.post("/webhook_verification_key/get", openapi_extra=READER.openapi)
async def webhook_verification_key_get(
    body: WebhookVerificationKeyGetRequest, request: Request, session: DbSession
) -> Response:
    await READER(request, body)
    key = await signing_key_by_kid(session, body.key_id)
    if key is None:
        raise InvalidKeyId()
    jwk = key.public_jwk
    expired_at = int(key.retired_at.timestamp()) if key.status != "active" and key.retired_at else None
    return plaid_response({"key": {
        "alg": "ES256", "crv": jwk["crv"], "kid": key.kid, "kty": jwk["kty"], "use": "sig",
        "x": jwk["x"], "y": jwk["y"], "created_at": int(key.created_at.timestamp()), "expired_at": expired_at,
    }})  # fmt: skip
