"""The HTTP metrics of docs/observability.md through prometheus-fastapi-instrumentator.

The instrumentator's middleware times each request and hands the result to the instrumentation
below, which records the request duration histogram and counter; the in-progress gauge is handed
to it in the app's registry (the library would create it in the process-wide one); the names and
buckets are the chassis's. `/metrics` is not a route of the app: gunicorn's master serves it on
METRICS_PORT (the chassis's metrics_server).

Every request pays for this, so the library is used with its per-request lookups done once:
the route template of each method and path, and the labelled child of each metric (label sets
are bounded: methods are RFC 9110's, handlers route templates or "none", statuses codes).
bench/results.md has the measured cost per request.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from meatyapis_chassis.kept import KeptAnswers
from meatyapis_chassis.metrics import (
    BUCKETS,
    DURATION_METRIC,
    UNRECORDED_PATHS,
    build_info,
    in_progress_gauge,
)
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_fastapi_instrumentator.metrics import Info
from prometheus_fastapi_instrumentator.middleware import PrometheusInstrumentatorMiddleware
from starlette.types import ASGIApp

from meatyapis_fastapi import APP_NAME, __version__

LabelValues = tuple[str, str, str]  # handler, method, status: the library's order


class InProgress:
    """The in-progress gauge as the middleware uses it (`labels(method, handler)`, then `inc()`
    and `dec()` on the child), each label set's child looked up once."""

    def __init__(self, gauge: Gauge) -> None:
        self._gauge = gauge
        self._children: dict[tuple[str, str], Gauge] = {}

    def labels(self, method: str, handler: str) -> Gauge:
        child = self._children.get((method, handler))
        if child is None:
            child = self._children[method, handler] = self._gauge.labels(method, handler)
        return child


class Instrumentation(PrometheusInstrumentatorMiddleware):
    """The instrumentator's middleware, counting requests in progress in the given gauge, and
    keeping the route template of each method and path it has resolved, and whether each
    handler is excluded.

    Before every request the library walks the app's routes to name the handler (the in-progress
    gauge needs the label before the route runs): a regex match per route. The routes do not
    change once the app serves, so the answer for a method and path is kept (a bounded table: a
    client sending random paths fills it, and its requests are then resolved by walking the
    routes, as the library does).
    """

    def __init__(self, app: ASGIApp, *, in_progress: InProgress, **kwargs: Any) -> None:
        super().__init__(app, should_instrument_requests_inprogress=False, **kwargs)
        self.should_instrument_requests_inprogress = True
        self.inprogress_labels = True
        self.inprogress = in_progress  # type: ignore[assignment]  # it calls only labels()
        self._handlers: KeptAnswers[tuple[str, str], tuple[str, bool]] = KeptAnswers()
        self._excluded: KeptAnswers[tuple[str, bool], bool] = KeptAnswers()

    def _get_handler(self, request: Request) -> tuple[str, bool]:
        key = (request.scope["method"], request.scope["path"])
        handler = self._handlers.get(key)
        if handler is None:
            handler = self._handlers.keep(key, super()._get_handler(request))
        return handler

    def _is_handler_excluded(self, handler: str, is_templated: bool) -> bool:
        key = (handler, is_templated)
        excluded = self._excluded.get(key)
        if excluded is None:
            excluded = self._excluded.keep(key, super()._is_handler_excluded(handler, is_templated))
        return excluded


def record_requests(registry: CollectorRegistry) -> Callable[[Info], None]:
    """The instrumentation (the library's extension point) the middleware calls after each
    request: the duration histogram and the request counter, with the names, labels and help of
    the library's `metrics.latency` and `metrics.requests`, which would look up the labelled
    children of both on every request."""
    latency = Histogram(
        DURATION_METRIC,
        "Duration of HTTP requests in seconds",
        ("handler", "method", "status"),
        buckets=BUCKETS,
        registry=registry,
    )
    requests = Counter(
        "http_requests_total",
        "Total number of requests by method, status and handler.",
        ("handler", "method", "status"),
        registry=registry,
    )
    children: dict[LabelValues, tuple[Histogram, Counter]] = {}

    def instrumentation(info: Info) -> None:
        labels = (info.modified_handler, info.method, info.modified_status)
        child = children.get(labels)
        if child is None:
            child = children[labels] = (latency.labels(*labels), requests.labels(*labels))
        child[0].observe(info.modified_duration)
        child[1].inc()

    return instrumentation


def instrument(app: FastAPI, registry: CollectorRegistry, enabled: bool) -> None:
    """Record the HTTP metrics in `registry` (unless `enabled` is false): `app.state.registry`."""
    app.state.registry = registry
    build_info(registry, APP_NAME, __version__)
    if enabled:
        app.add_middleware(
            Instrumentation,  # type: ignore[arg-type]  # the library's class is untyped
            in_progress=InProgress(in_progress_gauge(registry)),
            should_group_status_codes=False,
            should_ignore_untemplated=False,
            should_group_untemplated=True,
            # One pattern: the library tries each pattern in turn on every request.
            excluded_handlers=["^(?:" + "|".join(map(re.escape, UNRECORDED_PATHS)) + ")$"],
            instrumentations=[record_requests(registry)],
            registry=registry,
        )
