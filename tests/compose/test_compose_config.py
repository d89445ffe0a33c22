"""compose.yaml is valid and runs Prometheus and Grafana from what the charts use.

Its Prometheus and Grafana configuration lives in compose/ (Compose cannot render a chart), so
these tests compare it with `helm template charts/monitoring`: compose/prometheus.yml and the
Prometheus flags are what prometheus/local.py derives from the chart (the same derivation as
`make run` and the live test), and the rules, datasource, dashboard provider and image versions
are the chart's. The rules and dashboards themselves are mounted from their sources
(prometheus/rules/, grafana/dashboards/), never copied.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from prometheus import local
from tests.charts.monitoring import GRAFANA, objects, rule_files
from tests.charts.render import find_object
from tests.support.net import HOST, free_port
from tests.support.processes import ServerProcess, wait_until

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"
BIN = Path(sys.executable).parent  # the venv's console scripts (check-jsonschema, podman-compose)
PROMETHEUS3 = (
    ROOT / ".tools" / "bin" / "prometheus3"
)  # what compose runs (scripts/install-tools.sh)
PROMTOOL3 = ROOT / ".tools" / "bin" / "promtool3"


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = load(COMPOSE)
    return data


@pytest.fixture(scope="module")
def chart() -> list[dict[str, Any]]:
    return objects()


@pytest.fixture(scope="module")
def derived() -> tuple[str, list[str]]:
    return local.compose()


def bind_mounts(service: dict[str, Any]) -> dict[str, Path]:
    """container path -> host path of the service's bind mounts (./… sources)."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("./"):
            mounts[target] = ROOT / source
    return mounts


def test_compose_file_is_valid_against_the_compose_spec_schema() -> None:
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_compose_file(tmp_path: Path) -> None:
    broken = load(COMPOSE)
    broken["services"]["flask"]["read_only"] = "yes please"
    broken["services"]["flask"]["no_such_key"] = 1
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "no_such_key" in result.stdout


