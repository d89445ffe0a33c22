"""Generate a chart's README parameter table and values.schema.json from its `## @param`
comments (@bitnami/readme-generator-for-helm), then tighten the schema: the generator neither
rejects unknown keys nor knows integers, nullable values or int-or-string fields.

    python scripts/chart_docs.py charts/meatyapis [charts/…]          # rewrite in place
    python scripts/chart_docs.py --check charts/meatyapis [charts/…]  # fail when stale
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / ".tools" / "bin" / "readme-generator"
SCHEMA_DIALECT = "http://json-schema.org/draft-07/schema#"
# Kubernetes IntOrString fields (a count or a percentage such as "25%").
INT_OR_STRING = {"maxSurge", "maxUnavailable", "minAvailable"}
# Lists whose default is empty but whose items are names.
STRING_LISTS = {"imagePullSecrets"}
# Values with a closed set of choices, by their last path elements.
ENUMS = {
    ("database", "type"): ["sqlite", "external"],
    ("preStop", "action"): ["sleep", "exec"],
    ("image", "pullPolicy"): ["Always", "IfNotPresent", "Never"],
    ("service", "type"): ["ClusterIP", "NodePort", "LoadBalancer"],
    ("ingress", "pathType"): ["Prefix", "Exact", "ImplementationSpecific"],
    ("route", "tlsTermination"): ["", "edge", "reencrypt", "passthrough"],
    ("route", "insecureEdgeTerminationPolicy"): ["Redirect", "Allow", "None"],
    ("prometheus", "fallbackScrapeProtocol"): [
        "",
        "PrometheusText0.0.4",
        "PrometheusText1.0.0",
        "OpenMetricsText0.0.1",
        "OpenMetricsText1.0.0",
        "PrometheusProto",
    ],
    ("secretStoreRef", "kind"): ["SecretStore", "ClusterSecretStore"],
}


def _free_form(value: Any) -> dict[str, Any]:
    """Schema of a value documented as a whole (`[object]`/`[array]`), left open inside."""
    if isinstance(value, dict):
        return {"type": "object"}
    if isinstance(value, list):
        return {"type": "array"}
    return {}


def tighten(node: dict[str, Any], value: Any, path: tuple[str, ...] = ()) -> None:
    """Rewrite the generated schema `node` for the values subtree `value`, in place."""
    if isinstance(value, dict) and (value or "properties" in node):
        properties = node.setdefault("properties", {})
        for key, child in value.items():
            if key in properties:
                tighten(properties[key], child, (*path, key))
            else:
                properties[key] = _free_form(child)
        if properties:
            node["additionalProperties"] = False
        return
    if isinstance(value, list):
        # the generator guesses item types from the default; keep only what the default shows
        node.pop("items", None)
        if path[-1] in STRING_LISTS or (value and all(isinstance(item, str) for item in value)):
            node["items"] = {"type": "string"}
        elif value and all(isinstance(item, dict) for item in value):
            node["items"] = {"type": "object"}
    if node.get("type") == "number" and isinstance(value, int) and not isinstance(value, bool):
        node["type"] = "integer"
    if path and path[-1] in INT_OR_STRING:
        node["type"] = ["integer", "string"]
    if path[-2:] in ENUMS:
        node["enum"] = ENUMS[path[-2:]]
    if node.pop("nullable", False):
        node["type"] = [
            *([node["type"]] if isinstance(node["type"], str) else node["type"]),
            "null",
        ]


def library_values(chart: Path) -> dict[str, Any]:
    """Schemas of the values Helm gives each `file://` library dependency: none of its own,
    only `global`, which Helm passes down (and validates with the chart's values)."""
    metadata = yaml.safe_load((chart / "Chart.yaml").read_text())
    schemas = {}
    for dependency in metadata.get("dependencies") or []:
        location = chart / dependency["repository"].removeprefix("file://")
        library = yaml.safe_load((location / "Chart.yaml").read_text())
        if library.get("type") == "library":
            schemas[dependency["name"]] = {
                "type": "object",
                "description": f"Set by Helm for the {dependency['name']} library chart",
                "properties": {"global": {"type": "object"}},
                "additionalProperties": False,
            }
    return schemas


def generate(chart: Path, readme: Path, schema: Path) -> None:
    """Write `readme` (its Parameters section) and `schema` for `chart`."""
    subprocess.run(
        [str(GENERATOR), "--values", str(chart / "values.yaml"), "--readme", str(readme),
         "--schema", str(schema)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    document = json.loads(schema.read_text())
    tighten(document, yaml.safe_load((chart / "values.yaml").read_text()))
    document["properties"].update(library_values(chart))
    schema.write_text(json.dumps({"$schema": SCHEMA_DIALECT, **document}, indent=4) + "\n")


def stale_files(chart: Path) -> list[str]:
    """Unified diffs of the committed README/schema against fresh output (empty: up to date)."""
    diffs = []
    with tempfile.TemporaryDirectory(prefix="chart-docs-") as tmp:
        readme, schema = Path(tmp) / "README.md", Path(tmp) / "values.schema.json"
        shutil.copy(chart / "README.md", readme)
        generate(chart, readme, schema)
        for fresh, committed in (
            (readme, chart / "README.md"),
            (schema, chart / "values.schema.json"),
        ):
            old = committed.read_text() if committed.exists() else ""
            new = fresh.read_text()
            if old != new:
                diffs.append(
                    "".join(
                        difflib.unified_diff(
                            old.splitlines(True), new.splitlines(True), str(committed), "generated"
                        )
                    )
                )
    return diffs  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the files are stale")
    parser.add_argument("charts", nargs="+", type=Path)
    args = parser.parse_args()
    os.chdir(ROOT)
    status = 0
    for chart in args.charts:
        if args.check:
            for diff in stale_files(chart):
                print(diff, end="")
                status = 1
        else:
            generate(chart, chart / "README.md", chart / "values.schema.json")
    if status:
        print("stale: run `make charts-docs`", file=sys.stderr)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
