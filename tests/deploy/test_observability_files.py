"""The Grafana dashboard, the Prometheus alert rules and scrape config, and the metrics wiring of the
compose and Kubernetes files, checked against the series Linkgate really exposes.

Series names and label names come from the code (`gateway.metrics.definitions` and the database
gauges' collector), never from a list kept here. PromQL is read with a deliberately small parser:
series names, their label matchers, and `by`/`without` groupings with the expression they group.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from gateway.metrics import definitions
from gateway.metrics.database import KINDS, DatabaseGauges, KindFigures, Snapshot
from gateway.metrics.labels import COLLECTIONS, OTHER
from gateway.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "linkgate.json"
ALERTS = DEPLOY / "prometheus" / "alerts.yaml"
PROMETHEUS = DEPLOY / "prometheus" / "prometheus.yml"
PROFILE = "observability"

# Labels Prometheus attaches to every scraped series.
TARGET_LABELS = frozenset({"job", "instance"})
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
# Only a handful of label values are checked: those the code fixes in a table.
FIXED_VALUES: dict[str, frozenset[str]] = {
    "collection": frozenset({name for _, name in COLLECTIONS} | {OTHER}),
    "kind": frozenset(kind.name for kind in KINDS),
}


@dataclass(frozen=True)
class Series:
    """One series name as a scrape shows it, with the family it belongs to."""

    family: str
    type: str
    labels: frozenset[str]
    from_database: bool


def _families() -> Iterator[Series]:
    """Every family, named without its suffixes (as `describe()` and `collect()` name them)."""
    for collector in vars(definitions).values():
        if isinstance(collector, MetricWrapperBase):
            (family,) = collector.describe()
            yield Series(family.name, family.type, frozenset(collector._labelnames), from_database=False)
    gauges = DatabaseGauges(ttl_s=15, timeout_s=2)
    # A successful reading of every kind, so the collector yields every family it can.
    figures = {kind.name: KindFigures({"pending": 1, "running": 1}, 1, 1.0) for kind in KINDS}
    gauges._snapshot = Snapshot(figures, ok=True)
    for family in gauges.collect():
        labels = frozenset(key for sample in family.samples for key in sample.labels)
        yield Series(family.name, family.type, labels, from_database=True)


def _series_by_name() -> dict[str, Series]:
    found = {}
    for family in _families():
        for suffix in SUFFIXES[family.type]:
            labels = family.labels | {"le"} if suffix == "_bucket" else family.labels
            found[family.family + suffix] = Series(family.family, family.type, labels, family.from_database)
    return found


SERIES = _series_by_name()


# --- a minimal PromQL reader -------------------------------------------------------------------

SERIES_NAME = re.compile(r"\b(linkgate_\w+)\b\s*(\{[^{}]*\})?")
MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
GROUPING = re.compile(r"\b(by|without)\s*\(([^()]*)\)")
SUM = re.compile(r"\bsum\s*(?:(?:by|without)\s*\([^()]*\)\s*)?\(")
STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


@dataclass(frozen=True)
class Selector:
    name: str
    matchers: tuple[tuple[str, str, str], ...]


def _blank_strings(expr: str) -> str:
    """The expression with every string literal's contents blanked, positions unchanged."""
    return STRING.sub(lambda m: '"' + " " * (len(m.group()) - 2) + '"', expr)


def _matching(text: str, start: int) -> int:
    """Index of the parenthesis closing the one opened at `start`."""
    depth = 0
    for index in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return index
    raise AssertionError(f"unbalanced parentheses from {start}: {text!r}")


def _opening(text: str, end: int) -> int:
    """Index of the parenthesis opening the one closed at `end`."""
    depth = 0
    for index in range(end, -1, -1):
        depth += {")": 1, "(": -1}.get(text[index], 0)
        if depth == 0:
            return index
    raise AssertionError(f"unbalanced parentheses up to {end}: {text!r}")


def selectors(expr: str) -> list[Selector]:
    """Every linkgate series the expression reads, with its label matchers (double-quoted values)."""
    blank = _blank_strings(expr)
    found = []
    for match in SERIES_NAME.finditer(blank):
        braces = expr[match.start(2) : match.end(2)] if match.group(2) else ""
        matchers = tuple((m[1], m[2], m[3]) for m in MATCHER.finditer(braces))
        items = [item for item in (match.group(2) or "").strip("{}").split(",") if item.strip()]
        assert len(items) == len(matchers), f"a matcher this reader cannot parse in {braces}"
        found.append(Selector(match.group(1), matchers))
    return found


