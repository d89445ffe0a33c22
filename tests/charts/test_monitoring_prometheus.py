"""charts/monitoring: what the Prometheus side renders (StatefulSet, scrape configuration,
rules, RBAC), with the defaults and with values that switch features on (each values set
rendered once per session by the shared helper)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from prometheus import generate as rules
from tests.charts.monitoring import (
    GRAFANA,
    NAMESPACE,
    PRODUCTION,
    PROMETHEUS,
    container,
    env,
    objects,
    pod_spec,
    prometheus_config,
    rule_files,
)
from tests.charts.render import find_object, find_objects


@pytest.fixture(scope="module")
def defaults() -> list[dict[str, Any]]:
    return objects()


@pytest.fixture(scope="module")
def production() -> list[dict[str, Any]]:
    return objects(PRODUCTION)


@pytest.fixture(scope="module")
def cluster_wide() -> list[dict[str, Any]]:
    return objects({"clusterWide": True, "global": {"openshift": True}})


def test_prometheus_statefulset_pvc_retention_and_reloader(
    defaults: list[dict[str, Any]], production: list[dict[str, Any]]
) -> None:
    sts = find_object(defaults, "StatefulSet", PROMETHEUS)
    args = container(sts, "prometheus")["args"]
    assert "--storage.tsdb.retention.time=15d" in args
    assert "--storage.tsdb.retention.size=8GB" in args
    assert "--web.enable-lifecycle" in args
    assert "--config.file=/etc/prometheus/config/prometheus.yml" in args
    claim = sts["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["resources"]["requests"]["storage"] == "10Gi"
    reloader = container(sts, "config-reloader")
    assert "--reload-url=http://127.0.0.1:9090/-/reload" in reloader["args"]
    assert "--watched-dir=/etc/prometheus/rules" in reloader["args"]
    assert "annotations" not in sts["spec"]["template"]["metadata"]
    prod = container(find_object(production, "StatefulSet", PROMETHEUS), "prometheus")["args"]
    assert "--storage.tsdb.retention.time=30d" in prod
    assert "--storage.tsdb.retention.size=40GB" in prod


def test_without_reloader_a_config_change_rolls_the_pod() -> None:
    def annotations(values: dict[str, Any]) -> dict[str, str]:
        sts = find_object(objects(values), "StatefulSet", PROMETHEUS)
        result: dict[str, str] = sts["spec"]["template"]["metadata"]["annotations"]
        return result

    base = {"prometheus": {"configReloader": {"enabled": False}}}
    changed = {"prometheus": {"configReloader": {"enabled": False}, "scrapeInterval": "15s"}}
    assert annotations(base)["checksum/config"] != annotations(changed)["checksum/config"]
    sts = find_object(objects(base), "StatefulSet", PROMETHEUS)
    assert [c["name"] for c in pod_spec(sts)["containers"]] == ["prometheus"]
    assert "--web.enable-lifecycle" not in container(sts, "prometheus")["args"]


def test_scrape_config_discovers_annotated_pods(defaults: list[dict[str, Any]]) -> None:
    config = prometheus_config(defaults)
    assert config["rule_files"] == ["../rules/*.yaml"]
    assert "alerting" not in config
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    assert jobs["prometheus"]["static_configs"] == [{"targets": ["localhost:9090"]}]
    pods = jobs["kubernetes-pods"]
    assert pods["kubernetes_sd_configs"] == [{"role": "pod", "namespaces": {"names": [NAMESPACE]}}]
    relabel = pods["relabel_configs"]
    assert relabel[0] == {
        "source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
        "action": "keep",
        "regex": "true",
    }
    sources = {r.get("target_label"): r["source_labels"] for r in relabel}
    assert sources["__scheme__"] == ["__meta_kubernetes_pod_annotation_prometheus_io_scheme"]
    assert sources["__metrics_path__"] == ["__meta_kubernetes_pod_annotation_prometheus_io_path"]
    assert sources["namespace"] == ["__meta_kubernetes_namespace"]
    assert sources["pod"] == ["__meta_kubernetes_pod_name"]
    assert sources["service"] == ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]
    port = [r for r in relabel if r.get("target_label") == "__address__"]
    assert len(port) == 2  # IPv6 and IPv4 pod addresses
    for rule in port:
        assert rule["source_labels"][0] == "__meta_kubernetes_pod_annotation_prometheus_io_port"
    # Prometheus 3 fails a scrape without a valid Content-Type unless told how to read it; only
    # discovered pods (any exporter) get the fallback, Prometheus' own components send theirs
    assert pods["fallback_scrape_protocol"] == "PrometheusText0.0.4"
    assert "fallback_scrape_protocol" not in jobs["prometheus"]


def test_fallback_scrape_protocol_can_be_left_out_for_prometheus_2() -> None:
    values = {"prometheus": {"image": {"tag": "v2.53.4"}, "fallbackScrapeProtocol": ""}}
    jobs = prometheus_config(objects(values))["scrape_configs"]
    assert all("fallback_scrape_protocol" not in job for job in jobs)


def test_watched_namespaces_extra_jobs_and_alertmanager(production: list[dict[str, Any]]) -> None:
    config = prometheus_config(production)
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    names = jobs["kubernetes-pods"]["kubernetes_sd_configs"][0]["namespaces"]["names"]
    assert names == [NAMESPACE, "meatyapis", "payments"]
    assert jobs["extra"] == PRODUCTION["prometheus"]["extraScrapeConfigs"][0]
    address = f"monitoring-alertmanager.{NAMESPACE}.svc.cluster.local:9093"
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == [address]
    assert jobs["alertmanager"]["static_configs"][0]["targets"] == [address]
    secret = find_object(production, "Secret", "monitoring-alertmanager")
    am = yaml.safe_load(secret["stringData"]["alertmanager.yml"])
    assert am["route"]["receiver"] == "team"
    assert am["receivers"] == [PRODUCTION["alertmanager"]["receiver"]]


def test_rules_are_the_one_source_plus_extra_groups(
    defaults: list[dict[str, Any]], production: list[dict[str, Any]]
) -> None:
    files = rule_files(defaults)
    assert list(files) == ["meatyapis.rules.yaml"]
    assert files["meatyapis.rules.yaml"].rstrip("\n") == rules.SOURCE.read_text().rstrip("\n")
    extra = yaml.safe_load(rule_files(production)["extra.rules.yaml"])
    assert extra == {"groups": PRODUCTION["prometheus"]["extraRuleGroups"]}


def test_namespaced_rbac_is_one_role_per_watched_namespace(
    production: list[dict[str, Any]],
) -> None:
    roles = {
        (r["metadata"]["name"], r["metadata"]["namespace"]): r
        for r in production
        if r["kind"] == "Role"
    }
    for ns in (NAMESPACE, "meatyapis", "payments"):
        assert roles[(PROMETHEUS, ns)]["rules"] == [
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}
        ]
        assert roles[(GRAFANA, ns)]["rules"] == [
            {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}
        ]
        binding = find_objects(
            [b for b in production if b["metadata"].get("namespace") == ns],
            "RoleBinding",
            PROMETHEUS,
        )[0]
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": PROMETHEUS, "namespace": NAMESPACE}
        ]
    assert find_objects(production, "ClusterRole") == []
    # existing admin Secret: no generator, so nothing may touch secrets
    assert not any("secrets" in str(r["rules"]) for r in roles.values())


def test_cluster_wide_rbac_is_a_cluster_role(cluster_wide: list[dict[str, Any]]) -> None:
    assert find_objects(cluster_wide, "Role") == [
        r for r in find_objects(cluster_wide, "Role") if "admin-secret" in r["metadata"]["name"]
    ]
    cluster_roles = {
        r["metadata"]["name"]: r["rules"] for r in find_objects(cluster_wide, "ClusterRole")
    }
    assert cluster_roles == {
        f"{PROMETHEUS}-{NAMESPACE}": [
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}
        ],
        f"{GRAFANA}-{NAMESPACE}": [
            {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}
        ],
    }
    config = prometheus_config(cluster_wide)
    pods = next(j for j in config["scrape_configs"] if j["job_name"] == "kubernetes-pods")
    assert pods["kubernetes_sd_configs"] == [{"role": "pod"}]
    sidecar = container(find_object(cluster_wide, "Deployment", GRAFANA), "dashboard-sidecar")
    assert env(sidecar)["NAMESPACE"] == "ALL"
