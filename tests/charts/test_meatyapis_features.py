"""charts/meatyapis features switched on by values, and the observability contract."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.charts.meatyapis import (
    CHART,
    CHART_DIR,
    COMPONENTS,
    NAMESPACE,
    both,
    config,
    container,
    deployment,
    objects,
    pod_spec,
)
from tests.charts.monitoring import objects as monitoring_objects
from tests.charts.monitoring import prometheus_config
from tests.charts.render import find_object, find_objects, render_chart

PRODUCTION = CHART_DIR / "ci" / "02-production-values.yaml"
OPENSHIFT = CHART_DIR / "ci" / "03-openshift-values.yaml"


@pytest.fixture(scope="module")
def production() -> list[dict]:
    return render_chart(CHART, values_files=[PRODUCTION], namespace=NAMESPACE)


@pytest.fixture(scope="module")
def openshift() -> list[dict]:
    return render_chart(CHART, values_files=[OPENSHIFT], namespace=NAMESPACE)


@pytest.mark.parametrize("component", COMPONENTS)
def test_external_database_hook_job_and_rolling_update(
    production: list[dict], component: str
) -> None:
    d = deployment(production, component)
    assert d["spec"]["strategy"] == {
        "type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}
    }  # fmt: skip
    assert "replicas" not in d["spec"]  # the HPA owns it
    spec = d["spec"]["template"]["spec"]
    assert "initContainers" not in spec
    assert "data" not in {v["name"] for v in spec["volumes"]}
    assert "DATABASE_URL" not in config(production, component)
    secret = f"meatyapis-{component}-db"
    env = {e["name"]: e for e in spec["containers"][0]["env"]}
    assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
        "name": secret, "key": "DATABASE_URL"
    }  # fmt: skip
    assert not find_objects(production, "PersistentVolumeClaim")
    job = find_object(production, "Job", f"meatyapis-{component}-migrate")
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
    pod = job["spec"]["template"]["spec"]
    (migrate,) = pod["containers"]
    assert migrate["command"] == [f"meatyapis-{component}", "migrate"]
    assert migrate["image"] == spec["containers"][0]["image"]
    assert migrate["securityContext"] == spec["containers"][0]["securityContext"]
    assert pod["securityContext"] == spec["securityContext"]
    job_env = {e["name"]: e for e in migrate["env"]}
    assert job_env["DATABASE_URL"] == env["DATABASE_URL"]
    # the Job runs before the ConfigMap exists: it carries the same settings inline
    for key, value in config(production, component).items():
        assert job_env[key]["value"] == value


@pytest.mark.parametrize("component", COMPONENTS)
def test_hpa_pdb_and_ingress(production: list[dict], component: str) -> None:
    name = f"meatyapis-{component}"
    hpa = find_object(production, "HorizontalPodAutoscaler", name)
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": name}  # fmt: skip
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    ingress = find_object(production, "Ingress", name)
    assert ingress["spec"]["ingressClassName"] == "nginx"
    host = ingress["spec"]["rules"][0]["host"]
    assert ingress["spec"]["tls"][0]["hosts"] == [host]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": name, "port": {"name": "http"}}
    np = find_object(production, "NetworkPolicy", name)
    peers = np["spec"]["ingress"][0]["from"]
    assert {"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "ingress-nginx"}}} in peers  # fmt: skip
    db_rule = next(r for r in np["spec"]["egress"] if r["ports"][0]["port"] == 5432)
    assert db_rule.get("to", []) == (
        [{"ipBlock": {"cidr": "10.20.0.0/16"}}] if component == "flask" else []
    )
    assert pod_spec(production, component)["imagePullSecrets"] == [{"name": "regcred"}]


def test_pdb_min_available_and_existing_token_secret(production: list[dict]) -> None:
    pdb = find_object(production, "PodDisruptionBudget", "meatyapis-flask")
    assert pdb["spec"] == {"minAvailable": 2, "selector": pdb["spec"]["selector"]}
    env = {e["name"]: e for e in container(production, "fastapi")["env"]}
    assert env["TOKEN_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "meatyapis-token"
    assert not find_objects(production, "Job", "meatyapis-fastapi-token-generator")
    (migrate,) = find_objects(production, "Job", "meatyapis-fastapi-migrate")
    (container_,) = migrate["spec"]["template"]["spec"]["containers"]
    admin = {e["name"]: e for e in container_["env"]}["BOOTSTRAP_ADMIN_PASSWORD"]
    assert admin["valueFrom"]["secretKeyRef"] == {"name": "meatyapis-admin", "key": "password"}
    assert not find_objects(production, "Job", "meatyapis-fastapi-admin-generator")
    assert not find_objects(production, "Role")


@pytest.mark.parametrize("component", COMPONENTS)
def test_openshift_routes_and_scc_assigned_ids(openshift: list[dict], component: str) -> None:
    name = f"meatyapis-{component}"
    route = find_object(openshift, "Route", name)
    assert route["apiVersion"] == "route.openshift.io/v1"
    assert route["spec"]["to"] == {"kind": "Service", "name": name, "weight": 100}
    assert route["spec"]["port"] == {"targetPort": "http"}
    assert route["spec"]["tls"]["termination"] == "edge"
    assert not find_objects(openshift, "Ingress")
    for obj in openshift:
        spec = obj.get("spec", {}).get("template", {}).get("spec") or obj.get("spec", {})
        if "securityContext" in spec:
            assert not {"runAsUser", "runAsGroup", "fsGroup"} & set(spec["securityContext"])
            assert spec["securityContext"]["runAsNonRoot"] is True
    np = find_object(openshift, "NetworkPolicy", name)
    assert np["spec"]["egress"][0]["ports"][0]["port"] == 5353


@pytest.mark.parametrize("component", COMPONENTS)
def test_image_digest_pull_policy_and_registry(component: str) -> None:
    digest = "sha256:" + "a" * 64
    objs = objects(
        {"global": {"imageRegistry": "registry.example"},
         component: {"image": {"digest": digest, "pullPolicy": "Always"}}}
    )  # fmt: skip
    c = container(objs, component)
    assert c["image"] == f"registry.example/meatyapis/meatyapis-{component}@{digest}"
    assert c["imagePullPolicy"] == "Always"
    tagged = container(objects({component: {"image": {"tag": "1.2.3"}}}), component)
    assert tagged["image"].endswith(f"meatyapis-{component}:1.2.3")


def test_prestop_exec_for_clusters_without_the_sleep_action() -> None:
    objs = objects(both({"preStop": {"action": "exec", "seconds": 7}}))
    for component in COMPONENTS:
        assert container(objs, component)["lifecycle"]["preStop"] == {
            "exec": {"command": ["sleep", "7"]}
        }  # fmt: skip


def test_extra_env_volumes_scheduling() -> None:
    values = {
        "extraEnv": [{"name": "FOO", "value": "bar"}],
        "extraEnvFrom": [{"secretRef": {"name": "more"}}],
        "extraConfig": {"FEATURE_X": "on"},
        "extraVolumes": [{"name": "certs", "secret": {"secretName": "certs"}}],
        "extraVolumeMounts": [{"name": "certs", "mountPath": "/certs", "readOnly": True}],
        "nodeSelector": {"disk": "ssd"},
        "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
        "priorityClassName": "high",
        "podLabels": {"team": "meat"},
        "podAnnotations": {"note": "x"},
    }
    objs = objects(both(values))
    for component in COMPONENTS:
        spec = pod_spec(objs, component)
        c = spec["containers"][0]
        assert {"name": "FOO", "value": "bar"} in c["env"]
        assert {"secretRef": {"name": "more"}} in c["envFrom"]
        assert config(objs, component)["FEATURE_X"] == "on"
        assert {"name": "certs", "secret": {"secretName": "certs"}} in spec["volumes"]
        assert {"name": "certs", "mountPath": "/certs", "readOnly": True} in c["volumeMounts"]
        assert spec["nodeSelector"] == {"disk": "ssd"}
        assert spec["tolerations"][0]["key"] == "dedicated"
        assert spec["priorityClassName"] == "high"
        meta = deployment(objs, component)["spec"]["template"]["metadata"]
        assert meta["labels"]["team"] == "meat"
        assert meta["annotations"]["note"] == "x"
        spread = spec["topologySpreadConstraints"][0]
        assert spread["labelSelector"]["matchLabels"]["app.kubernetes.io/name"] == (
            f"meatyapis-{component}"
        )


@pytest.mark.parametrize("component", COMPONENTS)
def test_metrics_port_path_service_annotations_and_networkpolicy_agree(component: str) -> None:
    """The observability contract: one port and path everywhere Prometheus looks, and that port
    is not the API's."""
    ports = {"containerPort": 9000, "metricsPort": 9100, "service": {"port": 80}}
    values = {"metrics": {"serviceMonitor": {"enabled": True}}, component: ports}
    objs = objects(values)
    name = f"meatyapis-{component}"
    c = container(objs, component)
    http, metrics = c["ports"]
    assert (http["name"], http["containerPort"]) == ("http", 9000)
    assert (metrics["name"], metrics["containerPort"]) == ("metrics", 9100)
    annotations = deployment(objs, component)["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(metrics["containerPort"])
    assert (config(objs, component)["PORT"], config(objs, component)["METRICS_PORT"]) == (
        "9000", "9100"
    )  # fmt: skip
    assert annotations["prometheus.io/path"] == "/metrics"
    service = find_object(objs, "Service", name)
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": http["name"], "protocol": "TCP"},
        {"name": "metrics", "port": 9100, "targetPort": metrics["name"], "protocol": "TCP"},
    ]  # fmt: skip
    monitor = find_object(objs, "ServiceMonitor", name)
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "metrics"
    assert endpoint["path"] == annotations["prometheus.io/path"]
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    np = find_object(objs, "NetworkPolicy", name)
    api, scrape = np["spec"]["ingress"]
    assert api["ports"] == [{"port": "http", "protocol": "TCP"}]
    assert not any("namespaceSelector" in peer for peer in api["from"])  # no way in is enabled
    (prometheus,) = scrape["from"]
    assert prometheus == {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
        "podSelector": {"matchLabels": {"app.kubernetes.io/component": "prometheus"}},
    }  # fmt: skip
    assert scrape["ports"] == [{"port": "metrics", "protocol": "TCP"}]
    if component == "fastapi":  # the catalog's egress to identity uses the API port
        flask_np = find_object(objs, "NetworkPolicy", "meatyapis-flask")
        assert {"port": 9000, "protocol": "TCP"} in [
            p for rule in flask_np["spec"]["egress"] for p in rule["ports"]
        ]
        url = f"http://meatyapis-fastapi.{NAMESPACE}.svc.cluster.local:80"
        assert config(objs, "flask")["IDENTITY_URL"] == url