def groupings(expr: str) -> list[tuple[frozenset[str], str]]:
    """Each `by (...)`/`without (...)` clause's labels, with the expression it aggregates, whether the
    clause comes before it (`sum by (a) (x)`) or after (`sum(x) by (a)`)."""
    blank = _blank_strings(expr)
    found = []
    for match in GROUPING.finditer(blank):
        labels = frozenset(label.strip() for label in match.group(2).split(",") if label.strip())
        after = blank[match.end() :].lstrip()
        if after.startswith("("):
            start = len(blank) - len(after)
            argument = expr[start : _matching(blank, start) + 1]
        else:
            end = len(blank[: match.start()].rstrip()) - 1
            assert blank[end] == ")", f"no expression to aggregate near {match.group()!r} in {expr!r}"
            argument = expr[_opening(blank, end) : end + 1]
        found.append((labels, argument))
    return found


def summed_arguments(expr: str) -> list[str]:
    """The parenthesised expression each `sum` aggregates."""
    blank = _blank_strings(expr)
    return [expr[m.end() - 1 : _matching(blank, m.end() - 1) + 1] for m in SUM.finditer(blank)]


def known(found: list[Selector]) -> list[Selector]:
    """The selectors of exposed series (test_uses_only_series_linkgate_exposes reports the rest)."""
    return [selector for selector in found if selector.name in SERIES]


def _values(operator: str, value: str) -> set[str] | None:
    """The values a matcher names, when it is an equality or an alternation of plain words."""
    if operator in {"=", "!="}:
        return {value}
    if re.fullmatch(r"\w+(\|\w+)*", value):
        return set(value.split("|"))
    return None


# --- what the deploy files contain ---------------------------------------------------------------


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def dashboard_panels() -> list[dict[str, Any]]:
    panels = []
    for panel in dashboard()["panels"]:
        panels.append(panel)
        panels += panel.get("panels", [])
    return panels


def alert_rules() -> list[dict[str, Any]]:
    return [rule for group in load_yaml(ALERTS)["groups"] for rule in group["rules"]]


def expressions() -> list[tuple[str, str]]:
    """(where, PromQL) for every panel query and every rule."""
    found = []
    for panel in dashboard_panels():
        for target in panel.get("targets", []):
            found.append((f"panel {panel['title']!r} {target['refId']}", target["expr"]))
    for rule in alert_rules():
        found.append((f"rule {rule['alert']}", rule["expr"]))
    return found


EXPRESSIONS = expressions()
IDS = [where for where, _ in EXPRESSIONS]


def compose() -> dict[str, Any]:
    services: dict[str, Any] = load_yaml(DEPLOY / "compose.yaml")["services"]
    return services


def load_yaml_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def k8s_documents() -> list[dict[str, Any]]:
    return [doc for path in sorted((DEPLOY / "k8s").glob("*.yaml")) for doc in load_yaml_all(path)]


# --- the registry this file reads ----------------------------------------------------------------


def test_registry_has_process_and_database_series() -> None:
    assert SERIES["linkgate_http_requests_total"].labels == {"collection", "route", "method", "status"}
    assert "le" in SERIES["linkgate_http_request_duration_seconds_bucket"].labels
    assert "le" not in SERIES["linkgate_http_request_duration_seconds_count"].labels
    assert SERIES["linkgate_durable_jobs_oldest_due_age_seconds"].labels == {"kind"}
    assert SERIES["linkgate_metrics_database_up"].from_database
    assert "linkgate_http_requests" not in SERIES


def test_reader_finds_groupings_before_and_after_their_argument() -> None:
    expr = 'sum by (le, a) (rate(x_bucket{b="c(d"}[5m])) / sum(rate(y[5m])) without (e)'
    assert groupings(expr) == [
        (frozenset({"le", "a"}), '(rate(x_bucket{b="c(d"}[5m]))'),
        (frozenset({"e"}), "(rate(y[5m]))"),
    ]
    assert summed_arguments(expr) == ['(rate(x_bucket{b="c(d"}[5m]))', "(rate(y[5m]))"]
    with pytest.raises(AssertionError, match="cannot parse"):
        selectors("linkgate_x{a='b'}")


# --- every expression ---------------------------------------------------------------------------


