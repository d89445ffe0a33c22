"""The Prometheus rules: generated source up to date, chart copies identical, promtool checks
and unit tests (prometheus/tests/*.test.yaml) green, every alert proven to fire and stay quiet."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from prometheus import generate

TESTS_DIR = generate.ROOT / "prometheus" / "tests"
TEST_FILES = sorted(TESTS_DIR.glob("*.test.yaml"))


def promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("promtool")
    assert exe, (
        "promtool not found: install Debian's prometheus package (scripts/install-system.sh)"
    )
    return subprocess.run(
        [exe, *args], capture_output=True, text=True, timeout=120, check=False, cwd=cwd
    )


def _alerts(text: str) -> list[dict[str, Any]]:
    return [r for g in yaml.safe_load(text)["groups"] for r in g["rules"] if "alert" in r]


def test_rules_source_is_generated_from_the_generator() -> None:
    assert generate.SOURCE.read_text() == generate.render(), "stale: run `make rules`"


@pytest.mark.parametrize(
    "copy", generate.CHART_COPIES, ids=lambda p: str(p.parent.parent.parent.name)
)
def test_chart_copies_are_identical_to_the_source(copy: Path) -> None:
    assert copy.is_file(), f"{copy} missing: run `make rules`"
    assert not copy.is_symlink(), f"{copy} must be a copy: helm warns about symlinks"
    assert copy.read_bytes() == generate.SOURCE.read_bytes(), f"{copy} differs: run `make rules`"


@pytest.mark.parametrize("scale", [1, 60])
def test_promtool_check_rules(tmp_path: Path, scale: int) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(generate.render(scale))
    result = promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_pass() -> None:
    assert len(TEST_FILES) >= 3
    result = promtool("test", "rules", *map(str, TEST_FILES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(TEST_FILES), result.stdout


def test_every_alert_is_tested_firing_and_quiet() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in TEST_FILES:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check.get("exp_alerts") else quiet).add(check["alertname"])
    names = {a["alert"] for a in _alerts(generate.SOURCE.read_text())}
    assert names, "no alerts in the rules"
    assert names - firing == set(), "alerts never proven to fire"
    assert names - quiet == set(), "alerts never proven to stay quiet"


def test_every_alert_has_a_runbook_and_severity() -> None:
    for alert in _alerts(generate.SOURCE.read_text()):
        assert alert["labels"]["severity"] in {"page", "ticket"}, alert["alert"]
        assert {"summary", "description", "runbook"} <= alert["annotations"].keys(), alert["alert"]
        assert alert["annotations"]["runbook"].startswith("1. "), alert["alert"]


@pytest.mark.parametrize(
    ("original", "mutant"),
    [
        ("> (14.4 * 0.001)", "> (40 * 0.001)"),  # page threshold too lax
        ('up{service!=""} == 0\n    for: 5m', 'up{service!=""} == 0\n    for: 8m'),
    ],
    ids=["page-factor", "target-down-for"],
)
def test_unit_tests_catch_a_broken_rule(tmp_path: Path, original: str, mutant: str) -> None:
    """The unit tests bite: a subtly wrong rule file makes them fail."""
    source = generate.SOURCE.read_text()
    assert original in source
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / generate.SOURCE.name).write_text(source.replace(original, mutant))
    (tmp_path / "tests").mkdir()
    for path in TEST_FILES:
        shutil.copy(path, tmp_path / "tests" / path.name)
    result = promtool("test", "rules", *(f"tests/{p.name}" for p in TEST_FILES), cwd=tmp_path)
    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr
