"""`/v1/dashboard`: developer accounts, apps, API keys and organizations (dashboard sessions only)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request, Response

from gateway.auth.client_address import client_address
from gateway.auth.dependencies import DASHBOARD, SecuredRoute, caller_address
from gateway.collections.ids import parse_id, parse_key
from gateway.collections.routing import CollectionRouter
from gateway.dependencies import DbSession
from gateway.developers.api_keys import api_key_service
from gateway.developers.audit import audit_log, field_changes, secret
from gateway.developers.organizations import organization_service
from gateway.developers.schemas import (
    AppCreate,
    AppList,
    AppOut,
    KeyCreate,
    KeyCreated,
    KeyList,
    KeyOut,
    LoginRequest,
    OrganizationCreate,
    OrganizationList,
    OrganizationOut,
    SessionToken,
    SignupRequest,
    SignupResponse,
)
from gateway.developers.service import developer_service
from gateway.models.audit import AuditAction
from gateway.models.base import utcnow
from gateway.models.developer import ApiKey, App, Organization
from gateway.pagination import Page
from gateway.state import get_app_state
from gateway.webhooks.schemas import RotateWebhookSecret, WebhookSecretOut
from gateway.webhooks.secrets import SigningSecrets, webhook_secrets

router = CollectionRouter(prefix="/v1/dashboard", tags=["dashboard"], route_class=SecuredRoute)


def _app_out(app: App) -> AppOut:
    return AppOut(app_id=app.id, name=app.name, mode=app.mode, created_at=app.created_at)


def _key_out(key: ApiKey) -> KeyOut:
    return KeyOut(
        client_id=key.client_id,
        name=key.name,
        scopes=key.scopes,
        created_at=key.created_at,
        revoked_at=key.revoked_at,
    )


def _organization_out(organization: Organization) -> OrganizationOut:
    return OrganizationOut(id=organization.key, name=organization.name, created_at=organization.created_at)


@router.post("/signup", status_code=201, response_model=SignupResponse)
async def signup(body: SignupRequest, request: Request, session: DbSession) -> SignupResponse:
    """Create a developer account. Passwords are stored as argon2id hashes."""
    await get_app_state(request).auth.throttle.signup(caller_address(request))
    developer = await developer_service.signup(
        session, email=body.email, password=body.password, name=body.name
    )
    return SignupResponse(developer_id=developer.id, email=developer.email, name=developer.name)


@router.post("/login", response_model=SessionToken)
async def login(body: LoginRequest, request: Request, response: Response, session: DbSession) -> SessionToken:
    """Exchange email and password for a dashboard session token (usable only on `/v1/dashboard`)."""
    state = get_app_state(request)
    address = client_address(request, state.trusted_proxies)
    developer = await developer_service.login(
        session,
        state.rate_limiter,
        state.settings,
        email=body.email,
        password=body.password,
        client_address=str(address),
    )
    token, expires_in = await state.auth.issue_dashboard_session(developer.id)
    response.headers["Cache-Control"] = "no-store"
    return SessionToken(token=token, expires_in=expires_in)


@router.post("/apps", status_code=201, response_model=AppOut, openapi_extra=DASHBOARD.openapi)
async def create_app(request: Request, body: AppCreate, session: DbSession) -> AppOut:
    """Create an app. Its mode (`sandbox` or `live`) is fixed for life."""
    developer = await DASHBOARD(request)
    app = await developer_service.create_app(
        session, developer_id=developer.developer_id, name=body.name, mode=body.mode
    )
    actor = await audit_log.developer(session, developer.developer_id)
    changes = field_changes({}, {"name": app.name, "mode": app.mode})
    await audit_log.record(session, actor, app.id, AuditAction.app_created, changes=changes)
    return _app_out(app)


@router.get("/apps", response_model=AppList, openapi_extra=DASHBOARD.openapi)
async def list_apps(request: Request, session: DbSession, page: Page) -> AppList:
    """The developer's apps, oldest first."""
    developer = await DASHBOARD(request)
    apps, total = await developer_service.list_apps(
        session, developer.developer_id, offset=page.offset, limit=page.per_page
    )
    return AppList(apps=[_app_out(app) for app in apps], pagination=page.describe(total))


@router.get("/apps/{app_id}", response_model=AppOut, openapi_extra=DASHBOARD.openapi)
async def get_app(request: Request, app_id: str, session: DbSession) -> AppOut:
    developer = await DASHBOARD(request)
    return _app_out(await developer_service.get_app(session, developer.developer_id, parse_id(app_id, "app")))


@router.post(
    "/apps/{app_id}/keys", status_code=201, response_model=KeyCreated, openapi_extra=DASHBOARD.openapi
)
async def create_key(app_id: str, body: KeyCreate, request: Request, session: DbSession) -> KeyCreated:
    """Issue an API key. The secret appears in this response only; keep several keys to rotate."""
    developer = await DASHBOARD(request)
    app = await developer_service.get_app(session, developer.developer_id, parse_id(app_id, "app"))
    issued = await api_key_service.issue(
        session,
        app_id=app.id,
        name=body.name,
        master_key=get_app_state(request).auth.master_key,
        scopes=[scope.value for scope in body.scopes] if body.scopes else None,
    )
    created = {"name": issued.row.name, "scopes": issued.row.scopes, "client_secret": issued.client_secret}
    await audit_log.record(
        session, await audit_log.developer(session, developer.developer_id), app.id,
        AuditAction.key_created, subject=issued.client_id,
        changes=field_changes({}, created, {"client_secret": secret}),
    )  # fmt: skip
    return KeyCreated(
        client_id=issued.client_id,
        client_secret=issued.client_secret,
        name=issued.row.name,
        scopes=issued.row.scopes,
        created_at=issued.row.created_at,
    )


