"""README parameter table and values.schema.json of charts/meatyapis match values.yaml."""

from __future__ import annotations

import subprocess
import sys

from tests.charts.meatyapis import CHART_DIR
from tests.charts.render import ROOT


def test_readme_and_schema_are_generated_from_values() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "chart_docs.py"), "--check", str(CHART_DIR)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    readme = (CHART_DIR / "README.md").read_text()
    assert "| `flask.database.type`" in readme
    assert "| `fastapi.tokenSecret.existingSecret`" in readme
