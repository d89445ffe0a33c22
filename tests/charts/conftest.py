"""Chart tests: every test collected under tests/charts/ carries the `charts` marker."""

from __future__ import annotations

from pathlib import Path

import pytest

CHARTS_TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if CHARTS_TESTS in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.charts)
