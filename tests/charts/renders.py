"""Render every scenario of every application chart with Helm 3 and Helm 4 into a folder, and
compare two such folders.

    python -m tests.charts.renders OUT                   (make charts-render RENDER_DIR=OUT)
    python -m tests.charts.renders --compare BASE OUT    (make charts-render-compare BASE=...)

A render is OUT/<helm>/<chart>/<scenario>.yaml, the scenarios being the chart's defaults (no
values file) and each ci/*-values.yaml. The comparison tells, file by file, whether the bytes are
identical, whether only the formatting differs (same objects: key order, flow or block style,
blank lines, comments), or which fields of which objects differ; it exits 1 on any difference
of objects.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from tests.charts.render import CHARTS_DIR, build_dependencies, render

HELMS = ("helm3", "helm4")
DEFAULTS = "defaults"
SHOWN_PER_FILE = 12


def application_charts() -> list[Path]:
    """Every chart under charts/ except library charts (they render nothing by themselves)."""
    return [
        path.parent
        for path in sorted(CHARTS_DIR.glob("*/Chart.yaml"))
        if yaml.safe_load(path.read_text(encoding="utf-8")).get("type") != "library"
    ]


def scenarios(chart: Path) -> Iterator[tuple[str, list[Path]]]:
    """(name, values files) of each scenario: the defaults, then ci/NN-*-values.yaml in order."""
    yield DEFAULTS, []
    for path in sorted((chart / "ci").glob("*-values.yaml")):
        yield path.name.removesuffix("-values.yaml"), [path]


def render_all(out: Path) -> list[Path]:
    """Write every render under `out`; returns the files written."""
    written = []
    for chart in application_charts():
        build_dependencies(chart)
        for helm in HELMS:
            for name, values_files in scenarios(chart):
                text = render(
                    chart.name, values_files=values_files, helm=helm,
                    release=chart.name, namespace=chart.name,
                ).text  # fmt: skip
                target = out / helm / chart.name / f"{name}.yaml"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
                written.append(target)
    return written


def _objects(path: Path) -> dict[str, Any]:
    """The documents of a render by kind/namespace/name."""
    found = {}
    for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if document:
            meta = document.get("metadata", {})
            key = f"{document.get('kind')}/{meta.get('namespace', '')}/{meta.get('name')}"
            found[key] = document
    return found


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        flat = {}
        for key, child in value.items():
            flat.update(_flatten(child, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(value, list) and value:
        flat = {}
        for index, child in enumerate(value):
            flat.update(_flatten(child, f"{prefix}[{index}]"))
        return flat
    return {prefix: value}


def object_differences(base: Path, other: Path) -> list[str]:
    """Objects added or removed, and fields changed, from `base` to `other`."""
    before, after = _objects(base), _objects(other)
    lines = [f"removed {key}" for key in before.keys() - after.keys()]
    lines += [f"added {key}" for key in after.keys() - before.keys()]
    for key in sorted(before.keys() & after.keys()):
        old, new = _flatten(before[key]), _flatten(after[key])
        for field in sorted(old.keys() | new.keys()):
            if old.get(field, "<absent>") != new.get(field, "<absent>"):
                was, now = old.get(field, "<absent>"), new.get(field, "<absent>")
                lines.append(f"{key} {field}: {was!r:.60} -> {now!r:.60}")
    return lines


def compare(base: Path, out: Path) -> int:
    """Print the comparison of two render folders; 1 when any objects differ."""
    names = sorted(
        {p.relative_to(base) for p in base.rglob("*.yaml")}
        | {p.relative_to(out) for p in out.rglob("*.yaml")}
    )
    differ = 0
    for name in names:
        old, new = base / name, out / name
        if not (old.exists() and new.exists()):
            print(f"{name}: only in {base if old.exists() else out}")
            differ += 1
        elif old.read_bytes() == new.read_bytes():
            print(f"{name}: identical")
        elif not (changes := object_differences(old, new)):
            print(f"{name}: same objects, formatting differs")
        else:
            differ += 1
            print(f"{name}: {len(changes)} difference(s)")
            for line in changes[:SHOWN_PER_FILE]:
                print(f"    {line}")
            if len(changes) > SHOWN_PER_FILE:
                print(f"    … {len(changes) - SHOWN_PER_FILE} more")
    print(f"{len(names)} render(s) compared, {differ} with different objects")
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder of the renders")
    parser.add_argument("--compare", type=Path, metavar="BASE", help="compare BASE with OUT")
    args = parser.parse_args(argv)
    if args.compare:
        return compare(args.compare, args.out)
    written = render_all(args.out)
    print(f"{len(written)} render(s) written under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
