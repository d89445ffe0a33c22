"""The Flux side: each environment's kustomization builds (kubectl's kustomize, as Flux's
kustomize-controller builds it) into an OCIRepository of the released chart at the pinned
version and a HelmRelease per chart with the very values files Argo CD uses; every Flux object
is valid against the Flux CRD schemas, and invalid ones are caught."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from scripts.gitops.environments import CHARTS
from tests.charts import quality
from tests.charts.render import find_object, find_objects
from tests.gitops.manifests import DEPLOY, ENVIRONMENTS, LAYOUT, flux_objects

per_environment = pytest.mark.parametrize("environment", ENVIRONMENTS)
FLUX_GROUPS = (
    "source.toolkit.fluxcd.io/",
    "helm.toolkit.fluxcd.io/",
    "kustomize.toolkit.fluxcd.io/",
)


def flux_only(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in objs if o["apiVersion"].startswith(FLUX_GROUPS)]


def cluster_entry(environment: str) -> list[dict[str, Any]]:
    text = (DEPLOY / "flux" / f"{environment}.yaml").read_text()
    return [d for d in yaml.safe_load_all(text) if d]


@per_environment
def test_flux_objects_match_their_crd_schemas(environment: str) -> None:
    objs = flux_only(flux_objects(environment)) + cluster_entry(environment)
    assert sorted(o["kind"] for o in objs) == [
        "GitRepository", "HelmRelease", "HelmRelease", "Kustomization",
        "OCIRepository", "OCIRepository",
    ]  # fmt: skip
    assert quality.custom_resource_errors(objs) == []


def test_invalid_flux_objects_are_caught() -> None:
    objs = flux_objects("staging")
    repository = find_object(objs, "OCIRepository", "meatyapis")
    repository["spec"]["url"] = "https://ghcr.io/meatyapis/charts/meatyapis"
    release = find_object(objs, "HelmRelease", "meatyapis")
    del release["spec"]["chartRef"]["name"]
    kustomization = find_object(cluster_entry("staging"), "Kustomization")
    kustomization["spec"]["prune"] = "yes"
    errors = quality.custom_resource_errors([repository, release, kustomization])
    assert len(errors) == 3, errors
    assert 'url must match pattern "^oci://.*$"' in errors[0]
    assert "chartRef must have required property name" in errors[1]
    assert "prune must be boolean" in errors[2]


@per_environment
def test_each_chart_is_the_released_oci_chart_at_the_pinned_version(environment: str) -> None:
    objs = flux_objects(environment)
    versions = LAYOUT.chart_versions(environment)
    for chart, namespace in CHARTS.items():
        repository = find_object(objs, "OCIRepository", chart)
        assert repository["spec"]["url"] == f"oci://ghcr.io/meatyapis/charts/{chart}"
        assert repository["spec"]["ref"] == {"tag": versions[chart]}
        release = find_object(objs, "HelmRelease", chart)["spec"]
        assert release["chartRef"] == {"kind": "OCIRepository", "name": chart}
        assert release["releaseName"] == chart
        assert release["targetNamespace"] == release["storageNamespace"] == namespace


@per_environment
def test_helm_releases_get_the_values_files_argo_cd_gets(environment: str) -> None:
    objs = flux_objects(environment)
    for chart in CHARTS:
        release = find_object(objs, "HelmRelease", chart)["spec"]
        texts = []
        for source in release["valuesFrom"]:
            assert source["kind"] == "ConfigMap"
            config_map = find_object(objs, "ConfigMap", source["name"])
            texts.append(config_map["data"][source.get("valuesKey", "values.yaml")])
        assert texts == [p.read_text() for p in LAYOUT.values_files(environment, chart)]


@per_environment
def test_the_meatyapis_release_waits_for_monitoring(environment: str) -> None:
    release = find_object(flux_objects(environment), "HelmRelease", "meatyapis")
    assert release["spec"]["dependsOn"] == [{"name": "monitoring"}]
    assert (
        "dependsOn"
        not in find_object(flux_objects(environment), "HelmRelease", "monitoring")["spec"]
    )


@per_environment
def test_the_pins_file_is_read_but_never_applied(environment: str) -> None:
    objs = flux_objects(environment)
    assert find_objects(objs, "ConfigMap", "release") == []
    namespaces = find_objects(objs, "Namespace")
    assert sorted(n["metadata"]["name"] for n in namespaces) == sorted(CHARTS.values())
    for namespace in namespaces:
        assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@per_environment
def test_the_cluster_entry_applies_its_environment(environment: str) -> None:
    repository = find_object(cluster_entry(environment), "GitRepository")
    assert repository["spec"]["url"] == "https://github.com/meatyapis/meatyapis.git"
    assert repository["spec"]["ref"] == {"branch": "main"}
    kustomization = find_object(cluster_entry(environment), "Kustomization")["spec"]
    assert kustomization["path"] == f"./deploy/environments/{environment}"
    assert kustomization["sourceRef"] == {"kind": "GitRepository", "name": "meatyapis"}
    assert kustomization["prune"] is True


def test_there_is_one_cluster_entry_per_environment() -> None:
    assert sorted(p.stem for p in (DEPLOY / "flux").glob("*.yaml")) == ENVIRONMENTS
