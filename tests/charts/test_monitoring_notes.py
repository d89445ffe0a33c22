"""NOTES.txt tells what is watched and how to reach Prometheus, Grafana and Alertmanager
(Helm 4 renders notes without a cluster)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.charts.monitoring import CHART_DIR, NAMESPACE, RELEASE, SCENARIOS, scenario_id
from tests.charts.render import helm_binary

EXPECTED = {
    "01-defaults": ["in:\n  monitoring (one Role per namespace)",
                    "get secret monitoring-grafana-admin -o jsonpath='{.data.admin-password}'"],
    "02-production": ["monitoring, meatyapis (one Role per namespace)", "plus 1 extra rule group",
                      "Grafana: https://grafana.meatyapis.example.com/",
                      "get secret grafana-admin", 'Alertmanager (receiver "team-webhook")',
                      "svc/monitoring-alertmanager 9093:9093"],
    "03-openshift": ["every namespace (ClusterRole)", "get route monitoring-grafana"],
}  # fmt: skip


@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_id)
def test_notes_say_how_to_reach_everything(scenario: Path) -> None:
    result = subprocess.run(
        [helm_binary("helm4"), "install", RELEASE, str(CHART_DIR), "--dry-run=client",
         "--namespace", NAMESPACE, "--values", str(scenario)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    notes = result.stdout.split("NOTES:", 1)[1]
    common = ["svc/monitoring-prometheus 9090:9090", "svc/monitoring-grafana 3000:80",
              f"helm test {RELEASE} -n {NAMESPACE}"]  # fmt: skip
    for text in [*EXPECTED[scenario_id(scenario)], *common]:
        assert text in notes, (text, notes)
