"""Reading the dashboards' PromQL: panels, variable expansion, metric names."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grafana import generate as dashboards

VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
# A metric name right before a label matcher: every dashboard selector filters on namespace, so
# every metric a dashboard reads appears as `name{...}` (test_dashboards.py checks the filter).
METRIC = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{")
LABEL_VALUES = re.compile(r"^label_values\((.+), (\w+)\)$")


@dataclass(frozen=True)
class Query:
    dashboard: str
    panel: str
    expr: str

    def metrics(self) -> set[str]:
        return set(METRIC.findall(self.expr))


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((dashboards.OUT_DIR / name).read_text())
    return data


def panel_queries(name: str) -> Iterator[Query]:
    for panel in load(name)["panels"]:
        for target in panel.get("targets", []):
            yield Query(name, panel["title"], target["expr"])


def variable_queries(name: str) -> Iterator[tuple[str, str, str]]:
    """(variable, selector, label) of every `label_values(selector, label)` variable."""
    for var in load(name)["templating"]["list"]:
        if var["type"] == "query":
            found = LABEL_VALUES.match(var["query"])
            assert found, var["query"]
            yield var["name"], found.group(1), found.group(2)


def expand(expr: str, values: Mapping[str, str]) -> str:
    """Grafana's variable interpolation with concrete values; unknown variables fail."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in values:
            raise KeyError(f"no value for ${name} in: {expr}")
        return values[name]

    return VARIABLE.sub(value, expr)


def all_dashboards() -> list[str]:
    return sorted(p.name for p in Path(dashboards.OUT_DIR).glob("*.json"))
