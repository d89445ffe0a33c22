"""Render Helm charts with the real `helm template` and find objects in the result.

Every distinct (chart, values, values files, helm, release, namespace, versions) combination is
rendered once per test session (per xdist worker); tests then filter the cached objects.
"""

from __future__ import annotations

import copy
import functools
import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scripts.gitops import environments

ROOT = Path(__file__).resolve().parents[2]
CHARTS_DIR = ROOT / "charts"
TOOLS_BIN = ROOT / ".tools" / "bin"
DEFAULT_KUBE_VERSION = "1.29.0"
HELM_TIMEOUT_SECONDS = 120


class RenderError(AssertionError):
    """`helm template` failed where a render was expected to succeed."""


@dataclass(frozen=True)
class Rendered:
    """One `helm template` run: raw stdout plus its documents tagged with their template."""

    text: str
    objects: tuple[dict[str, Any], ...]
    sources: tuple[str, ...]


def helm_binary(helm: str = "helm3") -> str:
    """Path of a helm binary: .tools/bin first (scripts/install-tools.sh), then PATH."""
    local = TOOLS_BIN / helm
    if local.exists():
        return str(local)
    found = shutil.which(helm)
    if found is None:
        raise RuntimeError(f"{helm} not found: run `bash scripts/install-tools.sh`")
    return found


def chart_path(chart: str) -> Path:
    """`chart` may be a chart name under charts/ or a path to a chart directory."""
    path = Path(chart)
    return path if path.is_absolute() or path.exists() else CHARTS_DIR / chart


@functools.cache
def build_dependencies(chart: Path) -> None:
    """`helm dependency build`: package the chart's `file://` dependencies (the library chart)
    into its charts/ folder, which git ignores. Once per process, so that library edits show."""
    try:
        environments.build_dependencies(chart)
    except environments.EnvironmentProblem as problem:
        raise RenderError(str(problem)) from problem


def _template_argv(
    chart: str,
    values_json: str,
    values_files: tuple[str, ...],
    helm: str,
    release: str,
    namespace: str,
    kube_version: str,
    api_versions: tuple[str, ...],
    values_path: Path,
) -> list[str]:
    argv = [
        helm_binary(helm),
        "template",
        release,
        str(chart_path(chart)),
        "--namespace",
        namespace,
        "--kube-version",
        kube_version,
    ]
    for api_version in api_versions:
        argv += ["--api-versions", api_version]
    for values_file in values_files:
        argv += ["--values", values_file]
    if values_json != "null":
        values_path.write_text(values_json)  # JSON is YAML
        argv += ["--values", str(values_path)]
    return argv


def _run_template(*key: Any) -> subprocess.CompletedProcess[str]:
    chart = chart_path(key[0]).resolve()
    if chart.parent == CHARTS_DIR:  # copies elsewhere carry their charts/ folder along
        build_dependencies(chart)
    with tempfile.TemporaryDirectory(prefix="render-") as tmp:
        argv = _template_argv(*key, values_path=Path(tmp) / "values.json")
        return subprocess.run(
            argv, capture_output=True, text=True, timeout=HELM_TIMEOUT_SECONDS, check=False
        )


def _split_documents(text: str) -> tuple[tuple[dict[str, Any], ...], tuple[str, ...]]:
    objects: list[dict[str, Any]] = []
    sources: list[str] = []
    for chunk in text.split("\n---"):
        source = ""
        for line in chunk.splitlines():
            if line.startswith("# Source: "):
                source = line.removeprefix("# Source: ").strip()
                break
        document = yaml.safe_load(chunk)
        if document:
            objects.append(document)
            # "chart/templates/x.yaml" → "templates/x.yaml" (what show_only takes)
            sources.append(source.split("/", 1)[1] if "/" in source else source)
    return tuple(objects), tuple(sources)