def test_podman_compose_parses_and_resolves_the_file() -> None:
    result = subprocess.run(
        [str(BIN / "podman-compose"), "-f", str(COMPOSE), "config"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert set(resolved["services"]) == {"flask", "fastapi", "postgres", "prometheus", "grafana"}


def test_services_are_built_from_the_dockerfile_and_run_restricted(
    compose: dict[str, Any],
) -> None:
    for app in ("flask", "fastapi"):
        service = compose["services"][app]
        assert service["build"] == {"context": ".", "args": {"APP": app}}
        assert (ROOT / "Dockerfile").is_file()
        assert service["user"] == "10001:0"
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        assert "/tmp" in service["tmpfs"]
        assert service["environment"]["DATABASE_URL"].startswith("${")
        assert "postgresql+psycopg://" in service["environment"]["DATABASE_URL"]


def test_prometheus_config_is_derived_from_the_chart(derived: tuple[str, list[str]]) -> None:
    text, _ = derived
    assert local.COMPOSE_CONFIG.read_text() == text, "stale: run `make compose-prometheus`"


def test_prometheus_runs_with_the_charts_flags(
    compose: dict[str, Any], derived: tuple[str, list[str]]
) -> None:
    _, args = derived
    assert compose["services"]["prometheus"]["command"] == args


def test_prometheus_scrapes_the_compose_services(compose: dict[str, Any]) -> None:
    config = load(local.COMPOSE_CONFIG)
    pods = next(c for c in config["scrape_configs"] if c["job_name"] == "kubernetes-pods")
    hosts = {group["targets"][0].split(":")[0] for group in pods["static_configs"]}
    assert hosts == {"flask", "fastapi"} <= set(compose["services"])
    ports = {group["targets"][0].split(":")[1] for group in pods["static_configs"]}
    # the containers' metrics port (METRICS_PORT, not published on the host), not the API's
    assert ports == {"9102"}
    for app in ("flask", "fastapi"):
        published = [port.rsplit(":", 1)[1] for port in compose["services"][app]["ports"]]
        assert published == ["8080"], app


def test_prometheus_loads_the_rule_source_the_chart_packages(
    compose: dict[str, Any], chart: list[dict[str, Any]]
) -> None:
    mounts = bind_mounts(compose["services"]["prometheus"])
    assert mounts["/etc/prometheus/config/prometheus.yml"] == local.COMPOSE_CONFIG
    rules_dir = mounts["/etc/prometheus/rules"]
    assert rules_dir == ROOT / "prometheus" / "rules"
    ours = {p.name: p.read_text(encoding="utf-8").strip() for p in rules_dir.glob("*.yaml")}
    assert ours
    assert ours == {name: text.strip() for name, text in rule_files(chart).items()}


def _laid_out(directory: Path) -> Path:
    """compose/prometheus.yml and the rules, laid out as compose.yaml mounts them."""
    (directory / "config").mkdir()
    shutil.copy(local.COMPOSE_CONFIG, directory / "config" / "prometheus.yml")
    shutil.copytree(ROOT / "prometheus" / "rules", directory / "rules")
    return directory / "config" / "prometheus.yml"


def test_promtool_3_accepts_the_compose_config_with_its_rules(tmp_path: Path) -> None:
    assert PROMTOOL3.exists(), "run `make tools` (scripts/install-tools.sh)"
    result = subprocess.run(
        [str(PROMTOOL3), "check", "config", str(_laid_out(tmp_path))],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr
    assert "rules found" in result.stdout + result.stderr


@pytest.fixture
def prometheus3(tmp_path: Path, derived: tuple[str, list[str]]) -> Iterator[str]:
    """Prometheus 3 started with compose's configuration, rules and flags (paths made local);
    the compose host names do not resolve here, so its targets are down."""
    assert PROMETHEUS3.exists(), "run `make tools` (scripts/install-tools.sh)"
    listen = f"{HOST}:{free_port()}"
    argv = local.local_args(derived[1], _laid_out(tmp_path), tmp_path / "data", listen)
    with ServerProcess(
        [str(PROMETHEUS3), *argv],
        log_path=tmp_path / "prometheus.log",
        ready_url=f"http://{listen}/-/ready",
    ):
        yield f"http://{listen}"


@pytest.mark.integration
def test_prometheus_3_gives_the_compose_services_the_target_labels_of_the_chart(
    prometheus3: str,
) -> None:
    """The chart's relabeling turns the compose services into targets labelled as the rules and
    dashboards expect (namespace, pod, service), and the rules load."""

    def targets() -> list[dict[str, Any]]:
        body = httpx.get(f"{prometheus3}/api/v1/targets", timeout=10).json()
        found: list[dict[str, Any]] = body["data"]["activeTargets"]
        return found

    assert wait_until(lambda: len(targets()) == 3, timeout=30), targets()
    labels = {t["labels"].get("service"): t["labels"] for t in targets()}
    for app, host in (("meatyapis-flask", "flask"), ("meatyapis-fastapi", "fastapi")):
        assert labels[app]["namespace"] == "compose"
        assert labels[app]["pod"] == f"{app}-0"
        assert labels[app]["instance"] == f"{host}:9102"  # the metrics port
        assert labels[app]["job"] == "kubernetes-pods"
    groups = httpx.get(f"{prometheus3}/api/v1/rules", timeout=10).json()["data"]["groups"]
    assert {g["name"] for g in groups} == {
        "meatyapis-red",
        "meatyapis-slo-windows",
        "meatyapis-alerts",
    }


def test_grafana_provisioning_matches_the_chart(
    compose: dict[str, Any], chart: list[dict[str, Any]]
) -> None:
    mounts = bind_mounts(compose["services"]["grafana"])
    provisioning = mounts["/etc/grafana/provisioning"]
    ours = load(provisioning / "datasources" / "datasources.yaml")["datasources"]
    theirs = yaml.safe_load(
        find_object(chart, "ConfigMap", f"{GRAFANA}-datasources")["data"]["datasources.yaml"]
    )["datasources"]
    assert [{k: v for k, v in d.items() if k != "url"} for d in ours] == [
        {k: v for k, v in d.items() if k != "url"} for d in theirs
    ]
    assert ours[0]["url"] == "http://prometheus:9090"

    providers = load(provisioning / "dashboards" / "providers.yaml")["providers"]
    chart_providers = yaml.safe_load(
        find_object(chart, "ConfigMap", f"{GRAFANA}-dashboard-providers")["data"]["providers.yaml"]
    )["providers"]
    chart_provider = next(p for p in chart_providers if p["name"] == "chart")
    assert providers == [chart_provider]
    dashboards = mounts[chart_provider["options"]["path"]]
    assert dashboards == ROOT / "grafana" / "dashboards"
    assert sorted(p.name for p in dashboards.glob("*.json"))


def test_prometheus_and_grafana_versions_are_the_charts(compose: dict[str, Any]) -> None:
    values = load(ROOT / "charts" / "monitoring" / "values.yaml")
    for service, key in (("prometheus", "prometheus"), ("grafana", "grafana")):
        image = values[key]["image"]
        expected = f"{image['registry']}/{image['repository']}:{image['tag']}"
        assert compose["services"][service]["image"] == expected
