"""Every error is an RFC 9457 problem document: never a 500 page, never a trace."""

from __future__ import annotations

import io
import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient
from meatyapis_flask.catalog_app import database
from sqlalchemy import text
from werkzeug.test import TestResponse

PROBLEM = "application/problem+json"


def assert_problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.mimetype == PROBLEM  # type: ignore[attr-defined]
    problem: dict[str, object] = response.get_json()  # type: ignore[attr-defined]
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    assert str(problem["type"]).startswith(("about:blank", "urn:meatyapis:problem:"))
    assert problem["request_id"] == response.headers["X-Request-ID"]  # type: ignore[attr-defined]
    return problem


def post_raw(client: FlaskClient, raw: str) -> TestResponse:
    return client.post("/products", data=raw, content_type="application/json")


@pytest.mark.parametrize(
    "raw",
    ['{"name": ', "not json", "", '{"name": "x",}', "\xff\xfe", "[" * 100_000],
)
def test_malformed_json_is_400(client: FlaskClient, raw: str) -> None:
    response = post_raw(client, raw)
    problem = assert_problem(response, 400)
    assert "malformed JSON" in str(problem["detail"])


@pytest.mark.parametrize("raw", ["[]", '"text"', "42", "null"])
def test_body_must_be_an_object(client: FlaskClient, raw: str) -> None:
    response = post_raw(client, raw)
    problem = assert_problem(response, 422)
    assert problem["errors"] == [{"field": "body", "message": "must be a JSON object"}]


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_wrong_content_type_is_415(client: FlaskClient, content_type: str | None) -> None:
    response = client.post("/add", data='{"a": 1, "b": 2}', content_type=content_type)
    assert_problem(response, 415)


def test_patch_415_advertises_accept_patch(client: FlaskClient) -> None:
    created = client.post("/products", json={"name": "n", "price": 1, "quantity": 1})
    response = client.patch(created.headers["Location"], data="x", content_type="text/plain")
    assert_problem(response, 415)
    assert "application/merge-patch+json" in response.headers["Accept-Patch"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": "n", "price": "1.00", "quantity": True}, ["quantity"]),
        ({"name": "n", "price": True, "quantity": 1}, ["price"]),
        ({"name": 5, "price": "1.00", "quantity": 1}, ["name"]),
        ({"name": "", "price": "1.00", "quantity": 1}, ["name"]),
        ({"name": "   ", "price": "1.00", "quantity": 1}, ["name"]),
        ({"name": "x" * 201, "price": "1.00", "quantity": 1}, ["name"]),
        ({"name": "a\x00b", "price": "1.00", "quantity": 1}, ["name"]),
        ({"name": "\u200b", "price": "1.00", "quantity": 1}, ["name"]),  # zero-width space
        ({"name": " \u2060\ufeff\u200d ", "price": "1.00", "quantity": 1}, ["name"]),
        ({"name": "Ribeye\u202e", "price": "1.00", "quantity": 1}, ["name"]),  # RLO
        ({"name": "\u2066Ribeye\u2069", "price": "1.00", "quantity": 1}, ["name"]),
        ({"name": "a\u200fb", "price": "1.00", "quantity": 1}, ["name"]),
        ({"name": "n", "price": 1e999999999, "quantity": 1}, ["price"]),
        ({"name": "n", "price": 1, "quantity": 1e999999999}, ["quantity"]),
        ({"name": "n", "price": "-1.00", "quantity": 1}, ["price"]),
        ({"name": "n", "price": -1, "quantity": 1}, ["price"]),
        ({"name": "n", "price": "1.999", "quantity": 1}, ["price"]),
        ({"name": "n", "price": 1.999, "quantity": 1}, ["price"]),
        ({"name": "n", "price": "1e3", "quantity": 1}, ["price"]),
        ({"name": "n", "price": "abc", "quantity": 1}, ["price"]),
        ({"name": "n", "price": 1e12, "quantity": 1}, ["price"]),
        ({"name": "n", "price": {"amount": 1}, "quantity": 1}, ["price"]),
        ({"name": "n", "price": 1, "quantity": -1}, ["quantity"]),
        ({"name": "n", "price": 1, "quantity": 1.5}, ["quantity"]),
        ({"name": "n", "price": 1, "quantity": 2**31}, ["quantity"]),
        ({"name": "n", "price": 1, "quantity": "3"}, ["quantity"]),
        ({"name": "n", "price": 1, "quantity": 1, "colour": "red"}, ["colour"]),
        ({"name": "n"}, ["price", "quantity"]),
        ({}, ["name", "price", "quantity"]),
    ],
)
def test_invalid_product_fields_are_422_naming_each(
    client: FlaskClient, body: dict[str, object], fields: list[str]
) -> None:
    problem = assert_problem(client.post("/products", json=body), 422)
    errors = problem["errors"]
    assert isinstance(errors, list)
    assert sorted(e["field"] for e in errors) == fields
    assert all(e["message"] for e in errors)


@pytest.mark.parametrize("field", ["name", "price", "quantity"])
def test_nan_anywhere_is_422_naming_the_field(client: FlaskClient, field: str) -> None:
    body = {"name": '"n"', "price": "1", "quantity": "1", field: "NaN"}
    raw = "{" + ", ".join(f'"{key}": {value}' for key, value in body.items()) + "}"
    problem = assert_problem(post_raw(client, raw), 422)
    assert [e["field"] for e in problem["errors"]] == [field]  # type: ignore[union-attr]


