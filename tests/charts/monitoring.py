"""Shared bits of the charts/monitoring tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.charts.render import CHARTS_DIR, find_object, render_chart

CHART = "monitoring"
CHART_DIR = CHARTS_DIR / CHART
SCENARIOS = sorted((CHART_DIR / "ci").glob("*-values.yaml"))
NAMESPACE = "monitoring"
RELEASE = "monitoring"
PROMETHEUS = "monitoring-prometheus"
GRAFANA = "monitoring-grafana"
# Values that switch on what a production install uses, shared by the feature tests.
PRODUCTION = {
    "watchNamespaces": ["meatyapis", "payments"],
    "alertmanager": {
        "enabled": True,
        "receiver": {"name": "team", "webhook_configs": [{"url": "https://hooks.example/x"}]},
    },
    "grafana": {
        "admin": {"existingSecret": "grafana-admin"},
        "persistence": {"enabled": True, "size": "2Gi"},
        "ingress": {"enabled": True, "host": "g.example.com", "tlsSecretName": "g-tls"},
    },
    "prometheus": {
        "extraScrapeConfigs": [{"job_name": "extra", "static_configs": [{"targets": ["x:1"]}]}],
        "extraRuleGroups": [{"name": "extra", "rules": [{"record": "a:b", "expr": "up"}]}],
        "retention": {"time": "30d", "size": "40GB"},
        "persistence": {"size": "50Gi"},
    },
}


def scenario_id(path: Path) -> str:
    return path.name.removesuffix("-values.yaml")


def objects(values: dict[str, Any] | None = None, **kwargs: Any) -> list[dict[str, Any]]:
    kwargs.setdefault("release", RELEASE)
    return render_chart(CHART, values, namespace=NAMESPACE, **kwargs)


def prometheus_config(objs: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        find_object(objs, "ConfigMap", PROMETHEUS)["data"]["prometheus.yml"]
    )
    return data


def rule_files(objs: list[dict[str, Any]]) -> dict[str, str]:
    data: dict[str, str] = find_object(objs, "ConfigMap", f"{PROMETHEUS}-rules")["data"]
    return data


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = obj["spec"]["template"]["spec"]
    return spec


def container(obj: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in pod_spec(obj)["containers"] if c["name"] == name)


def env(container_: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container_.get("env", [])}