@router.get("/apps/{app_id}/keys", response_model=KeyList, openapi_extra=DASHBOARD.openapi)
async def list_keys(request: Request, app_id: str, session: DbSession) -> KeyList:
    """The app's API keys, revoked ones included; secrets are never shown again."""
    developer = await DASHBOARD(request)
    app = await developer_service.get_app(session, developer.developer_id, parse_id(app_id, "app"))
    keys = await api_key_service.list(session, developer.developer_id, app.id)
    return KeyList(keys=[_key_out(key) for key in keys])


@router.delete("/apps/{app_id}/keys/{client_id}", status_code=204, openapi_extra=DASHBOARD.openapi)
async def revoke_key(app_id: str, client_id: str, request: Request, session: DbSession) -> None:
    """Revoke a key: it and every token minted from it stop working within a minute."""
    developer = await DASHBOARD(request)
    app_uuid, key = parse_id(app_id, "app"), parse_key(client_id, "API key")
    revoked_at = await api_key_service.revoke(session, developer.developer_id, app_uuid, key)
    await audit_log.record(
        session, await audit_log.developer(session, developer.developer_id), app_uuid,
        AuditAction.key_revoked, subject=key, changes=field_changes({}, {"revoked_at": revoked_at}),
    )  # fmt: skip
    get_app_state(request).auth.forget_clients()


@router.post(
    "/apps/{app_id}/organizations",
    status_code=201,
    response_model=OrganizationOut,
    openapi_extra=DASHBOARD.openapi,
)
async def create_organization(
    request: Request, app_id: str, body: OrganizationCreate, session: DbSession
) -> OrganizationOut:
    """Let the app see an organization; item and user tokens may then name it."""
    developer = await DASHBOARD(request)
    app = await developer_service.get_app(session, developer.developer_id, parse_id(app_id, "app"))
    organization = await organization_service.create(session, app_id=app.id, key=body.id, name=body.name)
    await audit_log.record(
        session, await audit_log.developer(session, developer.developer_id), app.id,
        AuditAction.organization_created, subject=organization.key, organization=organization.key,
        changes=field_changes({}, {"name": organization.name}),
    )  # fmt: skip
    return _organization_out(organization)


@router.get("/apps/{app_id}/organizations", response_model=OrganizationList, openapi_extra=DASHBOARD.openapi)
async def list_organizations(request: Request, app_id: str, session: DbSession) -> OrganizationList:
    developer = await DASHBOARD(request)
    app = await developer_service.get_app(session, developer.developer_id, parse_id(app_id, "app"))
    organizations = await organization_service.list(session, app.id)
    return OrganizationList(organizations=[_organization_out(o) for o in organizations])


@router.delete(
    "/apps/{app_id}/organizations/{organization_id}", status_code=204, openapi_extra=DASHBOARD.openapi
)
async def delete_organization(
    request: Request, app_id: str, organization_id: str, session: DbSession
) -> None:
    """Stop seeing an organization. The `default` organization always stays."""
    developer = await DASHBOARD(request)
    app = await developer_service.get_app(session, developer.developer_id, parse_id(app_id, "app"))
    key = parse_key(organization_id, "organization")
    name = await organization_service.delete(session, app_id=app.id, key=key)
    await audit_log.record(
        session, await audit_log.developer(session, developer.developer_id), app.id,
        AuditAction.organization_deleted, subject=key, organization=key,
        changes=field_changes({"name": name}, {}),
    )  # fmt: skip


@router.get("/apps/{app_id}/webhook-secret", response_model=WebhookSecretOut, openapi_extra=DASHBOARD.openapi)
async def get_webhook_secret(app_id: str, request: Request, session: DbSession) -> WebhookSecretOut:
    """The secret this app's webhooks are signed with (Standard Webhooks `webhook-signature`, `v1`)."""
    developer = await DASHBOARD(request)
    app = await developer_service.get_app(session, developer.developer_id, parse_id(app_id, "app"))
    box = get_app_state(request).auth.box
    return _secret_out(await webhook_secrets.get(session, box, app.id))


@router.post(
    "/apps/{app_id}/webhook-secret/rotate", response_model=WebhookSecretOut, openapi_extra=DASHBOARD.openapi
)
async def rotate_webhook_secret(
    app_id: str, request: Request, session: DbSession, body: RotateWebhookSecret | None = None
) -> WebhookSecretOut:
    """A new signing secret. The old one keeps signing alongside it for `grace_period_s` (default a day),
    so receivers can switch without missing a webhook."""
    developer = await DASHBOARD(request)
    app = await developer_service.get_app(session, developer.developer_id, parse_id(app_id, "app"))
    box = get_app_state(request).auth.box
    grace = timedelta(seconds=(body or RotateWebhookSecret()).grace_period_s)
    secrets = await webhook_secrets.rotate(session, box, app.id, grace)
    await audit_log.record(
        session, await audit_log.developer(session, developer.developer_id), app.id,
        AuditAction.webhook_secret_rotated,
        changes=field_changes(
            {"webhook_secret": secrets.previous}, {"webhook_secret": secrets.current},
            {"webhook_secret": secret},
        ),
    )  # fmt: skip
    return _secret_out(secrets)


def _secret_out(secrets: SigningSecrets) -> WebhookSecretOut:
    expires = secrets.previous_expires_at
    live = expires if expires is not None and expires > utcnow() else None
    return WebhookSecretOut(secret=secrets.current, previous_secret_expires_at=live)
