"""Chart quality checks shared by the chart and GitOps test suites: Helm 3/4 strict lint, strict
Kubernetes schema validation, custom resources against their CRD schemas, deterministic renders,
no render-time randomness or lookups, checkov."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import kubernetes_validate
from kubernetes_validate.utils import all_versions

from tests.charts.render import ROOT, TOOLS_BIN, helm_binary

OLDEST = "1.29.0"
NEWEST = max(all_versions(), key=lambda v: tuple(int(p) for p in v.split(".")))
RANDOMNESS = re.compile(r"\b(lookup|randAlphaNum|randAlpha|randNumeric|randAscii|now|uuidv4)\b")


def lint_strict(chart_dir: Path, values_file: Path | None, helm: str) -> None:
    values = ["--values", str(values_file)] if values_file else []
    result = subprocess.run(
        [helm_binary(helm), "lint", "--strict", str(chart_dir), *values],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout
    assert "[WARNING]" not in result.stdout + result.stderr


def validate_strictly(objects: Iterable[dict[str, Any]], version: str, skip: set[str]) -> int:
    """Validate every object not of a `skip` kind; returns how many were checked."""
    checked = 0
    for obj in objects:
        if obj["kind"] not in skip:
            kubernetes_validate.validate(obj, version, strict=True)
            checked += 1
    return checked


def custom_resource_errors(objects: Iterable[dict[str, Any]]) -> list[str]:
    """Errors of custom resources against the CRD schemas of the @kubernetes-models packages
    (tests/charts/validate_custom_resources.mjs); an API group without a schema is an error."""
    result = subprocess.run(
        ["node", str(Path(__file__).with_name("validate_custom_resources.mjs")),
         str(ROOT / ".tools" / "node_modules")],
        input=json.dumps(list(objects)), capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    errors: list[str] = json.loads(result.stdout)
    return errors


def template_argv(chart_dir: Path, release: str, namespace: str, values_file: Path) -> list[str]:
    return [helm_binary("helm3"), "template", release, str(chart_dir), "--namespace", namespace,
            "--kube-version", OLDEST, "--values", str(values_file)]  # fmt: skip


def randomness_in_templates(chart_dir: Path) -> list[str]:
    """Template lines calling lookup, rand* or now (comments aside)."""
    return [
        f"{path.relative_to(chart_dir)}: {line.strip()}"
        for path in (chart_dir / "templates").rglob("*")
        if path.is_file()
        for line in path.read_text().splitlines()
        if RANDOMNESS.search(line.split("{{/*")[0]) and "{{" in line
    ]


def checkov(directory: Path) -> tuple[int, int]:
    """checkov with the repository's config on the rendered manifests: (passed, failed)."""
    result = subprocess.run(
        [str(TOOLS_BIN / "checkov"), "--config-file", str(ROOT / ".checkov.yaml"),
         "--directory", str(directory), "--output", "cli"],
        capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    counts = re.search(r"Passed checks: (\d+), Failed checks: (\d+)", result.stdout)
    assert counts, result.stdout[-2000:]
    return int(counts.group(1)), int(counts.group(2))