def test_lone_surrogate_in_name_is_422(client: FlaskClient) -> None:
    raw = '{"name": "bad \\ud800 name", "price": 1, "quantity": 1}'
    problem = assert_problem(post_raw(client, raw), 422)
    assert problem["errors"] == [
        {"field": "name", "message": "must not contain control characters"}
    ]


def test_oversize_body_is_413(client: FlaskClient) -> None:
    raw = '{"name": "' + "x" * (1024 * 1024) + '", "price": 1, "quantity": 1}'
    problem = assert_problem(post_raw(client, raw), 413)
    assert "1048576 bytes" in str(problem["detail"])


def test_unknown_path_is_404(client: FlaskClient) -> None:
    problem = assert_problem(client.get("/no/such/thing"), 404)
    assert problem["type"] == "about:blank"
    assert problem["instance"] == "/no/such/thing"


def test_instance_is_percent_encoded(client: FlaskClient) -> None:
    problem = assert_problem(client.get("/no such/ünicode"), 404)
    assert problem["instance"] == "/no%20such/%C3%BCnicode"


def test_wrong_method_is_405_with_allow(client: FlaskClient) -> None:
    response = client.delete("/hello")
    assert_problem(response, 405)
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_unhandled_exception_is_a_generic_500_logged_with_traceback(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/explode")
    def explode() -> str:
        raise RuntimeError("secret internals")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/explode")
    problem = assert_problem(response, 500)
    assert "secret" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert problem["detail"] == "an unexpected error occurred; it has been logged"
    record = next(r for r in caplog.records if r.getMessage().startswith("unhandled exception"))
    assert record.exc_info is not None
    assert "secret internals" in str(record.exc_info[1])


def test_database_outage_is_503_with_retry_after(app: Flask) -> None:
    with app.app_context(), database().write() as session:
        session.execute(text("DROP TABLE checkins"))
    # A missing table is an OperationalError in SQLite, like a lost connection: 503, not 500.
    response = app.test_client().get("/last-seen/alice")
    assert_problem(response, 503)
    assert response.headers["Retry-After"] == "1"


def test_huge_exponents_are_422_not_an_overflow(client: FlaskClient) -> None:
    cases = [("price", "1e999999999"), ("quantity", "1e999999999"), ("price", "1e-999999999")]
    for field, value in cases:
        body = {"name": '"n"', "price": "1", "quantity": "1", field: value}
        raw = "{" + ", ".join(f'"{key}": {value}' for key, value in body.items()) + "}"
        problem = assert_problem(post_raw(client, raw), 422)
        assert [e["field"] for e in problem["errors"]] == [field]  # type: ignore[union-attr]


def test_names_are_stored_in_nfc_and_compared_so(client: FlaskClient) -> None:
    decomposed = "Cafe\u0301 steak"
    created = client.post("/products", json={"name": decomposed, "price": 1, "quantity": 1})
    assert created.status_code == 201
    assert created.get_json()["name"] == "Caf\u00e9 steak"
    duplicate = client.post(
        "/products", json={"name": "Caf\u00e9 steak", "price": 1, "quantity": 1}
    )
    assert_problem(duplicate, 409)
    # A joiner inside a visible name is part of it (emoji sequences use one).
    family = "Family pack \U0001f468\u200d\U0001f469"
    assert (
        client.post("/products", json={"name": family, "price": 1, "quantity": 1}).status_code
        == 201
    )


def test_bidi_controls_are_named_in_the_message(client: FlaskClient) -> None:
    problem = assert_problem(
        client.post("/products", json={"name": "abc\u202edcba", "price": 1, "quantity": 1}), 422
    )
    assert "bidirectional" in problem["errors"][0]["message"]  # type: ignore[index]


@pytest.mark.parametrize(
    "path", ["/products/%D9%A1", "/products/01", "/products/1%0A", "/products/+1", "/products/0"]
)
def test_product_ids_are_ascii_digits_only(client: FlaskClient, path: str) -> None:
    client.post("/products", json={"name": "one", "price": 1, "quantity": 1})
    assert_problem(client.get(path), 404)


@pytest.mark.parametrize("query", ["limit=5%0A", "limit=%EF%BC%95", "offset=1%0A", "limit=+5"])
def test_query_integers_are_ascii_digits_only(client: FlaskClient, query: str) -> None:
    assert_problem(client.get(f"/products?{query}"), 422)


def post_chunked(client: FlaskClient, raw: bytes) -> TestResponse:
    """A body without Content-Length, as gunicorn hands over a chunked one."""
    return client.post(
        "/products",
        input_stream=io.BytesIO(raw),
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True},
        headers={"Transfer-Encoding": "chunked"},
    )


def test_a_chunked_body_over_the_limit_is_413(client: FlaskClient) -> None:
    """The body is read up to one byte past MAX_BODY_BYTES, then refused."""
    raw = ('{"name": "' + "x" * (1024 * 1024) + '", "price": 1, "quantity": 1}').encode()
    problem = assert_problem(post_chunked(client, raw), 413)
    assert "1048576 bytes" in str(problem["detail"])
    accepted = post_chunked(client, b'{"name": "chunked", "price": 1, "quantity": 1}')
    assert accepted.status_code == 201, accepted.get_data(as_text=True)
