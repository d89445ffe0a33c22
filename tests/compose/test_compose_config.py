"""compose.yaml is valid and runs Prometheus and Grafana from what the charts use.

Its Prometheus and Grafana configuration lives in compose/ (Compose cannot render a chart), so
these tests compare it with `helm template charts/monitoring`: the same global settings, target
labels, rules, datasource, dashboard provider and image versions. The rules and dashboards
themselves are mounted from their sources (prometheus/rules/, grafana/dashboards/), never copied.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.charts.monitoring import GRAFANA, objects, prometheus_config, rule_files
from tests.charts.render import find_object

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"
BIN = Path(sys.executable).parent  # the venv's console scripts (check-jsonschema, podman-compose)


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = load(COMPOSE)
    return data


@pytest.fixture(scope="module")
def chart() -> list[dict[str, Any]]:
    return objects()


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


def test_prometheus_config_matches_the_chart(compose: dict[str, Any], chart: list[dict[str, Any]]):
    ours = load(ROOT / "compose" / "prometheus.yml")
    theirs = prometheus_config(chart)
    assert ours["global"] == {k: v for k, v in theirs["global"].items() if k != "external_labels"}
    # The labels the chart's relabelling gives every MeatyAPIs target.
    pods = next(c for c in theirs["scrape_configs"] if c["job_name"] == "kubernetes-pods")
    chart_labels = {
        r["target_label"]
        for r in pods["relabel_configs"]
        if "target_label" in r and not r["target_label"].startswith("__")
    }
    meatyapis = next(c for c in ours["scrape_configs"] if c["job_name"] == "meatyapis")
    services = set()
    for group in meatyapis["static_configs"]:
        assert set(group["labels"]) == chart_labels
        services.add(group["labels"]["service"])
        host = group["targets"][0].split(":")[0]
        assert host in compose["services"]
    assert services == {"meatyapis-flask", "meatyapis-fastapi"}


def test_prometheus_loads_the_rule_source_the_chart_packages(
    compose: dict[str, Any], chart: list[dict[str, Any]]
) -> None:
    mounts = bind_mounts(compose["services"]["prometheus"])
    assert mounts["/etc/prometheus/prometheus.yml"] == ROOT / "compose" / "prometheus.yml"
    rules_dir = mounts["/etc/prometheus/rules"]
    assert rules_dir == ROOT / "prometheus" / "rules"
    ours = {p.name: p.read_text(encoding="utf-8").strip() for p in rules_dir.glob("*.yaml")}
    assert ours
    assert ours == {name: text.strip() for name, text in rule_files(chart).items()}


def test_promtool_accepts_the_compose_config_with_its_rules(tmp_path: Path) -> None:
    shutil.copy(ROOT / "compose" / "prometheus.yml", tmp_path / "prometheus.yml")
    shutil.copytree(ROOT / "prometheus" / "rules", tmp_path / "rules")
    result = subprocess.run(
        ["promtool", "check", "config", str(tmp_path / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr
    assert "rules found" in result.stdout + result.stderr


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
