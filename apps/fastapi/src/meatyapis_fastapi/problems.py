"""RFC 9457 problem details (see the chassis) as the answer to every error, FastAPI's own too,
and their place in the OpenAPI document."""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from meatyapis_chassis.problems import (
    ABOUT_BLANK,
    DATABASE_ERRORS,
    PROBLEM_JSON,
    FieldError,
    Problem,
    database_unavailable,
    malformed_json,
    validation_problem,
)
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

REQUEST_PARTS = {"body", "query", "path", "header", "cookie"}


class ProblemDocument(BaseModel):
    """The problem body, as the OpenAPI document describes it."""

    model_config = ConfigDict(title="Problem")
    type: str = ABOUT_BLANK
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None
    request_id: str | None = None


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON


def problem_response(problem: Problem, path: str | None) -> ProblemResponse:
    headers = dict(problem.headers) or None
    return ProblemResponse(problem.body(path), status_code=problem.status, headers=headers)


def field_errors(errors: Sequence[Any]) -> list[FieldError]:
    """One `{field, message}` per pydantic error, the field named without its request part."""
    result = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        path = loc[1:] if loc and loc[0] in REQUEST_PARTS else loc
        field = ".".join(path) or (loc[0] if loc else "body")
        result.append(FieldError(field=field, message=str(error["msg"])))
    return result


async def chassis_problem_handler(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc, request.url.path)


async def http_exception_handler(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    problem = Problem(exc.status_code, detail, headers=exc.headers or {})
    return problem_response(problem, request.url.path)


async def validation_exception_handler(request: Request, exc: Exception) -> ProblemResponse:
    """Invalid input names each field (422); a body that is not JSON at all is a 400."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    syntax = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if syntax is not None:
        problem = malformed_json(str(syntax.get("ctx", {}).get("error", "not JSON")))
    else:
        problem = validation_problem(field_errors(errors))
    return await chassis_problem_handler(request, problem)


async def database_unavailable_handler(request: Request, exc: Exception) -> ProblemResponse:
    return await chassis_problem_handler(request, database_unavailable(exc))


def internal_error_response(path: str) -> ProblemResponse:
    """The generic 500: nothing about the failure leaks to the caller (it is in the log)."""
    return problem_response(Problem(500, "The server failed to handle the request."), path)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, chassis_problem_handler)
    app.add_exception_handler(StarletteHTTPException, http_exception_handler)
    app.add_exception_handler(RequestValidationError, validation_exception_handler)
    for error in DATABASE_ERRORS:
        app.add_exception_handler(error, database_unavailable_handler)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problem statuses an operation can return."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
