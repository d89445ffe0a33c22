"""Upgrade safety of each application chart: every ci/ scenario rendered by the previous release
(from git) and by HEAD; a change to an immutable field (Deployment and StatefulSet selectors,
StatefulSet volumeClaimTemplates, Service type and clusterIP, non-hook Job templates, PVC specs)
breaks `helm upgrade` and Argo CD syncs, and is allowed only with a major version bump."""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.charts import upgrade_safety
from tests.charts.render import CHARTS_DIR, build_dependencies, render_chart

APPLICATION_CHARTS = sorted(
    p.parent.name
    for p in CHARTS_DIR.glob("*/Chart.yaml")
    if yaml.safe_load(p.read_text()).get("type", "application") == "application"
)


def chart_version(chart: str) -> str:
    return str(yaml.safe_load((CHARTS_DIR / chart / "Chart.yaml").read_text())["version"])


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[str, Path]]:
    """chart → (previous released version, its chart directory unpacked from git)."""

    @functools.cache
    def unpacked(chart: str) -> tuple[str, Path]:
        release = upgrade_safety.previous_release(chart, chart_version(chart))
        assert release, f"{chart}: no earlier release in git to upgrade from"
        version, ref = release
        charts = upgrade_safety.extract(ref, tmp_path_factory.mktemp(f"{chart}-{version}"))
        build_dependencies(charts / chart)
        return version, charts / chart

    return unpacked


def pairs() -> list[tuple[str, str]]:
    return [
        (chart, scenario.name)
        for chart in APPLICATION_CHARTS
        for scenario in sorted((CHARTS_DIR / chart / "ci").glob("*-values.yaml"))
    ]


@pytest.mark.parametrize(("chart", "scenario"), pairs(), ids=lambda v: str(v))
def test_upgrading_from_the_previous_release_changes_no_immutable_field(
    previous: Callable[[str], tuple[str, Path]], chart: str, scenario: str
) -> None:
    """A scenario new since that release upgrades from the release's defaults (01-defaults)."""
    version, old_dir = previous(chart)
    old_values = old_dir / "ci" / scenario
    if not old_values.exists():
        old_values = old_dir / "ci" / "01-defaults-values.yaml"
    namespace = chart
    before = render_chart(
        str(old_dir), values_files=[old_values], namespace=namespace, release=chart
    )
    after = render_chart(
        chart, values_files=[CHARTS_DIR / chart / "ci" / scenario], namespace=namespace,
        release=chart,
    )  # fmt: skip
    assert len(before) >= 10
    problems = upgrade_safety.immutable_changes(before, after)
    if upgrade_safety.major(chart_version(chart)) > upgrade_safety.major(version):
        return  # a major version tells users to act (docs/releasing.md)
    assert problems == [], f"{chart} {version} -> {chart_version(chart)}: {problems}"


def deployment(labels: dict[str, str], name: str = "web") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": labels}, "template": {}},
    }


def test_each_immutable_field_is_caught() -> None:
    service = {"kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "ClusterIP"}}
    headless = {**service, "spec": {"type": "ClusterIP", "clusterIP": "None"}}
    statefulset = {
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {"selector": {}, "volumeClaimTemplates": [
            {"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "1Gi"}}}}
        ]},
    }  # fmt: skip
    bigger = yaml.safe_load(yaml.safe_dump(statefulset).replace("1Gi", "2Gi"))
    spelled_out = yaml.safe_load(yaml.safe_dump(statefulset))
    spelled_out["spec"]["volumeClaimTemplates"][0]["spec"]["volumeMode"] = "Filesystem"
    job = {"kind": "Job", "metadata": {"name": "j"}, "spec": {"template": {"spec": {"x": 1}}}}
    changed_job = {**job, "spec": {"template": {"spec": {"x": 2}}}}
    hook_job = {**job, "metadata": {"name": "j", "annotations": {"helm.sh/hook": "pre-upgrade"}}}
    assert upgrade_safety.immutable_changes([deployment({"a": "1"})], [deployment({"a": "2"})]) == [
        "Deployment/web: spec.selector changed"
    ]
    assert upgrade_safety.immutable_changes([service], [headless]) == [
        "Service/s: spec.clusterIP changed"
    ]
    assert upgrade_safety.immutable_changes(
        [service], [{**service, "spec": {"type": "NodePort"}}]
    ) == ["Service/s: spec.type changed"]
    assert upgrade_safety.immutable_changes([statefulset], [bigger]) == [
        "StatefulSet/db: spec.volumeClaimTemplates changed"
    ]
    assert upgrade_safety.immutable_changes([statefulset], [spelled_out]) == []  # a default
    assert upgrade_safety.immutable_changes([job], [changed_job]) == [
        "Job/j: spec.template changed"
    ]
    hook_changed = {**changed_job, "metadata": hook_job["metadata"]}
    assert upgrade_safety.immutable_changes([hook_job], [hook_changed]) == []  # re-created
    renamed = deployment({"a": "2"}, name="web2")  # a new object, not a change
    assert upgrade_safety.immutable_changes([deployment({"a": "1"})], [renamed]) == []


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid",
         "-c", "commit.gpgsign=false", *args],
        cwd=repo, check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def test_the_previous_release_comes_from_tags_or_else_from_main_s_history(tmp_path: Path) -> None:
    chart = tmp_path / "charts" / "demo"
    chart.mkdir(parents=True)
    git(tmp_path, "init", "-q", "-b", "main")
    for version in ("0.1.0", "0.1.1", "0.2.0"):
        (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: demo\nversion: {version}\n")
        git(tmp_path, "add", ".")
        git(tmp_path, "commit", "-q", "-m", version)
    # untagged: the newest commit of main at the highest version below the current one
    version, ref = upgrade_safety.previous_release("demo", "0.2.0", repo=tmp_path)  # type: ignore[misc]
    assert version == "0.1.1"
    assert upgrade_safety.version_at(tmp_path, ref, "demo") == "0.1.1"
    assert upgrade_safety.previous_release("demo", "0.1.0", repo=tmp_path) is None
    # a release tag is what chart-releaser released: it wins over the history
    git(tmp_path, "tag", "demo-0.1.0", "HEAD~2")
    assert upgrade_safety.previous_release("demo", "0.2.0", repo=tmp_path) == (
        "0.1.0",
        "demo-0.1.0",
    )
