"""The shared metric names and the one scrape, single-process and multiprocess."""

from __future__ import annotations

from pathlib import Path

import pytest
from meatyapis_chassis.metrics import (
    build_info,
    in_progress_gauge,
    new_registry,
    scrape,
)
from prometheus_client.mmap_dict import MmapedDict, mmap_key

OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"


def test_single_process_scrape_reads_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    registry = new_registry()
    build_info(registry, "svc", "1.2.3")
    in_progress_gauge(registry).labels("GET", "/x").inc()
    body, content_type = scrape(registry)
    text = body.decode()
    assert content_type.startswith("text/plain")
    assert 'meatyapis_build_info{app="svc",version="1.2.3"} 1.0' in text
    assert 'http_requests_inprogress{handler="/x",method="GET"} 1.0' in text


def test_the_scraper_may_ask_for_openmetrics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    body, content_type = scrape(new_registry(), OPENMETRICS)
    assert content_type.startswith("application/openmetrics-text")
    assert body.endswith(b"# EOF\n")


def test_multiprocess_scrape_reads_every_workers_files_under_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = mmap_key("requests", "requests_total", ["handler"], ["/a"], "Requests")
    for pid, value in ((101, 2.0), (102, 4.0)):
        mmap = MmapedDict(str(tmp_path / f"counter_{pid}.db"))
        mmap.write_value(key, value, 0.0)
        mmap.close()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    body, _ = scrape(new_registry())
    assert 'requests_total{handler="/a"} 6.0' in body.decode()
    assert (tmp_path / "compaction.lock").exists()


def test_a_file_a_new_worker_is_still_creating_does_not_fail_the_scrape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker starting up (a gunicorn recycle) opens its file before it sizes it: a scrape in
    that moment sees an empty file, and a dead worker's files can be folded away meanwhile."""
    key = mmap_key("requests", "requests_total", ["handler"], ["/a"], "Requests")
    mmap = MmapedDict(str(tmp_path / "counter_101.db"))
    mmap.write_value(key, 2.0, 0.0)
    mmap.close()
    (tmp_path / "counter_102.db").touch()  # opened, not yet sized
    (tmp_path / "histogram_102.db").write_bytes(b"\0\0")  # shorter than the header
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    body, _ = scrape(new_registry())
    assert 'requests_total{handler="/a"} 2.0' in body.decode()
