"""The developer's view of their links: provider, state and the last refresh with its error."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import update

from gateway.models.link import Link
from gateway.models.refresh import RefreshJob
from tests.integration.platform.conftest import Tenant, sandbox_link


async def test_a_link_shows_its_provider_and_its_last_refresh_with_the_error(
    client: httpx.AsyncClient, tenant: Tenant, database
) -> None:
    customer = uuid.uuid4().hex
    link_id = await sandbox_link(client, tenant, customer)
    await sandbox_link(client, tenant, uuid.uuid4().hex)  # another end user's
    url = f"/v1/dashboard/apps/{tenant.app_id}/links"
    shown = await client.get(f"{url}/{link_id}", headers=tenant.dashboard)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert (body["provider"], body["institution_name"], body["end_user_id"]) == (
        "sandbox", "Credentials Bank", customer
    )  # fmt: skip
    assert body["last_refresh"]["trigger"] == "initial"

    async with database.unit_of_work() as session:
        await session.execute(
            update(RefreshJob)
            .where(RefreshJob.link_id == uuid.UUID(link_id))
            .values(status="failed", last_error="provider error: the bank is down")
        )
        link = await session.get(Link, uuid.UUID(link_id))
        assert link is not None
        link.product_status = {"transactions": {"account_errors": {"acc-1": "institution_error"}}}
    listed = await client.get(url, params={"end_user_id": customer}, headers=tenant.dashboard)
    assert listed.status_code == 200, listed.text
    (only,) = listed.json()["links"]
    assert only["last_refresh"]["status"] == "failed"
    assert only["last_refresh"]["error"] == "provider error: the bank is down"
    assert only["account_errors"] == {"acc-1": "institution_error"}
    assert listed.json()["pagination"]["total_entries"] == 1
    everyone = await client.get(url, headers=tenant.dashboard)
    assert everyone.json()["pagination"]["total_entries"] == 2


async def test_another_developers_links_answer_like_missing_ones(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = await sandbox_link(client, other_tenant, uuid.uuid4().hex)
    missing = str(uuid.uuid4())
    mine = f"/v1/dashboard/apps/{tenant.app_id}/links"
    their_app = f"/v1/dashboard/apps/{other_tenant.app_id}/links"
    not_theirs = await client.get(f"{mine}/{theirs}", headers=tenant.dashboard)
    not_anyones = await client.get(f"{mine}/{missing}", headers=tenant.dashboard)
    assert (not_theirs.status_code, not_theirs.json()["error"]) == (404, not_anyones.json()["error"])
    malformed = await client.get(f"{mine}/not-a-link", headers=tenant.dashboard)
    assert (malformed.status_code, malformed.json()["error"]) == (404, not_anyones.json()["error"])
    for path in (their_app, f"{their_app}/{theirs}"):
        refused = await client.get(path, headers=tenant.dashboard)
        absent = await client.get(path.replace(other_tenant.app_id, missing), headers=tenant.dashboard)
        assert (refused.status_code, refused.json()["error"]) == (404, absent.json()["error"])
