"""JSON logs with request ids, and the metric contract of docs/observability.md (in-process)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask, Response, after_this_request
from flask.testing import FlaskClient
from meatyapis_chassis import lifecycle
from meatyapis_chassis.logs import JsonFormatter, RequestIdFilter
from meatyapis_chassis.request_id import request_id_var
from meatyapis_flask import metrics
from meatyapis_flask.app import create_app
from meatyapis_flask.catalog_app import CatalogApp
from prometheus_client.mmap_dict import MmapedDict, mmap_key

from .conftest import make_settings, metrics_text


@contextmanager
def json_logs(logger_name: str = "") -> Iterator[list[dict[str, object]]]:
    """Lines logged while the block runs, formatted exactly as in production."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger(logger_name or None)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    lines: list[dict[str, object]] = []
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines())


def test_access_line_per_request_with_route_and_request_id(client: FlaskClient) -> None:
    with json_logs("meatyapis_flask.access") as lines:
        created = client.post(
            "/products",
            json={"name": "n", "price": 1, "quantity": 1},
            headers={"X-Request-ID": "req-42"},
        )
        client.get(created.headers["Location"])
    first, second = lines
    assert created.headers["X-Request-ID"] == "req-42"
    assert first["request_id"] == "req-42"
    assert first["method"] == "POST"
    assert first["route"] == "/products"
    assert first["path"] == "/products"
    assert first["status"] == 201
    assert isinstance(first["duration_ms"], float)
    assert first["client"] == "127.0.0.1"
    assert first["level"] == "INFO"
    assert second["route"] == "/products/<int:product_id>"
    assert re.fullmatch(r"[0-9a-f]{32}", str(second["request_id"]))


@pytest.mark.parametrize("incoming", ["x" * 129, "bad id with spaces", "semi;colon", ""])
def test_invalid_request_ids_are_replaced(client: FlaskClient, incoming: str) -> None:
    response = client.get("/hello", headers={"X-Request-ID": incoming})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_every_line_of_a_request_carries_its_id(app: Flask) -> None:
    @app.get("/chatty")
    def chatty() -> str:
        logging.getLogger("meatyapis_flask.test").warning("inside the view")
        return "ok"

    with json_logs() as lines:
        app.test_client().get("/chatty", headers={"X-Request-ID": "trace-7"})
        logging.getLogger("meatyapis_flask.test").warning("after the request")
    view_line = next(line for line in lines if line["message"] == "inside the view")
    access = next(line for line in lines if line["logger"] == "meatyapis_flask.access")
    after = next(line for line in lines if line["message"] == "after the request")
    assert view_line["request_id"] == access["request_id"] == "trace-7"
    assert "request_id" not in after


def test_a_request_made_inside_another_leaves_no_request_id_behind(app: Flask) -> None:
    """Both share `g` (one app context): each keeps its id and start in its own environ."""

    @app.get("/outer")
    def outer() -> str:
        app.test_client().get("/hello", headers={"X-Request-ID": "inner-1"})
        return str(request_id_var.get())

    response = app.test_client().get("/outer", headers={"X-Request-ID": "outer-1"})
    assert response.get_data(as_text=True) == "outer-1"
    assert request_id_var.get() is None


def samples(client: FlaskClient) -> dict[str, float]:
    text = metrics_text(client.application)
    result = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            result[name] = float(value)
    return result


def test_metrics_follow_the_contract(client: FlaskClient) -> None:
    client.get("/hello")
    client.get("/hello")
    client.get("/products/12345")
    for path in ("/random-a", "/random-b", "/x/y/z"):
        client.get(path)
    client.get("/healthz")
    client.get("/readyz")
    client.get("/metrics")  # not a route of the app: a 404, unrecorded as the probes are
    series = samples(client)
    assert (
        series['http_request_duration_seconds_count{handler="/hello",method="GET",status="200"}']
        == 2
    )
    assert (
        series[
            'http_request_duration_seconds_count{handler="/products/<int:product_id>",'
            'method="GET",status="404"}'
        ]
        == 1
    )
    assert (
        series['http_request_duration_seconds_count{handler="none",method="GET",status="404"}'] == 3
    )
    assert series['meatyapis_build_info{app="meatyapis-flask",version="0.1.0"}'] == 1
    assert series['http_requests_inprogress{handler="/hello",method="GET"}'] == 0
    buckets = sorted(
        float(re.search(r'le="([^"]+)"', name).group(1))  # type: ignore[union-attr]
        for name in series
        if name.startswith('http_request_duration_seconds_bucket{handler="/hello"')
    )
    assert buckets == [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, float("inf")]
    for excluded in ("/metrics", "/healthz", "/readyz"):
        assert not any(f'handler="{excluded}"' in name for name in series), excluded
    assert not any("random" in name for name in series)


