"""RFC 9457 problem details (see the chassis) as the answer to every error, Flask's own too."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

from flask import Flask, Response, current_app, request
from meatyapis_chassis.problems import (
    DATABASE_ERRORS,
    PROBLEM_JSON,
    Problem,
    database_unavailable,
)
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def problem_response(problem: Problem) -> Response:
    response = Response(
        json.dumps(problem.body(request.path)), status=problem.status, mimetype=PROBLEM_JSON
    )
    response.headers.update(problem.headers)
    return response


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
    return problem_response(Problem(status, detail, headers=headers))


def _from_database_error(exc: Exception) -> Response:
    return problem_response(database_unavailable(exc))


def _from_unexpected(exc: Exception) -> Response:
    log.error("unhandled exception on %s %s", request.method, request.path, exc_info=exc)
    return problem_response(Problem(500, "an unexpected error occurred; it has been logged"))


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(Problem, problem_response)
    app.register_error_handler(HTTPException, _from_http_exception)
    for error in DATABASE_ERRORS:
        app.register_error_handler(error, _from_database_error)
    app.register_error_handler(Exception, _from_unexpected)
