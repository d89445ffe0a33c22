"""The HTTP metrics of docs/observability.md through prometheus-flask-exporter.

The exporter records the request duration histogram (and its own request counter); the
in-progress gauge is the app's own, the names and buckets are the chassis's. `/metrics` is not
a route of the app: gunicorn's master serves it on METRICS_PORT (the chassis's metrics_server).
"""

from __future__ import annotations

from flask import Flask, Request, g, request
from meatyapis_chassis.metrics import (
    BUCKETS,
    UNMATCHED_HANDLER,
    UNRECORDED_PATHS,
    build_info,
    in_progress_gauge,
)
from prometheus_client import CollectorRegistry
from prometheus_flask_exporter import NO_PREFIX, PrometheusMetrics

from meatyapis_flask import APP_NAME, __version__


def handler(req: Request) -> str:
    """The `handler` label: the matched URL rule, or "none" so unknown paths add no series."""
    return req.url_rule.rule if req.url_rule is not None else UNMATCHED_HANDLER


def init_metrics(app: Flask, registry: CollectorRegistry) -> None:
    PrometheusMetrics(
        app,
        registry=registry,
        path=None,  # served on METRICS_PORT, not by the app
        defaults_prefix=NO_PREFIX,
        group_by=handler,
        buckets=BUCKETS,
        excluded_paths=[f"^{path}$" for path in UNRECORDED_PATHS],
    )
    build_info(registry, APP_NAME, __version__)
    in_progress = in_progress_gauge(registry)

    @app.before_request
    def _start() -> None:
        if request.path not in UNRECORDED_PATHS:
            labels = (request.method, handler(request))
            in_progress.labels(*labels).inc()
            g.in_progress_labels = labels

    @app.teardown_request
    def _finish(_exc: BaseException | None) -> None:
        labels = g.pop("in_progress_labels", None)
        if labels is not None:
            in_progress.labels(*labels).dec()
