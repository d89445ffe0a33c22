"""charts/monitoring: bad values fail the render with a message naming the value."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from tests.charts.monitoring import CHART, CHART_DIR
from tests.charts.render import render_error

CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("ingress-and-route", {"grafana": {"ingress": {"enabled": True}, "route": {"enabled": True}}},
     ["grafana.ingress.enabled", "grafana.route.enabled"]),
    ("cluster-wide-with-namespaces", {"clusterWide": True, "watchNamespaces": ["a"]},
     ["watchNamespaces", "clusterWide"]),
    ("rule-group-without-name", {"prometheus": {"extraRuleGroups": [{"rules": []}]}},
     ["prometheus.extraRuleGroups"]),
    ("scrape-config-without-job", {"prometheus": {"extraScrapeConfigs": [{"static_configs": []}]}},
     ["prometheus.extraScrapeConfigs", "job_name"]),
    ("receiver-without-name", {"alertmanager": {"receiver": {"name": ""}}},
     ["alertmanager.receiver.name"]),
    ("empty-admin-user", {"grafana": {"admin": {"user": ""}}}, ["grafana.admin.user"]),
    # the schema: unknown keys and wrong types, named
    ("api-server-not-a-cidr", {"networkPolicy": {"apiServerCidrs": ["10.0.0.1"]}},
     ["networkPolicy.apiServerCidrs", "10.0.0.1"]),
    ("typo", {"prometheus": {"retension": {}}}, ["retension"]),
    ("top-level-typo", {"grafna": {}}, ["grafna"]),
    ("wrong-type", {"prometheus": {"port": "ninety"}}, ["port"]),
    ("namespaces-not-a-list", {"watchNamespaces": "meatyapis"}, ["watchNamespaces"]),
    ("bad-pull-policy", {"grafana": {"image": {"pullPolicy": "Sometimes"}}}, ["pullPolicy"]),
    ("fallback-protocol-on-prometheus-2", {"prometheus": {"image": {"tag": "v2.53.4"}}},
     ["prometheus.fallbackScrapeProtocol", "v2.53.4"]),
    ("unknown-fallback-protocol", {"prometheus": {"fallbackScrapeProtocol": "PrometheusText2"}},
     ["fallbackScrapeProtocol"]),
]  # fmt: skip


@pytest.mark.parametrize(("values", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
@pytest.mark.parametrize("helm", ["helm3", "helm4"])
def test_bad_values_fail_naming_the_value(
    values: dict[str, Any], expected: list[str], helm: str
) -> None:
    error = render_error(CHART, values, helm=helm, namespace="monitoring", release="monitoring")
    for text in expected:
        assert text in error, (text, error)


def test_missing_rule_and_dashboard_copies_fail_the_render(tmp_path: Any) -> None:
    bare = tmp_path / CHART
    shutil.copytree(CHART_DIR, bare, ignore=shutil.ignore_patterns("rules"))
    assert "make rules" in render_error(str(bare))
    shutil.rmtree(bare)
    shutil.copytree(CHART_DIR, bare, ignore=shutil.ignore_patterns("dashboards"))
    assert "grafana.dashboards.enabled" in render_error(str(bare))
