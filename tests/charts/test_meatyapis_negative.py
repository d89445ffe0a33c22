"""Bad values fail the render with a message naming the value."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.charts.meatyapis import CHART, CHART_DIR
from tests.charts.render import render_error

EXTERNAL = {"database": {"type": "external", "external": {"existingSecret": "db"}}}

CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("sqlite-replicas", {"flask": {"replicaCount": 2}},
     ["flask.replicaCount=2", "flask.database.type=external", "SQLite"]),
    ("sqlite-hpa", {"fastapi": {"autoscaling": {"enabled": True}}},
     ["fastapi.autoscaling.enabled", "SQLite"]),
    ("external-no-secret", {"flask": {"database": {"type": "external"}}},
     ["flask.database.external.existingSecret"]),
    ("grace-too-short", {"flask": {"terminationGracePeriodSeconds": 25}},
     ["flask.terminationGracePeriodSeconds=25", "flask.preStop.seconds", "= 25"]),
    ("ingress-and-route",
     {"fastapi": {"ingress": {"enabled": True}, "route": {"enabled": True, "host": "id.example"}}},
     ["fastapi.ingress.enabled", "fastapi.route.enabled"]),
    ("pdb-both", {"flask": {"pdb": {"minAvailable": 1, "maxUnavailable": 1}}},
     ["flask.pdb.minAvailable", "flask.pdb.maxUnavailable"]),
    ("hpa-no-target", {"flask": {**EXTERNAL, "autoscaling": {"enabled": True, "targetCPU": 0}}},
     ["flask.autoscaling.targetCPU"]),
    ("hpa-min-over-max",
     {"flask": {**EXTERNAL, "autoscaling": {"enabled": True, "minReplicas": 5, "maxReplicas": 2}}},
     ["flask.autoscaling.minReplicas"]),
    ("extra-config-overrides-chart", {"flask": {"extraConfig": {"PORT": "9000"}}},
     ["flask.extraConfig.PORT"]),
    ("identity-timeout-zero", {"flask": {"identityReadTimeoutSeconds": 0}},
     ["flask.identityReadTimeoutSeconds=0", "above 0"]),
    ("identity-deadline-below-connect",
     {"flask": {"identityConnectTimeoutSeconds": 1, "identityDeadlineSeconds": 0.5}},
     ["flask.identityDeadlineSeconds=0.5", "flask.identityConnectTimeoutSeconds=1"]),
    ("trust-every-proxy", {"fastapi": {"forwardedAllowIps": "*"}},
     ["fastapi.forwardedAllowIps must not be \"*\""]),
    ("trust-every-proxy-in-a-list", {"flask": {"forwardedAllowIps": "10.0.0.0/8, *"}},
     ["flask.forwardedAllowIps must not be \"*\""]),
    ("proxy-by-name", {"fastapi": {"forwardedAllowIps": "ingress.local"}},
     ["fastapi.forwardedAllowIps: \"ingress.local\" is not an IP address or CIDR range"]),
    ("hashing-over-the-memory-limit", {"fastapi": {"passwordHashing": {"concurrency": 2}}},
     ["fastapi.workers=2", "fastapi.passwordHashing.concurrency=2",
      "fastapi.passwordHashing.memoryKib=65536", "= 512Mi exceeds 90% of",
      "fastapi.resources.limits.memory=512Mi"]),
    ("workers-over-the-memory-limit", {"fastapi": {"workers": 4}},
     ["fastapi.workers=4", "= 704Mi exceeds 90% of fastapi.resources.limits.memory=512Mi"]),
    ("hash-memory-over-a-small-limit",
     {"fastapi": {"resources": {"limits": {"memory": "384Mi"}}}},
     ["= 384Mi exceeds 90% of fastapi.resources.limits.memory=384Mi"]),
    ("memory-limit-unreadable", {"fastapi": {"resources": {"limits": {"memory": "lots"}}}},
     ["fastapi.resources.limits.memory=\"lots\" is not a memory quantity"]),
    ("ttl-over-max-lifetime", {"fastapi": {"tokenTtlSeconds": 50000}},
     ["fastapi.tokenTtlSeconds=50000 exceeds fastapi.tokenMaxLifetimeSeconds=43200"]),
    ("ingress-routes-metrics", {"flask": {"ingress": {"enabled": True, "path": "/metrics"}}},
     ["flask.ingress.path=/metrics would route /metrics"]),
    ("route-routes-metrics", {"fastapi": {"route": {"enabled": True, "path": "/metrics/x"}}},
     ["fastapi.route.path=/metrics/x would route /metrics"]),
    ("route-without-host", {"fastapi": {"route": {"enabled": True}}},
     ["fastapi.route.host is required", "covers /metrics"]),
    ("metrics-on-the-api-port", {"fastapi": {"metricsPort": 8080}},
     ["fastapi.metricsPort=8080", "fastapi.containerPort"]),
    ("admin-username", {"fastapi": {"bootstrapAdmin": {"username": "a b"}}},
     ["fastapi.bootstrapAdmin.username", "a b"]),
    ("test-without-admin", {"fastapi": {"bootstrapAdmin": {"enabled": False}}},
     ["tests.enabled", "fastapi.bootstrapAdmin.enabled"]),
    # the schema: unknown keys and wrong types, named
    ("typo", {"flask": {"replicaCont": 1}}, ["replicaCont"]),
    ("top-level-typo", {"metric": {}}, ["metric"]),
    ("wrong-type", {"fastapi": {"replicaCount": "two"}}, ["replicaCount"]),
    ("bad-enum", {"flask": {"database": {"type": "mysql"}}}, ["type"]),
    ("pull-secret-objects", {"global": {"imagePullSecrets": [{"name": "regcred"}]}},
     ["imagePullSecrets"]),
    ("bad-prestop", {"flask": {"preStop": {"action": "wait"}}}, ["action"]),
]  # fmt: skip


@pytest.mark.parametrize(("values", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
@pytest.mark.parametrize("helm", ["helm3", "helm4"])
def test_bad_values_fail_naming_the_value(
    values: dict[str, Any], expected: list[str], helm: str
) -> None:
    error = render_error(CHART, values, helm=helm)
    for text in expected:
        assert text in error, (text, error)


@pytest.fixture(scope="module")
def chart_without_shared_files(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A copy of the chart before the rules and dashboards copies are placed in it."""
    copy = tmp_path_factory.mktemp("bare") / CHART
    shutil.copytree(CHART_DIR, copy, ignore=shutil.ignore_patterns("rules", "dashboards"))
    return str(copy)


@pytest.mark.parametrize(
    ("block", "expected"),
    [("prometheusRule", "files/rules/*.yaml"), ("dashboards", "files/dashboards/*.json")],
)
def test_rules_and_dashboards_need_their_files(
    chart_without_shared_files: str, block: str, expected: str
) -> None:
    error = render_error(chart_without_shared_files, {"metrics": {block: {"enabled": True}}})
    assert f"metrics.{block}.enabled" in error
    assert expected in error
    assert not (Path(chart_without_shared_files) / "files" / "rules").exists()


def test_kubernetes_older_than_1_29_is_refused() -> None:
    error = render_error(CHART, kube_version="1.28.9")
    assert "kubeVersion" in error
    assert ">=1.29.0-0" in error
