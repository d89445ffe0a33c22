"""Shared bits of the charts/meatyapis tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.charts.render import CHARTS_DIR, find_object, render_chart

CHART = "meatyapis"
CHART_DIR = CHARTS_DIR / CHART
SCENARIOS = sorted((CHART_DIR / "ci").glob("*-values.yaml"))
COMPONENTS = ("flask", "fastapi")
NAMESPACE = "meatyapis"


def scenario_id(path: Path) -> str:
    return path.name.removesuffix("-values.yaml")


def objects(values: dict[str, Any] | None = None, **kwargs: Any) -> list[dict[str, Any]]:
    return render_chart(CHART, values, namespace=NAMESPACE, **kwargs)


def deployment(objs: list[dict[str, Any]], component: str) -> dict[str, Any]:
    return find_object(objs, "Deployment", f"meatyapis-{component}")


def pod_spec(objs: list[dict[str, Any]], component: str) -> dict[str, Any]:
    spec: dict[str, Any] = deployment(objs, component)["spec"]["template"]["spec"]
    return spec


def container(objs: list[dict[str, Any]], component: str) -> dict[str, Any]:
    found: dict[str, Any] = pod_spec(objs, component)["containers"][0]
    return found


def config(objs: list[dict[str, Any]], component: str) -> dict[str, str]:
    data: dict[str, str] = find_object(objs, "ConfigMap", f"meatyapis-{component}")["data"]
    return data


def both(values: dict[str, Any]) -> dict[str, Any]:
    """The same values block for both components."""
    return dict.fromkeys(COMPONENTS, values)


def selected(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels only) selects an object with these labels."""
    assert set(selector) == {"matchLabels"}, selector
    return bool(selector["matchLabels"].items() <= labels.items())
