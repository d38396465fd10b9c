"""`linkgate keys rotate`: new tokens get the new key; tokens signed by the old one keep working."""

from __future__ import annotations

import json

import jwt

from gateway.app import create_app
from tests.integration.platform.conftest import Tenant, gateway_settings
from tests.support.asgi import serving
from tests.support.processes import PROJECT_ROOT, LinkgateProcess


async def test_rotation_keeps_old_tokens_valid(
    client, tenant: Tenant, settings, process_env, logs_dir
) -> None:
    old_token = await tenant.token()
    old_kid = jwt.get_unverified_header(old_token)["kid"]

    rotate = LinkgateProcess(["keys", "rotate"], process_env, PROJECT_ROOT, logs_dir / "rotate.log")
    assert rotate.process.wait(timeout=60) == 0, rotate.output()
    assert "is active" in rotate.output()

    # Another API process started after the rotation signs with the new key.
    fresh = create_app(gateway_settings(settings))
    async with serving(fresh) as other_process:
        new_token = (
            await other_process.post(
                "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": tenant.client_id,
                    "client_secret": tenant.client_secret,
                },
            )  # fmt: skip
        ).json()["token"]
        published = {k["kid"] for k in (await other_process.get("/.well-known/jwks.json")).json()["keys"]}
        assert (
            await other_process.get("/v1/developer/token", headers={"authorization": f"Bearer {old_token}"})
        ).status_code == 200

    new_kid = jwt.get_unverified_header(new_token)["kid"]
    assert new_kid != old_kid
    assert {old_kid, new_kid} <= published
    # The original process meets the new kid, reloads its key ring once, and accepts both.
    for token in (old_token, new_token):
        response = await client.get("/v1/developer/token", headers={"authorization": f"Bearer {token}"})
        assert response.status_code == 200


async def test_made_up_kids_reload_the_key_ring_at_most_once_a_second(app, client, tenant: Tenant) -> None:
    token = await tenant.token()
    header, payload, signature = token.split(".")
    forged_header = jwt.utils.base64url_encode(
        json.dumps(jwt.get_unverified_header(token) | {"kid": "made-up"}).encode()
    ).decode()
    forged = f"{forged_header}.{payload}.{signature}"
    auth = app.state.linkgate.auth
    reloads = 0
    original = auth.reload_ring

    async def counting_reload() -> None:
        nonlocal reloads
        reloads += 1
        await original()

    auth.reload_ring = counting_reload
    for _ in range(5):
        response = await client.get("/v1/developer/token", headers={"authorization": f"Bearer {forged}"})
        assert response.status_code == 401
    assert reloads == 1
    # The genuine token still works without another reload.
    response = await client.get("/v1/developer/token", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert reloads == 1
