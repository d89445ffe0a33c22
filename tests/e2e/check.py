"""Checks for tests/e2e/kind.sh, reading JSON on stdin; exit 0 when satisfied, 1 otherwise.

check.py prometheus-targets NAMESPACE   /api/v1/targets: both services have targets there, all up
check.py grafana-dashboards DIR         /api/search: every dashboard of DIR/*.json is listed
check.py load-report                    load.py's last line: requests made, none failed, stopped
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SERVICES = {"meatyapis-flask", "meatyapis-fastapi"}


def prometheus_targets(data: dict[str, Any], namespace: str) -> list[str]:
    ours = [
        t
        for t in data["data"]["activeTargets"]
        if t["discoveredLabels"].get("__meta_kubernetes_namespace") == namespace
        and t["labels"].get("service") in SERVICES
    ]
    problems = [
        f"{t['labels']['service']} {t['scrapeUrl']}: {t['health']} {t.get('lastError', '')}"
        for t in ours
        if t["health"] != "up"
    ]
    missing = SERVICES - {t["labels"]["service"] for t in ours}
    problems += [f"no target for {service}" for service in sorted(missing)]
    for t in ours:
        print(f"target {t['labels']['service']} {t['scrapeUrl']}: {t['health']}")
    return problems


def grafana_dashboards(data: list[dict[str, Any]], directory: str) -> list[str]:
    wanted = {
        json.loads(p.read_text(encoding="utf-8"))["title"] for p in Path(directory).glob("*.json")
    }
    listed = {d["title"] for d in data}
    print(f"dashboards listed: {sorted(listed)}")
    if not wanted:
        return [f"no dashboards in {directory}"]
    return [f"dashboard not listed: {title}" for title in sorted(wanted - listed)]


def load_report(report: dict[str, Any]) -> list[str]:
    print(f"load: {report}")
    problems = []
    if report["ok"] < 100:
        problems.append(f"only {report['ok']} successful requests: the load did not run")
    if report["failed"]:
        problems.append(f"{report['failed']} failed requests: {report['errors']}")
    if not report["stopped"]:
        problems.append("the load generator ran out of time instead of being stopped")
    return problems


def main(argv: list[str]) -> int:
    data = json.load(sys.stdin)
    match argv:
        case ["prometheus-targets", namespace]:
            problems = prometheus_targets(data, namespace)
        case ["grafana-dashboards", directory]:
            problems = grafana_dashboards(data, directory)
        case ["load-report"]:
            problems = load_report(data)
        case _:
            print(__doc__, file=sys.stderr)
            return 2
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
