"""MX members (our links): create with credentials, list, read, update (new credentials), delete,
status, challenges, resume (answering MFA), credentials, and the jobs: aggregate, verify, identify,
check_balance and extend_history.

Creating a member, or updating its credentials, runs Connect's state machine server-side
(gateway.links.direct): MX Bank and the sandbox banks connect, ask for MFA (`CHALLENGED`, answered
through `resume`) or refuse (`DENIED`). Each job is a refresh of the products it names.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from formats.mx import render
from gateway.auth.principal import AppPrincipal
from gateway.collections.mx.access import accessible_member, accessible_user, readable_user
from gateway.collections.mx.auth import MX_READER, MX_WRITER
from gateway.collections.mx.responses import PageParam, RecordsPerPage, listed, mx_response, page_of, per_page
from gateway.collections.mx.routing import MxRoute
from gateway.crypto import SecretBox
from gateway.dependencies import DbSession
from gateway.developers.schemas import BodyPart, StorableInput
from gateway.errors import Conflict, InvalidRequest, NotFound, RateLimited
from gateway.institutions.catalog import IMPORTED_PROVIDER, get_institution
from gateway.links.direct import (
    answer_direct_challenge,
    pending_challenge,
    start_direct_link,
    update_direct_credentials,
)
from gateway.links.readable import undeleted_links_page
from gateway.links.repository import link_reader, refresh_in_progress
from gateway.links.service import link_service
from gateway.models.end_user import EndUser
from gateway.models.institution import Institution
from gateway.models.link import Link
from gateway.state import get_app_state
from gateway.upstreams.request_scope import refresh_budget
from providers.base import Product
from providers.registry import ProviderRegistry

router = APIRouter(route_class=MxRoute, tags=["mx"])

ALL_PRODUCTS = [product.value for product in Product]


class CredentialValue(BodyPart):
    model_config = ConfigDict(extra="ignore")
    guid: str = Field(min_length=1, max_length=100)
    value: str = Field(max_length=1000)


class MemberFields(BodyPart):
    model_config = ConfigDict(extra="ignore")
    credentials: list[CredentialValue] = Field(max_length=20)
    institution_code: str = Field(min_length=1, max_length=64)


class MemberCreateRequest(StorableInput):
    model_config = ConfigDict(extra="ignore")
    member: MemberFields


class MemberUpdateFields(BodyPart):
    """What updateMember may carry. Only `credentials` is stored; the rest is accepted and not kept, as
    on create (Linkgate keeps no member id, metadata or use cases)."""

    model_config = ConfigDict(extra="ignore")
    credentials: list[CredentialValue] | None = Field(default=None, min_length=1, max_length=20)
    id: str | None = Field(default=None, max_length=255)
    metadata: str | None = Field(default=None, max_length=4096)
    background_aggregation_is_disabled: bool | None = None
    skip_aggregation: bool | None = None
    use_cases: list[Literal["MONEY_MOVEMENT", "PFM"]] | None = Field(default=None, max_length=2)


class MemberUpdateRequest(StorableInput):
    model_config = ConfigDict(extra="ignore")
    member: MemberUpdateFields


class ResumeFields(BodyPart):
    model_config = ConfigDict(extra="ignore")
    challenges: list[CredentialValue] = Field(min_length=1, max_length=20)


class ResumeRequest(StorableInput):
    model_config = ConfigDict(extra="ignore")
    member: ResumeFields


class InstitutionNotFound(NotFound):
    default_message = "Institution not found."


async def member_state(session: AsyncSession, link: Link) -> tuple[render.MemberState, dict[str, Any] | None]:
    """The member's MX status and aggregation flag, and the challenge waiting for an answer, if any."""
    pending = await pending_challenge(session, link)
    status = render.connection_status(link, challenged=pending is not None)
    aggregating = link.state == "connected" and await refresh_in_progress(session, link.app_id, link.id)
    return render.MemberState(status, aggregating), pending


async def rendered_member(session: AsyncSession, link: Link, user: EndUser) -> dict[str, Any]:
    state, _ = await member_state(session, link)
    return render.member(link, await _institution(session, link), user.guid, user.external_id, state)


async def _institution(session: AsyncSession, link: Link) -> Institution:
    institution = await get_institution(session, link.institution_id)
    assert institution is not None
    return institution


def _box(request: Request) -> SecretBox:
    return SecretBox(get_app_state(request).auth.master_key)


def _providers(request: Request) -> ProviderRegistry:
    return get_app_state(request).providers


def _linkable_with_credentials(institution: Institution | None) -> Institution:
    if institution is None or institution.provider == IMPORTED_PROVIDER:
        raise InstitutionNotFound()
    if institution.is_oauth:
        raise InvalidRequest("OAuth institutions connect through the connect widget, not with credentials.")
    return institution


