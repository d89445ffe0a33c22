"""Prometheus metrics per docs/observability.md, correct under several gunicorn workers.

In multiprocess mode (PROMETHEUS_MULTIPROC_DIR set) every worker writes its samples to that
directory and `/metrics` aggregates all of them; gunicorn_conf wipes it at master start and marks
dead workers in `child_exit`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable

from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Gauge,
    generate_latest,
    multiprocess,
)
from prometheus_fastapi_instrumentator import Instrumentator, metrics

from meatyapis_fastapi import APP_NAME, __version__
from meatyapis_fastapi.metrics_archive import consistent_scrape

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
UNRECORDED_HANDLERS = ["^/metrics$", "^/healthz$", "^/readyz$"]
INPROGRESS_METRIC = "http_requests_inprogress"


@functools.cache
def _process_metrics() -> tuple[Callable[[metrics.Info], None], ...]:
    """The collectors are process-wide: created once, however many apps a process builds."""
    build_info = Gauge(
        "meatyapis_build_info",
        "Build information of the service (always 1).",
        ["app", "version"],
        multiprocess_mode="max",
    )
    build_info.labels(APP_NAME, __version__).set(1)
    latency = metrics.latency(
        metric_name="http_request_duration_seconds",
        should_include_handler=True,
        should_include_method=True,
        should_include_status=True,
        buckets=LATENCY_BUCKETS,
    )
    requests = metrics.requests(
        metric_name="http_requests_total",
        should_include_handler=True,
        should_include_method=True,
        should_include_status=True,
    )
    return tuple(m for m in (latency, requests) if m is not None)


def instrument(app: FastAPI, enabled: bool) -> None:
    """Record RED metrics (unless `enabled` is false) and serve `/metrics`."""
    instrumentations = _process_metrics()
    if enabled:
        instrumentator = Instrumentator(
            should_group_status_codes=False,
            should_ignore_untemplated=False,
            should_group_untemplated=True,
            should_instrument_requests_inprogress=True,
            inprogress_name=INPROGRESS_METRIC,
            inprogress_labels=True,
            excluded_handlers=UNRECORDED_HANDLERS,
        )
        instrumentator.add(*instrumentations)
        instrumentator.instrument(app)
    app.add_api_route("/metrics", metrics_endpoint, include_in_schema=False, methods=["GET"])


def build_middleware_stack(app: FastAPI) -> None:
    """Build the app's middleware stack now instead of at its first request.

    The instrumentator's middleware creates the in-progress gauge in the default registry when
    the stack is built; a process that builds several apps (the tests) forgets the previous one's.
    """
    previous = REGISTRY._names_to_collectors.get(INPROGRESS_METRIC)
    if previous is not None:
        REGISTRY.unregister(previous)
    app.middleware_stack = app.build_middleware_stack()


def metrics_endpoint() -> Response:
    """The exposition: every worker's samples in multiprocess mode, this process's otherwise."""
    registry: CollectorRegistry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    with consistent_scrape():
        body = generate_latest(registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