@functools.cache
def _render_cached(*key: Any) -> Rendered:
    result = _run_template(*key)
    if result.returncode != 0:
        raise RenderError(f"helm template failed ({result.returncode}):\n{result.stderr}")
    objects, sources = _split_documents(result.stdout)
    return Rendered(result.stdout, objects, sources)


def _key(
    chart: str,
    values: dict[str, Any] | None,
    values_files: Iterable[Path | str],
    helm: str,
    release: str,
    namespace: str,
    kube_version: str,
    api_versions: Sequence[str],
) -> tuple[Any, ...]:
    return (
        chart,
        json.dumps(values, sort_keys=True),
        tuple(str(Path(f).resolve()) for f in values_files),
        helm,
        release,
        namespace,
        kube_version,
        tuple(api_versions),
    )


def render(
    chart: str,
    values: dict[str, Any] | None = None,
    values_files: Iterable[Path | str] = (),
    helm: str = "helm3",
    release: str = "meatyapis",
    namespace: str = "default",
    kube_version: str = DEFAULT_KUBE_VERSION,
    api_versions: Sequence[str] = (),
) -> Rendered:
    """The cached render: raw text and every object with the template it came from."""
    key = _key(chart, values, values_files, helm, release, namespace, kube_version, api_versions)
    return _render_cached(*key)


def render_chart(
    chart: str,
    values: dict[str, Any] | None = None,
    values_files: Iterable[Path | str] = (),
    show_only: list[str] | None = None,
    helm: str = "helm3",
    release: str = "meatyapis",
    namespace: str = "default",
    kube_version: str = DEFAULT_KUBE_VERSION,
    api_versions: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Objects rendered by `helm template`; `show_only` keeps those of the given templates
    (paths relative to the chart, e.g. "templates/flask/deployment.yaml").

    The whole chart is rendered once per values set, so show_only costs no extra helm run.
    Raises RenderError (with helm's stderr) when the render fails.
    """
    rendered = render(
        chart, values, values_files, helm, release, namespace, kube_version, api_versions
    )
    if show_only is None:
        return copy.deepcopy(list(rendered.objects))
    wanted = set(show_only)
    unknown = wanted - {*rendered.sources, *_templates_of(chart)}
    if unknown:
        raise ValueError(f"show_only names no template of {chart}: {sorted(unknown)}")
    pairs = zip(rendered.objects, rendered.sources, strict=True)
    return copy.deepcopy([o for o, source in pairs if source in wanted])


def _templates_of(chart: str) -> set[str]:
    base = chart_path(chart)
    return {str(p.relative_to(base)) for p in (base / "templates").rglob("*") if p.is_file()}


def render_error(
    chart: str,
    values: dict[str, Any] | None = None,
    values_files: Iterable[Path | str] = (),
    helm: str = "helm3",
    release: str = "meatyapis",
    namespace: str = "default",
    kube_version: str = DEFAULT_KUBE_VERSION,
) -> str:
    """stderr of a render that must fail; raises AssertionError if it succeeds."""
    key = _key(chart, values, values_files, helm, release, namespace, kube_version, ())
    result = _run_template(*key)
    if result.returncode == 0:
        raise AssertionError(f"helm template of {chart} succeeded with values {values!r}")
    return result.stderr


def find_objects(
    objects: Iterable[dict[str, Any]], kind: str | None = None, name: str | None = None
) -> list[dict[str, Any]]:
    """Objects of that kind and/or metadata.name."""
    return [
        o
        for o in objects
        if (kind is None or o.get("kind") == kind)
        and (name is None or o.get("metadata", {}).get("name") == name)
    ]


def find_object(
    objects: Iterable[dict[str, Any]], kind: str, name: str | None = None
) -> dict[str, Any]:
    """The one object of that kind (and name); AssertionError unless exactly one matches."""
    found = find_objects(objects, kind, name)
    if len(found) != 1:
        have = sorted(f"{o.get('kind')}/{o.get('metadata', {}).get('name')}" for o in objects)
        raise AssertionError(f"expected one {kind} {name or ''}, found {len(found)} in {have}")
    return found[0]
