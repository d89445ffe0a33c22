"""Strict JSON request bodies: content type, syntax, shape, then a pydantic model."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, TypeVar

from flask import current_app, request
from meatyapis_chassis.problems import (
    FieldError,
    Problem,
    malformed_json,
    validation_problem,
)
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

JSON_TYPES = frozenset({"application/json", "application/merge-patch+json"})
# Integers longer than this stay Decimal so range checks (not the parser) reject them by field.
_MAX_INT_DIGITS = 40

M = TypeVar("M", bound=BaseModel)


class NonStandardConstant:
    """NaN, Infinity or -Infinity in a body: kept as a marker so validation names the field."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def _parse_int(text: str) -> int | Decimal:
    return int(text) if len(text) <= _MAX_INT_DIGITS else Decimal(text)


def parse_json(raw: bytes) -> Any:
    """JSON with floats kept exact as Decimal; NaN/Infinity become markers no field accepts."""
    try:
        return json.loads(
            raw,
            parse_float=Decimal,
            parse_int=_parse_int,
            parse_constant=NonStandardConstant,
        )
    except (ValueError, RecursionError) as err:
        detail = err.msg if isinstance(err, json.JSONDecodeError) else str(err)
        if isinstance(err, RecursionError):
            detail = "nested too deeply"
        raise malformed_json(detail) from None


def raw_body() -> bytes:
    """The request body, or 413 when it is longer than MAX_BODY_BYTES.

    werkzeug checks Content-Length itself, but cuts a chunked body at the limit without a word
    (the JSON then looks truncated): a chunked body is read here up to one byte past it.
    """
    if request.content_length is not None or not request.environ.get("wsgi.input_terminated"):
        return request.get_data(cache=False)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    data: bytes = request.environ["wsgi.input"].read(limit + 1)
    if len(data) > limit:
        raise RequestEntityTooLarge()
    return data


def json_object() -> dict[str, Any]:
    """The request body as a JSON object, or the matching 4xx problem."""
    if request.mimetype not in JSON_TYPES:
        raise Problem(
            415,
            f"send the body as application/json (got {request.mimetype or 'no content type'})",
            "unsupported-media-type",
            headers={"Accept-Patch": "application/json, application/merge-patch+json"}
            if request.method == "PATCH"
            else {},
        )
    body = parse_json(raw_body())
    if not isinstance(body, dict):
        raise Problem(
            422,
            "the body must be a JSON object",
            "validation-error",
            [FieldError(field="body", message="must be a JSON object")],
        )
    return body


def field_errors(err: ValidationError) -> list[FieldError]:
    errors: list[FieldError] = []
    for problem in err.errors(include_url=False):
        name = ".".join(str(part) for part in problem["loc"]) or "body"
        message = problem["msg"]
        if problem["type"] == "extra_forbidden":
            message = "unknown field"
        elif problem["type"] == "missing":
            message = "field required"
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        errors.append(FieldError(field=name, message=message))
    return errors


def validated(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data, strict=True)
    except ValidationError as err:
        raise validation_problem(field_errors(err)) from None


def body(model: type[M]) -> M:
    """Parse and validate the request body into `model`."""
    return validated(model, json_object())
