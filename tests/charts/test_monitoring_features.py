"""charts/monitoring: what each feature renders, with the defaults and with values that switch
features on (each values set rendered once per session by the shared helper)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from grafana import generate as dashboards
from tests.charts.monitoring import (
    CHART_DIR,
    GRAFANA,
    NAMESPACE,
    PRODUCTION,
    PROMETHEUS,
    container,
    env,
    objects,
    pod_spec,
)
from tests.charts.render import find_object, find_objects

RESTRICTED_CONTAINER = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "privileged": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"


@pytest.fixture(scope="module")
def defaults() -> list[dict[str, Any]]:
    return objects()


@pytest.fixture(scope="module")
def production() -> list[dict[str, Any]]:
    return objects(PRODUCTION)


@pytest.fixture(scope="module")
def cluster_wide() -> list[dict[str, Any]]:
    return objects({"clusterWide": True, "global": {"openshift": True}})


def workloads(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in objs if o["kind"] in {"StatefulSet", "Deployment", "Job"}]


def test_every_object_is_labelled_and_namespaced(defaults: list[dict[str, Any]]) -> None:
    for obj in defaults:
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/instance"] == "monitoring", obj["metadata"]["name"]
        assert labels["app.kubernetes.io/part-of"] == "meatyapis"
        assert obj["metadata"]["namespace"] == NAMESPACE, obj["metadata"]["name"]


@pytest.mark.parametrize("values", ["defaults", "production", "cluster_wide"])
def test_restricted_security_everywhere(values: str, request: pytest.FixtureRequest) -> None:
    objs = request.getfixturevalue(values)
    pods = [*workloads(objs), *find_objects(objs, "Pod")]
    assert len(pods) >= 3
    for obj in pods:
        spec = obj["spec"] if obj["kind"] == "Pod" else pod_spec(obj)
        context = spec["securityContext"]
        assert context["runAsNonRoot"] is True
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
        assert ("runAsUser" in context) is (values != "cluster_wide"), obj["metadata"]["name"]
        assert spec["automountServiceAccountToken"] is False, obj["metadata"]["name"]
        for c in spec["containers"]:
            assert c["securityContext"] == RESTRICTED_CONTAINER, c["name"]
            assert {"cpu", "memory"} <= c["resources"]["requests"].keys(), c["name"]
            assert {"cpu", "memory"} <= c["resources"]["limits"].keys(), c["name"]


def test_only_discovery_containers_get_a_token(defaults: list[dict[str, Any]]) -> None:
    """Tokens are projected into the containers that call the API, never automounted."""
    with_token = {
        (o["metadata"]["name"], c["name"])
        for o in workloads(defaults)
        for c in pod_spec(o)["containers"]
        if any(m["mountPath"] == TOKEN_PATH for m in c.get("volumeMounts", []))
    }
    assert with_token == {
        (PROMETHEUS, "prometheus"),
        (GRAFANA, "dashboard-sidecar"),
        (f"{GRAFANA}-admin-secret", "generate"),
    }


def test_grafana_admin_generated_once_in_cluster(defaults: list[dict[str, Any]]) -> None:
    job = find_object(defaults, "Job", f"{GRAFANA}-admin-secret")
    hooks = job["metadata"]["annotations"]
    assert hooks["helm.sh/hook"] == "pre-install,pre-upgrade"
    variables = env(container(job, "generate"))
    assert variables["SECRET_NAME"] == f"{GRAFANA}-admin"
    assert variables["SECRET_RANDOM_KEYS"] == "admin-password"
    assert json.loads(variables["SECRET_LITERALS"]) == {"admin-user": "admin"}
    role = find_object(defaults, "Role", f"{GRAFANA}-admin-secret")
    assert role["rules"][0]["resourceNames"] == [f"{GRAFANA}-admin"]
    for kind in ("ServiceAccount", "Role", "RoleBinding"):
        obj = find_object(defaults, kind, f"{GRAFANA}-admin-secret")
        assert int(obj["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(
            hooks["helm.sh/hook-weight"]
        )
    grafana = container(find_object(defaults, "Deployment", GRAFANA), "grafana")
    variables = env(grafana)
    assert variables["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/etc/grafana-admin/admin-password"
    assert variables["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert variables["GF_USERS_ALLOW_SIGN_UP"] == "false"
    volumes = {
        v["name"]: v for v in pod_spec(find_object(defaults, "Deployment", GRAFANA))["volumes"]
    }
    assert volumes["admin"]["secret"]["secretName"] == f"{GRAFANA}-admin"
    assert find_objects(defaults, "Secret") == []  # never rendered: no value at render time


def test_grafana_existing_admin_secret(production: list[dict[str, Any]]) -> None:
    assert find_objects(production, "Job") == []
    volumes = {
        v["name"]: v for v in pod_spec(find_object(production, "Deployment", GRAFANA))["volumes"]
    }
    assert volumes["admin"]["secret"]["secretName"] == "grafana-admin"
    assert volumes["storage"]["persistentVolumeClaim"]["claimName"] == GRAFANA
    assert find_object(production, "PersistentVolumeClaim", GRAFANA)["spec"]["resources"] == {
        "requests": {"storage": "2Gi"}
    }
    deployment = find_object(production, "Deployment", GRAFANA)
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    variables = env(container(deployment, "grafana"))
    assert variables["GF_SERVER_ROOT_URL"] == "https://g.example.com/"
    assert variables["GF_SECURITY_COOKIE_SECURE"] == "true"


def test_grafana_datasource_and_dashboards(defaults: list[dict[str, Any]]) -> None:
    datasources = yaml.safe_load(
        find_object(defaults, "ConfigMap", f"{GRAFANA}-datasources")["data"]["datasources.yaml"]
    )["datasources"]
    assert datasources == [
        {
            "name": "Prometheus",
            "uid": "prometheus",
            "type": "prometheus",
            "access": "proxy",
            "url": f"http://{PROMETHEUS}.{NAMESPACE}.svc.cluster.local:9090",
            "isDefault": True,
            "editable": False,
            "jsonData": {"timeInterval": "30s", "httpMethod": "POST"},
        }
    ]
    data = find_object(defaults, "ConfigMap", f"{GRAFANA}-dashboards")["data"]
    assert sorted(data) == sorted(dashboards.DASHBOARDS)
    for name, text in data.items():
        assert json.loads(text) == json.loads((dashboards.OUT_DIR / name).read_text())
    providers = yaml.safe_load(
        find_object(defaults, "ConfigMap", f"{GRAFANA}-dashboard-providers")["data"][
            "providers.yaml"
        ]
    )["providers"]
    paths = {p["name"]: p["options"]["path"] for p in providers}
    assert paths == {
        "chart": "/var/lib/grafana-dashboards/chart",
        "sidecar": "/var/lib/grafana-dashboards/sidecar",
    }
    deployment = find_object(defaults, "Deployment", GRAFANA)
    assert container(deployment, "grafana")["image"].startswith("docker.io/grafana/grafana:")
    sidecar = env(container(deployment, "dashboard-sidecar"))
    assert sidecar["LABEL"] == "grafana_dashboard"
    assert sidecar["LABEL_VALUE"] == "1"
    assert sidecar["NAMESPACE"] == NAMESPACE
    assert sidecar["FOLDER"] == paths["sidecar"]


def test_network_policies(defaults: list[dict[str, Any]], production: list[dict[str, Any]]) -> None:
    prom = find_object(defaults, "NetworkPolicy", PROMETHEUS)
    allowed = [
        p["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
        for p in prom["spec"]["ingress"][0]["from"]
    ]
    assert allowed == ["grafana", "test"]
    scrape = prom["spec"]["egress"][0]["to"][0]["namespaceSelector"]["matchExpressions"][0]
    assert scrape["values"] == [NAMESPACE]
    grafana = find_object(defaults, "NetworkPolicy", GRAFANA)
    assert len(grafana["spec"]["ingress"][0]["from"]) == 1  # no Ingress: the test pod only
    prod = find_object(production, "NetworkPolicy", GRAFANA)
    assert {"kubernetes.io/metadata.name": "ingress-nginx"} in [
        f.get("namespaceSelector", {}).get("matchLabels")
        for f in prod["spec"]["ingress"][0]["from"]
    ]
    assert find_objects(objects({"networkPolicy": {"enabled": False}}), "NetworkPolicy") == []


API_PORT = {"port": 6443, "protocol": "TCP"}


def _api_server_rule(policy: dict[str, Any]) -> dict[str, Any]:
    (rule,) = [r for r in policy["spec"]["egress"] if API_PORT in r.get("ports", [])]
    return rule


def test_the_kubernetes_api_egress_can_be_pinned(defaults: list[dict[str, Any]]) -> None:
    """By default any address on the API server's ports; with apiServerCidrs, those only."""
    for name in (PROMETHEUS, GRAFANA):
        assert "to" not in _api_server_rule(find_object(defaults, "NetworkPolicy", name))
    pinned = objects({"networkPolicy": {"apiServerCidrs": ["10.96.0.1/32", "fd00::1/128"]}})
    for name in (PROMETHEUS, GRAFANA):
        rule = _api_server_rule(find_object(pinned, "NetworkPolicy", name))
        assert rule["to"] == [
            {"ipBlock": {"cidr": "10.96.0.1/32"}},
            {"ipBlock": {"cidr": "fd00::1/128"}},
        ]
        assert [p["port"] for p in rule["ports"]] == [443, 6443]


