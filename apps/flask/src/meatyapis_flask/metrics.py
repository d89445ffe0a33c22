"""Prometheus metrics per docs/observability.md (prometheus-flask-exporter, multiprocess-safe).

Under gunicorn, PROMETHEUS_MULTIPROC_DIR is set: every worker writes its samples there and
/metrics aggregates all of them (prometheus-flask-exporter switches to the MultiProcessCollector
when that variable is set). Each app gets its own registry, so several apps in one process
(tests) do not collide.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Request, g, request
from prometheus_client import CollectorRegistry, Gauge
from prometheus_flask_exporter import NO_PREFIX, PrometheusMetrics

from meatyapis_flask import APP_NAME, __version__
from meatyapis_flask.methods import reject_unknown_methods
from meatyapis_flask.metrics_archive import consistent_scrape

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
EXCLUDED_PATHS = ("/metrics", "/healthz", "/readyz")


def handler(req: Request) -> str:
    """The `handler` label: the matched URL rule, or "none" so unknown paths add no series."""
    return req.url_rule.rule if req.url_rule is not None else "none"


def _tracked(req: Request) -> bool:
    return req.path not in EXCLUDED_PATHS


def _consistent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap the /metrics view: read the multiprocess files only while no archiving runs."""

    @functools.wraps(view)
    def scrape(*args: Any, **kwargs: Any) -> Any:
        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if not directory:
            return view(*args, **kwargs)
        with consistent_scrape(Path(directory)):
            return view(*args, **kwargs)

    return scrape


def init_metrics(app: Flask) -> None:
    registry = CollectorRegistry(auto_describe=True)
    metrics = PrometheusMetrics(
        app,
        registry=registry,
        metrics_decorator=_consistent,
        defaults_prefix=NO_PREFIX,
        group_by=handler,
        buckets=BUCKETS,
        excluded_paths=[f"^{path}$" for path in EXCLUDED_PATHS],
    )
    metrics.info("meatyapis_build_info", "Build information", app=APP_NAME, version=__version__)
    in_progress = Gauge(
        "http_requests_inprogress",
        "HTTP requests being served right now",
        ("method", "handler"),
        registry=registry,
        multiprocess_mode="livesum",
    )

    @app.before_request
    def _start() -> None:
        if _tracked(request):
            labels = (request.method, handler(request))
            in_progress.labels(*labels).inc()
            g.in_progress_labels = labels

    @app.teardown_request
    def _finish(_exc: BaseException | None) -> None:
        labels = g.pop("in_progress_labels", None)
        if labels is not None:
            in_progress.labels(*labels).dec()

    app.extensions["meatyapis.metrics"] = metrics
    # The exporter labels requests with their method: made-up ones are refused before it runs.
    app.wsgi_app = reject_unknown_methods(app.wsgi_app)  # type: ignore[method-assign,assignment]