def _credentials(institution: Institution, given: list[CredentialValue]) -> dict[str, str]:
    """MX credential guids back to the institution's field names; an unknown guid is bad input."""
    by_guid = {render.credential_guid(institution.id, str(f["name"])): str(f["name"])
               for f in institution.credential_fields}  # fmt: skip
    unknown = [c.guid for c in given if c.guid not in by_guid]
    if unknown:
        raise InvalidRequest(f"Unknown credential guid(s) for {institution.id}: {', '.join(unknown)}.")
    return {by_guid[c.guid]: c.value for c in given}


async def _member_of(session: AsyncSession, principal: AppPrincipal, user_guid: str,
                     member_guid: str) -> tuple[EndUser, Link]:  # fmt: skip
    user = await accessible_user(session, principal, user_guid)
    return user, await accessible_member(session, principal, user, member_guid)


@router.post("/users/{user_guid}/members", status_code=202, openapi_extra=MX_WRITER.openapi)
async def create_member(
    user_guid: str, body: MemberCreateRequest, request: Request, session: DbSession
) -> Response:
    """createMember: 202; the member is CONNECTED (and aggregating), CHALLENGED, or DENIED/FAILED."""
    principal = await MX_WRITER(request)
    user = await accessible_user(session, principal, user_guid)
    institution = _linkable_with_credentials(await get_institution(session, body.member.institution_code))
    link = await start_direct_link(
        session, _box(request), _providers(request), app_id=principal.app_id, end_user_id=user.id,
        institution=institution,
        credentials=_credentials(institution, body.member.credentials), products=ALL_PRODUCTS,
        organization=principal.organization,
    )  # fmt: skip
    link = await link_reader.require(session, principal.app_id, link.id)
    return mx_response({"member": await rendered_member(session, link, user)}, 202)


@router.get("/users/{user_guid}/members", openapi_extra=MX_READER.openapi)
async def list_members(
    user_guid: str, request: Request, session: DbSession, page: PageParam = 1,
    records_per_page: RecordsPerPage = None,
) -> Response:  # fmt: skip
    principal, user = await readable_user(request, session, user_guid)
    size = per_page(records_per_page)
    links, total = await undeleted_links_page(
        session, principal, user.id, offset=(page - 1) * size, limit=size
    )
    members = [await rendered_member(session, link, user) for link in links]
    return listed("members", members, page, size, total)


@router.get("/users/{user_guid}/members/{member_guid}", openapi_extra=MX_READER.openapi)
async def read_member(user_guid: str, member_guid: str, request: Request, session: DbSession) -> Response:
    principal = await MX_READER(request)
    user, link = await _member_of(session, principal, user_guid, member_guid)
    return mx_response({"member": await rendered_member(session, link, user)})


@router.put("/users/{user_guid}/members/{member_guid}", openapi_extra=MX_WRITER.openapi)
async def update_member(
    user_guid: str, member_guid: str, body: MemberUpdateRequest, request: Request, session: DbSession
) -> Response:
    """updateMember: 200. New credentials are tried at once, as on create: the member is CONNECTED (and
    aggregating again), CHALLENGED, or DENIED. A body that sets nothing is a 400."""
    principal = await MX_WRITER(request)
    user, link = await _member_of(session, principal, user_guid, member_guid)
    given = body.member.model_fields_set
    if not given:
        raise InvalidRequest("Give at least one member field to update.")
    if body.member.credentials is not None:
        institution = _linkable_with_credentials(await _institution(session, link))
        credentials = _credentials(institution, body.member.credentials)
        link = await link_reader.require(session, link.app_id, link.id, for_update=True)
        await update_direct_credentials(session, _box(request), _providers(request), link, credentials)
        link = await link_reader.require(session, link.app_id, link.id)
    return mx_response({"member": await rendered_member(session, link, user)})


@router.delete("/users/{user_guid}/members/{member_guid}", status_code=204, openapi_extra=MX_WRITER.openapi)
async def delete_member(user_guid: str, member_guid: str, request: Request, session: DbSession) -> Response:
    """deleteMember: the link is disconnected and its data erased; 204."""
    principal = await MX_WRITER(request)
    _, link = await _member_of(session, principal, user_guid, member_guid)
    await link_service.delete(
        session, await link_reader.require(session, link.app_id, link.id, for_update=True)
    )
    return mx_response(None, 204)


async def _start_job(
    request: Request, session: AsyncSession, user_guid: str, member_guid: str, products: Sequence[str],
    status_code: int,
) -> Response:  # fmt: skip
    """Refresh `products` of a CONNECTED member (every granted one when empty) and answer the member.

    A refresh already under way, or one asked for too often today, is not repeated (MX answers
    alike for both); a member in any other state is a 409."""
    principal = await MX_WRITER(request)
    user, link = await _member_of(session, principal, user_guid, member_guid)
    if link.state != "connected":
        raise Conflict("Only a CONNECTED member runs jobs; resume it or update its credentials first.")
    missing = [product for product in products if product not in link.products]
    if missing:
        raise Conflict(f"This member was not granted {', '.join(missing)}.")
    if not await refresh_in_progress(session, link.app_id, link.id):
        per_day = get_app_state(request).settings.refreshes_per_day(principal.app_mode)
        with suppress(RateLimited):
            await link_service.request_manual_refresh(
                session,
                link,
                products or link.products,
                per_day=per_day,
                budget=refresh_budget(request, link),
            )
    return mx_response({"member": await rendered_member(session, link, user)}, status_code)


