"""Shared bits of the GitOps tests: the environments rendered as Argo CD and Flux render them
(scripts/gitops/environments.py, cached per session), the Argo CD objects, the Flux builds."""

from __future__ import annotations

import copy
import functools
import subprocess
from typing import Any

import yaml

from scripts.gitops.environments import CHARTS, KUBE_VERSION, ROOT, Layout, objects, render

DEPLOY = ROOT / "deploy"
LAYOUT = Layout()
ENVIRONMENTS = LAYOUT.environments()
KUBECTL = ROOT / ".tools" / "bin" / "kubectl"


@functools.cache
def _rendered(environment: str, chart: str, helm: str, kube_version: str) -> str:
    return render(LAYOUT, environment, chart, helm, kube_version)


def rendered(
    environment: str, chart: str, helm: str = "helm3", kube_version: str = KUBE_VERSION
) -> str:
    return _rendered(environment, chart, helm, kube_version)


def environment_objects(
    environment: str, chart: str | None = None, kube_version: str = KUBE_VERSION
) -> list[dict[str, Any]]:
    """The objects of one chart (or both) of an environment, as Helm renders them."""
    charts = [chart] if chart else list(CHARTS)
    found: list[dict[str, Any]] = []
    for name in charts:
        found += objects(rendered(environment, name, kube_version=kube_version))
    return copy.deepcopy(found)


def all_objects() -> list[dict[str, Any]]:
    return [o for environment in ENVIRONMENTS for o in environment_objects(environment)]


def argocd(name: str) -> dict[str, Any]:
    """deploy/argocd/<name>.yaml."""
    document: dict[str, Any] = yaml.safe_load((DEPLOY / "argocd" / f"{name}.yaml").read_text())
    return document


@functools.cache
def _kustomized(environment: str) -> str:
    result = subprocess.run(
        [str(KUBECTL), "kustomize", str(DEPLOY / "environments" / environment)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def flux_objects(environment: str) -> list[dict[str, Any]]:
    """What Flux's kustomize-controller applies for the environment (kubectl kustomize)."""
    return copy.deepcopy(objects(_kustomized(environment)))


def annotations_of(obj: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = obj.get("metadata", {}).get("annotations") or {}
    return found
