"""The environments of deploy/environments/ as Argo CD and Flux deploy them: each chart at the
version the environment's release.yaml pins, with deploy/base/<chart>.yaml and then the
environment's <chart>.yaml as values, rendered with `helm template`.

A pinned version that is the working tree's chart version renders charts/<chart>; any other
renders the chart of its release tag (<chart>-<version>, created by chart-releaser) from git.

    python -m scripts.gitops.environments render [--out DIR]    # every environment, Helm 3 and 4
    python -m scripts.gitops.environments diff [--base REF]     # what merging this would change
"""

from __future__ import annotations

import argparse
import difflib
import fcntl
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
# Chart → the namespace it is deployed to, in deployment order (the ApplicationSet's rollout
# steps and the meatyapis HelmRelease's dependsOn follow it).
CHARTS = {"monitoring": "monitoring", "meatyapis": "meatyapis"}
KUBE_VERSION = "1.29.0"
HELMS = ("helm3", "helm4")
HELM_TIMEOUT_SECONDS = 120


class EnvironmentProblem(RuntimeError):
    """An environment cannot be rendered as declared (a clear message for the command line)."""


@dataclass(frozen=True)
class Layout:
    """Where the environments live: a checkout (`root`) and the git repository holding the
    release tags (usually the same)."""

    root: Path = ROOT
    repo: Path = ROOT

    @property
    def environments_dir(self) -> Path:
        return self.root / "deploy" / "environments"

    def environments(self) -> list[str]:
        return sorted(p.parent.name for p in self.environments_dir.glob("*/release.yaml"))

    def values_files(self, environment: str, chart: str) -> list[Path]:
        return [
            self.root / "deploy" / "base" / f"{chart}.yaml",
            self.environments_dir / environment / f"{chart}.yaml",
        ]

    def chart_versions(self, environment: str) -> dict[str, str]:
        """The chart versions release.yaml pins (its `data`)."""
        path = self.environments_dir / environment / "release.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8")).get("data") or {}
        missing = [c for c in CHARTS if c not in data]
        if missing:
            raise EnvironmentProblem(f"{path}: data.{missing[0]} (the chart version) is missing")
        return {chart: str(data[chart]) for chart in CHARTS}


def helm_binary(helm: str) -> str:
    local = ROOT / ".tools" / "bin" / helm
    found = str(local) if local.exists() else shutil.which(helm)
    if found is None:
        raise EnvironmentProblem(f"{helm} not found: run `bash scripts/install-tools.sh`")
    return found


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, check=False, timeout=60)


def chart_version_in(chart_dir: Path) -> str:
    return str(yaml.safe_load((chart_dir / "Chart.yaml").read_text(encoding="utf-8"))["version"])


def extract_tree(repo: Path, ref: str, paths: list[str], into: Path) -> None:
    """`git archive` of those of `paths` that exist at `ref`, unpacked into `into`."""
    present = [p for p in paths if git(repo, "cat-file", "-e", f"{ref}:{p}").returncode == 0]
    archive = git(repo, "archive", "--format=tar", ref, "--", *present)
    if archive.returncode != 0:
        raise EnvironmentProblem(f"git archive {ref} failed: {archive.stderr.decode().strip()}")
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")


def _packaged_is_current(chart_dir: Path, dependencies: list[dict[str, Any]]) -> bool:
    """Every file:// dependency is packaged in charts/ and newer than each of its files."""
    for dependency in dependencies:
        repository = str(dependency.get("repository", ""))
        if not repository.startswith("file://"):
            return False
        source = (chart_dir / repository.removeprefix("file://")).resolve()
        package = chart_dir / "charts" / f"{dependency['name']}-{dependency['version']}.tgz"
        files = [f for f in source.rglob("*") if f.is_file()]
        if not package.exists() or any(f.stat().st_mtime > package.stat().st_mtime for f in files):
            return False
    return True


