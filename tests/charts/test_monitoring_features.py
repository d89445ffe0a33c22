"""charts/monitoring: what each feature renders, with the defaults and with values that switch
features on (each values set rendered once per session by the shared helper)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from grafana import generate as dashboards
from prometheus import generate as rules
from tests.charts.monitoring import (
    CHART_DIR,
    GRAFANA,
    NAMESPACE,
    PROMETHEUS,
    container,
    env,
    objects,
    pod_spec,
    prometheus_config,
    rule_files,
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