def test_ingress_and_route(
    production: list[dict[str, Any]], cluster_wide: list[dict[str, Any]]
) -> None:
    ingress = find_object(production, "Ingress", GRAFANA)
    assert ingress["spec"]["tls"] == [{"hosts": ["g.example.com"], "secretName": "g-tls"}]
    assert find_objects(cluster_wide, "Route") == []
    route = find_object(objects({"grafana": {"route": {"enabled": True}}}), "Route", GRAFANA)
    assert route["spec"]["tls"]["termination"] == "edge"


def test_helm_test_pod(defaults: list[dict[str, Any]]) -> None:
    pod = find_object(defaults, "Pod", "monitoring-test-connection")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    script = pod["spec"]["containers"][0]["command"][2]
    for checked in ("/-/ready", "/api/health", "/api/datasources/uid/prometheus/health"):
        assert checked in script
    variables = env(pod["spec"]["containers"][0])
    assert variables["PROMETHEUS_URL"] == f"http://{PROMETHEUS}.{NAMESPACE}.svc.cluster.local:9090"
    assert variables["GRAFANA_URL"] == f"http://{GRAFANA}.{NAMESPACE}.svc.cluster.local:80"


def test_grafana_can_be_left_out() -> None:
    objs = objects({"grafana": {"enabled": False}})
    assert [o for o in objs if "grafana" in o["metadata"]["name"]] == []
    pod = find_object(objs, "Pod", "monitoring-test-connection")
    assert env(pod["spec"]["containers"][0])["GRAFANA_URL"] == ""


