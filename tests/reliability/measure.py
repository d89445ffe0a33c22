"""What every reliability scenario measures: process-tree memory, metric series, figures."""

from __future__ import annotations

import json
import os

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.procfs import tree_rss_mib

__all__ = ["duration_series", "figures", "sample_count", "tree_rss_mib"]

FIGURES_FILE = os.environ.get("RELIABILITY_FIGURES")  # optional JSON-lines file to compare runs


def duration_series(metrics_url: str) -> dict[tuple[str, str, str], float]:
    """`http_request_duration_seconds_count` by (method, handler, status) from /metrics."""
    text = httpx.get(metrics_url, timeout=30).text
    series: dict[tuple[str, str, str], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "http_request_duration_seconds_count":
                labels = sample.labels
                series[(labels["method"], labels["handler"], labels["status"])] = sample.value
    return series


def sample_count(metrics_url: str) -> int:
    """Every sample line /metrics exposes (all families, all label sets)."""
    text = httpx.get(metrics_url, timeout=30).text
    return sum(1 for line in text.splitlines() if line and not line.startswith("#"))


def figures(scenario: str, **values: object) -> None:
    """Print one comparable line per scenario (and append it to RELIABILITY_FIGURES if set)."""
    line = " ".join(f"{k}={v}" for k, v in values.items())
    print(f"\nFIGURES {scenario}: {line}", flush=True)
    if FIGURES_FILE:
        with open(FIGURES_FILE, "a", encoding="utf-8") as out:
            out.write(json.dumps({"scenario": scenario, **values}, default=str) + "\n")
