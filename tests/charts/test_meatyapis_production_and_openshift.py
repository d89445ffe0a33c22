"""charts/meatyapis in its production and OpenShift scenarios (ci/02-production-values.yaml,
ci/03-openshift-values.yaml): external database, autoscaling, disruption budgets, Ingress,
an existing token secret, the PrometheusRule; Routes, SCC-assigned ids and the network policy
peers of OpenShift's own pods."""

from __future__ import annotations

import pytest
import yaml

from tests.charts.meatyapis import (
    CHART,
    CHART_DIR,
    COMPONENTS,
    NAMESPACE,
    config,
    container,
    deployment,
    pod_spec,
    selected,
)
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
