"""The HTTP metrics of docs/observability.md through prometheus-fastapi-instrumentator.

The instrumentator's middleware records the request duration histogram and counter; the
in-progress gauge is handed to it in the app's registry (the library would create it in the
process-wide one); the names and buckets are the chassis's. `/metrics` is not a route of the
app: gunicorn's master serves it on METRICS_PORT (the chassis's metrics_server).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from meatyapis_chassis.metrics import (
    BUCKETS,
    DURATION_METRIC,
    UNRECORDED_PATHS,
    build_info,
    in_progress_gauge,
)
from prometheus_client import CollectorRegistry, Gauge
from prometheus_fastapi_instrumentator import metrics
from prometheus_fastapi_instrumentator.middleware import PrometheusInstrumentatorMiddleware
from starlette.types import ASGIApp

from meatyapis_fastapi import APP_NAME, __version__


class _Instrumentation(PrometheusInstrumentatorMiddleware):
    """The instrumentator's middleware, counting requests in progress in the given gauge."""

    def __init__(self, app: ASGIApp, *, in_progress: Gauge, **kwargs: Any) -> None:
        super().__init__(app, should_instrument_requests_inprogress=False, **kwargs)
        self.should_instrument_requests_inprogress = True
        self.inprogress_labels = True
        self.inprogress = in_progress


def instrument(app: FastAPI, registry: CollectorRegistry, enabled: bool) -> None:
    """Record the HTTP metrics in `registry` (unless `enabled` is false): `app.state.registry`."""
    app.state.registry = registry
    build_info(registry, APP_NAME, __version__)
    if enabled:
        latency = metrics.latency(
            metric_name=DURATION_METRIC,
            should_include_handler=True,
            should_include_method=True,
            should_include_status=True,
            buckets=BUCKETS,
            registry=registry,
        )
        requests = metrics.requests(
            metric_name="http_requests_total",
            should_include_handler=True,
            should_include_method=True,
            should_include_status=True,
            registry=registry,
        )
        app.add_middleware(
            _Instrumentation,  # type: ignore[arg-type]  # the library's class is untyped
            in_progress=in_progress_gauge(registry),
            should_group_status_codes=False,
            should_ignore_untemplated=False,
            should_group_untemplated=True,
            excluded_handlers=[f"^{path}$" for path in UNRECORDED_PATHS],
            instrumentations=[m for m in (latency, requests) if m is not None],
            registry=registry,
        )
