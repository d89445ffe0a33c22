"""The example endpoints and the error classes every endpoint shares."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from apps.fastapi.tests.helpers import assert_problem, metrics_text


def test_welcome(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.json() == {"Welcome": "to the MeatyAPIs FastAPI service!"}


def test_hello(client: TestClient) -> None:
    assert client.get("/hello").json() == {"message": "Hello, World!"}


@pytest.mark.parametrize(("a", "b", "result"), [(1, 2, 3), (-5, 5, 0), (2**62, 2**62, 2**63)])
def test_add(client: TestClient, a: int, b: int, result: int) -> None:
    response = client.post("/add", json={"a": a, "b": b})
    assert response.status_code == 200
    assert response.json() == {"result": result}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"a": True, "b": 1}, ["a"]),
        ({"a": 1.5, "b": 1}, ["a"]),
        ({"a": 1.0, "b": 1}, ["a"]),
        ({"a": "1", "b": "2"}, ["a", "b"]),
        ({"a": None, "b": 1}, ["a"]),
        ({"a": 1}, ["b"]),
        ({}, ["a", "b"]),
        ({"a": 1, "b": 2, "c": 3}, ["c"]),
        ({"a": 2**63, "b": 1}, ["a"]),
        ([1, 2], ["body"]),
    ],
)
def test_add_refuses_anything_but_two_integers(
    client: TestClient, body: Any, fields: list[str]
) -> None:
    assert_problem(client.post("/add", json=body), 422, *fields)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_add_refuses_nan_and_infinity(client: TestClient, literal: str) -> None:
    response = client.post(
        "/add", content=f'{{"a": {literal}, "b": 1}}', headers={"content-type": "application/json"}
    )
    assert_problem(response, 422, "a")


def test_malformed_json(client: TestClient) -> None:
    response = client.post(
        "/add", content=b'{"a": 1,', headers={"content-type": "application/json"}
    )
    problem = assert_problem(response, 400)
    assert problem["type"] == "urn:meatyapis:problem:malformed-json"
    assert "malformed JSON" in problem["detail"]


def test_integer_with_thousands_of_digits_is_a_client_error(client: TestClient) -> None:
    body = '{"a": ' + "9" * 5000 + ', "b": 1}'
    response = client.post("/add", content=body, headers={"content-type": "application/json"})
    assert_problem(response, 400)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_wrong_content_type(client: TestClient, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/add", content=b'{"a": 1, "b": 2}', headers=headers)
    assert_problem(response, 415, detail="application/json")


def test_json_with_a_suffix_media_type_is_accepted(client: TestClient) -> None:
    response = client.post(
        "/add", content=b'{"a": 1, "b": 2}', headers={"content-type": "application/vnd.x+json"}
    )
    assert response.json() == {"result": 3}


def test_oversize_body_by_content_length(client: TestClient) -> None:
    body = b'{"a": 1, "b": 2, "pad": "' + b"x" * 70_000 + b'"}'
    response = client.post("/add", content=body, headers={"content-type": "application/json"})
    assert_problem(response, 413, detail="65536 bytes")
    assert "x-request-id" in response.headers
    metrics = metrics_text(client)
    assert (
        'http_request_duration_seconds_count{handler="/add",method="POST",status="413"}' in metrics
    )


def test_oversize_body_streamed_without_content_length(client: TestClient) -> None:
    def chunks() -> Any:
        yield b'{"a": 1, "pad": "'
        for _ in range(20):
            yield b"x" * 8_192
        yield b'"}'

    response = client.post("/add", content=chunks(), headers={"content-type": "application/json"})
    assert_problem(response, 413)


def test_unknown_path_is_a_404_problem(client: TestClient) -> None:
    problem = assert_problem(client.get("/no/such/thing"), 404)
    assert problem["instance"] == "/no/such/thing"


def test_wrong_method_is_a_405_problem_with_allow(client: TestClient) -> None:
    response = client.get("/add")
    assert_problem(response, 405)
    assert response.headers["allow"] == "POST"


def test_unhandled_error_is_a_generic_500_problem(client: TestClient) -> None:
    def explode() -> None:
        raise RuntimeError("secret internals")

    client.app.add_api_route("/explode", explode)  # type: ignore[attr-defined]
    response = client.get("/explode", headers={"X-Request-ID": "boom-1"})
    problem = assert_problem(response, 500)
    assert "secret internals" not in response.text
    assert problem["detail"] == "The server failed to handle the request."
    assert response.headers["x-request-id"] == "boom-1"


def test_request_id_is_echoed_when_valid(client: TestClient) -> None:
    response = client.get("/hello", headers={"X-Request-ID": "abc-123.DEF:9_z"})
    assert response.headers["x-request-id"] == "abc-123.DEF:9_z"


@pytest.mark.parametrize("given", ["", "has space", "x" * 129, "bad\u00e9"])
def test_request_id_is_generated_when_missing_or_invalid(client: TestClient, given: str) -> None:
    headers = {"X-Request-ID": given} if given.isascii() else {}
    response = client.get("/hello", headers=headers)
    generated = response.headers["x-request-id"]
    assert generated != given
    assert len(generated) == 32
    assert int(generated, 16) >= 0