def test_the_metrics_port_admits_the_monitoring_chart_s_prometheus_only() -> None:
    """The default selectors pick charts/monitoring's Prometheus pods (in the monitoring
    namespace) and not its Grafana, nor any other pod there."""
    prometheus_pod = find_object(monitoring_objects(), "StatefulSet", "monitoring-prometheus")[
        "spec"]["template"]["metadata"]["labels"]  # fmt: skip
    grafana_pod = find_object(monitoring_objects(), "Deployment", "monitoring-grafana")["spec"][
        "template"]["metadata"]["labels"]  # fmt: skip
    for component in COMPONENTS:
        np = find_object(objects(), "NetworkPolicy", f"meatyapis-{component}")
        (scrape,) = [r for r in np["spec"]["ingress"] if r["ports"][0]["port"] == "metrics"]
        (peer,) = scrape["from"]
        assert selected(peer["namespaceSelector"], {"kubernetes.io/metadata.name": "monitoring"})
        assert selected(peer["podSelector"], prometheus_pod)
        assert not selected(peer["podSelector"], grafana_pod)


@pytest.mark.parametrize("component", COMPONENTS)
def test_kube_prometheus_stack_selectors_replace_the_default(component: str) -> None:
    """kube-prometheus-stack labels its Prometheus pods `app.kubernetes.io/name: prometheus`."""
    values = {"networkPolicy": {"monitoringPodSelector": {"matchLabels": {
        "app.kubernetes.io/component": None, "app.kubernetes.io/name": "prometheus"}}}}  # fmt: skip
    np = find_object(objects(values), "NetworkPolicy", f"meatyapis-{component}")
    (scrape,) = [r for r in np["spec"]["ingress"] if r["ports"][0]["port"] == "metrics"]
    assert scrape["from"][0]["podSelector"] == {
        "matchLabels": {"app.kubernetes.io/name": "prometheus"}
    }  # fmt: skip


