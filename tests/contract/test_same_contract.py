"""Both services, really running (gunicorn, several workers each), keep one contract: the same
inputs get the same behaviour from the catalog and from the identity service.

A table of request ids, malformed bodies, unknown methods and unknown paths goes to both; each
must echo and log the same ids (also on both sides of a catalog -> identity call), answer with
the same problem shape, and expose the same metric names and labels, without new series for
made-up methods.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from meatyapis_chassis.methods import ALLOW
from meatyapis_chassis.metrics import BUCKETS
from prometheus_client.parser import text_string_to_metric_families

from bench import services
from tests.support.server_logs import logged

pytestmark = pytest.mark.integration

FRESH_ID = re.compile(r"[0-9a-f]{32}")
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "request_id"}
ACCESS_LOGGERS = {"catalog": "meatyapis_flask.access", "identity": "meatyapis_fastapi.access"}

# (the X-Request-ID sent, whether both services keep it)
REQUEST_IDS: list[tuple[str | bytes, bool]] = [
    ("contract-plain-1", True),
    ("dGVzdA==", True),  # base64
    ("a+b/c=d:e.f_g-h", True),
    ("x" * 128, True),
    ("x" * 129, False),  # too long
    ("has space", False),
    ("semi;colon", False),
    ('quo"te', False),
    ("bad\u00e9".encode("latin-1"), False),  # not ASCII
    ("", False),
]
# (content type, body, status, problem kind, a field the problem names)
BODIES: list[tuple[str, bytes, int, str | None, str | None]] = [
    ("application/json", b'{"a": 1,', 400, "malformed-json", None),
    ("application/json", b"not json", 400, "malformed-json", None),
    ("application/json", b"[1, 2]", 422, "validation-error", "body"),
    ("application/json", b'{"a": 1}', 422, "validation-error", "b"),
    ("application/json", b'{"a": 1, "b": 2, "c": 3}', 422, "validation-error", "c"),
    ("text/plain", b'{"a": 1, "b": 2}', 415, "unsupported-media-type", None),
    ("application/json", b'{"a": "' + b"x" * 2 * 1024 * 1024 + b'"}', 413, None, None),
]
UNKNOWN_METHODS = ["PROPFIND", "MKCOL", "XKCDQ", "FOOBAR"]
DOCS_ASSETS = {
    "/docs/assets/swagger-ui-bundle.js": "text/javascript",
    "/docs/assets/swagger-ui.css": "text/css",
    "/docs/assets/swagger-init.js": "text/javascript",
}
# Files the Swagger UI packages ship, or the services hold, that no page needs.
NOT_SERVED = [
    "/docs/oauth2-redirect",
    "/docs/index.template.html",
    "/docs/assets/index.html",
    "/docs/assets/oauth2-redirect.html",
    "/docs/assets/swagger-ui.js",
    "/docs/assets/redoc.standalone.js",
    "/docs/assets/favicon.png",
    "/docs/assets/VERSION",
    "/docs/assets/..%2Fdocs.py",
    "/docs/assets/..%2F__init__.py",
    "/redoc",
]


@dataclass
class Stack:
    catalog: services.Service
    identity: services.Service

    def each(self) -> list[tuple[str, services.Service]]:
        return [("catalog", self.catalog), ("identity", self.identity)]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("contract")
    identity = services.identity_service(tmp / "identity")
    # No token cache: every write asks the identity service.
    catalog = services.catalog_service(tmp / "catalog", identity.url, IDENTITY_CACHE_SIZE="0")
    with identity, catalog:
        yield Stack(catalog, identity)


def send(service: services.Service, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, f"{service.url}{path}", timeout=30, **kwargs)


def expected_id(sent: str | bytes, kept: bool, response: httpx.Response) -> str:
    echoed = response.headers["X-Request-ID"]
    if kept:
        assert echoed == sent
    else:
        assert FRESH_ID.fullmatch(echoed), echoed
        assert echoed != sent
    return echoed


def assert_problem(response: httpx.Response, status: int, kind: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert set(problem) - {"errors"} == PROBLEM_KEYS, problem
    assert problem["status"] == status
    assert problem["type"] == (f"urn:meatyapis:problem:{kind}" if kind else "about:blank")
    assert problem["request_id"] == response.headers["X-Request-ID"]
    return problem


def access_line(
    service: services.Service, name: str, request_id: str, **fields: object
) -> dict[str, Any]:
    line = logged(service.process.log_path, ACCESS_LOGGERS[name], request_id, **fields)
    assert line is not None, f"{name} logged no access line for {request_id!r}"
    return line


@pytest.mark.parametrize(("sent", "kept"), REQUEST_IDS)
def test_request_ids_are_kept_or_replaced_alike(
    stack: Stack, sent: str | bytes, kept: bool
) -> None:
    for name, service in stack.each():
        response = send(service, "GET", "/hello", headers={"X-Request-ID": sent})
        assert response.status_code == 200
        request_id = expected_id(sent, kept, response)
        line = access_line(service, name, request_id, path="/hello")
        assert (line["method"], line["route"], line["status"]) == ("GET", "/hello", 200)
        assert line["client"] == "127.0.0.1"


@pytest.mark.parametrize(("sent", "kept"), REQUEST_IDS)
def test_one_id_on_both_sides_of_a_catalog_to_identity_call(
    stack: Stack, sent: str | bytes, kept: bool
) -> None:
    token = services.register_and_login(stack.identity, f"c{uuid.uuid4().hex[:12]}")
    product = {"name": f"p-{uuid.uuid4().hex[:10]}", "price": "1.00", "quantity": 1}
    created = send(
        stack.catalog,
        "POST",
        "/products",
        json=product,
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": sent},
    )
    assert created.status_code == 201, created.text
    request_id = expected_id(sent, kept, created)
    outbound = logged(stack.catalog.process.log_path, "meatyapis_flask.outbound", request_id)
    assert outbound is not None
    assert (outbound["outcome"], outbound["status"]) == ("success", "200")
    verified = access_line(stack.identity, "identity", request_id, path="/verify")
    assert verified["status"] == 200
    assert verified["traceparent"] == outbound["traceparent"]
    assert access_line(stack.catalog, "catalog", request_id, path="/products")["status"] == 201


@pytest.mark.parametrize(("content_type", "body", "status", "kind", "field"), BODIES)
def test_malformed_bodies_get_the_same_problem(
    stack: Stack,
    content_type: str,
    body: bytes,
    status: int,
    kind: str | None,
    field: str | None,
) -> None:
    problems = {}
    for name, service in stack.each():
        response = send(
            service, "POST", "/add", content=body, headers={"Content-Type": content_type}
        )
        problem = assert_problem(response, status, kind)
        assert problem["instance"] == "/add"
        if field is not None:
            assert field in {error["field"] for error in problem["errors"]}
            assert all(error["message"] for error in problem["errors"])
        problems[name] = problem
    assert problems["catalog"]["title"] == problems["identity"]["title"]


def http_series(service: services.Service) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the HTTP server metrics, by name and labels."""
    text = httpx.get(service.metrics_url, timeout=30).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("http_")
    }


