"""Provider accounts are links: add with credentials (201), list, get, refresh (PUT, 200), delete (200)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth.principal import AppPrincipal
from gateway.collections.yodlee.access import (
    USER_READER,
    USER_WRITER,
    json_response,
    no_content,
    token_user_created,
)
from gateway.collections.yodlee.errors import YodleeError, invalid_value, required, resource_not_found
from gateway.collections.yodlee.ids import parse_id, parse_ids
from gateway.collections.yodlee.linking import answer_mfa, link_with_credentials
from gateway.collections.yodlee.providers import provider_institution, provider_numbers
from gateway.collections.yodlee.routing import YodleeRoute
from gateway.collections.yodlee.scope import (
    link_by_id,
    links_by_ids,
    links_of_token,
    rendered_provider_accounts,
)
from gateway.crypto import SecretBox
from gateway.dependencies import DbSession
from gateway.links.repository import link_reader
from gateway.links.service import link_service
from gateway.state import get_app_state
from gateway.text import is_storable
from gateway.upstreams.request_scope import refresh_budget

router = APIRouter(route_class=YodleeRoute, tags=["yodlee"])


class LoginField(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=100)
    value: str = Field(default="", max_length=1000)


class ProviderAccountRequest(BaseModel):
    """The login form's values (`field`); the rest of Yodlee's request is accepted and ignored."""

    model_config = ConfigDict(extra="ignore")

    field: list[LoginField] | None = Field(default=None, max_length=20)


@router.get("/providerAccounts", openapi_extra=USER_READER.openapi)
async def get_all_provider_accounts(
    request: Request,
    session: DbSession,
    provider_ids: Annotated[str | None, Query(alias="providerIds", max_length=1200)] = None,
) -> Response:
    """The user's provider accounts, optionally for some providers only. The description declares no
    400 here: malformed `providerIds` are 404 (Y807)."""
    principal = await USER_READER(request)
    links = await links_of_token(session, principal)
    try:
        wanted = parse_ids(provider_ids, "providerIds")
    except YodleeError as exc:
        raise resource_not_found() from exc
    if wanted is not None:
        numbers = await provider_numbers(session, [link.institution_id for link in links])
        links = [link for link in links if numbers.get(link.institution_id) in wanted]
    return json_response({"providerAccount": await rendered_provider_accounts(session, links)})


@router.post("/providerAccounts", status_code=201, openapi_extra=USER_WRITER.openapi)
async def link_provider_account(
    body: ProviderAccountRequest,
    request: Request,
    session: DbSession,
    provider_id: Annotated[str | None, Query(alias="providerId", max_length=20)] = None,
) -> Response:
    """Log in at a provider with its login form's values; the data is then retrieved in the background."""
    principal = await USER_WRITER(request)
    if provider_id is None or not provider_id.strip():
        raise YodleeError("Y803", "providerId is mandatory")
    institution = await provider_institution(session, parse_id(provider_id, "providerId"))
    values = {field.id: field.value for field in body.field or []}
    if not all(is_storable(v) for v in (*values, *values.values())):
        raise invalid_value("field")
    expected = {field["name"] for field in institution.credential_fields}
    if expected and not expected <= set(values):
        raise required("field")
    user = await token_user_created(session, principal)
    box = SecretBox(get_app_state(request).auth.master_key)
    providers = get_app_state(request).providers
    link = await link_with_credentials(session, box, providers, user, institution, values)
    rendered = await rendered_provider_accounts(session, [link], request_id=_request_id(request))
    return json_response({"providerAccount": rendered}, status_code=201)


@router.put("/providerAccounts", openapi_extra=USER_WRITER.openapi)
async def refresh_provider_accounts(
    request: Request,
    session: DbSession,
    body: ProviderAccountRequest | None = None,
    provider_account_ids: Annotated[str | None, Query(alias="providerAccountIds", max_length=2000)] = None,
) -> Response:
    """Refresh provider accounts (200); each refresh runs as a durable job. With `field`, answer the MFA
    login form of one provider account waiting for it (USER_INPUT_REQUIRED); editing credentials is not
    supported (Y901)."""
    principal = await USER_WRITER(request)
    numbers = parse_ids(provider_account_ids, "providerAccountIds")
    if not numbers:
        raise YodleeError("Y803", "providerAccountIds required")
    if body is not None and body.field:
        if len(numbers) > 1:
            raise YodleeError("Y805", "Multiple providerAccountId not supported for updating credentials")
        return await _answer_mfa(request, session, principal, numbers[0], body.field)
    links = await links_by_ids(session, principal, numbers, "providerAccountIds")
    settings = get_app_state(request).settings
    for link in links:
        if link.state != "connected":
            raise YodleeError("Y400", "This provider account needs the user to log in again before a refresh")
        await link_service.request_manual_refresh(
            session,
            link,
            link.products,
            per_day=settings.refreshes_per_day(principal.app_mode),
            budget=refresh_budget(request, link),
        )
    rendered = await rendered_provider_accounts(session, links, request_id=_request_id(request))
    return json_response({"providerAccount": rendered})


@router.get("/providerAccounts/{providerAccountId}", openapi_extra=USER_READER.openapi)
async def get_provider_account(
    providerAccountId: str,
    request: Request,
    session: DbSession,
) -> Response:
    """One provider account, as an array of one."""
    principal = await USER_READER(request)
    link = await link_by_id(session, principal, parse_id(providerAccountId, "providerAccountId"))
    return json_response({"providerAccount": await rendered_provider_accounts(session, [link])})


@router.delete("/providerAccounts/{providerAccountId}", openapi_extra=USER_WRITER.openapi)
async def delete_provider_account(
    providerAccountId: str,
    request: Request,
    session: DbSession,
) -> Response:
    """Delete a provider account with its accounts, transactions and holdings: 200 without a body, the
    status the description declares (its prose says 204, its responses only 200)."""
    principal = await USER_WRITER(request)
    link = await link_by_id(session, principal, parse_id(providerAccountId, "providerAccountId"))
    await link_service.delete(session, link)
    return no_content(200)


async def _answer_mfa(
    request: Request, session: DbSession, principal: AppPrincipal, number: int, fields: list[LoginField]
) -> Response:
    link = await link_by_id(session, principal, number, "providerAccountIds")
    if link.state != "connecting":
        raise YodleeError("Y901", "Service not supported: update credentials through Connect")
    answers = {field.id: field.value for field in fields}
    if not all(is_storable(v) for v in (*answers, *answers.values())):
        raise invalid_value("field")
    state = get_app_state(request)
    await answer_mfa(session, SecretBox(state.auth.master_key), state.providers, link, answers)
    link = await link_reader.require(session, link.app_id, link.id)
    rendered = await rendered_provider_accounts(session, [link], request_id=_request_id(request))
    return json_response({"providerAccount": rendered})


def _request_id(request: Request) -> str | None:
    value = request.scope.get("state", {}).get("request_id")
    return str(value) if value is not None else None
