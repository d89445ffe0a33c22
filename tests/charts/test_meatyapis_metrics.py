"""charts/meatyapis and the observability contract: the metrics port, path, annotations and
network policy agree, the ServiceMonitor and PrometheusRule selectors, the dashboards
ConfigMap, and metrics switched off."""

from __future__ import annotations

import pytest

from tests.charts.meatyapis import (
    CHART,
    CHART_DIR,
    COMPONENTS,
    NAMESPACE,
    config,
    container,
    deployment,
    objects,
    selected,
)
from tests.charts.monitoring import objects as monitoring_objects
from tests.charts.monitoring import prometheus_config
from tests.charts.render import find_object, find_objects, render_chart


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


def test_dashboards_configmap_for_the_grafana_sidecar() -> None:
    files = sorted((CHART_DIR / "files" / "dashboards").glob("*.json"))
    if not files:
        pytest.fail("files/dashboards/*.json holds no dashboard")
    objs = objects({"metrics": {"dashboards": {"enabled": True, "namespace": "monitoring"}}})
    cm = find_object(objs, "ConfigMap", "meatyapis-dashboards")
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert cm["metadata"]["namespace"] == "monitoring"
    assert cm["data"] == {p.name: p.read_text().rstrip("\n") for p in files}


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