@pytest.mark.parametrize(("where", "expr"), EXPRESSIONS, ids=IDS)
class TestExpressions:
    def test_uses_only_series_linkgate_exposes(self, where: str, expr: str) -> None:
        found = selectors(expr)
        assert found, f"{where} reads no linkgate series"
        for selector in found:
            assert selector.name in SERIES, f"{where}: {selector.name} is not exposed"

    def test_matches_only_the_series_own_labels_and_known_values(self, where: str, expr: str) -> None:
        for selector in known(selectors(expr)):
            allowed = SERIES[selector.name].labels | TARGET_LABELS
            for label, operator, value in selector.matchers:
                assert label in allowed, f"{where}: {selector.name} has no label {label}"
                values = _values(operator, value) if label in FIXED_VALUES else None
                assert values is None or values <= FIXED_VALUES[label], f"{where}: {label}={value}"

    def test_groups_only_by_labels_every_grouped_series_has(self, where: str, expr: str) -> None:
        assert not re.search(r"\b(on|ignoring|group_left|group_right|label_replace)\s*\(", expr), (
            "this reader does not follow vector matching or relabelling: extend it first"
        )
        for labels, argument in groupings(expr):
            grouped = selectors(argument)
            assert grouped, f"{where}: {argument} groups no linkgate series"
            for selector in known(grouped):
                missing = labels - SERIES[selector.name].labels - TARGET_LABELS
                assert not missing, f"{where}: {selector.name} has no label {sorted(missing)}"

    def test_never_sums_database_gauges(self, where: str, expr: str) -> None:
        # Every API target reads the same database: summing counts the backlog once per replica.
        for argument in summed_arguments(expr):
            for selector in known(selectors(argument)):
                assert not SERIES[selector.name].from_database, f"{where}: sum over {selector.name}"

    def test_parentheses_and_braces_balance(self, where: str, expr: str) -> None:
        blank = _blank_strings(expr)
        for pair in ("()", "{}", "[]"):
            assert blank.count(pair[0]) == blank.count(pair[1]), f"{where}: {pair}"


# --- dashboard ------------------------------------------------------------------------------------


class TestDashboard:
    def test_is_a_grafana_dashboard_on_a_prometheus_variable(self) -> None:
        board = dashboard()
        assert board["uid"]
        assert board["title"]
        assert board["schemaVersion"] >= 36
        variables = {v["name"]: v for v in board["templating"]["list"]}
        assert variables["datasource"]["type"] == "datasource"
        assert variables["datasource"]["query"] == "prometheus"
        for panel in dashboard_panels():
            if panel["type"] != "row":
                assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]

    def test_panels_have_unique_ids_fit_the_grid_and_have_queries(self) -> None:
        panels = dashboard_panels()
        ids = [panel["id"] for panel in panels]
        assert len(ids) == len(set(ids))
        for panel in panels:
            grid = panel["gridPos"]
            assert 0 <= grid["x"] < grid["x"] + grid["w"] <= 24, panel["title"]
            if panel["type"] != "row":
                refs = [target["refId"] for target in panel["targets"]]
                assert refs, panel["title"]
                assert len(refs) == len(set(refs)), panel["title"]

    def test_job_filter_is_applied_to_every_query(self) -> None:
        for panel in dashboard_panels():
            for target in panel.get("targets", []):
                for selector in selectors(target["expr"]):
                    assert ("job", "=~", "$job") in selector.matchers, (panel["title"], selector.name)

    def test_every_metric_family_has_a_panel(self) -> None:
        used = {
            SERIES[s.name].family
            for panel in dashboard_panels()
            for target in panel.get("targets", [])
            for s in known(selectors(target["expr"]))
        }
        assert used == {series.family for series in SERIES.values()}

    def test_latency_quantiles_come_from_buckets_grouped_by_le(self) -> None:
        for where, expr in EXPRESSIONS:
            if "histogram_quantile" in expr:
                assert any(s.name.endswith("_bucket") for s in selectors(expr)), where
                assert all("le" in labels for labels, _ in groupings(expr)), where


# --- alert rules ----------------------------------------------------------------------------------

REQUIRED_ALERTS = {
    "webhook backlog age": ("linkgate_durable_jobs_oldest_due_age_seconds", 'kind="webhook_delivery"'),
    "refresh error rate": ("linkgate_refreshes_total", 'outcome=~"'),
    "5xx rate": ("linkgate_http_requests_total", 'status=~"5..'),
    "no scheduler leader": ("linkgate_scheduler_leader", "absent(linkgate_scheduler_leader"),
    "upstream provider failing": ("linkgate_upstream_requests_total", 'status=~"5..|timeout|error"'),
    "metrics database down": ("linkgate_metrics_database_up", "absent(linkgate_metrics_database_up"),
}


