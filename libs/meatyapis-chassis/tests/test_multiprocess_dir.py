"""The multiprocess directory: folding dead workers' files into archives keeps every scraped
value unchanged and the directory bounded; scrapes and folds share one lock."""

from __future__ import annotations

import fcntl
from pathlib import Path

from meatyapis_chassis.multiprocess_dir import (
    _flock,
    archive_dead_worker,
    consistent_scrape,
    reset,
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


def test_every_kind_of_sample_folds_as_the_collector_merges_it(tmp_path: Path) -> None:
    for pid, value in ((301, 2.0), (302, 5.0)):
        for prefix in ("summary", "gauge_sum", "gauge_min", "gauge_mostrecent"):
            key = mmap_key(prefix, prefix, [], [], "help")
            mmap = MmapedDict(str(tmp_path / f"{prefix}_{pid}.db"))
            mmap.write_value(key, value, float(pid))  # the later worker wrote last
            mmap.close()
    before = scraped(tmp_path)
    assert archive_dead_worker(tmp_path, 301) == 4
    assert archive_dead_worker(tmp_path, 302) == 4
    assert scraped(tmp_path) == before
    archived = {
        path.name.removesuffix("_archive.db"): [
            value for _, value, _, _ in MmapedDict.read_all_values_from_file(str(path))
        ]
        for path in tmp_path.glob("*_archive.db")
    }
    assert archived == {
        "summary": [7.0],
        "gauge_sum": [7.0],
        "gauge_min": [2.0],
        "gauge_mostrecent": [5.0],
    }


def test_a_dead_workers_live_and_per_process_gauges_go_with_it(tmp_path: Path) -> None:
    key = mmap_key("requests_total", "requests_total", (), (), "help")
    for name, value in (("counter_99.db", 3.0), ("counter_archive.db", 2.0)):
        write(tmp_path / name, {key: value})
    (tmp_path / "gauge_livesum_99.db").write_bytes(b"")
    (tmp_path / "gauge_all_99.db").write_bytes(b"")
    archive_dead_worker(tmp_path, 99)
    assert sorted(p.name for p in tmp_path.glob("*.db")) == ["counter_archive.db"]
    archived = MmapedDict.read_all_values_from_file(str(tmp_path / "counter_archive.db"))
    assert [(k, v) for k, v, _, _ in archived] == [(key, 5.0)]


def test_reset_empties_the_directory_and_creates_a_missing_one(tmp_path: Path) -> None:
    directory = tmp_path / "metrics"
    reset(directory)
    assert directory.is_dir()
    (directory / "old").mkdir()
    (directory / "old" / "nested.db").write_bytes(b"x")
    (directory / "counter_1.db").write_bytes(b"x")
    outside = tmp_path / "outside"
    outside.mkdir()
    (directory / "link").symlink_to(outside)
    reset(directory)
    assert list(directory.iterdir()) == []
    assert outside.is_dir()  # a link is removed, not what it points to