def test_metrics_disabled_turns_everything_off() -> None:
    objs = objects({"metrics": {"enabled": False, "serviceMonitor": {"enabled": True}}})
    for component in COMPONENTS:
        annotations = deployment(objs, component)["spec"]["template"]["metadata"]["annotations"]
        assert not any(k.startswith("prometheus.io/") for k in annotations)
        assert config(objs, component)["METRICS_ENABLED"] == "false"
        np = find_object(objs, "NetworkPolicy", f"meatyapis-{component}")
        assert len(np["spec"]["ingress"]) == 1
    assert not find_objects(objs, "ServiceMonitor")


def test_prometheus_rule_deploys_the_shared_rule_files(production: list[dict]) -> None:
    rule = find_object(production, "PrometheusRule", "meatyapis")
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    expected = []
    for path in sorted((CHART_DIR / "files" / "rules").glob("*.yaml")):
        expected += yaml.safe_load(path.read_text())["groups"]
    assert expected, "files/rules/*.yaml holds no rule groups"
    values = yaml.safe_load(PRODUCTION.read_text())
    expected += values["metrics"]["prometheusRule"]["additionalGroups"]
    assert rule["spec"]["groups"] == expected


def test_dashboards_configmap_for_the_grafana_sidecar() -> None:
    files = sorted((CHART_DIR / "files" / "dashboards").glob("*.json"))
    if not files:
        pytest.fail("files/dashboards/*.json holds no dashboard")
    objs = objects({"metrics": {"dashboards": {"enabled": True, "namespace": "monitoring"}}})
    cm = find_object(objs, "ConfigMap", "meatyapis-dashboards")
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert cm["metadata"]["namespace"] == "monitoring"
    assert cm["data"] == {p.name: p.read_text().rstrip("\n") for p in files}