class TestAlerts:
    @pytest.mark.parametrize("purpose", REQUIRED_ALERTS)
    def test_required_alert_exists(self, purpose: str) -> None:
        series, snippet = REQUIRED_ALERTS[purpose]
        assert any(
            series in {s.name for s in selectors(rule["expr"])} and snippet in rule["expr"]
            for rule in alert_rules()
        ), purpose

    def test_rules_are_complete_prometheus_alerts(self) -> None:
        names = [rule["alert"] for rule in alert_rules()]
        assert len(names) == len(set(names))
        for rule in alert_rules():
            assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
            assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
            assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
            assert {"summary", "description"} <= set(rule["annotations"]), rule["alert"]

    def test_ratios_of_refreshes_and_upstream_calls_are_per_provider(self) -> None:
        for rule in alert_rules():
            names = {s.name for s in selectors(rule["expr"])}
            if names & {"linkgate_refreshes_total", "linkgate_upstream_requests_total"}:
                assert all(labels == {"provider"} for labels, _ in groupings(rule["expr"])), rule["alert"]


# --- Prometheus and Grafana in compose ------------------------------------------------------------


def _mounts(service: dict[str, Any]) -> dict[PurePosixPath, Path]:
    """Bind mounts of a compose service: container path -> host path (relative to deploy/)."""
    found = {}
    for volume in service.get("volumes", []):
        source, target, *_ = volume.split(":")
        if source.startswith("."):
            found[PurePosixPath(target)] = DEPLOY / source
    return found


def _metrics_port(service: dict[str, Any]) -> int:
    return int(service["environment"]["LINKGATE_METRICS_PORT"])


class TestComposeObservability:
    def test_prometheus_and_grafana_are_optional_and_pinned(self) -> None:
        services = compose()
        optional = {name for name, service in services.items() if "profiles" in service}
        assert optional == {"prometheus", "grafana"}
        for name in optional:
            assert services[name]["profiles"] == [PROFILE]
            image, _, tag = services[name]["image"].partition(":")
            assert re.fullmatch(r"v?\d+\.\d+\.\d+", tag), services[name]["image"]

    def test_mounts_exist(self) -> None:
        for name in ("prometheus", "grafana"):
            for host in _mounts(compose()[name]).values():
                assert host.exists(), host

    def test_prometheus_loads_the_mounted_config_and_rules(self) -> None:
        service = compose()["prometheus"]
        mounts = _mounts(service)
        config = PurePosixPath(
            next(a.split("=", 1)[1] for a in service["command"] if a.startswith("--config.file="))
        )
        assert mounts[config] == PROMETHEUS
        rule_files = load_yaml(PROMETHEUS)["rule_files"]
        assert [mounts[config.parent / path] for path in rule_files] == [ALERTS]

    def test_every_linkgate_role_is_scraped_on_its_metrics_port(self) -> None:
        services = compose()
        jobs = {job["job_name"]: job for job in load_yaml(PROMETHEUS)["scrape_configs"]}
        expected = {
            "api": 8000,
            "worker": _metrics_port(services["worker"]),
            "scheduler": _metrics_port(services["scheduler"]),
        }
        assert "LINKGATE_METRICS_PORT" not in services["api"]["environment"], "the API keeps /metrics on 8000"
        assert "--port" in services["api"]["command"]
        assert services["api"]["command"][services["api"]["command"].index("--port") + 1] == "8000"
        scraped = {}
        for job in jobs.values():
            assert job.get("metrics_path", "/metrics") == "/metrics"
            for sd in job["dns_sd_configs"]:
                assert sd["type"] == "A", "type A resolves every replica of a service"
                for name in sd["names"]:
                    scraped[name] = sd["port"]
        assert scraped == expected
        for name in ("worker", "scheduler"):
            assert services[name]["environment"]["LINKGATE_METRICS_HOST"] == "0.0.0.0"

    def test_grafana_provisions_the_datasource_and_dashboards_it_mounts(self) -> None:
        services = compose()
        mounts = _mounts(services["grafana"])
        provisioning = PurePosixPath("/etc/grafana/provisioning")
        datasources = mounts[provisioning / "datasources"]
        ((datasource,),) = [load_yaml(path)["datasources"] for path in sorted(datasources.glob("*.yaml"))]
        assert datasource["type"] == "prometheus"
        url = re.fullmatch(r"http://([\w-]+):(\d+)", datasource["url"])
        assert url, datasource["url"]
        host, port = url.groups()
        assert host in services
        assert services[host]["ports"][0].endswith(f":{port}")
        ((provider,),) = [
            load_yaml(path)["providers"]
            for path in sorted(mounts[provisioning / "dashboards"].glob("*.yaml"))
        ]
        assert mounts[PurePosixPath(provider["options"]["path"])] == DASHBOARD.parent


