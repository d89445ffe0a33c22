"""The Prometheus rules: generated source up to date, chart copies identical, promtool checks
and unit tests (prometheus/tests/*.test.yaml) green on Prometheus 2.x and 3, every alert proven
to fire and stay quiet and linked to its runbook section."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from prometheus import generate

TESTS_DIR = generate.ROOT / "prometheus" / "tests"
TEST_FILES = sorted(TESTS_DIR.glob("*.test.yaml"))


# Debian's promtool 2.x on PATH, and Prometheus 3's from scripts/install-tools.sh.
PROMTOOLS = {"promtool2": "promtool", "promtool3": str(generate.ROOT / ".tools/bin/promtool3")}
promtools = pytest.mark.parametrize("binary", sorted(PROMTOOLS.values()), ids=sorted(PROMTOOLS))


def promtool(
    *args: str, cwd: Path | None = None, binary: str = "promtool"
) -> subprocess.CompletedProcess[str]:
    exe = shutil.which(binary)
    assert exe, f"{binary} not found: scripts/install-system.sh and scripts/install-tools.sh"
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


@promtools
@pytest.mark.parametrize("scale", [1, 60])
def test_promtool_check_rules(tmp_path: Path, scale: int, binary: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(generate.render(scale))
    result = promtool("check", "rules", str(path), binary=binary)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@promtools
def test_promtool_unit_tests_pass(binary: str) -> None:
    assert len(TEST_FILES) >= 3
    result = promtool("test", "rules", *map(str, TEST_FILES), binary=binary)
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


def test_every_alert_follows_the_mixin_convention() -> None:
    """severity, summary, description and a runbook_url into docs/runbooks.md; no inline
    runbook text."""
    for alert in _alerts(generate.SOURCE.read_text()):
        assert alert["labels"]["severity"] in {"page", "ticket"}, alert["alert"]
        annotations = alert["annotations"]
        assert annotations.keys() == {"summary", "description", "runbook_url"}, alert["alert"]
        assert annotations["runbook_url"] == f"{generate.RUNBOOK_URL}#{alert['alert'].lower()}"


def _github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _runbook_sections() -> dict[str, str]:
    """anchor -> text of each `## ` section of docs/runbooks.md."""
    parts = re.split(r"^## (.+)$", generate.RUNBOOKS.read_text(encoding="utf-8"), flags=re.M)
    return {
        _github_anchor(title): text for title, text in zip(parts[1::2], parts[2::2], strict=True)
    }


def _panels() -> dict[str, set[str]]:
    """dashboard title -> its panel titles (the committed dashboards)."""
    found = {}
    for path in (generate.ROOT / "grafana" / "dashboards").glob("*.json"):
        dashboard = json.loads(path.read_text())
        found[dashboard["title"]] = {p["title"] for p in dashboard["panels"] if p["type"] != "row"}
    return found


def test_every_runbook_link_points_at_a_section_that_says_what_to_do() -> None:
    sections = _runbook_sections()
    panels = _panels()
    linked = set()
    for alert in _alerts(generate.SOURCE.read_text()):
        page, anchor = alert["annotations"]["runbook_url"].split("#")
        assert page == generate.RUNBOOK_URL, alert["alert"]
        assert anchor in sections, f"{alert['alert']}: no section #{anchor} in docs/runbooks.md"
        text = sections[anchor]
        for part in ("**What it means.**", "**First checks.**", "**Dashboard.**"):
            assert part in text, f"#{anchor} lacks {part}"
        assert f"Severity `{alert['labels']['severity']}`" in text, anchor
        assert re.search(r"^1\. ", text, re.M), f"#{anchor}: the first checks are a numbered list"
        dashboard_line = " ".join(text.split("**Dashboard.**", 1)[1].split())
        opened = re.findall(r'"([^"]+)" → ((?:"[^"]+"(?:, | and )?)+)', dashboard_line)
        assert opened, f'#{anchor}: name a dashboard and panel as "Dashboard" → "Panel"'
        for dashboard, titles in opened:
            assert dashboard in panels, f"#{anchor}: no dashboard {dashboard!r}"
            for title in re.findall(r'"([^"]+)"', titles):
                assert title in panels[dashboard], f"#{anchor}: no panel {title!r} in {dashboard}"
        linked.add(anchor)
    assert linked == set(sections), "runbook sections of no alert"


@pytest.mark.parametrize("chart", ["monitoring", "meatyapis"])
def test_runbook_links_go_to_the_charts_source_repository(chart: str) -> None:
    meta = yaml.safe_load((generate.ROOT / "charts" / chart / "Chart.yaml").read_text())
    assert generate.REPOSITORY in meta["sources"]


@pytest.mark.parametrize(
    ("original", "mutant"),
    [
        ("> (14.4 * 0.001)", "> (40 * 0.001)"),  # page threshold too lax
        ('up{service!=""} == 0\n    for: 5m', 'up{service!=""} == 0\n    for: 8m'),
        (  # no 0 for a service without a 5xx: healthy reads "no data"
            '{status=~"5.."}[5m]))\n      or\n      0 * sum by (namespace, service) '
            "(rate(http_request_duration_seconds_count[5m]))\n",
            '{status=~"5.."}[5m]))\n',
        ),
        (  # a window without requests gives 0/0 = NaN instead of no data
            "(namespace_service:http_requests:rate5m > 0)",
            "namespace_service:http_requests:rate5m",
        ),
    ],
    ids=["page-factor", "target-down-for", "no-zero-errors", "nan-without-requests"],
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


@promtools
def test_a_whole_number_bucket_is_matched_in_both_spellings(tmp_path: Path, binary: str) -> None:
    """`le="1"` (Go clients, kept by Prometheus 2) and `le="1.0"` (Python clients; Prometheus 3
    normalises every scrape to it) are one bucket: the rules' matcher finds either, and no
    neighbouring bucket."""
    bounds = {"0.25": 1, "1": 10, "1.0": 100, "10": 1000, "10.0": 10000, "+Inf": 100000}
    records = {"one": "1", "quarter": "0.25", "ten": "10"}
    rules = {
        "groups": [
            {
                "name": "buckets",
                "rules": [
                    {
                        "record": f"bucket:{name}",
                        "expr": f"sum(x_bucket{{{generate.le_matcher(b)}}})",
                    }
                    for name, b in records.items()
                ],
            }
        ]
    }
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rules))
    expected = {"one": 110, "quarter": 1, "ten": 11000}
    case = {
        "interval": "1m",
        "input_series": [
            {"series": f'x_bucket{{le="{le}"}}', "values": f"{value}x5"}
            for le, value in bounds.items()
        ],
        "promql_expr_test": [
            {
                "expr": f"bucket:{name}",
                "eval_time": "2m",
                "exp_samples": [{"labels": f"bucket:{name}", "value": value}],
            }
            for name, value in expected.items()
        ],
    }
    (tmp_path / "test.yaml").write_text(
        yaml.safe_dump({"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": [case]})
    )
    result = promtool("test", "rules", "test.yaml", cwd=tmp_path, binary=binary)
    assert result.returncode == 0, result.stdout + result.stderr
    assert generate.le_matcher(generate.LATENCY_THRESHOLD) in generate.SOURCE.read_text()