@router.post("/users/{user_guid}/members/{member_guid}/aggregate", status_code=202,
             openapi_extra=MX_WRITER.openapi)  # fmt: skip
async def aggregate_member(
    user_guid: str, member_guid: str, request: Request, session: DbSession
) -> Response:
    """aggregateMember: 202; every product the member was granted is refreshed."""
    return await _start_job(request, session, user_guid, member_guid, (), 202)


@router.post("/users/{user_guid}/members/{member_guid}/verify", openapi_extra=MX_WRITER.openapi)
async def verify_member(user_guid: str, member_guid: str, request: Request, session: DbSession) -> Response:
    """verifyMember: 200 (as the description maps it); account numbers are fetched again."""
    return await _start_job(request, session, user_guid, member_guid, [Product.account_numbers.value], 200)


@router.post("/users/{user_guid}/members/{member_guid}/identify", status_code=202,
             openapi_extra=MX_WRITER.openapi)  # fmt: skip
async def identify_member(user_guid: str, member_guid: str, request: Request, session: DbSession) -> Response:
    """identifyMember: 202; account owners are fetched again."""
    return await _start_job(request, session, user_guid, member_guid, [Product.identity.value], 202)


@router.post("/users/{user_guid}/members/{member_guid}/check_balance", status_code=202,
             openapi_extra=MX_WRITER.openapi)  # fmt: skip
async def check_balances(user_guid: str, member_guid: str, request: Request, session: DbSession) -> Response:
    """checkBalances: 202; accounts and their balances only, no transactions."""
    return await _start_job(request, session, user_guid, member_guid, [Product.accounts.value], 202)


@router.post("/users/{user_guid}/members/{member_guid}/extend_history", status_code=202,
             openapi_extra=MX_WRITER.openapi)  # fmt: skip
async def extend_history(user_guid: str, member_guid: str, request: Request, session: DbSession) -> Response:
    """extendHistory: 202; transactions are fetched again, as far back as the provider keeps them (the
    sandbox's whole generated history)."""
    return await _start_job(request, session, user_guid, member_guid, [Product.transactions.value], 202)


@router.get("/users/{user_guid}/members/{member_guid}/status", openapi_extra=MX_READER.openapi)
async def read_member_status(
    user_guid: str, member_guid: str, request: Request, session: DbSession
) -> Response:
    principal = await MX_READER(request)
    _, link = await _member_of(session, principal, user_guid, member_guid)
    state, pending = await member_state(session, link)
    return mx_response({"member": render.member_status(link, state, pending)})


@router.get("/users/{user_guid}/members/{member_guid}/challenges", openapi_extra=MX_READER.openapi)
async def list_member_challenges(
    user_guid: str, member_guid: str, request: Request, session: DbSession, page: PageParam = 1,
    records_per_page: RecordsPerPage = None,
) -> Response:  # fmt: skip
    principal = await MX_READER(request)
    _, link = await _member_of(session, principal, user_guid, member_guid)
    challenges = render.challenges(await pending_challenge(session, link))
    return page_of("challenges", challenges, page, per_page(records_per_page))


@router.put(
    "/users/{user_guid}/members/{member_guid}/resume", status_code=202, openapi_extra=MX_WRITER.openapi
)
async def resume_aggregation(
    user_guid: str, member_guid: str, body: ResumeRequest, request: Request, session: DbSession
) -> Response:
    """resumeAggregation: answer the member's challenges; 202, and the member is CONNECTED, CHALLENGED
    again, or REJECTED. A member with no challenge pending is a 409."""
    principal = await MX_WRITER(request)
    user, link = await _member_of(session, principal, user_guid, member_guid)
    answers = {c.guid.removeprefix("CRD-"): c.value for c in body.member.challenges}
    await answer_direct_challenge(session, _box(request), _providers(request), link, answers)
    link = await link_reader.require(session, link.app_id, link.id)
    return mx_response({"member": await rendered_member(session, link, user)}, 202)


@router.get("/users/{user_guid}/members/{member_guid}/credentials", openapi_extra=MX_READER.openapi)
async def list_member_credentials(
    user_guid: str, member_guid: str, request: Request, session: DbSession, page: PageParam = 1,
    records_per_page: RecordsPerPage = None,
) -> Response:  # fmt: skip
    principal = await MX_READER(request)
    _, link = await _member_of(session, principal, user_guid, member_guid)
    return page_of(
        "credentials", render.credentials(await _institution(session, link)), page, per_page(records_per_page)
    )
