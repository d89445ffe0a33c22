"""What every reliability scenario measures: process-tree memory, metric series, figures."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

PROC = Path("/proc")
FIGURES_FILE = os.environ.get("RELIABILITY_FIGURES")  # optional JSON-lines file to compare runs


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended meanwhile
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def tree_pids(root: int) -> list[int]:
    children = _children()
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children.get(pid, []))
    return pids


def tree_rss_mib(root: int) -> float:
    """Resident memory of a process and all its descendants (gunicorn master + workers), MiB."""
    total_kib = 0
    for pid in tree_pids(root):
        try:
            for line in (PROC / str(pid) / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except OSError:
            continue
    return total_kib / 1024


def duration_series(url: str) -> dict[tuple[str, str, str], float]:
    """`http_request_duration_seconds_count` by (method, handler, status) from /metrics."""
    text = httpx.get(f"{url}/metrics", timeout=30).text
    series: dict[tuple[str, str, str], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "http_request_duration_seconds_count":
                labels = sample.labels
                series[(labels["method"], labels["handler"], labels["status"])] = sample.value
    return series


def sample_count(url: str) -> int:
    """Every sample line /metrics exposes (all families, all label sets)."""
    text = httpx.get(f"{url}/metrics", timeout=30).text
    return sum(1 for line in text.splitlines() if line and not line.startswith("#"))


def figures(scenario: str, **values: object) -> None:
    """Print one comparable line per scenario (and append it to RELIABILITY_FIGURES if set)."""
    line = " ".join(f"{k}={v}" for k, v in values.items())
    print(f"\nFIGURES {scenario}: {line}", flush=True)
    if FIGURES_FILE:
        with open(FIGURES_FILE, "a", encoding="utf-8") as out:
            out.write(json.dumps({"scenario": scenario, **values}, default=str) + "\n")
