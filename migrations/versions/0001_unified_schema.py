"""unified schema

Revision ID: 0001_unified_schema
Revises:
Create Date: 2026-11-21 07:17:41.173117
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_unified_schema"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def money() -> sa.types.TypeEngine[Decimal]:
    """NUMERIC(19, 4); exact decimal text on SQLite (see gateway.models.base.ExactDecimal)."""
    return sa.Numeric(19, 4).with_variant(sa.String(21), "sqlite")


def quantity() -> sa.types.TypeEngine[Decimal]:
    """NUMERIC(28, 10); exact decimal text on SQLite."""
    return sa.Numeric(28, 10).with_variant(sa.String(30), "sqlite")


def json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "developers",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_developers")),
        sa.UniqueConstraint("email", name=op.f("uq_developers_email")),
    )
    op.create_table(
        "institutions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("provider_institution_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("color", sa.String(length=16), nullable=True),
        sa.Column("logo_url", sa.String(length=2048), nullable=True),
        sa.Column("country_codes", json(), nullable=False),
        sa.Column("products", json(), nullable=False),
        sa.Column("credential_fields", json(), nullable=False),
        sa.Column("is_featured", sa.Boolean(), nullable=False),
        sa.Column("is_oauth", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institutions")),
        sa.UniqueConstraint(
            "provider",
            "provider_institution_id",
            name=op.f("uq_institutions_provider_provider_institution_id"),
        ),
    )
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("private_key_encrypted", sa.Text(), nullable=False),
        sa.Column("public_jwk", json(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_keys")),
    )
    op.create_table(
        "apps",
        sa.Column("developer_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["developer_id"],
            ["developers.id"],
            name=op.f("fk_apps_developer_id_developers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apps")),
    )
    with op.batch_alter_table("apps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_apps_developer_id"), ["developer_id"], unique=False)

    op.create_table(
        "api_keys",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("scopes", json(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_api_keys_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("client_id", name=op.f("uq_api_keys_client_id")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_app_id"), ["app_id"], unique=False)

    op.create_table(
        "app_configurations",
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("user_id_field", sa.String(length=8), nullable=False),
        sa.Column("webhook_uri", sa.String(length=2048), nullable=True),
        sa.Column("webhook_format", sa.String(length=16), nullable=False),
        sa.Column("date_format", sa.String(length=32), nullable=False),
        sa.Column("ip_allow_list", json(), nullable=False),
        sa.Column("webhook_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("previous_webhook_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("previous_webhook_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_app_configurations_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("app_id", name=op.f("pk_app_configurations")),
    )
    op.create_table(
        "end_users",
        sa.Column("guid", sa.String(length=64), nullable=False),
        sa.Column("uid", sa.String(length=255), nullable=True),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("metadata", json(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_end_users_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_end_users")),
        sa.UniqueConstraint("app_id", "external_id", name=op.f("uq_end_users_app_id_external_id")),
        sa.UniqueConstraint("app_id", "guid", name=op.f("uq_end_users_app_id_guid")),
        sa.UniqueConstraint("app_id", "uid", name=op.f("uq_end_users_app_id_uid")),
    )
    with op.batch_alter_table("end_users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_end_users_app_id"), ["app_id"], unique=False)

    op.create_table(
        "organizations",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_organizations_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("app_id", "key", name=op.f("uq_organizations_app_id_key")),
    )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organizations_app_id"), ["app_id"], unique=False)

    op.create_table(
        "securities",
        sa.Column("provider_security_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("ticker_symbol", sa.String(length=32), nullable=True),
        sa.Column("cusip", sa.String(length=9), nullable=True),
        sa.Column("isin", sa.String(length=12), nullable=True),
        sa.Column("sedol", sa.String(length=7), nullable=True),
        sa.Column("figi", sa.String(length=12), nullable=True),
        sa.Column("type", sa.String(length=32), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("close_price", quantity(), nullable=True),
        sa.Column("close_price_as_of", sa.Date(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_securities_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_securities")),
        sa.UniqueConstraint(
            "app_id", "provider_security_id", name=op.f("uq_securities_app_id_provider_security_id")
        ),
    )
    with op.batch_alter_table("securities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_securities_app_id"), ["app_id"], unique=False)

    op.create_table(
        "links",
        sa.Column("end_user_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("institution_id", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("provider_link_id", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.String(length=1000), nullable=True),
        sa.Column("products", json(), nullable=False),
        sa.Column("webhook_uri", sa.String(length=2048), nullable=True),
        sa.Column("credentials_encrypted", sa.Text(), nullable=True),
        sa.Column("transactions_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_links_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["end_user_id"], ["end_users.id"], name=op.f("fk_links_end_user_id_end_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_links_institution_id_institutions")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_links_organization_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_links")),
    )
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_links_app_id"), ["app_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_links_end_user_id"), ["end_user_id"], unique=False)

    op.create_table(
        "accounts",
        sa.Column("link_id", sa.Uuid(), nullable=False),
        sa.Column("provider_account_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("official_name", sa.String(length=255), nullable=True),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("subtype", sa.String(length=64), nullable=True),
        sa.Column("mask", sa.String(length=8), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance_current", money(), nullable=True),
        sa.Column("balance_available", money(), nullable=True),
        sa.Column("balance_limit", money(), nullable=True),
        sa.Column("balances_as_of", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_selected", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_accounts_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name=op.f("fk_accounts_link_id_links"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint(
            "link_id", "provider_account_id", name=op.f("uq_accounts_link_id_provider_account_id")
        ),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_app_id"), ["app_id"], unique=False)

    op.create_table(
        "link_sessions",
        sa.Column("end_user_id", sa.Uuid(), nullable=False),
        sa.Column("link_id", sa.Uuid(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("exchangeable_token_hash", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2048), nullable=True),
        sa.Column("client_state", sa.String(length=1024), nullable=True),
        sa.Column("products", json(), nullable=False),
        sa.Column("settings", json(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("exchanged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_link_sessions_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["end_user_id"],
            ["end_users.id"],
            name=op.f("fk_link_sessions_end_user_id_end_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name=op.f("fk_link_sessions_link_id_links"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_sessions")),
        sa.UniqueConstraint("exchangeable_token_hash", name=op.f("uq_link_sessions_exchangeable_token_hash")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_link_sessions_token_hash")),
    )
    with op.batch_alter_table("link_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_sessions_app_id"), ["app_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_link_sessions_end_user_id"), ["end_user_id"], unique=False)

    op.create_table(
        "refresh_jobs",
        sa.Column("link_id", sa.Uuid(), nullable=False),
        sa.Column("products", json(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enqueued_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_refresh_jobs_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name=op.f("fk_refresh_jobs_link_id_links"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_jobs")),
    )
    with op.batch_alter_table("refresh_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refresh_jobs_app_id"), ["app_id"], unique=False)
        batch_op.create_index("ix_refresh_jobs_due", ["status", "next_run_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_refresh_jobs_link_id"), ["link_id"], unique=False)

    op.create_table(
        "webhook_events",
        sa.Column("link_id", sa.Uuid(), nullable=True),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("payload", json(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_webhook_events_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name=op.f("fk_webhook_events_link_id_links"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
    )
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_events_app_id"), ["app_id"], unique=False)

    op.create_table(
        "account_numbers",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("account_number", sa.String(length=64), nullable=False),
        sa.Column("routing_number", sa.String(length=32), nullable=True),
        sa.Column("wire_routing_number", sa.String(length=32), nullable=True),
        sa.Column("branch_number", sa.String(length=32), nullable=True),
        sa.Column("bic", sa.String(length=16), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_numbers_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_account_numbers_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_numbers")),
        sa.UniqueConstraint("account_id", "kind", name=op.f("uq_account_numbers_account_id_kind")),
    )
    with op.batch_alter_table("account_numbers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_numbers_app_id"), ["app_id"], unique=False)

    op.create_table(
        "account_owners",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("names", json(), nullable=False),
        sa.Column("emails", json(), nullable=False),
        sa.Column("phone_numbers", json(), nullable=False),
        sa.Column("addresses", json(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_owners_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_account_owners_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_owners")),
    )
    with op.batch_alter_table("account_owners", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_owners_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_owners_app_id"), ["app_id"], unique=False)

    op.create_table(
        "holdings",
        sa.Column("link_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("security_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", quantity(), nullable=False),
        sa.Column("institution_price", quantity(), nullable=True),
        sa.Column("institution_value", money(), nullable=True),
        sa.Column("cost_basis", money(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_holdings_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_holdings_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name=op.f("fk_holdings_link_id_links"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["security_id"],
            ["securities.id"],
            name=op.f("fk_holdings_security_id_securities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holdings")),
        sa.UniqueConstraint("account_id", "security_id", name=op.f("uq_holdings_account_id_security_id")),
    )
    with op.batch_alter_table("holdings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_holdings_app_id"), ["app_id"], unique=False)

    op.create_table(
        "investment_transactions",
        sa.Column("link_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("security_id", sa.Uuid(), nullable=True),
        sa.Column("provider_investment_transaction_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("subtype", sa.String(length=64), nullable=True),
        sa.Column("amount", money(), nullable=False),
        sa.Column("quantity", quantity(), nullable=True),
        sa.Column("price", quantity(), nullable=True),
        sa.Column("fees", money(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_investment_transactions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_investment_transactions_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["links.id"],
            name=op.f("fk_investment_transactions_link_id_links"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["security_id"],
            ["securities.id"],
            name=op.f("fk_investment_transactions_security_id_securities"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investment_transactions")),
        sa.UniqueConstraint(
            "link_id",
            "provider_investment_transaction_id",
            name=op.f("uq_investment_transactions_link_id_provider_investment_transaction_id"),
        ),
    )
    with op.batch_alter_table("investment_transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_investment_transactions_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_investment_transactions_app_id"), ["app_id"], unique=False)

    op.create_table(
        "transactions",
        sa.Column("link_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("provider_transaction_id", sa.String(length=255), nullable=False),
        sa.Column("amount", money(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("original_description", sa.String(length=500), nullable=True),
        sa.Column("merchant_name", sa.String(length=255), nullable=True),
        sa.Column("categories", json(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("datetime", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("pending_transaction_id", sa.String(length=255), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("change_kind", sa.String(length=8), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_transactions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_transactions_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name=op.f("fk_transactions_link_id_links"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
        sa.UniqueConstraint(
            "link_id", "provider_transaction_id", name=op.f("uq_transactions_link_id_provider_transaction_id")
        ),
    )
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.create_index("ix_transactions_account_id_date", ["account_id", "date"], unique=False)
        batch_op.create_index(batch_op.f("ix_transactions_app_id"), ["app_id"], unique=False)
        batch_op.create_index("ix_transactions_link_id_change_seq", ["link_id", "change_seq"], unique=False)

    op.create_table(
        "webhook_deliveries",
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("webhook_id", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enqueued_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_webhook_deliveries_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["webhook_events.id"],
            name=op.f("fk_webhook_deliveries_event_id_webhook_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("webhook_id", name=op.f("uq_webhook_deliveries_webhook_id")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_deliveries_app_id"), ["app_id"], unique=False)
        batch_op.create_index("ix_webhook_deliveries_due", ["status", "next_run_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_webhook_deliveries_event_id"), ["event_id"], unique=False)

    op.create_table(
        "webhook_attempts",
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("attempt_number", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("response_excerpt", sa.String(length=2048), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_webhook_attempts_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            name=op.f("fk_webhook_attempts_delivery_id_webhook_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
        sa.UniqueConstraint(
            "delivery_id", "attempt_number", name=op.f("uq_webhook_attempts_delivery_id_attempt_number")
        ),
    )
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_attempts_app_id"), ["app_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_attempts_app_id"))

    op.drop_table("webhook_attempts")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_event_id"))
        batch_op.drop_index("ix_webhook_deliveries_due")
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_app_id"))

    op.drop_table("webhook_deliveries")
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_transactions_link_id_change_seq")
        batch_op.drop_index(batch_op.f("ix_transactions_app_id"))
        batch_op.drop_index("ix_transactions_account_id_date")

    op.drop_table("transactions")
    with op.batch_alter_table("investment_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_investment_transactions_app_id"))
        batch_op.drop_index(batch_op.f("ix_investment_transactions_account_id"))

    op.drop_table("investment_transactions")
    with op.batch_alter_table("holdings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_holdings_app_id"))

    op.drop_table("holdings")
    with op.batch_alter_table("account_owners", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_owners_app_id"))
        batch_op.drop_index(batch_op.f("ix_account_owners_account_id"))

    op.drop_table("account_owners")
    with op.batch_alter_table("account_numbers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_numbers_app_id"))

    op.drop_table("account_numbers")
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_events_app_id"))

    op.drop_table("webhook_events")
    with op.batch_alter_table("refresh_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_jobs_link_id"))
        batch_op.drop_index("ix_refresh_jobs_due")
        batch_op.drop_index(batch_op.f("ix_refresh_jobs_app_id"))

    op.drop_table("refresh_jobs")
    with op.batch_alter_table("link_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_sessions_end_user_id"))
        batch_op.drop_index(batch_op.f("ix_link_sessions_app_id"))

    op.drop_table("link_sessions")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_app_id"))

    op.drop_table("accounts")
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_links_end_user_id"))
        batch_op.drop_index(batch_op.f("ix_links_app_id"))

    op.drop_table("links")
    with op.batch_alter_table("securities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_securities_app_id"))

    op.drop_table("securities")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organizations_app_id"))

    op.drop_table("organizations")
    with op.batch_alter_table("end_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_end_users_app_id"))

    op.drop_table("end_users")
    op.drop_table("app_configurations")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_app_id"))

    op.drop_table("api_keys")
    with op.batch_alter_table("apps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_apps_developer_id"))

    op.drop_table("apps")
    op.drop_table("signing_keys")
    op.drop_table("institutions")
    op.drop_table("developers")
