"""RFC 9457 problem details (`application/problem+json`) for every error the service returns."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
REQUEST_PARTS = {"body", "query", "path", "header", "cookie"}


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


class ProblemException(StarletteHTTPException):
    """An HTTP error whose problem carries field errors or extension members (RFC 9457 §3.2)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: Sequence[FieldError] | None = None,
        extensions: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, detail, headers=dict(headers) if headers else None)
        self.errors = errors
        self.extensions = extensions


def problem_response(
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    errors: Sequence[FieldError] | None = None,
    extensions: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ProblemResponse:
    problem = Problem(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=instance,
        errors=list(errors) if errors is not None else None,
    )
    body = {**problem.model_dump(exclude_none=True), **(extensions or {})}
    return ProblemResponse(body, status_code=status, headers=headers)


def field_errors(errors: Sequence[Any]) -> list[FieldError]:
    """One `{field, message}` per pydantic error, the field named without its request part."""
    result = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if error.get("type") == "json_invalid":
            field, message = "body", f"malformed JSON: {error.get('ctx', {}).get('error', '')}"
        else:
            path = loc[1:] if loc and loc[0] in REQUEST_PARTS else loc
            field, message = ".".join(path) or (loc[0] if loc else "body"), str(error["msg"])
        result.append(FieldError(field=field, message=message))
    return result


async def http_exception_handler(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    special = exc if isinstance(exc, ProblemException) else None
    return problem_response(
        exc.status_code,
        detail,
        instance=request.url.path,
        errors=special.errors if special else None,
        extensions=special.extensions if special else None,
        headers=exc.headers,
    )


async def validation_exception_handler(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = field_errors(exc.errors())
    fields = ", ".join(dict.fromkeys(e.field for e in errors))
    return problem_response(
        422, f"invalid request: {fields}", instance=request.url.path, errors=errors
    )


async def database_unavailable_handler(request: Request, exc: Exception) -> ProblemResponse:
    """The database is down or unreachable: 503, so clients and load balancers retry later."""
    logger.error("database unavailable: %s", exc.__class__.__name__)
    return problem_response(
        503,
        "the database is unavailable, retry later",
        instance=request.url.path,
        headers={"Retry-After": "1"},
    )


def internal_error_response(path: str) -> ProblemResponse:
    """The generic 500: nothing about the failure leaks to the caller (it is in the log)."""
    return problem_response(500, "The server failed to handle the request.", instance=path)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, http_exception_handler)
    app.add_exception_handler(RequestValidationError, validation_exception_handler)
    app.add_exception_handler(OperationalError, database_unavailable_handler)
    app.add_exception_handler(InterfaceError, database_unavailable_handler)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problem statuses an operation can return."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
