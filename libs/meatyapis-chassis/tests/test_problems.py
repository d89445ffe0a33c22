"""The problem body both services send."""

from __future__ import annotations

import json

from meatyapis_chassis.problems import (
    FieldError,
    malformed_json,
    problem_body,
    problem_json,
    validation_problem,
)
from meatyapis_chassis.request_id import request_id_var


def test_a_named_kind_is_a_urn_and_the_request_id_is_included() -> None:
    token = request_id_var.set("dGVzdA==")
    try:
        body = problem_body(404, "no such product", kind="not-found", path="/products/9")
    finally:
        request_id_var.reset(token)
    assert body == {
        "type": "urn:meatyapis:problem:not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "no such product",
        "instance": "/products/9",
        "request_id": "dGVzdA==",
    }


def test_without_a_kind_the_type_is_about_blank() -> None:
    body = json.loads(problem_json(405, "not here", path="/no such/ünicode"))
    assert body["type"] == "about:blank"
    assert body["title"] == "Method Not Allowed"
    assert body["instance"] == "/no%20such/%C3%BCnicode"
    assert "request_id" not in body  # outside a request
    assert "errors" not in body


def test_validation_names_each_field_once() -> None:
    errors = [
        FieldError(field="price", message="must be a number"),
        FieldError(field="name", message="must be a string"),
        FieldError(field="price", message="must be positive"),
    ]
    problem = validation_problem(errors)
    assert (problem.status, problem.kind) == (422, "validation-error")
    assert problem.detail == "invalid request: name, price"
    assert problem_body(problem.status, problem.detail, errors=problem.errors)["errors"] == errors


def test_malformed_json_is_a_400() -> None:
    problem = malformed_json("Expecting value")
    assert (problem.status, problem.kind) == (400, "malformed-json")
    assert problem.detail == "malformed JSON body: Expecting value"