def test_network_policy_defaults(tmp_path: Path) -> None:
    objs = objects()
    flask = find_object(objs, "NetworkPolicy", "meatyapis-flask")
    assert flask["spec"]["policyTypes"] == ["Ingress", "Egress"]
    own = flask["spec"]["ingress"][0]
    assert own["from"] == [
        {
            "podSelector": {
                "matchLabels": {
                    "app.kubernetes.io/instance": "meatyapis",
                    "app.kubernetes.io/part-of": "meatyapis",
                }
            }
        }
    ]
    dns = flask["spec"]["egress"][0]
    assert {p["protocol"] for p in dns["ports"]} == {"UDP", "TCP"}
    identity = flask["spec"]["egress"][1]["to"][0]["podSelector"]["matchLabels"]
    assert identity["app.kubernetes.io/name"] == "meatyapis-fastapi"
    fastapi = find_object(objs, "NetworkPolicy", "meatyapis-fastapi")
    assert len(fastapi["spec"]["egress"]) == 1  # DNS only: SQLite, no outbound calls
    open_objs = objects({"flask": {"networkPolicy": {"allowExternal": True}}})
    open_np = find_object(open_objs, "NetworkPolicy", "meatyapis-flask")
    assert open_np["spec"]["ingress"][0] == {"ports": [{"port": "http", "protocol": "TCP"}]}
    assert not find_objects(objects({"networkPolicy": {"enabled": False}}), "NetworkPolicy")


def test_names_fit_kubernetes_limits_with_the_longest_release_name() -> None:
    release = "r" * 53  # Helm's limit for release names
    values = {"metrics": {"dashboards": {"enabled": True}}}
    objs = render_chart(CHART, values, release=release, namespace=NAMESPACE)
    names = [o["metadata"]["name"] for o in objs]
    assert all(len(name) <= 63 for name in names), [n for n in names if len(n) > 63]
    assert len(objs) == len({(o["kind"], o["metadata"]["name"]) for o in objs})
    assert f"{'r' * 39}-fastapi-token-generator" in names


