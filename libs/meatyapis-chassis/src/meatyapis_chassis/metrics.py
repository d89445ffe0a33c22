"""The HTTP metric contract of docs/observability.md, and the one way to scrape it.

Both services label requests alike (`method`, `handler` = the route template or "none",
`status` = the exact code), use the same buckets and skip the same paths; each framework's
exporter is configured from the names here. Each app has a registry of its own, so several apps
in one process (tests) do not collide. Under gunicorn (PROMETHEUS_MULTIPROC_DIR set) every
worker writes its samples to that directory, and a scrape reads all of them, under the lock
that keeps a dead worker's fold from being seen halfway.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, multiprocess
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric

from meatyapis_chassis.multiprocess_dir import consistent_scrape

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNRECORDED_PATHS = ("/metrics", "/healthz", "/readyz")
UNMATCHED_HANDLER = "none"  # the `handler` of a request no route matches: no series per URL
DURATION_METRIC = "http_request_duration_seconds"
IN_PROGRESS_METRIC = "http_requests_inprogress"
MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# A worker's file starts with the 4-byte count of bytes in use (then 4 of padding); a file
# shorter than that is one a starting worker has opened and not yet sized.
FILE_HEADER_BYTES = 8
READ_ATTEMPTS = 3


def new_registry() -> CollectorRegistry:
    return CollectorRegistry(auto_describe=True)


def build_info(registry: CollectorRegistry, app: str, version: str) -> Gauge:
    gauge = Gauge(
        "meatyapis_build_info",
        "Build information of the service (always 1)",
        ("app", "version"),
        registry=registry,
        multiprocess_mode="max",
    )
    gauge.labels(app, version).set(1)
    return gauge


def in_progress_gauge(registry: CollectorRegistry) -> Gauge:
    return Gauge(
        IN_PROGRESS_METRIC,
        "HTTP requests being served right now",
        ("method", "handler"),
        registry=registry,
        multiprocess_mode="livesum",
    )


def multiprocess_directory() -> Path | None:
    directory = os.environ.get(MULTIPROC_DIR_VARIABLE)
    return Path(directory) if directory else None


def scrape(registry: CollectorRegistry, accept: str | None = None) -> tuple[bytes, str]:
    """The exposition (in the format the scraper asks for) and its content type: every worker's
    samples in multiprocess mode, the registry's otherwise."""
    encode, content_type = choose_encoder(accept or "")
    directory = multiprocess_directory()
    if directory is None:
        return encode(registry), content_type
    workers = CollectorRegistry()
    WorkerFilesCollector(workers, path=str(directory))  # type: ignore[no-untyped-call]
    with consistent_scrape(directory):
        return encode(workers), content_type


class WorkerFilesCollector(multiprocess.MultiProcessCollector):
    """prometheus_client's collector of the workers' files, for a directory that changes while
    it is read: gunicorn starts a new worker (its file opened, not yet sized) and folds a dead
    one's files away at any time, and the library's collector fails the whole scrape on either.
    Here a file not yet sized is left out (its worker has recorded nothing yet), and a read that
    met a file removed meanwhile is done again over the files there now."""

    def collect(self) -> Iterable[Metric]:
        for _ in range(READ_ATTEMPTS - 1):
            with contextlib.suppress(FileNotFoundError):
                return self._merge()
        return self._merge()

    def _merge(self) -> Iterable[Metric]:
        return self.merge(self._sized_files(), accumulate=True)  # type: ignore[no-any-return,no-untyped-call]

    def _sized_files(self) -> list[str]:
        sized = []
        for path in Path(self._path).glob("*.db"):
            try:
                if path.stat().st_size >= FILE_HEADER_BYTES:
                    sized.append(str(path))
            except FileNotFoundError:
                continue
        return sized
