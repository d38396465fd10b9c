"""deploy/ cannot be run here (no Docker engine), so its files are checked against the real CLI and app."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from gateway.app import create_app
from gateway.cli import main as cli
from gateway.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ROOT = DEPLOY.parent


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def assert_valid_linkgate_command(command: list[str]) -> None:
    """The command names a real `linkgate` subcommand and its options parse."""
    assert command[0] == "linkgate", command
    subcommand = cli.commands.get(command[1]) if isinstance(cli, click.Group) else None
    assert subcommand is not None, f"unknown subcommand in {command}"
    subcommand.make_context(command[1], list(command[2:]))


def compose_services(name: str) -> dict[str, Any]:
    (document,) = load_all(DEPLOY / name)
    services: dict[str, Any] = document["services"]
    return services


class TestDockerfile:
    text = (DEPLOY / "Dockerfile").read_text()

    def test_copies_only_what_exists(self) -> None:
        for source in re.findall(r"^COPY (?!--from)(.+) \S+$", self.text, flags=re.M):
            for item in source.split():
                assert (ROOT / item).exists(), item

    def test_copies_every_package_it_installs(self) -> None:
        pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
        packages = [p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]]
        assert "formats" in packages
        for package in packages:
            assert re.search(rf"^COPY {package} \./{package}$", self.text, flags=re.M), package

    def test_default_command_is_valid_and_runs_unprivileged(self) -> None:
        (cmd,) = re.findall(r"^CMD (\[.+\])$", self.text, flags=re.M)
        assert_valid_linkgate_command(yaml.safe_load(cmd))
        assert re.search(r"^USER linkgate$", self.text, flags=re.M)
        assert "EXPOSE 8000" in self.text

    def test_installs_the_hashed_lock(self) -> None:
        assert "--require-hashes --no-deps -r requirements.lock" in self.text


class TestCompose:
    def test_distributed_has_every_role_with_valid_commands(self) -> None:
        services = compose_services("compose.yaml")
        assert {"postgres", "redis", "migrate", "api", "worker", "scheduler"} <= set(services)
        for name in ("migrate", "api", "worker", "scheduler"):
            assert_valid_linkgate_command(services[name]["command"])
            env = services[name]["environment"]
            assert env["LINKGATE_DATABASE_URL"].startswith("postgresql://")
            assert env["LINKGATE_REDIS_URL"].startswith("redis://")
            assert env["LINKGATE_ENV"] == "production"
        for name in ("api", "worker", "scheduler"):
            assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services["scheduler"]["deploy"]["replicas"] == 2
        assert "noeviction" in services["redis"]["command"]

    def test_embedded_runs_serve_on_sqlite_without_redis(self) -> None:
        (service,) = compose_services("compose.embedded.yaml").values()
        assert_valid_linkgate_command(service["command"])
        assert service["environment"]["LINKGATE_DATABASE_URL"].startswith("sqlite:///")
        assert "LINKGATE_REDIS_URL" not in service["environment"]


class TestKubernetes:
    documents = [doc for path in sorted((DEPLOY / "k8s").glob("*.yaml")) for doc in load_all(path)]

    def containers(self) -> list[dict[str, Any]]:
        found = []
        for doc in self.documents:
            if doc["kind"] in {"Deployment", "Job"}:
                found += doc["spec"]["template"]["spec"]["containers"]
        return found

    def test_every_container_runs_a_valid_command_with_the_shared_config(self) -> None:
        names = {(doc["kind"], doc["metadata"]["name"]) for doc in self.documents}
        roles = set()
        for container in self.containers():
            assert_valid_linkgate_command(container["command"])
            roles.add(container["command"][1])
            refs = {(kind, ref["name"]) for source in container["envFrom"] for kind, ref in source.items()}
            assert refs == {("configMapRef", "linkgate"), ("secretRef", "linkgate")}
        assert {("ConfigMap", "linkgate"), ("Secret", "linkgate")} <= names
        assert roles == {"serve", "worker", "scheduler", "migrate"}

    def test_probes_point_at_real_routes(self) -> None:
        paths = set(create_app(Settings(database_url="sqlite:///:memory:")).openapi()["paths"])
        (api,) = [c for c in self.containers() if c["command"][1] == "serve"]
        assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert {"/healthz", "/readyz"} <= paths

    def test_placeholder_secret_would_be_refused_in_production(self) -> None:
        (secret,) = [doc for doc in self.documents if doc["kind"] == "Secret"]
        settings = Settings(
            env="production",
            secret_key=secret["stringData"]["LINKGATE_SECRET_KEY"],
            redis_url=secret["stringData"]["LINKGATE_REDIS_URL"],
        )
        from gateway.settings import InsecureConfiguration

        with pytest.raises(InsecureConfiguration):
            settings.check_production_ready()


def test_readme_quick_start_has_exactly_two_commands_that_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]
    assert commands == ["./scripts/serve", "./scripts/test"]
    for command in commands:
        script = ROOT / shlex.split(command)[0]
        assert script.exists(), command
        assert script.stat().st_mode & 0o111, f"{command} is not executable"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "./scripts/test" in ci
    assert "./scripts/check" in ci
    checks = (ROOT / "scripts" / "check").read_text()
    assert 'ruff" check' in checks
    assert 'mypy"' in checks


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in Settings.model_fields:
        assert f"`LINKGATE_{name.upper()}`" in readme, name
