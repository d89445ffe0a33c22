"""The metrics listener: /metrics of every worker on a port of its own, nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from meatyapis_chassis.metrics import MULTIPROC_DIR_VARIABLE
from meatyapis_chassis.metrics_server import MetricsServer
from prometheus_client.mmap_dict import MmapedDict, mmap_key

from tests.support.net import HOST


@pytest.fixture
def listener(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv(MULTIPROC_DIR_VARIABLE, str(tmp_path))
    # A worker's sample in the directory, as a worker process writes it.
    counter = MmapedDict(str(tmp_path / "counter_4242.db"))
    counter.write_value(mmap_key("worker_hits", "worker_hits_total", [], [], "hits"), 3.0, 0.0)
    counter.close()
    server = MetricsServer(HOST, 0).start()
    try:
        yield f"http://{HOST}:{server.port}"
    finally:
        server.stop()


def test_metrics_of_the_directory_are_served(listener: str) -> None:
    response = httpx.get(f"{listener}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "worker_hits_total 3.0" in response.text
    openmetrics = httpx.get(
        f"{listener}/metrics", headers={"Accept": "application/openmetrics-text"}, timeout=10
    )
    assert openmetrics.headers["content-type"].startswith("application/openmetrics-text")
    head = httpx.head(f"{listener}/metrics", timeout=10)
    assert head.status_code == 200
    assert head.content == b""


@pytest.mark.parametrize("path", ["/", "/hello", "/metrics/x", "/products"])
def test_nothing_else_is_served(listener: str, path: str) -> None:
    assert httpx.get(f"{listener}{path}", timeout=10).status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_only_reads(listener: str, method: str) -> None:
    response = httpx.request(method, f"{listener}/metrics", timeout=10)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_a_scrape_that_cannot_be_read_is_a_503_on_a_connection_that_stays(
    listener: str, tmp_path: Path
) -> None:
    # A worker file whose header claims entries the file does not hold (a damaged volume).
    broken = tmp_path / "counter_999.db"
    broken.write_bytes((64).to_bytes(4, "little") + b"\0\0\0\0" + b"\xff" * 56)
    with httpx.Client(timeout=10) as client:
        refused = client.get(f"{listener}/metrics")
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        assert refused.headers["x-content-type-options"] == "nosniff"
        broken.unlink()
        assert "worker_hits_total 3.0" in client.get(f"{listener}/metrics").text
