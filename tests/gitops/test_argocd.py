"""The Argo CD objects: valid against the Argo CD CRD schemas (and invalid ones caught), the
Applications the ApplicationSet generates deploy exactly what the environments declare, the
AppProject allows exactly what the charts render, and the charts' hooks behave under Argo CD's
hook rules (tests/gitops/argocd_hooks.py): nothing a sync re-runs changes anything, nothing
stays OutOfSync."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml

from scripts.gitops.environments import CHARTS, ROOT
from tests.charts import quality
from tests.charts.render import find_objects
from tests.gitops import argocd_hooks as hooks
from tests.gitops.manifests import (
    DEPLOY,
    ENVIRONMENTS,
    LAYOUT,
    all_objects,
    annotations_of,
    argocd,
    environment_objects,
)

REPO = "https://github.com/meatyapis/meatyapis.git"
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}
_EXPRESSION = re.compile(r"\{\{\s*(.*?)\s*\}\}")


def test_argo_cd_objects_match_their_crd_schemas() -> None:
    assert quality.custom_resource_errors([argocd("appproject"), argocd("applicationset")]) == []
    assert quality.custom_resource_errors(generated_applications()) == []


def test_invalid_argo_cd_objects_are_caught() -> None:
    project = argocd("appproject")
    project["spec"]["destinations"][0]["namespace"] = ["meatyapis"]
    appset = argocd("applicationset")
    appset["spec"]["generators"][0]["matrix"]["generators"][1]["list"]["elements"] = "monitoring"
    application = generated_applications()[0]
    application["spec"]["syncPolicy"]["retry"]["limit"] = "five"
    errors = quality.custom_resource_errors([project, appset, application])
    assert len(errors) == 3, errors
    assert "destinations/0/namespace must be string" in errors[0]
    assert "elements must be array" in errors[1]
    assert "retry/limit must be integer" in errors[2]


def evaluate(expression: str, params: dict[str, Any]) -> str:
    """The Go template expressions the ApplicationSet uses; anything else fails the test, so
    the template cannot grow past what is checked here."""
    if expression == "index .data .chart":
        return str(params["data"][params["chart"]])
    if re.fullmatch(r"(\.[A-Za-z]+)+", expression):
        value: Any = params
        for key in expression.split(".")[1:]:
            value = value[key]
        return str(value)
    raise AssertionError(f"template expression not understood by the test: {expression!r}")


def fill(template: Any, params: dict[str, Any]) -> Any:
    if isinstance(template, dict):
        return {key: fill(value, params) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, params) for value in template]
    if isinstance(template, str):
        return _EXPRESSION.sub(lambda m: evaluate(m.group(1), params), template)
    return template


def generated_applications() -> list[dict[str, Any]]:
    """The Applications the ApplicationSet's matrix generator makes (git files by list)."""
    spec = argocd("applicationset")["spec"]
    files, charts = spec["generators"][0]["matrix"]["generators"]
    assert files["git"]["repoURL"] == REPO
    (pattern,) = [f["path"] for f in files["git"]["files"]]
    applications = []
    for release in sorted(ROOT.glob(pattern)):
        data = yaml.safe_load(release.read_text())["data"]
        for element in charts["list"]["elements"]:
            params = {**element, "data": data, "path": {"basename": release.parent.name}}
            application = fill(copy.deepcopy(spec["template"]), params)
            applications.append({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                                 **application})  # fmt: skip
    return applications


def test_one_application_per_environment_and_chart_with_the_pinned_chart_and_values() -> None:
    applications = generated_applications()
    assert sorted(a["metadata"]["name"] for a in applications) == sorted(
        f"{e}-{c}" for e in ENVIRONMENTS for c in CHARTS
    )
    for application in applications:
        environment = application["metadata"]["labels"]["meatyapis.io/environment"]
        chart = application["metadata"]["labels"]["meatyapis.io/chart"]
        spec = application["spec"]
        assert spec["project"] == argocd("appproject")["metadata"]["name"]
        assert spec["destination"] == {"name": environment, "namespace": CHARTS[chart]}
        source, values = spec["sources"]
        assert source["repoURL"] == values["repoURL"] == REPO
        version = LAYOUT.chart_versions(environment)[chart]
        assert source["targetRevision"] == f"{chart}-{version}"  # chart-releaser's tag
        assert (ROOT / source["path"] / "Chart.yaml").is_file()
        assert source["helm"]["releaseName"] == chart
        files = [f.removeprefix("$values/") for f in source["helm"]["valueFiles"]]
        expected = LAYOUT.values_files(environment, chart)
        assert [ROOT / f for f in files] == expected
        assert values == {"repoURL": REPO, "targetRevision": "main", "ref": "values"}


