"""RFC 9457 problem details: the one error format of every response, including Flask's own."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, TypedDict
from urllib.parse import quote

from flask import Flask, Response, current_app, request
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from meatyapis_flask.logs import request_id_var

PROBLEM_JSON = "application/problem+json"
_TYPE_PREFIX = "urn:meatyapis:problem:"

log = logging.getLogger(__name__)


class FieldError(TypedDict):
    field: str
    message: str


@dataclass
class Problem(Exception):
    """Raise anywhere in a request to answer with a problem document."""

    status: int
    detail: str
    kind: str | None = None  # a short slug, becomes the problem type URI
    errors: Sequence[FieldError] = ()
    headers: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status}: {self.detail}"


def validation_problem(errors: Sequence[FieldError], status: int = 422) -> Problem:
    names = ", ".join(sorted({e["field"] for e in errors}))
    return Problem(status, f"invalid request: {names}", "validation-error", errors)


def problem_response(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    errors: Sequence[FieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": f"{_TYPE_PREFIX}{kind}" if kind else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": quote(request.path, safe="/:@!$&'()*+,;=-._~"),
    }
    if errors:
        body["errors"] = list(errors)
    request_id = request_id_var.get()
    if request_id:
        body["request_id"] = request_id
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _from_problem(problem: Problem) -> Response:
    return problem_response(
        problem.status,
        problem.detail,
        kind=problem.kind,
        errors=problem.errors,
        headers=problem.headers,
    )


def _from_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    # Keep headers werkzeug sets for a reason (Allow on 405, Retry-After …), not its HTML type.
    headers = {
        name: value
        for name, value in exc.get_headers()
        if name.lower() not in {"content-type", "content-length"}
    }
    detail = exc.description or HTTPStatus(status).description
    if status == 413:
        detail = f"the body is larger than {current_app.config['MAX_CONTENT_LENGTH']} bytes"
    return problem_response(status, detail, headers=headers)


def _from_database_error(exc: OperationalError | InterfaceError) -> Response:
    log.error("database unavailable: %s", exc.__class__.__name__, exc_info=exc)
    return problem_response(
        503, "the database is unavailable, retry later", headers={"Retry-After": "1"}
    )


def _from_unexpected(exc: Exception) -> Response:
    log.error("unhandled exception on %s %s", request.method, request.path, exc_info=exc)
    return problem_response(500, "an unexpected error occurred; it has been logged")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(Problem, _from_problem)
    app.register_error_handler(HTTPException, _from_http_exception)
    app.register_error_handler(OperationalError, _from_database_error)
    app.register_error_handler(InterfaceError, _from_database_error)
    app.register_error_handler(Exception, _from_unexpected)
