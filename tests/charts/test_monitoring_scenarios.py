"""Every ci/ scenario of charts/monitoring: Helm 3 and 4 lint, strict Kubernetes schemas of the
oldest and newest supported versions, promtool on the rendered Prometheus configuration, checkov,
deterministic renders, generated README and schema up to date."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from prometheus import local
from tests.charts import quality
from tests.charts.monitoring import (
    CHART,
    CHART_DIR,
    NAMESPACE,
    RELEASE,
    SCENARIOS,
    objects,
    prometheus_config,
    rule_files,
    scenario_id,
)
from tests.charts.render import ROOT, render

CUSTOM_KINDS = {"Route"}  # no schema in kubernetes-validate; asserted in the feature tests
scenarios = pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_id)


def test_there_are_the_three_scenarios() -> None:
    assert [scenario_id(s) for s in SCENARIOS] == ["01-defaults", "02-production", "03-openshift"]


@scenarios
@pytest.mark.parametrize("helm", ["helm3", "helm4"])
def test_lint_strict(scenario: Path, helm: str) -> None:
    quality.lint_strict(CHART_DIR, scenario, helm)


@scenarios
@pytest.mark.parametrize("version", [quality.OLDEST, quality.NEWEST])
def test_objects_valid_against_kubernetes_schemas(scenario: Path, version: str) -> None:
    objs = objects(values_files=[scenario], kube_version=version)
    assert quality.validate_strictly(objs, version, CUSTOM_KINDS) >= 20


# Debian's promtool 2.x on PATH, and Prometheus 3's (the chart's default image) from
# scripts/install-tools.sh.
PROMTOOLS = {"promtool2": "promtool", "promtool3": str(ROOT / ".tools" / "bin" / "promtool3")}


@scenarios
@pytest.mark.parametrize("promtool", sorted(PROMTOOLS.values()), ids=sorted(PROMTOOLS))
def test_promtool_accepts_the_rendered_configuration(
    scenario: Path, promtool: str, tmp_path: Path
) -> None:
    """The rendered prometheus.yml and rule files, laid out as the pod mounts them, for each
    Prometheus major version (prometheus/local.py's values for it). Debian's promtool has no
    Kubernetes discovery: only that block is swapped for an equivalent pod."""
    found = shutil.which(promtool)
    assert found, f"{promtool} missing: scripts/install-system.sh and scripts/install-tools.sh"
    objs = objects(local.version_values(local.major_version(found)), values_files=[scenario])
    config = local.with_static_pods(
        prometheus_config(objs), [local.Pod.annotated("meatyapis-flask", "10.0.0.7:8080")]
    )
    config_file = local.write(tmp_path, config, rule_files(objs))
    result = subprocess.run(
        [found, "check", "config", str(config_file)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") >= 2  # the config and each rule file


@scenarios
def test_renders_identical_with_helm3_and_helm4_and_twice(scenario: Path) -> None:
    first = render(CHART, values_files=[scenario], namespace=NAMESPACE, release=RELEASE)
    argv = quality.template_argv(CHART_DIR, RELEASE, NAMESPACE, scenario)
    again = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True).stdout
    assert again == first.text
    helm4 = render(
        CHART, values_files=[scenario], namespace=NAMESPACE, release=RELEASE, helm="helm4"
    )
    assert helm4.objects == first.objects


def test_no_render_time_randomness_or_cluster_lookups() -> None:
    assert quality.randomness_in_templates(CHART_DIR) == []


def test_readme_and_schema_are_generated_from_values() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "chart_docs.py"), "--check", str(CHART_DIR)],
        capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_checkov_passes_on_every_scenario(tmp_path: Path) -> None:
    for scenario in SCENARIOS:
        rendered = render(CHART, values_files=[scenario], namespace=NAMESPACE, release=RELEASE)
        (tmp_path / f"{scenario_id(scenario)}.yaml").write_text(rendered.text)
    passed, failed = quality.checkov(tmp_path)
    assert passed > 500
    assert failed == 0