def test_the_monitoring_chart_rolls_out_first() -> None:
    spec = argocd("applicationset")["spec"]
    elements = spec["generators"][0]["matrix"]["generators"][1]["list"]["elements"]
    assert [e["chart"] for e in elements] == list(CHARTS)
    assert {e["chart"]: e["namespace"] for e in elements} == CHARTS
    steps = spec["strategy"]["rollingSync"]["steps"]
    waves = [s["matchExpressions"][0]["values"] for s in steps]
    assert waves == [[e["wave"]] for e in elements]
    assert [s["matchExpressions"][0]["key"] for s in steps] == ["meatyapis.io/wave"] * 2


def test_hpa_owned_replicas_are_ignored_in_diffs_and_syncs() -> None:
    spec = argocd("applicationset")["spec"]["template"]["spec"]
    assert {"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]} in spec[
        "ignoreDifferences"
    ]
    assert "RespectIgnoreDifferences=true" in spec["syncPolicy"]["syncOptions"]
    autoscaled = 0
    for environment in ENVIRONMENTS:
        objs = environment_objects(environment)
        for hpa in find_objects(objs, "HorizontalPodAutoscaler"):
            (deployment,) = find_objects(objs, "Deployment", hpa["spec"]["scaleTargetRef"]["name"])
            assert "replicas" not in deployment["spec"]
            autoscaled += 1
    assert autoscaled == 2  # production's two services


