"""Every environment of deploy/environments/ renders as Argo CD and Flux deploy it: with Helm 3
and Helm 4 alike, valid against the strict Kubernetes schemas of the oldest and newest supported
versions and its custom resources against their CRD schemas, checkov clean; each pins what it
runs, and production has what a production needs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts.gitops import environments, promote
from scripts.gitops.environments import CHARTS, Layout
from tests.charts import quality
from tests.charts.render import find_object, find_objects
from tests.gitops.manifests import (
    DEPLOY,
    ENVIRONMENTS,
    LAYOUT,
    environment_objects,
    rendered,
)

CUSTOM_GROUPS = (
    "monitoring.coreos.com/",
    "gateway.networking.k8s.io/",
    "external-secrets.io/",
    "route.openshift.io/",
)
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
per_environment = pytest.mark.parametrize("environment", ENVIRONMENTS)
per_chart = pytest.mark.parametrize("chart", list(CHARTS))


def custom(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in objs if o["apiVersion"].startswith(CUSTOM_GROUPS)]


def test_there_are_staging_and_production() -> None:
    assert ENVIRONMENTS == ["production", "staging"]


@per_environment
@per_chart
def test_helm3_and_helm4_render_the_same_objects(environment: str, chart: str) -> None:
    helm3 = environments.objects(rendered(environment, chart, "helm3"))
    assert len(helm3) >= 10
    assert environments.objects(rendered(environment, chart, "helm4")) == helm3


@per_environment
@pytest.mark.parametrize("version", [quality.OLDEST, quality.NEWEST])
def test_objects_valid_against_kubernetes_schemas(environment: str, version: str) -> None:
    objs = environment_objects(environment, kube_version=version)
    kinds = {o["kind"] for o in custom(objs)}
    assert quality.validate_strictly(objs, version, kinds) >= 30


@per_environment
def test_custom_resources_match_their_crd_schemas(environment: str) -> None:
    resources = custom(environment_objects(environment))
    assert quality.custom_resource_errors(resources) == []


def test_production_custom_resources_are_checked_at_all() -> None:
    kinds = sorted({o["kind"] for o in custom(environment_objects("production"))})
    assert kinds == ["ExternalSecret", "HTTPRoute", "PrometheusRule", "ServiceMonitor"]


def test_checkov_passes_on_every_environment(tmp_path: Path) -> None:
    for environment in ENVIRONMENTS:
        for chart in CHARTS:
            (tmp_path / f"{environment}-{chart}.yaml").write_text(rendered(environment, chart))
    passed, failed = quality.checkov(tmp_path)
    assert passed > 500
    assert failed == 0


@per_environment
def test_each_environment_pins_its_chart_versions(environment: str) -> None:
    versions = LAYOUT.chart_versions(environment)
    assert set(versions) == set(CHARTS)
    for chart, version in versions.items():
        labels = find_objects(environment_objects(environment, chart), "Service")[0]["metadata"]
        assert labels["labels"]["helm.sh/chart"] == f"{chart}-{version}"


@per_environment
def test_each_environment_pins_image_digests_or_is_not_yet_promoted(environment: str) -> None:
    """An empty digest means the environment was not promoted yet: it runs the pinned chart's
    appVersion tag. Once promoted, the Deployments run exactly the digests."""
    values = yaml.safe_load((DEPLOY / "environments" / environment / "meatyapis.yaml").read_text())
    objs = environment_objects(environment, "meatyapis")
    for service in ("flask", "fastapi"):
        digest = values[service]["image"]["digest"]
        assert digest == "" or DIGEST.match(digest), (service, digest)
        image = find_object(objs, "Deployment", f"meatyapis-{service}")["spec"]["template"]["spec"][
            "containers"
        ][0]["image"]
        if digest:
            assert image == f"ghcr.io/meatyapis/meatyapis-{service}@{digest}"
        else:
            assert re.match(rf"^ghcr\.io/meatyapis/meatyapis-{service}:\d+\.\d+\.\d+$", image)


def leaves(document: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    if isinstance(document, dict) and document:
        found: dict[tuple[str, ...], Any] = {}
        for key, value in document.items():
            found.update(leaves(value, (*prefix, str(key))))
        return found
    return {prefix: document}


@per_chart
def test_environments_differ_only_where_they_really_differ(chart: str) -> None:
    """A setting every environment gives the same value belongs in deploy/base/ (pins aside)."""
    files = [leaves(yaml.safe_load(LAYOUT.values_files(e, chart)[1].read_text()) or {}) for e in
             ENVIRONMENTS]  # fmt: skip
    shared = {k for k in files[0] if all(k in f and f[k] == files[0][k] for f in files[1:])}
    pins = {(s, "image", "digest") for s in ("flask", "fastapi")}
    assert shared - pins == set()


def test_production_has_what_a_production_needs() -> None:
    objs = environment_objects("production", "meatyapis")
    for service in ("flask", "fastapi"):
        name = f"meatyapis-{service}"
        deployment = find_object(objs, "Deployment", name)
        assert "replicas" not in deployment["spec"]  # the HPA owns them
        hpa = find_object(objs, "HorizontalPodAutoscaler", name)
        assert hpa["spec"]["minReplicas"] >= 2
        assert find_object(objs, "PodDisruptionBudget", name)["spec"]["minAvailable"] >= 1
        assert find_object(objs, "ServiceMonitor", name)
        route = find_object(objs, "HTTPRoute", name)
        assert route["spec"]["hostnames"]
        env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        url = next(e for e in env if e["name"] == "DATABASE_URL")["valueFrom"]["secretKeyRef"]
        assert find_object(objs, "ExternalSecret", url["name"])
    assert find_object(objs, "PrometheusRule")
    assert find_object(objs, "ExternalSecret", "meatyapis-fastapi-token")
    assert find_objects(objs, "Job", "meatyapis-fastapi-token-generator") == []
    monitoring = environment_objects("production", "monitoring")
    assert find_object(monitoring, "ExternalSecret", "monitoring-grafana-admin")
    assert find_objects(monitoring, "Job", "monitoring-grafana-admin-secret") == []


def test_staging_needs_no_operator() -> None:
    """The kind end-to-end run syncs staging: it renders no custom resource."""
    assert custom(environment_objects("staging")) == []


def test_a_pin_without_a_release_fails_with_a_clear_message(tmp_path: Path) -> None:
    shutil.copytree(DEPLOY, tmp_path / "deploy")
    assert promote.main(["staging", "--chart", "meatyapis=99.0.0"], root=tmp_path) == 0
    with pytest.raises(environments.EnvironmentProblem, match=r"release tag meatyapis-99\.0\.0"):
        environments.render(Layout(root=tmp_path), "staging", "meatyapis")
