"""The gateway's one settings class: every knob is an environment variable prefixed `LINKGATE_`."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_FILE = "linkgate.db"
SECRET_KEY_FILE_SUFFIX = ".secret"
MIN_SECRET_KEY_CHARS = 32
LONGEST_DASHBOARD_SESSION_S = 30 * 86400  # tokens claiming a longer life are refused as forged
# The public SimpleFIN Bridge (its production and beta hosts), where setup tokens claim by default.
SIMPLEFIN_BRIDGE_HOSTS = ("bridge.simplefin.org", "beta-bridge.simplefin.org")
PLACEHOLDER_SECRETS = frozenset(
    {"changeme", "change-me", "changethis", "secret", "placeholder", "dev", "test"}
)


# A CSP source expression: a keyword, a scheme, or a host with optional scheme, wildcard, port and path.
_CSP_SOURCE = re.compile(
    r"'self'|'none'|[a-z][a-z0-9+.-]*:|([a-z][a-z0-9+.-]*://)?(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:(\d+|\*))?(/[^\s;,']*)?",
    re.IGNORECASE,
)


class Environment(StrEnum):
    development = "development"
    production = "production"


class InsecureConfiguration(RuntimeError):
    """Raised at start-up when production settings carry generated or placeholder secrets."""


class Settings(BaseSettings):
    """Runtime configuration, read from `LINKGATE_*` environment variables (and a `.env` file)."""

    model_config = SettingsConfigDict(env_prefix="LINKGATE_", env_file=".env", extra="ignore")

    env: Environment = Environment.development
    database_url: str = f"sqlite:///{DEFAULT_DATABASE_FILE}"
    redis_url: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr | None = Field(
        default=None,
        description="Master key: encrypts secrets at rest and keys the API-key HMACs. "
        "Generated beside the SQLite file in development when unset.",
    )
    secret_key_file: Path | None = None
    token_audience: str = "linkgate"
    auth_cache_ttl_s: float = Field(default=30.0, ge=0, le=60)
    dashboard_session_ttl_s: int = Field(default=12 * 3600, gt=0, le=LONGEST_DASHBOARD_SESSION_S)
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    login_max_attempts_per_email: int = Field(default=10, ge=1)
    login_max_attempts_per_address: int = Field(default=50, ge=1)
    login_window_s: int = Field(default=900, gt=0)
    # Credential checks and API calls, counted per fixed window of rate_limit_window_s seconds.
    rate_limits_enabled: bool = True
    rate_limit_window_s: int = Field(default=60, gt=0)
    rate_limit_failures_per_address: int = Field(default=30, ge=1)
    rate_limit_failures_per_client: int = Field(default=30, ge=1)
    rate_limit_requests_per_address: int = Field(default=60_000, ge=1)
    rate_limit_requests_per_client: int = Field(default=30_000, ge=1)
    rate_limit_signups_per_address: int = Field(default=20, ge=1)

    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    # Pages of a sync pull read while the client reads the one before (gateway/transactions/read_ahead.py),
    # kept per process; 0 turns reading ahead off.
    read_ahead_pages: int = Field(default=64, ge=0, le=4096)
    connect_frame_ancestors: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["'self'"])

    webhook_retry_delay_s: float = Field(default=300.0, ge=0)
    webhook_max_retries: int = Field(default=3, ge=0)
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    # Deprecated name of outbound_allow_private_networks, still read when that one is unset.
    webhook_allow_private_networks: bool | None = None
    webhook_endpoint_concurrency: int = Field(default=4, ge=1)
    webhook_event_retention_days: int = Field(default=30, ge=10)

    # Every outbound call to an address the developer or end user chose (webhooks, upstream URLs from a
    # setup token): may it reach private, loopback, link-local and metadata addresses?
    outbound_allow_private_networks: bool | None = None

    # Which provider's route to an institution is tried first when several reach it (first listed first).
    provider_priority: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["plaid", "mx", "simplefin", "sandbox"]
    )

    simplefin_enabled: bool = True
    simplefin_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(SIMPLEFIN_BRIDGE_HOSTS)
    )
    simplefin_requests_per_day: int = Field(default=24, ge=1)
    simplefin_overlap_days: int = Field(default=14, ge=1, le=89)
    simplefin_timeout_s: float = Field(default=30.0, gt=0)

    plaid_enabled: bool = True
    plaid_client_id: str | None = None
    plaid_secret: SecretStr | None = None
    plaid_sandbox_secret: SecretStr | None = None
    plaid_environment: Literal["sandbox", "production"] = "sandbox"
    plaid_base_url: str | None = None
    plaid_link_script_url: str = "https://cdn.plaid.com/link/v2/stable/link-initialize.js"
    plaid_timeout_s: float = Field(default=30.0, gt=0)

    job_lease_s: float = Field(default=60.0, gt=0)
    sweeper_interval_s: float = Field(default=15.0, gt=0)
    sweeper_grace_s: float = Field(default=30.0, ge=0)
    scheduler_lock_ttl_s: float = Field(default=30.0, gt=0)

    sandbox_refreshes_per_day: int = Field(default=20, ge=1)
    live_refreshes_per_day: int = Field(default=48, ge=1)
    deleted_link_retention_days: int = Field(default=90, ge=1)
    scheduled_refresh_interval_s: float = Field(default=86_400.0, gt=0)
    scheduled_refresh_check_s: float = Field(default=300.0, gt=0)
    # Windows from upstreams without a cursor: when a new posted transaction is a pending one's posting.
    reconcile_amount_tolerance: Decimal = Field(default=Decimal("0.25"), ge=0, le=1)
    reconcile_match_days: int = Field(default=8, ge=0, le=31)

    readiness_timeout_s: float = Field(default=2.0, gt=0)

    # Prometheus metrics (gateway/metrics/, README "Metrics"): exposed at /metrics on the API port, or
    # only on metrics_port (each `linkgate` command that has it set serves its own there).
    metrics_enabled: bool = True
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"
    # Shared by every linkgate process of one host (one PID namespace), so one scrape sees them all;
    # unset, `linkgate serve` keeps its processes' metrics in a private directory of its own.
    metrics_dir: Path | None = None
    # Gauges read from the database at scrape time (backlog, durable jobs): kept this long, read within.
    metrics_database_ttl_s: float = Field(default=15.0, ge=0)
    metrics_database_timeout_s: float = Field(default=2.0, gt=0)
    embedded_worker_threads: int = Field(default=2, ge=1)
    bootstrap_email: str = "sandbox@linkgate.local"
    log_level: str = "INFO"
    # `json`: one JSON object per line (gateway/observability/logs.py); `text`: readable lines. Unset:
    # JSON in production, text in development.
    log_format: Literal["json", "text"] | None = None

    @field_validator(
        "trusted_proxies",
        "connect_frame_ancestors",
        "simplefin_allowed_hosts",
        "provider_priority",
        mode="before",
    )
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            ipaddress.ip_network(entry, strict=False)  # raises ValueError naming the entry
        return value

    @field_validator("connect_frame_ancestors")
    @classmethod
    def _csp_sources(cls, value: list[str]) -> list[str]:
        """Each entry one CSP source (`'self'`, `https://app.example.com`, `https:`); `'none'` alone."""
        for entry in value:
            if not _CSP_SOURCE.fullmatch(entry):
                raise ValueError(f"{entry!r} is not a Content-Security-Policy source expression")
        if not value or ("'none'" in value and len(value) > 1):
            raise ValueError("list at least one source, or 'none' alone")
        return value

    @field_validator("simplefin_allowed_hosts")
    @classmethod
    def _host_names(cls, value: list[str]) -> list[str]:
        """Lower-case host names (or `*` for any host)."""
        return [entry.lower().rstrip(".") for entry in value]

    @model_validator(mode="after")
    def _default_private_network_policy(self) -> Settings:
        """Private networks are allowed in development only, unless a setting says otherwise."""
        if self.outbound_allow_private_networks is None:
            chosen = self.webhook_allow_private_networks
            self.outbound_allow_private_networks = (
                chosen if chosen is not None else self.env is Environment.development
            )
        self.webhook_allow_private_networks = self.outbound_allow_private_networks
        return self

    @model_validator(mode="after")
    def _lease_outlives_a_webhook_attempt(self) -> Settings:
        if self.job_lease_s <= self.webhook_timeout_s:
            raise ValueError(
                "LINKGATE_JOB_LEASE_S must exceed LINKGATE_WEBHOOK_TIMEOUT_S, or live work is re-run"
            )
        return self

    @property
    def is_embedded(self) -> bool:
        """Embedded mode: no Redis configured, so the worker and scheduler run inside `serve`."""
        return self.redis_url is None

    @property
    def logs_as_json(self) -> bool:
        return self.log_format == "json" or (self.log_format is None and self.env is Environment.production)

    def refreshes_per_day(self, app_mode: str) -> int:
        """On-demand refreshes of one product a link may ask for in 24 hours."""
        return self.sandbox_refreshes_per_day if app_mode == "sandbox" else self.live_refreshes_per_day

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        path = self.database_url.split(":///", 1)[1] if ":///" in self.database_url else ""
        return Path(path) if path and path != ":memory:" else None

    def default_secret_key_file(self) -> Path:
        """Where a development secret is kept: beside the SQLite file, else in the working directory."""
        if self.secret_key_file is not None:
            return self.secret_key_file
        database = self.sqlite_path
        if database is not None:
            return database.with_name(database.name + SECRET_KEY_FILE_SUFFIX)
        return Path("linkgate" + SECRET_KEY_FILE_SUFFIX)

    def master_key(self) -> str:
        """The master secret; in development one is generated and kept on disk the first time."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        if self.env is Environment.production:
            raise InsecureConfiguration("LINKGATE_SECRET_KEY must be set in production")
        return _load_or_create_key_file(self.default_secret_key_file())

    def check_production_ready(self) -> None:
        """Refuse to run production on generated, placeholder or short secrets."""
        if self.env is not Environment.production:
            return
        if self.secret_key is None:
            raise InsecureConfiguration(
                "LINKGATE_SECRET_KEY must be set in production (it is generated in development)"
            )
        value = self.secret_key.get_secret_value()
        if value.lower() in PLACEHOLDER_SECRETS or len(value) < MIN_SECRET_KEY_CHARS:
            raise InsecureConfiguration(
                f"LINKGATE_SECRET_KEY is a placeholder or shorter than {MIN_SECRET_KEY_CHARS} characters"
            )
        if self.is_embedded:
            raise InsecureConfiguration(
                "production needs LINKGATE_REDIS_URL: the embedded broker keeps nothing"
            )


def _load_or_create_key_file(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Create with 0600 atomically so the key is never world-readable, even for an instant.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key + "\n")
    return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
