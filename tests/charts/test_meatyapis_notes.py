"""NOTES.txt tells how to reach both services (Helm 4 renders notes without a cluster)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.charts.meatyapis import CHART_DIR, NAMESPACE, SCENARIOS, scenario_id
from tests.charts.render import helm_binary

EXPECTED = {
    "01-defaults": ["kubectl port-forward -n meatyapis svc/meatyapis-flask 8001:8080",
                    "svc/meatyapis-fastapi 8002:8080", "SQLite on a PersistentVolumeClaim",
                    "generated once in the cluster"],
    "02-production": ["https://catalog.example.com/", "https://identity.example.com/",
                      "DATABASE_URL from Secret meatyapis-flask-db", "Secret meatyapis-token."],
    "03-openshift": ["oc get route meatyapis-flask -n meatyapis",
                     "oc get route meatyapis-fastapi -n meatyapis"],
    "04-gateway-api": ["catalog.example.com (HTTPRoute meatyapis-flask)",
                       "identity.example.com (HTTPRoute meatyapis-fastapi)",
                       "DATABASE_URL from Secret meatyapis-flask-db (External Secrets)",
                       "DATABASE_URL from Secret identity-database (External Secrets)",
                       "Secret meatyapis-fastapi-token (External Secrets)."],
}  # fmt: skip


@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_id)
def test_notes_say_how_to_reach_the_services(scenario: Path) -> None:
    result = subprocess.run(
        [helm_binary("helm4"), "install", "meatyapis", str(CHART_DIR), "--dry-run=client",
         "--namespace", NAMESPACE, "--values", str(scenario)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    notes = result.stdout.split("NOTES:", 1)[1]
    in_cluster = f"http://meatyapis-flask.{NAMESPACE}.svc.cluster.local:8080"
    for text in [*EXPECTED[scenario_id(scenario)], in_cluster, "helm test meatyapis"]:
        assert text in notes, (text, notes)