# Labels of the pods and namespaces OpenShift's operators create (DNS operator's dns-default
# DaemonSet, the router and cluster monitoring namespaces).
OPENSHIFT_DNS_POD = {
    "dns.operator.openshift.io/daemonset-dns": "default",
    "controller-revision-hash": "6b8f7d9c4d",
    "pod-template-generation": "1",
}
OPENSHIFT_NAMESPACES = {
    "openshift-dns": {"kubernetes.io/metadata.name": "openshift-dns"},
    "openshift-ingress": {
        "kubernetes.io/metadata.name": "openshift-ingress",
        "policy-group.network.openshift.io/ingress": "",
    },
    "openshift-monitoring": {
        "kubernetes.io/metadata.name": "openshift-monitoring",
        "network.openshift.io/policy-group": "monitoring",
    },
}


def selected(selector: dict, labels: dict[str, str]) -> bool:
    assert set(selector) == {"matchLabels"}, selector
    return bool(selector["matchLabels"].items() <= labels.items())


def selected_namespaces(selector: dict) -> set[str]:
    return {name for name, labels in OPENSHIFT_NAMESPACES.items() if selected(selector, labels)}


@pytest.mark.parametrize("component", COMPONENTS)
def test_openshift_network_policy_peers_replace_the_defaults(
    openshift: list[dict], component: str
) -> None:
    """The scenario's selectors replace the defaults instead of merging into them."""
    np = find_object(openshift, "NetworkPolicy", f"meatyapis-{component}")
    (dns,) = np["spec"]["egress"][0]["to"]
    assert dns == {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "openshift-dns"}},
        "podSelector": {"matchLabels": {"dns.operator.openshift.io/daemonset-dns": "default"}},
    }
    assert selected_namespaces(dns["namespaceSelector"]) == {"openshift-dns"}
    assert selected(dns["podSelector"], OPENSHIFT_DNS_POD)
    served, scrape = np["spec"]["ingress"]
    _own_pods, router = served["from"]  # the Route is on: the router may come in
    assert router == {
        "namespaceSelector": {"matchLabels": {"policy-group.network.openshift.io/ingress": ""}}
    }
    assert selected_namespaces(router["namespaceSelector"]) == {"openshift-ingress"}
    (prometheus,) = scrape["from"]
    assert prometheus == {
        "namespaceSelector": {"matchLabels": {"network.openshift.io/policy-group": "monitoring"}},
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
    }
    assert selected_namespaces(prometheus["namespaceSelector"]) == {"openshift-monitoring"}


def test_service_monitor_target_labels_match_annotation_discovery() -> None:
    """Dashboards and rules group by `service`, `namespace` and `pod` as the monitoring chart's
    annotation-based discovery sets them; the ServiceMonitor gives Prometheus Operator users the
    same labels whatever the release is called."""
    release = "shop"
    objs = render_chart(
        CHART, {"metrics": {"serviceMonitor": {"enabled": True}}}, release=release,
        namespace=NAMESPACE,
    )  # fmt: skip
    monitoring = prometheus_config(monitoring_objects())
    pods_job = next(j for j in monitoring["scrape_configs"] if j["job_name"] == "kubernetes-pods")
    annotation_sources = {
        r["target_label"]: r["source_labels"]
        for r in pods_job["relabel_configs"]
        if r.get("target_label") in {"namespace", "pod", "service"}
    }
    assert annotation_sources == {
        "namespace": ["__meta_kubernetes_namespace"],
        "pod": ["__meta_kubernetes_pod_name"],
        "service": ["__meta_kubernetes_pod_label_app_kubernetes_io_name"],
    }
    for component in COMPONENTS:
        name = f"{release}-meatyapis-{component}"
        service = find_object(objs, "Service", name)
        (endpoint,) = find_object(objs, "ServiceMonitor", name)["spec"]["endpoints"]
        relabel = {r["targetLabel"]: r for r in endpoint["relabelings"]}
        assert {t: r["sourceLabels"] for t, r in relabel.items()} == annotation_sources
        assert all(r["action"] == "replace" for r in relabel.values())
        # the pod label Prometheus reads is the service name dashboards know, not the
        # Service's name (which the Prometheus Operator would otherwise put in `service`)
        pod_labels = find_object(objs, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
        assert pod_labels["app.kubernetes.io/name"] == f"meatyapis-{component}"
        assert service["metadata"]["name"] != pod_labels["app.kubernetes.io/name"]
        assert (
            service["spec"]["selector"].items() <= pod_labels.items()
        )  # the endpoints the ServiceMonitor scrapes are these pods
