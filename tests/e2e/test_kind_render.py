"""tests/e2e/kind.sh checked without a cluster: `kind.sh --render` writes exactly what the script
would apply (both charts with its values, the upgrade, the load generator pod), and these tests
check that it fits together: the images it loads, the names and ports it port-forwards and
requests, a rollout on upgrade, and a load pod the restricted namespace and NetworkPolicy admit."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "meatyapis"
SERVICES = ("flask", "fastapi")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    out = tmp_path_factory.mktemp("kind-render")
    env = {
        **os.environ,
        "PATH": f"{ROOT / '.tools' / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "E2E_ARTIFACTS": str(out / "artifacts"),
    }
    result = subprocess.run(
        ["bash", "tests/e2e/kind.sh", "--render", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {
        name: [d for d in yaml.safe_load_all((out / f"{name}.yaml").read_text()) if d]
        for name in ("monitoring", "meatyapis", "meatyapis-upgrade", "load-pod", "postgres")
    }


def find(objs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def pod_specs(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    specs = []
    for o in objs:
        if o["kind"] in {"Deployment", "StatefulSet", "Job"}:
            specs.append(o["spec"]["template"]["spec"])
        elif o["kind"] == "Pod":
            specs.append(o["spec"])
    return specs


def test_meatyapis_runs_the_images_the_script_builds_and_loads(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    images = set()
    for spec in pod_specs(rendered["meatyapis"]):
        for c in spec.get("initContainers", []) + spec["containers"]:
            if "meatyapis-" in c["image"]:
                images.add(c["image"])
                assert c.get("imagePullPolicy") == "Never", c["name"]
    assert images == {f"ghcr.io/meatyapis/meatyapis-{s}:e2e" for s in SERVICES}


def test_upgrade_changes_the_config_and_rolls_both_deployments(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    for service in SERVICES:
        name = f"meatyapis-{service}"
        before = find(rendered["meatyapis"], "Deployment", name)
        after = find(rendered["meatyapis-upgrade"], "Deployment", name)
        annotations = (
            before["spec"]["template"]["metadata"]["annotations"],
            after["spec"]["template"]["metadata"]["annotations"],
        )
        assert annotations[0] != annotations[1], f"{name}: the upgrade would not roll the pods"
        assert before["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_load_targets_and_port_forwards_exist(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    for service in SERVICES:
        svc = find(rendered["meatyapis"], "Service", f"meatyapis-{service}")
        assert ("http", 8080) in {(p["name"], p["port"]) for p in svc["spec"]["ports"]}
    (pod,) = rendered["load-pod"]
    env = {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}
    assert env["TARGETS"].split() == [
        f"http://meatyapis-{s}.{NAMESPACE}.svc:8080/hello" for s in SERVICES
    ]
    for component in ("prometheus", "grafana"):
        svc = find(rendered["monitoring"], "Service", f"monitoring-{component}")
        assert "http" in {p["name"] for p in svc["spec"]["ports"]}
    # kind.sh reads the Grafana admin credentials from this Secret's admin-user/admin-password.
    grafana = find(rendered["monitoring"], "Deployment", "monitoring-grafana")["spec"]["template"]
    volumes = {
        v["name"]: v["secret"]["secretName"] for v in grafana["spec"]["volumes"] if "secret" in v
    }
    assert "monitoring-grafana-admin" in volumes.values()
    env = {
        e["name"]: e.get("value")
        for c in grafana["spec"]["containers"]
        if c["name"] == "grafana"
        for e in c["env"]
    }
    assert env["GF_SECURITY_ADMIN_USER__FILE"].endswith("/admin-user")
    assert env["GF_SECURITY_ADMIN_PASSWORD__FILE"].endswith("/admin-password")


def test_monitoring_watches_the_meatyapis_namespace(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    config = yaml.safe_load(
        find(rendered["monitoring"], "ConfigMap", "monitoring-prometheus")["data"]["prometheus.yml"]
    )
    pods = next(c for c in config["scrape_configs"] if c["job_name"] == "kubernetes-pods")
    namespaces = pods["kubernetes_sd_configs"][0]["namespaces"]["names"]
    assert NAMESPACE in namespaces


def test_load_pod_is_restricted_and_admitted_by_the_network_policies(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    (pod,) = rendered["load-pod"]
    spec = pod["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = spec["containers"]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["image"] == "ghcr.io/meatyapis/meatyapis-flask:e2e"
    labels = pod["metadata"]["labels"]
    for service in SERVICES:
        policy = find(rendered["meatyapis"], "NetworkPolicy", f"meatyapis-{service}")
        selectors = [
            peer["podSelector"]["matchLabels"]
            for rule in policy["spec"]["ingress"]
            for peer in rule.get("from", [])
            if "podSelector" in peer and "namespaceSelector" not in peer
        ]
        assert any(s.items() <= labels.items() for s in selectors), service


def test_services_use_the_e2e_postgres_with_two_replicas(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    postgres = rendered["postgres"]
    service = find(postgres, "Service", "postgres")
    assert service["spec"]["ports"][0]["port"] == 5432
    deployment = find(postgres, "Deployment", "postgres")
    spec = deployment["spec"]["template"]["spec"]
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    (container,) = spec["containers"]
    assert container["image"] == compose["services"]["postgres"]["image"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    init = find(postgres, "ConfigMap", "postgres-init")["data"]["10-identity.sql"]
    assert init.strip() == (ROOT / "compose/postgres/init.sql").read_text().strip()
    for app in SERVICES:
        name = f"meatyapis-{app}"
        deploy = find(rendered["meatyapis"], "Deployment", name)
        assert deploy["spec"]["replicas"] == 2
        pod = deploy["spec"]["template"]["spec"]
        env = pod["containers"][0].get("env", [])
        refs = [
            e["valueFrom"]["secretKeyRef"]["name"]
            for e in env
            if e["name"] == "DATABASE_URL" and "secretKeyRef" in e.get("valueFrom", {})
        ]
        assert refs == [f"{name}-db"], env
