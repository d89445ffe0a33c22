"""The HTTP metrics of docs/observability.md through prometheus-flask-exporter.

The exporter records the request duration histogram (and its own request counter); the
in-progress gauge is the app's own, the names and buckets are the chassis's. `/metrics` is not
a route of the app: gunicorn's master serves it on METRICS_PORT (the chassis's metrics_server).
The exporter's hooks run on every request, so what they repeat is done once where it can be:
each label set's child is kept, the request object is read rather than the context-local proxy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask, Request, request
from meatyapis_chassis.kept import DEFAULT_LIMIT, KeptAnswers
from meatyapis_chassis.methods import WSGIApp
from meatyapis_chassis.metrics import (
    BUCKETS,
    UNMATCHED_HANDLER,
    UNRECORDED_PATHS,
    build_info,
    in_progress_gauge,
)
from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.registry import Collector
from prometheus_flask_exporter import NO_PREFIX, PrometheusMetrics

from meatyapis_flask import APP_NAME, __version__

IN_PROGRESS = "meatyapis.in_progress"
KNOWN_LABEL_SETS = DEFAULT_LIMIT


def handler(req: Request) -> str:
    """The `handler` label: the matched URL rule, or "none" so unknown paths add no series."""
    rule = req.url_rule
    return rule.rule if rule is not None else UNMATCHED_HANDLER


class Exporter(PrometheusMetrics):  # type: ignore[misc]
    """The exporter, marking what it has recorded of a request on the request object itself: the
    library's own check (`hasattr`, then `setattr`, through the context-local proxy) costs two
    proxy lookups and a raised AttributeError, twice per request."""

    @staticmethod
    def _not_yet_handled(tracking_key: str) -> bool:
        state = request._get_current_object().__dict__  # type: ignore[attr-defined]
        key = f"prom_{tracking_key}"
        if key in state:
            return False
        state[key] = True
        return True


def keep_children(metric: MetricWrapperBase) -> None:
    """The exporter asks each of its metrics for a labelled child by keyword on every request
    (`labels(method=..., status=..., handler=...)`: label names sorted and compared, each value
    made a string); each label set's child is looked up once instead (at most KNOWN_LABEL_SETS:
    methods are RFC 9110's, handlers the URL rules, statuses the codes the app answers)."""
    find = metric.labels
    children: KeptAnswers[tuple[tuple[str, object], ...], MetricWrapperBase]
    children = KeptAnswers(KNOWN_LABEL_SETS)

    def labels(**values: object) -> MetricWrapperBase:
        key = tuple(values.items())
        child = children.get(key)
        if child is None:
            child = children.keep(key, find(**values))
        return child

    metric.labels = labels  # type: ignore[method-assign,assignment]


@contextlib.contextmanager
def metrics_registered(registry: CollectorRegistry) -> Iterator[list[MetricWrapperBase]]:
    """The metrics registered in `registry` meanwhile (through its public `register`)."""
    found: list[MetricWrapperBase] = []
    register = registry.register

    def recording(collector: Collector) -> None:
        register(collector)
        if isinstance(collector, MetricWrapperBase):
            found.append(collector)

    registry.register = recording  # type: ignore[method-assign]
    try:
        yield found
    finally:
        del registry.register


def init_metrics(app: Flask, registry: CollectorRegistry) -> None:
    # The exporter keeps its metrics in its hooks' closures: they are found as it registers them.
    with metrics_registered(registry) as exporter_metrics:
        Exporter(
            app,
            registry=registry,
            path=None,  # served on METRICS_PORT, not by the app
            defaults_prefix=NO_PREFIX,
            group_by=handler,
            buckets=BUCKETS,
            # Not `excluded_paths`: those patterns are tried on every request's path after it;
            # the paths not recorded are marked by the hook below, which looks at the path anyway.
        )
    for metric in exporter_metrics:
        keep_children(metric)
    build_info(registry, APP_NAME, __version__)
    in_progress = in_progress_gauge(registry)
    # Each label set's child is looked up once (methods are RFC 9110's, handlers the URL rules).
    in_progress_children: dict[tuple[str, str], Gauge] = {}
    unrecorded = frozenset(UNRECORDED_PATHS)

    @app.before_request
    def _start() -> None:
        # The request itself, not the context-local proxy: each read through that is a lookup.
        req: Request = request._get_current_object()  # type: ignore[attr-defined]
        if req.path in unrecorded:
            # The exporter's own mark, what its `do_not_track()` views set.
            req.prom_do_not_track = True  # type: ignore[attr-defined]
        else:
            labels = (req.method, handler(req))
            child = in_progress_children.get(labels)
            if child is None:
                child = in_progress_children[labels] = in_progress.labels(*labels)
            child.inc()
            req.environ[IN_PROGRESS] = child  # the request's own (`g` may be shared)

    app.wsgi_app = wsgi_in_progress_end(app.wsgi_app)  # type: ignore[method-assign,assignment]


def wsgi_in_progress_end(app: WSGIApp) -> WSGIApp:
    """The request's in-progress child goes down once the app has answered, in the WSGI call
    rather than a teardown hook of Flask's (one hook and one proxy lookup fewer per request)."""

    def handle(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            return app(environ, start_response)
        finally:
            child = environ.pop(IN_PROGRESS, None)
            if child is not None:
                child.dec()

    return handle
