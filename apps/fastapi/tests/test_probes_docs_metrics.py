"""Probes, the offline API docs and the Prometheus metrics (single process)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from meatyapis_chassis import lifecycle
from meatyapis_chassis.security_headers import CONTENT_SECURITY_POLICY
from prometheus_client.parser import text_string_to_metric_families

from apps.fastapi.tests.helpers import make_settings, metrics_text, open_client


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_checks_the_database(db_client: TestClient) -> None:
    assert db_client.get("/readyz").json() == {"status": "ready"}


def test_readyz_is_503_once_shutdown_has_begun(client: TestClient) -> None:
    lifecycle.begin_shutdown()
    try:
        from apps.fastapi.tests.helpers import assert_problem

        assert_problem(client.get("/readyz"), 503, detail="shutting down")
        assert client.get("/healthz").status_code == 200
    finally:
        lifecycle.serving()


def test_lifespan_shutdown_sets_the_flag(sqlite_url: str) -> None:
    with open_client(make_settings(sqlite_url)) as client:
        assert client.get("/readyz").status_code == 200
        assert not lifecycle.shutting_down()
    assert lifecycle.shutting_down()


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: object) -> None:
    settings = make_settings("sqlite:////nonexistent-dir/for/sure/identity.db")
    with open_client(settings) as client:
        from apps.fastapi.tests.helpers import assert_problem

        assert_problem(client.get("/readyz"), 503, detail="database unreachable")


class AssetCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in {"src", "href"} and v]


def test_docs_page_uses_only_local_assets(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    collector = AssetCollector()
    collector.feed(page.text)
    assert len(collector.urls) >= 4  # icon, stylesheet, Swagger UI, its start-up script
    openapi_url = re.search(r'data-openapi-url="([^"]+)"', page.text)
    assert openapi_url is not None
    assert openapi_url.group(1) == "/openapi.json"
    for url in [*collector.urls, openapi_url.group(1)]:
        assert url.startswith("/"), url
        assert client.get(url).status_code == 200, url
    assert not re.search(r"https?://", page.text)
    assert "<script>" not in page.text  # no inline script: the page works under a strict CSP


def test_docs_can_be_turned_off(sqlite_url: str) -> None:
    """DOCS_ENABLED=false: no page, no assets, no OpenAPI document; the API answers as before."""
    with open_client(make_settings(sqlite_url, docs_enabled=False)) as client:
        for path in ["/docs", "/docs/assets/swagger-ui.css", "/openapi.json"]:
            response = client.get(path)
            assert response.status_code == 404, path
            assert response.headers["content-type"] == "application/problem+json"
        assert client.get("/hello").status_code == 200
        assert client.get("/favicon.ico").status_code == 200


def test_site_icon(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] in {"image/vnd.microsoft.icon", "image/x-icon"}
    assert icon.content.startswith(b"\x00\x00\x01\x00")  # an ICO file


def test_openapi_document(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    for path in [
        "/", "/hello", "/add", "/register", "/login", "/verify", "/logout", "/info", "/users/me",
        "/users/me/tokens",
    ]:  # fmt: skip
        assert path in paths
    assert "/metrics" not in paths
    login_body = paths["/login"]["post"]["requestBody"]["content"]
    assert set(login_body) == {"application/x-www-form-urlencoded", "application/json"}
    assert (
        document["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"][
            "tokenUrl"
        ]
        == "login"
    )
    problem = paths["/register"]["post"]["responses"]["409"]["content"]
    assert problem == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    assert "Problem" in document["components"]["schemas"]


def samples(client: TestClient, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    text = metrics_text(client)
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def count(client: TestClient, handler: str, method: str, status: str) -> float:
    key = (("handler", handler), ("method", method), ("status", status))
    return samples(client, "http_request_duration_seconds_count").get(key, 0.0)


def test_latency_histogram_labels_and_buckets(client: TestClient) -> None:
    before = count(client, "/hello", "GET", "200")
    client.get("/hello")
    client.get("/hello")
    assert count(client, "/hello", "GET", "200") == before + 2
    buckets = {
        dict(labels)["le"]
        for labels in samples(client, "http_request_duration_seconds_bucket")
        if dict(labels)["handler"] == "/hello"
    }
    expected = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0"}
    assert buckets == expected | {"+Inf"}


def test_status_is_the_exact_code(client: TestClient) -> None:
    before = count(client, "/add", "POST", "422")
    client.post("/add", json={"a": "x", "b": 1})
    assert count(client, "/add", "POST", "422") == before + 1


def test_untemplated_paths_share_handler_none(client: TestClient) -> None:
    before = count(client, "none", "GET", "404")
    for i in range(25):
        client.get(f"/random/{i}")
    assert count(client, "none", "GET", "404") == before + 25
    handlers = {dict(k)["handler"] for k in samples(client, "http_request_duration_seconds_count")}
    assert not any(h.startswith("/random") for h in handlers)


def test_probes_and_metrics_are_not_recorded(client: TestClient) -> None:
    for path in ["/metrics", "/healthz", "/readyz"]:
        client.get(path)
    handlers = {dict(k)["handler"] for k in samples(client, "http_request_duration_seconds_count")}
    assert not handlers & {"/metrics", "/healthz", "/readyz"}


def test_inprogress_gauge_and_build_info(client: TestClient) -> None:
    client.get("/hello")
    inprogress = samples(client, "http_requests_inprogress")
    assert inprogress[(("handler", "/hello"), ("method", "GET"))] == 0.0
    build = samples(client, "meatyapis_build_info")
    assert list(build.values()) == [1.0]
    assert dict(next(iter(build)))["app"] == "meatyapis-fastapi"


def test_metrics_can_be_disabled(sqlite_url: str) -> None:
    with open_client(make_settings(sqlite_url, metrics_enabled=False)) as client:
        before = count(client, "/hello", "GET", "200")
        client.get("/hello")
        assert count(client, "/hello", "GET", "200") == before
        assert client.get("/metrics").status_code == 404  # served on METRICS_PORT, not here


TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.mark.parametrize("path", ["/", "/hello"])
def test_json_logs_carry_the_request_id(client: TestClient, path: str) -> None:
    import io
    import json
    import logging

    from meatyapis_chassis.logs import logging_config

    config = logging_config("INFO")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(config["formatters"]["json"]["()"]())
    handler.addFilter(config["filters"]["request_id"]["()"]())
    logger = logging.getLogger("meatyapis_fastapi")
    logger.addHandler(handler)
    try:
        client.get(path, headers={"X-Request-ID": "trace-me-42", "traceparent": TRACEPARENT})
    finally:
        logger.removeHandler(handler)
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [e for e in entries if e["logger"] == "meatyapis_fastapi.access"]
    assert len(access) == 1
    assert access[0]["request_id"] == "trace-me-42"
    assert access[0]["method"] == "GET"
    assert access[0]["route"] == path
    assert access[0]["status"] == 200
    assert access[0]["duration_ms"] >= 0
    assert access[0]["traceparent"] == TRACEPARENT  # joins the caller's outbound-call line
    assert access[0]["level"] == "INFO"


def test_the_docs_page_carries_the_security_headers(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/hello"),
        ("GET", "/nope"),
        ("PROPFIND", "/hello"),
        ("POST", "/add"),
        ("GET", "/info"),
    ],
)
def test_every_answer_carries_nosniff_only_html_the_policy(
    client: TestClient, method: str, path: str
) -> None:
    response = client.request(method, path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in response.headers
