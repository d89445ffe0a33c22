"""The chart versioning rule (docs/releasing.md): any change under charts/X/, or under a chart X
packages from the repository (a `file://` dependency such as charts/meatyapis-common), bumps X's
version.

The base to compare against, in order:
1. CHART_VERSION_BASE (a git ref), when set;
2. the merge base with origin/main, when HEAD is not on main (a pull request or a branch);
3. on main itself, each chart's release tags `X-<version>` (what chart-releaser creates): a chart
   whose current version was already released must not have changed since that tag, and no
   released version may be above the current one.
There is no silent pass: a named base that cannot be resolved fails the test.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.workflows.steps import ROOT

CHARTS = sorted(p.parent for p in (ROOT / "charts").glob("*/Chart.yaml"))
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)


def git(*args: str, check: bool = True, repo: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, check=check, capture_output=True, text=True)


def resolves(ref: str) -> bool:
    return git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False).returncode == 0


def semver_key(version: str) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
    match = SEMVER.match(version)
    assert match, f"{version!r} is not a SemVer 2 version"
    major, minor, patch, pre = match.groups()
    pre_key = tuple((0, int(p)) if p.isdigit() else (1, p) for p in (pre or "").split(".") if p)
    # A pre-release sorts before its release.
    return int(major), int(minor), int(patch), 0 if pre else 1, pre_key


def comparison_base() -> str | None:
    explicit = os.environ.get("CHART_VERSION_BASE")
    if explicit:
        assert resolves(explicit), f"CHART_VERSION_BASE={explicit} does not resolve to a commit"
        return explicit
    if resolves("origin/main"):
        base = git("merge-base", "HEAD", "origin/main").stdout.strip()
        head = git("rev-parse", "HEAD").stdout.strip()
        if base != head:
            return base
    # On main itself (or without a remote): releases are what must not change under a version.
    return None


def chart_version(chart: Path, ref: str | None = None) -> str | None:
    repo = chart.parents[1]
    rel = (chart / "Chart.yaml").relative_to(repo).as_posix()
    if ref is None:
        text = (chart / "Chart.yaml").read_text(encoding="utf-8")
    else:
        shown = git("show", f"{ref}:{rel}", check=False, repo=repo)
        if shown.returncode != 0:
            return None
        text = shown.stdout
    return str(yaml.safe_load(text)["version"])


def local_dependencies(chart: Path) -> list[Path]:
    """The charts of the repository that `chart` packages: its `file://` dependencies."""
    metadata = yaml.safe_load((chart / "Chart.yaml").read_text(encoding="utf-8"))
    return [
        (chart / dependency["repository"].removeprefix("file://")).resolve()
        for dependency in metadata.get("dependencies") or []
        if dependency.get("repository", "").startswith("file://")
    ]


def changed_since(chart: Path, ref: str) -> list[str]:
    """Files under the chart or a chart it packages that differ between ref and the working
    tree (committed or not)."""
    repo = chart.parents[1]
    changed: set[str] = set()
    for directory in (chart, *local_dependencies(chart)):
        rel = directory.relative_to(repo).as_posix()
        changed |= set(git("diff", "--name-only", ref, "--", rel, repo=repo).stdout.split())
        untracked = git("ls-files", "--others", "--exclude-standard", "--", rel, repo=repo)
        changed |= set(untracked.stdout.split())
    return sorted(changed)


def release_tags(chart: Path) -> dict[str, str]:
    name = chart.name
    tags = git("tag", "--list", f"{name}-*", repo=chart.parents[1]).stdout.split()
    return {t.removeprefix(f"{name}-"): t for t in tags if SEMVER.match(t.removeprefix(f"{name}-"))}


def version_problems(chart: Path, base: str | None) -> list[str]:
    version = chart_version(chart)
    assert version is not None
    semver_key(version)
    if base is not None:
        changed = changed_since(chart, base)
        old = chart_version(chart, base)
        if changed and old is not None and semver_key(version) <= semver_key(old):
            return [
                f"{chart.name}: {len(changed)} file(s) changed since {base} ({changed[0]} …)"
                f" but version {version} is not above {old}"
            ]
        return []
    tags = release_tags(chart)
    newer = [v for v in tags if semver_key(v) > semver_key(version)]
    if newer:
        return [f"{chart.name}: version {version} is below released {max(newer, key=semver_key)}"]
    if version in tags and changed_since(chart, tags[version]):
        return [f"{chart.name}: changed since release tag {tags[version]}, bump version {version}"]
    return []


def test_there_are_charts() -> None:
    assert {c.name for c in CHARTS} >= {"meatyapis"}


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.name)
def test_changed_chart_bumps_its_version(chart: Path) -> None:
    assert version_problems(chart, comparison_base()) == []


def test_meatyapis_app_version_is_the_released_image_version() -> None:
    """The chart's image tags default to appVersion: the version the release tags images with."""
    chart = yaml.safe_load((ROOT / "charts/meatyapis/Chart.yaml").read_text(encoding="utf-8"))
    for app in ("flask", "fastapi"):
        text = (ROOT / f"apps/{app}/pyproject.toml").read_text(encoding="utf-8")
        version = re.search(r'^version = "(.+)"$', text, re.MULTILINE)
        assert version, app
        assert version.group(1) == str(chart["appVersion"]), app


