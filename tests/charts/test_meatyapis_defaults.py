"""charts/meatyapis with its default values: what `helm install meatyapis charts/meatyapis` gets."""

from __future__ import annotations

import json

import pytest

from tests.charts.meatyapis import (
    COMPONENTS,
    NAMESPACE,
    config,
    container,
    deployment,
    objects,
    pod_spec,
)
from tests.charts.render import find_object, find_objects

TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"


@pytest.fixture(scope="module")
def defaults() -> list[dict]:
    return objects()


def test_every_object_is_labelled_and_namespaced(defaults: list[dict]) -> None:
    for obj in defaults:
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/instance"] == "meatyapis"
        assert labels["app.kubernetes.io/part-of"] == "meatyapis"
        assert labels["app.kubernetes.io/name"] in {"meatyapis-flask", "meatyapis-fastapi"}
        assert obj["metadata"]["namespace"] == NAMESPACE


@pytest.mark.parametrize("component", COMPONENTS)
def test_objects_per_component(defaults: list[dict], component: str) -> None:
    name = f"meatyapis-{component}"
    for kind in ("Deployment", "Service", "ConfigMap", "ServiceAccount", "PodDisruptionBudget",
                 "NetworkPolicy", "PersistentVolumeClaim"):  # fmt: skip
        find_object(defaults, kind, name if kind != "PersistentVolumeClaim" else f"{name}-data")
    for kind in ("HorizontalPodAutoscaler", "Ingress", "Route", "ServiceMonitor"):
        assert not find_objects(defaults, kind), kind


@pytest.mark.parametrize("component", COMPONENTS)
def test_restricted_security_context(defaults: list[dict], component: str) -> None:
    spec = pod_spec(defaults, component)
    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == 10001
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    for c in spec["containers"] + spec["initContainers"]:
        sc = c["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"] == {"drop": ["ALL"]}
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert (
        find_object(defaults, "ServiceAccount", f"meatyapis-{component}")[
            "automountServiceAccountToken"
        ]
        is False
    )


