"""`linkgate keys rotate`: new tokens get the new key; tokens signed by the old one keep working."""

from __future__ import annotations

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
