"""Upgrade safety: the changes between two renders of a chart that `helm upgrade` or an Argo CD
sync cannot apply in place, because the API server refuses to change those fields (it would
need the object deleted first, and for a StatefulSet its volumes recreated).

The previous release of a chart is its release tag (<chart>-<version>, chart-releaser) below
the current version; without tags, the last commit of main's history at the highest version
below the current one (each version merged to main is released, and its content never changes
afterwards: docs/releasing.md).
"""

from __future__ import annotations

import subprocess
import tarfile
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path
from typing import Any

import yaml

from tests.charts.render import ROOT
from tests.workflows.test_chart_versions import release_tags, semver_key

HOOK = "helm.sh/hook"


def git(*args: str, repo: Path = ROOT) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, check=False, timeout=60)


def history_base(repo: Path = ROOT) -> str:
    """Where the released history ends: the merge base with main (origin/main first), or HEAD
    on main itself."""
    for ref in ("origin/main", "main"):
        base = git("merge-base", "HEAD", ref, repo=repo)
        if base.returncode == 0:
            return base.stdout.decode().strip()
    return "HEAD"


def version_at(repo: Path, ref: str, chart: str) -> str | None:
    shown = git("show", f"{ref}:charts/{chart}/Chart.yaml", repo=repo)
    if shown.returncode != 0:
        return None
    return str(yaml.safe_load(shown.stdout)["version"])


def previous_release(chart: str, current: str, repo: Path = ROOT) -> tuple[str, str] | None:
    """(version, git ref) of the release the current version upgrades from; None for a chart
    that was never released below it."""
    chart_dir = repo / "charts" / chart
    tags = {v: t for v, t in release_tags(chart_dir).items() if semver_key(v) < semver_key(current)}
    if tags:
        version = max(tags, key=semver_key)
        return version, tags[version]
    base = history_base(repo)
    log = git("log", "--format=%H", base, "--", f"charts/{chart}", repo=repo).stdout.decode()
    for commit in log.split():
        at = version_at(repo, commit, chart)
        if at is not None and semver_key(at) < semver_key(current):
            return at, commit
    return None


def extract(ref: str, into: Path, repo: Path = ROOT) -> Path:
    """charts/ at `ref`, unpacked into `into`; returns into/charts."""
    archive = git("archive", "--format=tar", ref, "--", "charts", repo=repo)
    assert archive.returncode == 0, archive.stderr.decode()
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into / "charts"


def _key(obj: dict[str, Any]) -> tuple[str, str, str]:
    meta = obj.get("metadata", {})
    return obj["kind"], meta.get("namespace", ""), meta["name"]


def _is_hook(obj: dict[str, Any]) -> bool:
    return HOOK in (obj.get("metadata", {}).get("annotations") or {})


def _claim_templates(statefulset: dict[str, Any]) -> list[dict[str, Any]]:
    """volumeClaimTemplates as the API server stores them (the defaults it adds filled in), so
    spelling out a default is no change."""
    found = []
    for template in statefulset["spec"].get("volumeClaimTemplates", []):
        spec = dict(template.get("spec", {}))
        spec.setdefault("volumeMode", "Filesystem")
        found.append({"name": template["metadata"]["name"], "spec": spec})
    return found


def _get(obj: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)  # type: ignore[assignment]
    return obj


# kind → (description, how to read the field): the fields the API server will not change
IMMUTABLE: dict[str, list[tuple[str, Any]]] = {
    "Deployment": [("spec.selector", lambda o: _get(o, "spec", "selector"))],
    "StatefulSet": [
        ("spec.selector", lambda o: _get(o, "spec", "selector")),
        ("spec.serviceName", lambda o: _get(o, "spec", "serviceName")),
        ("spec.podManagementPolicy", lambda o: _get(o, "spec", "podManagementPolicy")),
        ("spec.volumeClaimTemplates", _claim_templates),
    ],
    "Service": [
        ("spec.type", lambda o: _get(o, "spec", "type") or "ClusterIP"),
        ("spec.clusterIP", lambda o: _get(o, "spec", "clusterIP")),
    ],
    "Job": [
        ("spec.template", lambda o: _get(o, "spec", "template")),
        ("spec.selector", lambda o: _get(o, "spec", "selector")),
    ],
    "PersistentVolumeClaim": [
        ("spec.accessModes", lambda o: _get(o, "spec", "accessModes")),
        ("spec.storageClassName", lambda o: _get(o, "spec", "storageClassName")),
        ("spec.volumeMode", lambda o: _get(o, "spec", "volumeMode") or "Filesystem"),
    ],
}


def immutable_changes(
    before: Iterable[dict[str, Any]], after: Iterable[dict[str, Any]]
) -> list[str]:
    """Objects present in both renders (hooks aside: they are re-created each time) whose
    immutable fields differ."""
    old = {_key(o): o for o in before if not _is_hook(o)}
    problems = []
    for obj in after:
        key = _key(obj)
        if _is_hook(obj) or key not in old:
            continue
        for field, read in IMMUTABLE.get(obj["kind"], []):
            if read(old[key]) != read(obj):
                problems.append(f"{key[0]}/{key[2]}: {field} changed")
    return problems


def major(version: str) -> int:
    return semver_key(version)[0]
