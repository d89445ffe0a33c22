"""Every ci/ scenario of charts/meatyapis: Helm 3 and 4 lint, strict Kubernetes schemas of the
oldest and newest supported versions, checkov, deterministic renders."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path

import pytest

from tests.charts import quality
from tests.charts.meatyapis import CHART, CHART_DIR, NAMESPACE, SCENARIOS, scenario_id
from tests.charts.render import render, render_chart

# Custom resources: kubernetes-validate ships no schemas for them. The Prometheus Operator's,
# Gateway API's and External Secrets' are checked against their CRD schemas below; the Route's
# shape is asserted in test_meatyapis_production_and_openshift.
CUSTOM_KINDS = {"ServiceMonitor", "PrometheusRule", "Route", "HTTPRoute", "ExternalSecret"}
OPERATOR_GROUP = "monitoring.coreos.com/"
scenarios = pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_id)


def test_there_are_the_four_scenarios() -> None:
    assert [scenario_id(s) for s in SCENARIOS] == [
        "01-defaults",
        "02-production",
        "03-openshift",
        "04-gateway-api",
    ]


@scenarios
@pytest.mark.parametrize("helm", ["helm3", "helm4"])
def test_lint_strict(scenario: Path, helm: str) -> None:
    quality.lint_strict(CHART_DIR, scenario, helm)


@scenarios
@pytest.mark.parametrize("version", [quality.OLDEST, quality.NEWEST])
def test_objects_valid_against_kubernetes_schemas(scenario: Path, version: str) -> None:
    objs = render_chart(CHART, values_files=[scenario], namespace=NAMESPACE, kube_version=version)
    assert quality.validate_strictly(objs, version, CUSTOM_KINDS) >= 10


@scenarios
def test_renders_identical_with_helm3_and_helm4_and_twice(scenario: Path) -> None:
    first = render(CHART, values_files=[scenario], namespace=NAMESPACE)
    argv = quality.template_argv(CHART_DIR, "meatyapis", NAMESPACE, scenario)
    again = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True).stdout
    assert again == first.text
    helm4 = render(CHART, values_files=[scenario], namespace=NAMESPACE, helm="helm4")
    assert helm4.objects == first.objects


def test_prometheus_operator_resources_match_their_crd_schemas() -> None:
    production = CHART_DIR / "ci" / "02-production-values.yaml"
    objs = render_chart(CHART, values_files=[production], namespace=NAMESPACE)
    custom = [o for o in objs if o["apiVersion"].startswith(OPERATOR_GROUP)]
    assert sorted(o["kind"] for o in custom) == [
        "PrometheusRule",
        "ServiceMonitor",
        "ServiceMonitor",
    ]
    assert quality.custom_resource_errors(custom) == []
    broken = copy.deepcopy(custom)
    monitor = next(o for o in broken if o["kind"] == "ServiceMonitor")
    monitor["spec"]["endpoints"][0]["interval"] = "30 seconds"
    rule = next(o for o in broken if o["kind"] == "PrometheusRule")
    del rule["spec"]["groups"][0]["rules"][0]["expr"]
    errors = quality.custom_resource_errors(broken)
    assert any("interval" in e for e in errors), errors
    assert any("expr" in e for e in errors), errors


@scenarios
def test_custom_resources_match_their_crd_schemas(scenario: Path) -> None:
    objs = render_chart(CHART, values_files=[scenario], namespace=NAMESPACE)
    custom = [o for o in objs if o["kind"] in CUSTOM_KINDS - {"Route"}]
    assert quality.custom_resource_errors(custom) == []


def test_no_render_time_randomness_or_cluster_lookups() -> None:
    assert quality.randomness_in_templates(CHART_DIR) == []


def test_checkov_passes_on_every_scenario(tmp_path: Path) -> None:
    for scenario in SCENARIOS:
        rendered = render(CHART, values_files=[scenario], namespace=NAMESPACE)
        (tmp_path / f"{scenario_id(scenario)}.yaml").write_text(rendered.text)
    passed, failed = quality.checkov(tmp_path)
    assert passed > 500
    assert failed == 0
