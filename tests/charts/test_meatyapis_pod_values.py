"""charts/meatyapis values that shape the pods, their network policies and their names: image
reference, preStop, extra env, volumes and scheduling, policy defaults, name lengths."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.charts.meatyapis import (
    CHART,
    COMPONENTS,
    NAMESPACE,
    both,
    config,
    container,
    deployment,
    objects,
    pod_spec,
)
from tests.charts.render import find_object, find_objects, render_chart


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