@pytest.fixture
def demo_repo(tmp_path: Path) -> Path:
    """A small git repository with one chart, charts/demo, committed at version 0.1.0."""
    chart = tmp_path / "charts" / "demo"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text("kind: ConfigMap\n")
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "."],
        [
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "commit.gpgsign=false",
            "commit",
            "-q",
            "-m",
            "demo",
        ],
    ):
        git(*args, repo=tmp_path)
    return chart


def bump(chart: Path, version: str) -> None:
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: demo\nversion: {version}\n")


def test_against_a_base_a_change_needs_a_higher_version(demo_repo: Path) -> None:
    assert version_problems(demo_repo, "HEAD") == []
    (demo_repo / "templates" / "cm.yaml").write_text("kind: ConfigMap\ndata: {}\n")
    (problem,) = version_problems(demo_repo, "HEAD")
    assert "templates/cm.yaml" in problem
    assert "not above 0.1.0" in problem
    (demo_repo / "templates" / "new.yaml").write_text("kind: Secret\n")  # untracked counts too
    bump(demo_repo, "0.1.0-rc.1")  # a pre-release of the same version is lower
    assert version_problems(demo_repo, "HEAD")
    bump(demo_repo, "0.1.1")
    assert version_problems(demo_repo, "HEAD") == []


def test_on_main_a_released_version_must_not_change(demo_repo: Path) -> None:
    repo = demo_repo.parents[1]
    assert version_problems(demo_repo, None) == []  # nothing released yet
    git("tag", "demo-0.1.0", repo=repo)
    assert version_problems(demo_repo, None) == []  # released, unchanged
    (demo_repo / "templates" / "cm.yaml").write_text("kind: ConfigMap\ndata: {}\n")
    (problem,) = version_problems(demo_repo, None)
    assert "changed since release tag demo-0.1.0" in problem
    bump(demo_repo, "0.2.0")
    assert version_problems(demo_repo, None) == []
    git("tag", "demo-0.3.0", "HEAD", repo=repo)
    (problem,) = version_problems(demo_repo, None)
    assert "below released 0.3.0" in problem


def test_a_change_of_a_packaged_library_needs_a_higher_version_too(demo_repo: Path) -> None:
    repo = demo_repo.parents[1]
    library = repo / "charts" / "lib"
    (library / "templates").mkdir(parents=True)
    (library / "Chart.yaml").write_text(
        "apiVersion: v2\nname: lib\nversion: 0.1.0\ntype: library\n"
    )
    (library / "templates" / "_names.tpl").write_text('{{- define "lib.name" -}}x{{- end -}}\n')
    dependency = "dependencies:\n  - name: lib\n    version: 0.1.0\n    repository: file://../lib\n"
    (demo_repo / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: demo\nversion: 0.1.1\n{dependency}"
    )
    git("add", ".", repo=repo)
    git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false",
        "commit", "-q", "-m", "library", repo=repo)  # fmt: skip
    assert version_problems(demo_repo, "HEAD") == []
    (library / "templates" / "_names.tpl").write_text('{{- define "lib.name" -}}y{{- end -}}\n')
    (problem,) = version_problems(demo_repo, "HEAD")
    assert "charts/lib/templates/_names.tpl" in problem
    (demo_repo / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: demo\nversion: 0.1.2\n{dependency}"
    )
    assert version_problems(demo_repo, "HEAD") == []


def test_versions_must_be_semver(demo_repo: Path) -> None:
    bump(demo_repo, "1.0")
    with pytest.raises(AssertionError, match="not a SemVer 2 version"):
        version_problems(demo_repo, None)