# --- Kubernetes -----------------------------------------------------------------------------------


class TestKubernetesScraping:
    def deployments(self) -> list[dict[str, Any]]:
        return [doc for doc in k8s_documents() if doc["kind"] == "Deployment"]

    def test_every_linkgate_pod_is_scraped_where_it_serves_metrics(self) -> None:
        roles = set()
        for deployment in self.deployments():
            template = deployment["spec"]["template"]
            annotations = template["metadata"]["annotations"]
            assert annotations["prometheus.io/scrape"] == "true"
            assert annotations["prometheus.io/path"] == "/metrics"
            port = int(annotations["prometheus.io/port"])
            (container,) = template["spec"]["containers"]
            role = container["command"][1]
            roles.add(role)
            ports = {p["containerPort"]: p.get("name") for p in container["ports"]}
            assert port in ports, deployment["metadata"]["name"]
            env = {item["name"]: item["value"] for item in container.get("env", [])}
            if role == "serve":
                assert "LINKGATE_METRICS_PORT" not in env
                assert int(container["command"][container["command"].index("--port") + 1]) == port
            else:
                assert int(env["LINKGATE_METRICS_PORT"]) == port
                assert env["LINKGATE_METRICS_HOST"] == "0.0.0.0"
                assert ports[port] == "metrics"
        assert roles == {"serve", "worker", "scheduler"}

    def test_pod_monitor_selects_every_linkgate_pod_on_its_metrics_port(self) -> None:
        (monitor,) = load_yaml_all(DEPLOY / "k8s" / "prometheus-operator" / "podmonitor.yaml")
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        assert monitor["kind"] == "PodMonitor"
        (expression,) = monitor["spec"]["selector"]["matchExpressions"]
        assert (expression["key"], expression["operator"]) == ("app", "In")
        endpoints = {e["port"]: e for e in monitor["spec"]["podMetricsEndpoints"]}
        assert all(e["path"] == "/metrics" for e in endpoints.values())
        selected = set()
        for deployment in self.deployments():
            template = deployment["spec"]["template"]
            selected.add(template["metadata"]["labels"]["app"])
            annotated = int(template["metadata"]["annotations"]["prometheus.io/port"])
            (container,) = template["spec"]["containers"]
            # Exactly one endpoint applies to each pod, and it is the port the annotations name.
            named = {p.get("name"): p["containerPort"] for p in container["ports"]}
            assert [named[port] for port in endpoints if port in named] == [annotated]
        assert set(expression["values"]) == selected


# --- settings named in deploy files ---------------------------------------------------------------


def _deploy_settings() -> Iterator[tuple[str, str, str]]:
    """(file, variable, value) for every LINKGATE_* variable the deploy files set."""
    for name in ("compose.yaml", "compose.embedded.yaml"):
        for service in load_yaml(DEPLOY / name)["services"].values():
            for key, value in service.get("environment", {}).items():
                yield name, key, str(value)
    for doc in k8s_documents():
        for key, value in {**doc.get("data", {}), **doc.get("stringData", {})}.items():
            yield doc["metadata"]["name"], key, str(value)
        if doc["kind"] in {"Deployment", "Job"}:
            for container in doc["spec"]["template"]["spec"]["containers"]:
                for item in container.get("env", []):
                    yield doc["metadata"]["name"], item["name"], str(item["value"])


def test_every_linkgate_variable_in_deploy_files_is_a_setting() -> None:
    for where, key, _ in _deploy_settings():
        if key.startswith("LINKGATE_"):
            assert key.removeprefix("LINKGATE_").lower() in Settings.model_fields, f"{where}: {key}"


def test_metrics_variables_in_deploy_files_are_valid_settings() -> None:
    for where, key, value in _deploy_settings():
        if key.startswith("LINKGATE_METRICS_"):
            field = key.removeprefix("LINKGATE_").lower()
            settings = Settings.model_validate({"database_url": "sqlite:///:memory:", field: value})
            assert str(getattr(settings, field)) == value, where
