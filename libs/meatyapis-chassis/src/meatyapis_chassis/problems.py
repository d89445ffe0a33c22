"""RFC 9457 problem details: the one error body of both services.

`type` is `urn:meatyapis:problem:<kind>` when the service names the kind of problem (the same
kind means the same thing in both services), `about:blank` when the status says it all (an
unknown path, a method not allowed, a body too large). Every problem carries the `request_id`
of the request it answers, the same id as its `X-Request-ID` header.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from sqlalchemy.exc import InterfaceError, OperationalError
from typing_extensions import TypedDict  # pydantic builds schemas only from this one on 3.11

from meatyapis_chassis.request_id import request_id_var

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:meatyapis:problem:"
ABOUT_BLANK = "about:blank"

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
    # More members of the body (RFC 9457 §3.2), e.g. the OAuth2 `error` of a token endpoint.
    extensions: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status}: {self.detail}"

    def body(self, path: str | None = None) -> dict[str, Any]:
        """The document answering the request for `path`."""
        return problem_body(
            self.status,
            self.detail,
            kind=self.kind,
            path=path,
            errors=self.errors,
            extensions=self.extensions,
        )


def validation_problem(errors: Sequence[FieldError], status: int = 422) -> Problem:
    """The problem of invalid input, naming each field."""
    names = ", ".join(dict.fromkeys(sorted(e["field"] for e in errors)))
    return Problem(status, f"invalid request: {names}", "validation-error", errors)


def malformed_json(reason: str) -> Problem:
    return Problem(400, f"malformed JSON body: {reason}", "malformed-json")


# What the database driver raises when the database is down or unreachable (not a bug: a 503).
DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


def database_unavailable(exc: Exception) -> Problem:
    """The database is down or unreachable: 503, so clients and load balancers retry later."""
    log.error("database unavailable: %s", exc.__class__.__name__, exc_info=exc)
    return Problem(503, "the database is unavailable, retry later", headers={"Retry-After": "1"})


def problem_type(kind: str | None) -> str:
    return f"{TYPE_PREFIX}{kind}" if kind else ABOUT_BLANK


def instance(path: str) -> str:
    """The request path as a URI reference (percent-encoded)."""
    return quote(path, safe="/:@!$&'()*+,;=-._~")


def problem_body(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    path: str | None = None,
    errors: Sequence[FieldError] = (),
    extensions: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The problem document; its `request_id` is that of the request being served."""
    body: dict[str, Any] = {
        "type": problem_type(kind),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if path is not None:
        body["instance"] = instance(path)
    if errors:
        body["errors"] = [FieldError(field=e["field"], message=e["message"]) for e in errors]
    body.update(extensions or {})
    request_id = request_id_var.get()
    if request_id:
        body["request_id"] = request_id
    return body


def problem_json(status: int, detail: str, **kwargs: Any) -> bytes:
    """`problem_body` encoded, for answers written below the frameworks (WSGI, ASGI, HTTP)."""
    return json.dumps(problem_body(status, detail, **kwargs)).encode()
