"""Connect's handoff steps refuse what they cannot use: no session, no CSRF token, a malformed or
oversized token, a token for a login institution, another provider's callback; nothing moves on."""

from __future__ import annotations

import uuid

import httpx

from tests.integration.platform.conftest import Tenant


async def opened(client: httpx.AsyncClient, tenant: Tenant, institution_id: str) -> dict[str, str]:
    """A link session at `institution_id`, as the headers Connect's page sends its steps with."""
    body = {"customer_user": {"id": uuid.uuid4().hex}, "institution_id": institution_id}
    made = await client.post("/v1/moneykit/link-session", json=body, headers=await tenant.bearer())
    assert made.status_code == 201, made.text
    token = made.json()["link_session_token"]
    session = await client.get("/connect/api/session", headers={"link-session-token": token})
    return {"link-session-token": token, "x-csrf-token": session.json()["csrf_token"]}


async def state_of(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    session = await client.get(
        "/connect/api/session", headers={"link-session-token": headers["link-session-token"]}
    )
    state: str = session.json()["state"]
    return state


async def test_the_token_step_refuses_bad_requests(client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = await opened(client, tenant, "simplefin_bridge")
    url = "/connect/api/session/token"
    no_csrf = {"link-session-token": headers["link-session-token"]}
    refused = [
        (await client.post(url, json={"token": "x"}), 401, "unauthenticated"),
        (await client.post(url, json={"token": "x"}, headers=no_csrf), 403, "csrf_failed"),
        (await client.post(url, json={"token": ""}, headers=headers), 422, "validation_failed"),
        (await client.post(url, json={"token": "a" * 2049}, headers=headers), 422, "validation_failed"),
        (await client.post(url, json={"setup": "x"}, headers=headers), 422, "validation_failed"),
        (await client.post(url, json={"token": "not base64!"}, headers=headers), 400, "user_input_incorrect"),
    ]  # fmt: skip
    for response, status, code in refused:
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.text
    assert await state_of(client, headers) == "institution_selected"


async def test_a_token_for_a_login_institution_is_refused(client: httpx.AsyncClient, tenant: Tenant) -> None:
    headers = await opened(client, tenant, "credentials_bank")
    pasted = await client.post("/connect/api/session/token", json={"token": "abc"}, headers=headers)
    assert pasted.status_code == 400
    assert pasted.json()["error"]["message"] == "Credentials Bank is not linked with a token."
    handoff = await client.post("/connect/api/session/handoff", headers=headers)
    assert handoff.json()["handoff"]["kind"] == "credentials"
    assert await state_of(client, headers) == "institution_selected"


async def test_another_providers_callback_gets_a_page_and_changes_nothing(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    headers = await opened(client, tenant, "oauth_bank")
    begun = await client.post("/connect/api/session/handoff", headers=headers)
    assert begun.json()["handoff"]["kind"] == "redirect"
    state = httpx.URL(begun.json()["handoff"]["url"]).params["state"]
    elsewhere = await client.get("/connect/callback/simplefin", params={"state": state, "consent": "granted"})
    assert elsewhere.status_code == 409
    assert elsewhere.headers["content-type"].startswith("text/html")
    assert "was not waiting for" in elsewhere.text
    assert await state_of(client, headers) == "institution_selected"
    back = await client.get("/connect/callback/sandbox", params={"state": state, "consent": "granted"})
    assert back.status_code == 200
    assert await state_of(client, headers) == "choosing_accounts"