@pytest.mark.parametrize("path", ["/hello", "/no/such/path"])
def test_unknown_methods_are_refused_alike_and_add_no_series(stack: Stack, path: str) -> None:
    before = {name: http_series(service) for name, service in stack.each()}
    for name, service in stack.each():
        for method in UNKNOWN_METHODS:
            for _ in range(3):
                request_id = f"m-{uuid.uuid4().hex[:12]}"
                response = send(service, method, path, headers={"X-Request-ID": request_id})
                problem = assert_problem(response, 405, None)
                assert response.headers["Allow"] == ALLOW
                assert problem["instance"] == path
                assert problem["request_id"] == request_id
            line = access_line(service, name, request_id)
            assert (line["method"], line["status"]) == (method, 405)
    for name, service in stack.each():
        after = http_series(service)
        assert after == before[name], name  # not one sample moved, no series appeared
        assert not any(dict(labels).get("method") in UNKNOWN_METHODS for _, labels in after)


def test_unknown_paths_are_a_404_problem_under_one_series(stack: Stack) -> None:
    for _name, service in stack.each():
        for _ in range(5):
            path = f"/{uuid.uuid4().hex}/{uuid.uuid4().hex[:6]}"
            problem = assert_problem(send(service, "GET", path), 404, None)
            assert problem["instance"] == path
        handlers = {
            dict(labels)["handler"]
            for sample, labels in http_series(service)
            if sample == "http_request_duration_seconds_count"
        }
        assert "none" in handlers
        assert not any(len(handler) > 30 for handler in handlers), handlers


def label_names(service: services.Service) -> dict[str, set[frozenset[str]]]:
    text = httpx.get(service.metrics_url, timeout=30).text
    names: dict[str, set[frozenset[str]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            names.setdefault(sample.name, set()).add(frozenset(sample.labels))
    return names


def test_the_same_metric_names_labels_and_buckets(stack: Stack) -> None:
    for _name, service in stack.each():
        assert send(service, "GET", "/hello").status_code == 200
    catalog, identity = label_names(stack.catalog), label_names(stack.identity)
    contract = {
        "http_request_duration_seconds_bucket": {"handler", "method", "status", "le"},
        "http_request_duration_seconds_count": {"handler", "method", "status"},
        "http_request_duration_seconds_sum": {"handler", "method", "status"},
        "http_requests_inprogress": {"handler", "method"},
        "meatyapis_build_info": {"app", "version"},
    }
    for metric, labels in contract.items():
        assert catalog[metric] == identity[metric] == {frozenset(labels)}, metric
    for _name, service in stack.each():
        buckets = {
            dict(labels)["le"]
            for sample, labels in http_series(service)
            if sample == "http_request_duration_seconds_bucket"
            and dict(labels)["handler"] == "/hello"
        }
        assert buckets == {str(float(b)) for b in BUCKETS} | {"+Inf"}


def test_the_same_docs_page_with_only_its_own_assets(stack: Stack) -> None:
    pages = {}
    for name, service in stack.each():
        page = send(service, "GET", "/docs")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        pages[name] = re.sub(r"<title>.*</title>|<link rel=\"icon\"[^>]*>", "", page.text)
        for path, content_type in DOCS_ASSETS.items():
            asset = send(service, "GET", path)
            assert asset.status_code == 200, (name, path)
            assert asset.headers["content-type"].startswith(content_type), (name, path)
            assert "max-age=3600" in asset.headers["cache-control"], (name, path)
        for path in NOT_SERVED:
            assert send(service, "GET", path).status_code == 404, (name, path)
    assert pages["catalog"] == pages["identity"]
    assert 'data-openapi-url="/openapi.json"' in pages["catalog"]