def build_dependencies(chart_dir: Path) -> None:
    """`helm dependency build` of a chart with `file://` dependencies (the library chart): it
    packages them into the chart's charts/ folder, which git ignores. Skipped while the packages
    are current; one process at a time (parallel test workers share the folder)."""
    metadata = yaml.safe_load((chart_dir / "Chart.yaml").read_text(encoding="utf-8"))
    dependencies = metadata.get("dependencies") or []
    if not dependencies:
        return
    (chart_dir / "charts").mkdir(exist_ok=True)
    with open(chart_dir / "charts" / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _packaged_is_current(chart_dir, dependencies):
            return
        result = subprocess.run(
            [helm_binary("helm3"), "dependency", "build", str(chart_dir), "--skip-refresh"],
            capture_output=True, text=True, timeout=HELM_TIMEOUT_SECONDS, check=False,
        )  # fmt: skip
    if result.returncode != 0:
        raise EnvironmentProblem(f"helm dependency build {chart_dir}: {result.stderr.strip()}")


@contextmanager
def chart_at(layout: Layout, chart: str, version: str) -> Iterator[Path]:
    """The chart directory of `chart` at `version`: the checkout's, or its release tag's, with
    its dependencies built."""
    local = layout.root / "charts" / chart
    if (local / "Chart.yaml").exists() and chart_version_in(local) == version:
        build_dependencies(local)
        yield local
        return
    tag = f"{chart}-{version}"
    if git(layout.repo, "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}").returncode != 0:
        raise EnvironmentProblem(
            f"{chart} {version}: neither the checkout's chart version nor a release tag {tag}"
            " (fetch the tags: git fetch --tags)"
        )
    with tempfile.TemporaryDirectory(prefix=f"{tag}-") as tmp:
        extract_tree(layout.repo, tag, ["charts"], Path(tmp))
        build_dependencies(Path(tmp) / "charts" / chart)
        yield Path(tmp) / "charts" / chart


def template_argv(
    chart_dir: Path, chart: str, values_files: list[Path], helm: str, kube_version: str
) -> list[str]:
    argv = [helm_binary(helm), "template", chart, str(chart_dir), "--namespace", CHARTS[chart],
            "--kube-version", kube_version]  # fmt: skip
    for values in values_files:
        argv += ["--values", str(values)]
    return argv


def render(
    layout: Layout,
    environment: str,
    chart: str,
    helm: str = "helm3",
    kube_version: str = KUBE_VERSION,
) -> str:
    """`helm template` of one chart of one environment, as Argo CD and Flux render it."""
    version = layout.chart_versions(environment)[chart]
    with chart_at(layout, chart, version) as chart_dir:
        argv = template_argv(
            chart_dir, chart, layout.values_files(environment, chart), helm, kube_version
        )
        result = subprocess.run(
            argv, capture_output=True, text=True, timeout=HELM_TIMEOUT_SECONDS, check=False
        )
    if result.returncode != 0:
        raise EnvironmentProblem(f"{environment}/{chart} ({helm}): {result.stderr.strip()}")
    return result.stdout


def objects(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def render_all(layout: Layout, helm: str = "helm3") -> dict[tuple[str, str], str]:
    return {
        (environment, chart): render(layout, environment, chart, helm)
        for environment in layout.environments()
        for chart in CHARTS
    }


def write_renders(layout: Layout, out: Path) -> list[str]:
    """Every environment with Helm 3 into out/<env>/<chart>.yaml; Helm 4 must render the same
    objects. Returns the problems (empty when all is well)."""
    problems = []
    renders = render_all(layout, "helm3")
    for (environment, chart), text in renders.items():
        (out / environment).mkdir(parents=True, exist_ok=True)
        (out / environment / f"{chart}.yaml").write_text(text, encoding="utf-8")
        if objects(render(layout, environment, chart, "helm4")) != objects(text):
            problems.append(f"{environment}/{chart}: Helm 4 renders other objects than Helm 3")
    return problems


def diff(base: Layout, head: Layout) -> str:
    """The unified diff of every environment's manifests from `base` to `head`."""
    before = render_all(base) if base.environments_dir.exists() else {}
    after = render_all(head)
    chunks: list[str] = []
    for environment, chart in sorted(set(before) | set(after)):
        name = f"{environment}/{chart}.yaml"
        chunks += difflib.unified_diff(
            before.get((environment, chart), "").splitlines(keepends=True),
            after.get((environment, chart), "").splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        )
    return "".join(chunks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    render_cmd = commands.add_parser("render", help="render every environment (Helm 3 and 4)")
    render_cmd.add_argument("--out", type=Path, default=ROOT / "build" / "environments")
    diff_cmd = commands.add_parser("diff", help="the manifests a pending change would apply")
    diff_cmd.add_argument("--base", default="origin/main", help="git ref to compare with")
    args = parser.parse_args(argv)
    head = Layout()
    try:
        if args.command == "render":
            problems = write_renders(head, args.out)
            print("\n".join(problems) or f"rendered {', '.join(head.environments())} to {args.out}")
            return 1 if problems else 0
        if git(ROOT, "rev-parse", "--verify", "--quiet", f"{args.base}^{{commit}}").returncode:
            raise EnvironmentProblem(f"--base {args.base} does not resolve to a commit")
        with tempfile.TemporaryDirectory(prefix="environments-base-") as tmp:
            extract_tree(ROOT, args.base, ["charts", "deploy"], Path(tmp))
            text = diff(Layout(root=Path(tmp)), head)
        print(text or f"no change to any environment's manifests since {args.base}")
        return 0
    except EnvironmentProblem as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