def managed(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What Argo CD applies: resources, and hooks that have a phase (it never runs the rest)."""
    return [o for o in objs if not hooks.is_hook(o) or hooks.phases(o)]


def group_kind(obj: dict[str, Any]) -> tuple[str, str]:
    api_version = obj["apiVersion"]
    return (api_version.split("/")[0] if "/" in api_version else "", obj["kind"])


def test_the_project_allows_exactly_the_kinds_the_environments_render() -> None:
    spec = argocd("appproject")["spec"]
    rendered = {group_kind(o) for o in managed(all_objects())}
    namespaced = {(k["group"], k["kind"]) for k in spec["namespaceResourceWhitelist"]}
    cluster = {(k["group"], k["kind"]) for k in spec["clusterResourceWhitelist"]}
    assert namespaced == {gk for gk in rendered if gk[1] not in CLUSTER_SCOPED}
    # the namespaces Argo CD creates (CreateNamespace=true), and nothing else cluster-wide
    assert cluster == {("", "Namespace")} | {gk for gk in rendered if gk[1] in CLUSTER_SCOPED}


def test_the_project_allows_exactly_this_repository_and_the_charts_namespaces() -> None:
    spec = argocd("appproject")["spec"]
    assert spec["sourceRepos"] == [REPO]
    destinations = {(d["name"], d["namespace"]) for d in spec["destinations"]}
    assert destinations == {(e, n) for e in ENVIRONMENTS for n in CHARTS.values()}
    for environment in ENVIRONMENTS:
        namespaces = {o["metadata"].get("namespace") for o in environment_objects(environment)}
        assert namespaces <= set(CHARTS.values()) | {None}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_hooks_have_a_phase_or_are_helm_tests_argo_cd_never_runs(environment: str) -> None:
    for obj in environment_objects(environment):
        if not hooks.is_hook(obj):
            continue
        if hooks.phases(obj):
            assert hooks.phases(obj) == ["PreSync"], obj["metadata"]["name"]
            # re-created on the next sync instead of failing with "already exists"
            assert "BeforeHookCreation" in hooks.delete_policies(obj), obj["metadata"]["name"]
        else:
            assert annotations_of(obj)["helm.sh/hook"] == "test", obj["metadata"]["name"]


def secrets_read(pod_spec: dict[str, Any]) -> set[str]:
    names = set()
    for container in pod_spec.get("containers", []) + pod_spec.get("initContainers", []):
        for env in container.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                names.add(ref["name"])
        names |= {e["secretRef"]["name"] for e in container.get("envFrom", []) if "secretRef" in e}
    return names


def secret_written(obj: dict[str, Any]) -> str | None:
    """The Secret a hook writes: an ExternalSecret's target, a generator Job's SECRET_NAME."""
    if obj["kind"] == "ExternalSecret":
        name: str = obj["spec"]["target"]["name"]
        return name
    if obj["kind"] == "Job":
        for env in obj["spec"]["template"]["spec"]["containers"][0].get("env", []):
            if env["name"] == "SECRET_NAME":
                value: str = env["value"]
                return value
    return None


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_presync_hooks_find_what_they_need_from_earlier_waves(environment: str) -> None:
    """Each PreSync Job's ServiceAccount, and each Secret it reads that the release provides,
    comes from a hook of an earlier wave: on a first sync nothing a hook needs is missing."""
    presync = [o for o in environment_objects(environment) if hooks.phases(o) == ["PreSync"]]
    jobs = [o for o in presync if o["kind"] == "Job"]
    assert jobs
    provided = {secret_written(o): hooks.wave(o) for o in presync if secret_written(o)}
    for job in jobs:
        spec = job["spec"]["template"]["spec"]
        account = spec.get("serviceAccountName")
        if account:
            (sa,) = [o for o in presync if o["kind"] == "ServiceAccount"
                     and o["metadata"]["name"] == account]  # fmt: skip
            assert hooks.wave(sa) < hooks.wave(job)
        for secret in secrets_read(spec) & set(provided):
            assert provided[secret] < hooks.wave(job), (job["metadata"]["name"], secret)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_secrets_made_in_the_cluster_are_no_release_objects(environment: str) -> None:
    """A Secret the generator Jobs create is never rendered: Argo CD does not track it, so it
    is never OutOfSync and never pruned, and a sync that re-runs the Job (as every sync does
    with PreSync hooks) finds it and keeps it (tests/charts/test_*_token_generator.py)."""
    objs = environment_objects(environment)
    generated = {secret_written(o) for o in objs if o["kind"] == "Job"} - {None}
    rendered_secrets = {o["metadata"]["name"] for o in objs if o["kind"] == "Secret"}
    assert generated.isdisjoint(rendered_secrets)
    if environment == "staging":
        assert generated == {
            "meatyapis-fastapi-token",
            "meatyapis-fastapi-admin",
            "monitoring-grafana-admin",
        }


def test_no_job_is_a_managed_resource() -> None:
    """A Job's template is immutable: a managed Job would fail a sync that changes it."""
    assert [o["metadata"]["name"] for o in all_objects() if o["kind"] == "Job"
            and not hooks.is_hook(o)] == []  # fmt: skip


def test_every_application_object_is_in_the_repository() -> None:
    assert {p.name for p in (DEPLOY / "argocd").iterdir()} == {
        "appproject.yaml",
        "applicationset.yaml",
        "bootstrap.sh",
    }


def test_the_hook_rules_follow_argo_cd() -> None:
    def obj(**annotations: str) -> dict[str, Any]:
        return {"kind": "Job", "metadata": {"name": "x", "annotations": annotations}}

    helm = obj(**{"helm.sh/hook": "pre-install,pre-upgrade", "helm.sh/hook-weight": "-5"})
    assert hooks.is_hook(helm)
    assert hooks.phases(helm) == ["PreSync"]
    assert hooks.wave(helm) == -5
    assert hooks.delete_policies(helm) == {"BeforeHookCreation"}
    test = obj(**{"helm.sh/hook": "test"})
    assert hooks.is_hook(test)
    assert hooks.phases(test) == []
    argo = obj(**{"argocd.argoproj.io/hook": "Sync", "helm.sh/hook": "pre-install"})
    assert hooks.phases(argo) == ["Sync"]  # Helm's annotations ignored
    assert not hooks.is_hook(obj(**{"argocd.argoproj.io/hook": "Skip"}))
    assert not hooks.is_hook(obj(**{"helm.sh/hook": "crd-install"}))
    assert not hooks.is_hook(obj())
    assert hooks.wave(obj(**{"argocd.argoproj.io/sync-wave": "3"})) == 3
    assert hooks.delete_policies(
        obj(**{"helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded"})
    ) == {"BeforeHookCreation", "HookSucceeded"}