def test_metrics_endpoint_reads_the_multiprocess_directory(
    client: FlaskClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "prometheus"  # tmp_path also holds the app's SQLite file
    directory.mkdir()
    counter = MmapedDict(str(directory / "counter_101.db"))
    counter.write_value(mmap_key("r", "r_total", ["handler"], ["/a"], "help"), 6.0, 0.0)
    counter.close()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    text = metrics_text(client.application)
    assert 'r_total{handler="/a"} 6.0' in text


def test_in_progress_gauge_counts_the_running_request(app: Flask) -> None:
    seen: list[str] = []

    @app.get("/peek")
    def peek() -> str:
        metrics = metrics_text(app)
        seen.extend(line for line in metrics.splitlines() if line.startswith("http_requests_in"))
        return "ok"

    app.test_client().get("/peek")
    assert 'http_requests_inprogress{handler="/peek",method="GET"} 1.0' in seen


def test_metrics_can_be_turned_off(sqlite_url: str) -> None:
    client = create_app(make_settings(sqlite_url, metrics_enabled=False)).test_client()
    assert client.get("/hello").status_code == 200
    assert client.application.metrics_registry is None  # type: ignore[attr-defined]
    assert client.get("/metrics").status_code == 404


def test_probes(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ready"}


def test_readyz_is_503_when_the_database_is_unreachable() -> None:
    app = create_app(make_settings("sqlite:////nonexistent-dir/catalog.db"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["detail"] == "the database is unreachable"


def test_readyz_is_503_once_shutdown_began(client: FlaskClient, fresh_lifecycle: None) -> None:
    assert client.get("/readyz").status_code == 200
    lifecycle.begin_shutdown()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["detail"] == "shutting down"
    assert client.get("/healthz").status_code == 200


# Files for browsers, not API operations (the identity service leaves them out of its document too).
UNDOCUMENTED_ENDPOINTS = {"static", "pages.favicon", "docs.swagger_ui", "docs.swagger_ui_asset"}


def test_openapi_document_is_served(client: FlaskClient) -> None:
    document = client.get("/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert document["info"]["version"] == "0.1.0"
    rules = {
        re.sub(r"<(?:int:)?([a-z_]+)>", r"{\1}", rule.rule)
        for rule in client.application.url_map.iter_rules()
        if rule.endpoint not in UNDOCUMENTED_ENDPOINTS
    }
    assert rules == set(document["paths"])


def test_a_failing_view_is_recorded_once_and_leaves_nothing_in_progress(app: Flask) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("the view failed")

    with json_logs("meatyapis_flask.access") as lines:
        response = app.test_client().get("/boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "boom-1"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert [(line["route"], line["status"]) for line in lines] == [("/boom", 500)]
    series = samples(app.test_client())
    labels = 'handler="/boom",method="GET",status="500"'
    assert series[f"http_request_duration_seconds_count{{{labels}}}"] == 1
    assert series['http_request_total{method="GET",status="500"}'] == 1
    assert series['http_requests_inprogress{handler="/boom",method="GET"}'] == 0


def test_a_view_setting_its_own_request_id_header_is_answered_with_the_requests(
    app: Flask,
) -> None:
    @app.get("/own-id")
    def own_id() -> tuple[str, dict[str, str]]:
        return "ok", {"X-Request-ID": "made-up"}

    @app.get("/own-id-lower")
    def own_id_lower() -> tuple[str, dict[str, str]]:
        return "ok", {"x-request-id": "made-up"}

    for path in ("/own-id", "/own-id-lower"):
        response = app.test_client().get(path, headers={"X-Request-ID": "caller-1"})
        assert response.headers.getlist("X-Request-ID") == ["caller-1"]


def test_the_hooks_kept_per_function_stay_bounded(app: CatalogApp) -> None:
    """`after_this_request` hands Flask a new function on every request: they are not kept."""
    app._sync_functions.limit = len(app._sync_functions) + 2

    @app.get("/later")
    def later() -> str:
        @after_this_request
        def mark(response: Response) -> Response:
            response.headers["X-Later"] = "1"
            return response

        return "ok"

    for _ in range(10):
        assert app.test_client().get("/later").headers["X-Later"] == "1"
    assert len(app._sync_functions) == app._sync_functions.limit


def test_label_sets_past_the_kept_children_are_still_counted(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metrics, "KNOWN_LABEL_SETS", 1)
    client = create_app(make_settings(sqlite_url)).test_client()
    for path in ("/hello", "/nope", "/hello", "/nope", "/hello"):
        client.get(path)
    series = samples(client)
    count = "http_request_duration_seconds_count"
    assert series[f'{count}{{handler="/hello",method="GET",status="200"}}'] == 3
    assert series[f'{count}{{handler="none",method="GET",status="404"}}'] == 2
    assert series['http_request_total{method="GET",status="200"}'] == 3
    assert series['http_request_total{method="GET",status="404"}'] == 2
