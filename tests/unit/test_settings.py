from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from gateway.db import async_database_url
from gateway.settings import Environment, InsecureConfiguration, Settings

STRONG_KEY = "k" * 48


@pytest.fixture(autouse=True)
def no_linkgate_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read defaults: hide the test session's LINKGATE_* environment."""
    import os

    for name in [n for n in os.environ if n.startswith("LINKGATE_")]:
        monkeypatch.delenv(name)


def make(**overrides: object) -> Settings:
    base: dict[str, object] = {"redis_url": None, "secret_key": None, "database_url": "sqlite:///linkgate.db"}
    base.update(overrides)
    return Settings(**base)  # type: ignore[arg-type]


class TestProductionRefusesUnsafeSecrets:
    def test_missing_secret_key(self) -> None:
        settings = make(env="production", redis_url="redis://127.0.0.1:6379/0")
        with pytest.raises(InsecureConfiguration, match="must be set"):
            settings.check_production_ready()

    @pytest.mark.parametrize("placeholder", ["changeme", "CHANGETHIS", "secret", "short-but-real"])
    def test_placeholder_or_short_secret_key(self, placeholder: str) -> None:
        settings = make(env="production", secret_key=placeholder, redis_url="redis://127.0.0.1:6379/0")
        with pytest.raises(InsecureConfiguration, match="placeholder or shorter"):
            settings.check_production_ready()

    def test_embedded_broker(self) -> None:
        settings = make(env="production", secret_key=STRONG_KEY)
        with pytest.raises(InsecureConfiguration, match="LINKGATE_REDIS_URL"):
            settings.check_production_ready()

    def test_master_key_is_never_generated_in_production(self, tmp_path: Path) -> None:
        settings = make(env="production", secret_key_file=tmp_path / "key")
        with pytest.raises(InsecureConfiguration):
            settings.master_key()
        assert not (tmp_path / "key").exists()

    def test_strong_settings_pass(self) -> None:
        make(
            env="production", secret_key=STRONG_KEY, redis_url="redis://127.0.0.1:6379/0"
        ).check_production_ready()


class TestDevelopmentSecretKey:
    def test_generated_beside_the_sqlite_file_private_and_stable(self, tmp_path: Path) -> None:
        settings = make(database_url=f"sqlite:///{tmp_path}/data/linkgate.db")
        first = settings.master_key()
        key_file = tmp_path / "data" / "linkgate.db.secret"
        assert key_file.read_text().strip() == first
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert len(first) >= 48
        assert make(database_url=f"sqlite:///{tmp_path}/data/linkgate.db").master_key() == first

    def test_explicit_key_wins_and_writes_nothing(self, tmp_path: Path) -> None:
        settings = make(database_url=f"sqlite:///{tmp_path}/x.db", secret_key=STRONG_KEY)
        assert settings.master_key() == STRONG_KEY
        assert not (tmp_path / "x.db.secret").exists()


class TestDefaults:
    def test_documented_defaults(self) -> None:
        settings = make()
        assert settings.env is Environment.development
        assert settings.webhook_retry_delay_s == 300
        assert settings.webhook_max_retries == 3
        assert settings.webhook_timeout_s == 10
        assert settings.max_body_bytes == 2 * 1024 * 1024
        assert settings.is_embedded
        assert settings.is_sqlite

    def test_private_networks_allowed_only_in_development_by_default(self) -> None:
        assert make().outbound_allow_private_networks is True
        assert make(env="production").outbound_allow_private_networks is False
        assert make(env="production", outbound_allow_private_networks=True).outbound_allow_private_networks

    def test_the_old_webhook_name_of_the_private_network_setting_still_works(self) -> None:
        settings = make(env="production", webhook_allow_private_networks=True)
        assert settings.outbound_allow_private_networks is True
        chosen = make(webhook_allow_private_networks=True, outbound_allow_private_networks=False)
        assert chosen.outbound_allow_private_networks is False
        assert chosen.webhook_allow_private_networks is False

    def test_simplefin_hosts_are_a_comma_separated_list(self) -> None:
        settings = make(simplefin_allowed_hosts="Bridge.SimpleFIN.org., 127.0.0.1")
        assert settings.simplefin_allowed_hosts == ["bridge.simplefin.org", "127.0.0.1"]
        assert make().simplefin_allowed_hosts == ["bridge.simplefin.org", "beta-bridge.simplefin.org"]

    def test_lease_must_outlive_a_webhook_attempt(self) -> None:
        with pytest.raises(ValidationError, match="LINKGATE_JOB_LEASE_S"):
            make(job_lease_s=5, webhook_timeout_s=10)

    def test_reads_prefixed_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("LINKGATE_WEBHOOK_MAX_RETRIES", "5")
        monkeypatch.setenv("LINKGATE_BASE_URL", "https://gw.example.com")
        settings = Settings()
        assert settings.webhook_max_retries == 5
        assert settings.base_url == "https://gw.example.com"


class TestDatabaseUrls:
    @pytest.mark.parametrize(
        ("given", "expected"),
        [
            ("postgresql://u:p@db:5432/lg", "postgresql+asyncpg://u:p@db:5432/lg"),
            ("postgres://u@db/lg", "postgresql+asyncpg://u@db/lg"),
            ("postgresql+asyncpg://u@db/lg", "postgresql+asyncpg://u@db/lg"),
            ("sqlite:///linkgate.db", "sqlite+aiosqlite:///linkgate.db"),
        ],
    )
    def test_plain_urls_get_an_async_driver(self, given: str, expected: str) -> None:
        assert async_database_url(given) == expected

    def test_unsupported_scheme_is_refused(self) -> None:
        with pytest.raises(ValueError, match="unsupported database URL"):
            async_database_url("mysql://u@db/lg")
