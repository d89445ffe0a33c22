"""Folding dead workers' metric files into archives keeps every scraped value unchanged."""

from __future__ import annotations

import fcntl
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from meatyapis_flask.metrics_archive import (
    _flock,
    archive_dead_worker,
    consistent_scrape,
)
from prometheus_client import CollectorRegistry
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.multiprocess import MultiProcessCollector

REQUESTS = mmap_key("requests", "requests_total", ["handler"], ["/a"], "Requests")
BUCKET = mmap_key("latency", "latency_bucket", ["le"], ["0.25"], "Latency")
INF = mmap_key("latency", "latency_bucket", ["le"], ["+Inf"], "Latency")
SUM = mmap_key("latency", "latency_sum", [], [], "Latency")


def write(path: Path, values: dict[str, float]) -> None:
    mmap = MmapedDict(str(path))
    try:
        for key, value in values.items():
            mmap.write_value(key, value, 0.0)
    finally:
        mmap.close()


def worker_files(directory: Path, pid: int, requests: float, fast: float, slow: float) -> None:
    write(directory / f"counter_{pid}.db", {REQUESTS: requests})
    write(directory / f"histogram_{pid}.db", {BUCKET: fast, INF: slow, SUM: fast * 0.1})


def scraped(directory: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for metric in registry.collect()
        for sample in metric.samples
    }


def test_folding_keeps_every_value_and_removes_the_files(tmp_path: Path) -> None:
    worker_files(tmp_path, 101, requests=7, fast=5, slow=2)
    worker_files(tmp_path, 102, requests=3, fast=1, slow=1)
    worker_files(tmp_path, 103, requests=4, fast=4, slow=0)
    before = scraped(tmp_path)
    assert before[("requests_total", (("handler", "/a"),))] == 14
    assert archive_dead_worker(tmp_path, 101) == 2
    assert archive_dead_worker(tmp_path, 102) == 2  # adds onto the existing archive
    assert scraped(tmp_path) == before
    names = sorted(path.name for path in tmp_path.glob("*.db"))
    assert names == [
        "counter_103.db",
        "counter_archive.db",
        "histogram_103.db",
        "histogram_archive.db",
    ]


def test_max_gauges_of_dead_workers_fold_into_one_archive(tmp_path: Path) -> None:
    build = mmap_key("build_info", "build_info", ["version"], ["1.0"], "Build")
    for pid, value in ((201, 1.0), (202, 3.0), (203, 2.0)):
        write(tmp_path / f"gauge_max_{pid}.db", {build: value})
    before = scraped(tmp_path)
    assert archive_dead_worker(tmp_path, 201) == 1
    assert archive_dead_worker(tmp_path, 202) == 1
    assert scraped(tmp_path) == before
    assert sorted(path.name for path in tmp_path.glob("*.db")) == [
        "gauge_max_203.db",
        "gauge_max_archive.db",
    ]


def test_a_worker_without_files_is_a_no_op(tmp_path: Path) -> None:
    assert archive_dead_worker(tmp_path, 999) == 0


def test_folding_waits_for_scrapes_and_gives_up_in_time(tmp_path: Path) -> None:
    worker_files(tmp_path, 101, requests=1, fast=1, slow=0)
    with _flock(tmp_path, fcntl.LOCK_SH, 1.0) as scraping:
        assert scraping
        assert archive_dead_worker(tmp_path, 101, timeout=0.05) == 0
    assert (tmp_path / "counter_101.db").exists()
    assert archive_dead_worker(tmp_path, 101) == 2


def test_scrapes_share_the_lock_and_proceed_if_it_stays_taken(tmp_path: Path) -> None:
    with consistent_scrape(tmp_path), consistent_scrape(tmp_path, timeout=0.05):
        pass  # two scrapes at once
    with _flock(tmp_path, fcntl.LOCK_EX, 1.0), consistent_scrape(tmp_path, timeout=0.05):
        pass  # a stuck fold does not block /metrics forever


def test_metrics_endpoint_reads_the_multiprocess_directory(
    client: FlaskClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "prometheus"  # tmp_path also holds the app's SQLite file
    directory.mkdir()
    worker_files(directory, 101, requests=6, fast=6, slow=0)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    text = client.get("/metrics").get_data(as_text=True)
    assert 'requests_total{handler="/a"} 6.0' in text
    assert (directory / "compaction.lock").exists()