@pytest.mark.parametrize("component", COMPONENTS)
def test_scratch_volumes_are_emptydirs(defaults: list[dict], component: str) -> None:
    volumes = {v["name"]: v for v in pod_spec(defaults, component)["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container(defaults, component)["volumeMounts"]}
    for path in ("/tmp", "/dev/shm", "/tmp/prometheus-multiproc"):
        assert "emptyDir" in volumes[mounts[path]], path
    assert volumes[mounts["/dev/shm"]]["emptyDir"]["medium"] == "Memory"
    cfg = config(defaults, component)
    assert cfg["PROMETHEUS_MULTIPROC_DIR"] == "/tmp/prometheus-multiproc"
    assert cfg["WORKER_TMP_DIR"] == "/dev/shm"


@pytest.mark.parametrize("component", COMPONENTS)
def test_probes_prestop_and_grace_period(defaults: list[dict], component: str) -> None:
    c = container(defaults, component)
    assert c["ports"] == [
        {"name": "http", "containerPort": 8080, "protocol": "TCP"},
        {"name": "metrics", "containerPort": 9102, "protocol": "TCP"},
    ]
    assert c["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    pause = c["lifecycle"]["preStop"]["sleep"]["seconds"]
    graceful = int(config(defaults, component)["GRACEFUL_TIMEOUT"])
    assert pod_spec(defaults, component)["terminationGracePeriodSeconds"] > pause + graceful


@pytest.mark.parametrize("component", COMPONENTS)
def test_sqlite_default_one_pod_recreate_and_migrating_init_container(
    defaults: list[dict], component: str
) -> None:
    d = deployment(defaults, component)
    assert d["spec"]["replicas"] == 1
    assert d["spec"]["strategy"] == {"type": "Recreate"}
    spec = d["spec"]["template"]["spec"]
    (init,) = spec["initContainers"]
    assert init["command"] == [f"meatyapis-{component}", "migrate"]
    assert init["image"] == spec["containers"][0]["image"]
    assert init["securityContext"] == spec["containers"][0]["securityContext"]
    data = next(v for v in spec["volumes"] if v["name"] == "data")
    assert data["persistentVolumeClaim"]["claimName"] == f"meatyapis-{component}-data"
    assert {"name": "data", "mountPath": "/data"} in spec["containers"][0]["volumeMounts"]
    db = "catalog" if component == "flask" else "identity"
    assert config(defaults, component)["DATABASE_URL"] == f"sqlite:////data/{db}.db"
    pvc = find_object(defaults, "PersistentVolumeClaim", f"meatyapis-{component}-data")
    assert pvc["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert pvc["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert not find_objects(defaults, "Job", f"meatyapis-{component}-migrate")


@pytest.mark.parametrize("component", COMPONENTS)
def test_image_defaults_to_app_version(defaults: list[dict], component: str) -> None:
    c = container(defaults, component)
    assert c["image"] == f"ghcr.io/meatyapis/meatyapis-{component}:0.1.0"
    assert c["command"] == [f"meatyapis-{component}", "serve"]


@pytest.mark.parametrize("component", COMPONENTS)
def test_env_from_configmap_with_checksum(defaults: list[dict], component: str) -> None:
    c = container(defaults, component)
    assert c["envFrom"][0] == {"configMapRef": {"name": f"meatyapis-{component}"}}
    cfg = config(defaults, component)
    assert cfg["PORT"] == "8080"
    assert cfg["BIND_HOST"] == "0.0.0.0"  # noqa: S104
    annotations = deployment(defaults, component)["spec"]["template"]["metadata"]["annotations"]
    assert len(annotations["checksum/config"]) == 64
    changed = objects({component: {"logLevel": "DEBUG"}})
    new = deployment(changed, component)["spec"]["template"]["metadata"]["annotations"]
    assert new["checksum/config"] != annotations["checksum/config"]


def test_identity_url_points_at_the_fastapi_service(defaults: list[dict]) -> None:
    service = find_object(defaults, "Service", "meatyapis-fastapi")
    port = service["spec"]["ports"][0]["port"]
    url = f"http://meatyapis-fastapi.{NAMESPACE}.svc.cluster.local:{port}"
    assert config(defaults, "flask")["IDENTITY_URL"] == url
    custom = objects({"flask": {"identityUrl": "http://identity.example:80"}})
    assert config(custom, "flask")["IDENTITY_URL"] == "http://identity.example:80"


def test_identity_call_timeouts_reach_the_catalog_with_the_apps_defaults(
    defaults: list[dict],
) -> None:
    from meatyapis_flask.settings import Settings

    cfg = config(defaults, "flask")
    for variable in (
        "IDENTITY_CONNECT_TIMEOUT_SECONDS",
        "IDENTITY_READ_TIMEOUT_SECONDS",
        "IDENTITY_DEADLINE_SECONDS",
    ):
        assert float(cfg[variable]) == Settings.model_fields[variable.lower()].default, variable
        assert variable not in config(defaults, "fastapi")
    custom = objects({"flask": {"identityDeadlineSeconds": 0.9}})
    assert config(custom, "flask")["IDENTITY_DEADLINE_SECONDS"] == "0.9"


def test_token_secret_generated_in_cluster_by_a_hook_job(defaults: list[dict]) -> None:
    env = {e["name"]: e for e in container(defaults, "fastapi")["env"]}
    ref = env["TOKEN_SECRET"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "meatyapis-fastapi-token", "key": "TOKEN_SECRET"}
    assert not find_objects(defaults, "Secret")  # never a Helm-managed (churning) Secret
    job = find_object(defaults, "Job", "meatyapis-fastapi-token-generator")
    hooks = job["metadata"]["annotations"]
    assert hooks["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert "before-hook-creation" in hooks["helm.sh/hook-delete-policy"]
    pod = job["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "meatyapis-fastapi-token-generator"
    assert pod["automountServiceAccountToken"] is False  # the token is projected explicitly
    (gen,) = pod["containers"]
    assert gen["image"] == container(defaults, "fastapi")["image"]
    assert gen["command"][:2] == ["python3", "-c"]
    assert {"name": "SECRET_NAME", "value": "meatyapis-fastapi-token"} in gen["env"]
    role = find_object(defaults, "Role", "meatyapis-fastapi-token-generator")
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["secrets"],
         "resourceNames": ["meatyapis-fastapi-token"], "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
    ]  # fmt: skip
    binding = find_object(defaults, "RoleBinding", "meatyapis-fastapi-token-generator")
    assert binding["subjects"][0]["name"] == pod["serviceAccountName"]
    for kind in ("ServiceAccount", "Role", "RoleBinding"):
        obj = find_object(defaults, kind, "meatyapis-fastapi-token-generator")
        weight = int(obj["metadata"]["annotations"]["helm.sh/hook-weight"])
        assert weight < int(hooks["helm.sh/hook-weight"])


def test_only_the_secret_generators_get_a_service_account_token(defaults: list[dict]) -> None:
    """No pod automounts a token; the generators' containers mount a projected one."""
    with_token = set()
    for obj in defaults:
        spec = obj.get("spec", {}).get("template", {}).get("spec") or obj.get("spec", {})
        if "containers" in spec:
            assert spec["automountServiceAccountToken"] is False, obj["metadata"]["name"]
            with_token |= {
                (obj["metadata"]["name"], c["name"])
                for c in spec["containers"]
                if any(m["mountPath"] == TOKEN_PATH for m in c.get("volumeMounts", []))
            }
    assert with_token == {
        ("meatyapis-fastapi-token-generator", "generate"),
        ("meatyapis-fastapi-admin-generator", "generate"),
    }


def test_the_first_admin_s_password_is_generated_in_cluster_for_migrate_only(
    defaults: list[dict],
) -> None:
    """Never a default password, never a Helm-managed Secret; the server does not see it."""
    job = find_object(defaults, "Job", "meatyapis-fastapi-admin-generator")
    (gen,) = job["spec"]["template"]["spec"]["containers"]
    generated = {e["name"]: e.get("value") for e in gen["env"]}
    assert generated["SECRET_NAME"] == "meatyapis-fastapi-admin"
    assert generated["SECRET_RANDOM_KEYS"] == "password"
    assert json.loads(generated["SECRET_LITERALS"]) == {"username": "admin"}
    role = find_object(defaults, "Role", "meatyapis-fastapi-admin-generator")
    assert role["rules"][0]["resourceNames"] == ["meatyapis-fastapi-admin"]
    (migrate,) = pod_spec(defaults, "fastapi")["initContainers"]
    env = {e["name"]: e for e in migrate["env"]}
    assert env["BOOTSTRAP_ADMIN_USERNAME"]["value"] == "admin"
    assert env["BOOTSTRAP_ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "meatyapis-fastapi-admin", "key": "password"
    }  # fmt: skip
    server = {e["name"] for e in container(defaults, "fastapi").get("env", [])}
    assert not server & {"BOOTSTRAP_ADMIN_USERNAME", "BOOTSTRAP_ADMIN_PASSWORD"}
    assert "BOOTSTRAP_ADMIN_PASSWORD" not in json.dumps(config(defaults, "fastapi"))
    flask_migrate = pod_spec(defaults, "flask")["initContainers"][0]
    assert "BOOTSTRAP_ADMIN_PASSWORD" not in json.dumps(flask_migrate)


def test_helm_test_pod_runs_the_round_trip(defaults: list[dict]) -> None:
    pod = find_object(defaults, "Pod", "meatyapis-test-round-trip")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    (c,) = pod["spec"]["containers"]
    script = c["command"][2]
    for step in ("/readyz", "/register", "/login", "/products", "Bearer", "403", "ADMIN_PASSWORD"):
        assert step in script
    env = {e["name"]: e["value"] for e in c["env"] if "value" in e}
    assert env["FASTAPI_URL"] == config(defaults, "flask")["IDENTITY_URL"]
    assert env["FLASK_URL"].startswith("http://meatyapis-flask.")
    assert c["securityContext"]["readOnlyRootFilesystem"] is True


def _admits(policy: dict, labels: dict[str, str]) -> bool:
    """Whether a same-namespace pod with these labels may reach the policy's pods."""
    for rule in policy["spec"]["ingress"]:
        for peer in rule.get("from", [{}]):
            selector = peer.get("podSelector", {}).get("matchLabels")
            same_namespace = "namespaceSelector" not in peer and selector is not None
            if same_namespace and selector.items() <= labels.items():
                return True
    return False


def test_network_policies_admit_the_release_callers(defaults: list[dict]) -> None:
    flask_pod = deployment(defaults, "flask")["spec"]["template"]["metadata"]["labels"]
    test_pod = find_object(defaults, "Pod", "meatyapis-test-round-trip")["metadata"]["labels"]
    identity = find_object(defaults, "NetworkPolicy", "meatyapis-fastapi")
    catalog = find_object(defaults, "NetworkPolicy", "meatyapis-flask")
    assert _admits(identity, flask_pod)
    assert _admits(identity, test_pod)
    assert _admits(catalog, test_pod)
    assert not _admits(catalog, {"app.kubernetes.io/name": "something-else"})
