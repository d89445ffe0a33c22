"""Chart tests: every test collected under tests/charts/ carries the `charts` marker, and the
charts' dependencies are packaged (helm dependency build) before the first test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.charts.render import CHARTS_DIR, build_dependencies

CHARTS_TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if CHARTS_TESTS in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.charts)


@pytest.fixture(scope="session", autouse=True)
def chart_dependencies() -> None:
    """Every chart's dependencies packaged before any render, lint or copy of a chart."""
    for chart_yaml in sorted(CHARTS_DIR.glob("*/Chart.yaml")):
        build_dependencies(chart_yaml.parent)