def test_names_fit_63_characters_with_the_longest_release_name() -> None:
    release = "r" * 53  # Helm's limit for release names
    objs = objects(
        {"alertmanager": {"enabled": True}, "grafana": {"persistence": {"enabled": True}}},
        release=release,
    )
    namespaced = [o for o in objs if not o["kind"].startswith("Cluster")]
    too_long = [o["metadata"]["name"] for o in namespaced if len(o["metadata"]["name"]) > 63]
    assert too_long == []
    kinds_and_names = [
        (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]) for o in namespaced
    ]
    assert len(set(kinds_and_names)) == len(kinds_and_names)  # still unique after truncation
    assert any(name.endswith("-grafana-admin-secret") for _, _, name in kinds_and_names)


def test_dns_egress_follows_the_cluster_dns(defaults: list[dict[str, Any]]) -> None:
    openshift = objects(values_files=[CHART_DIR / "ci" / "03-openshift-values.yaml"])
    for objs, namespace, pod_labels, port in (
        (defaults, "kube-system", {"k8s-app": "kube-dns"}, 53),
        (openshift, "openshift-dns", {"dns.operator.openshift.io/daemonset-dns": "default"}, 5353),
    ):
        for name in (PROMETHEUS, GRAFANA):
            dns = find_object(objs, "NetworkPolicy", name)["spec"]["egress"][-1]
            assert dns["to"] == [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": namespace}
                    },
                    "podSelector": {"matchLabels": pod_labels},
                }
            ]
            assert {p["port"] for p in dns["ports"]} == {port}
