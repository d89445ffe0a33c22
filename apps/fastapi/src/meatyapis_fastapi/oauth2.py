"""The wire format of the OAuth2 token endpoint (RFC 6749 §4.3 and §5), and its OpenAPI text.

The password-grant form (or the service's JSON body), token errors as problems that also carry
the OAuth2 `error` and `error_description` members, and the headers that keep tokens out of caches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from fastapi import Request
from meatyapis_chassis.problems import PROBLEM_JSON, FieldError, Problem
from pydantic import ValidationError
from starlette.datastructures import FormData

from meatyapis_fastapi.dependencies import is_json, media_type
from meatyapis_fastapi.problems import field_errors, problem_responses
from meatyapis_fastapi.roles import SCOPES, parse_scope
from meatyapis_fastapi.schemas import LoginRequest

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
GRANT_TYPE = "password"
# Neither a token response nor a token error may be stored by a cache (RFC 6749 §5.1, §5.2).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# The parameters of the password grant; others are ignored, as RFC 6749 §3.2 requires.
# A public client's `client_id` (in the form or as Basic credentials) is accepted and not checked.
PARAMETERS = ("grant_type", "username", "password", "scope", "client_id", "client_secret")
# error_description is printable ASCII without '"' and '\' (RFC 6749 §5.2).
DESCRIPTION_CHARACTERS = r"\x20-\x21\x23-\x5b\x5d-\x7e"
OUTSIDE_DESCRIPTION = re.compile(f"[^{DESCRIPTION_CHARACTERS}]")

TokenErrorCode = Literal[
    "invalid_request",
    "invalid_grant",
    "unsupported_grant_type",
    "invalid_scope",
    "temporarily_unavailable",
]


def token_error(
    error: TokenErrorCode,
    description: str,
    *,
    status: int = 400,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Problem:
    """A token error: status 400 unless given (RFC 6749 §5.2), never stored by a cache; its
    problem kind is the OAuth2 error code."""
    return Problem(
        status,
        description,
        error.replace("_", "-"),
        errors=errors or (),
        extensions={
            "error": error,
            "error_description": OUTSIDE_DESCRIPTION.sub("?", description),
        },
        headers={**NO_STORE, **(headers or {})},
    )


def invalid_request(errors: Sequence[FieldError]) -> Problem:
    fields = ", ".join(dict.fromkeys(error["field"] for error in errors))
    return token_error("invalid_request", f"invalid request: {fields}", errors=errors)


async def password_grant(request: Request) -> LoginRequest:
    """The credentials of a password-grant form (RFC 6749 §4.3.2) or of a JSON body."""
    content_type = media_type(request)
    raw: Any
    if content_type == FORM_MEDIA_TYPE:
        raw = _form_credentials(await request.form())
    elif is_json(content_type):
        raw = _json_body(await request.body())
    else:
        raise token_error(
            "invalid_request", f"the body must be {FORM_MEDIA_TYPE} or application/json"
        )
    try:
        credentials = LoginRequest.model_validate(raw)
    except ValidationError as err:
        raise invalid_request(field_errors(err.errors())) from err
    unknown = [scope for scope in parse_scope(credentials.scope) if scope not in SCOPES]
    if unknown:
        raise token_error("invalid_scope", f"unknown scope: {' '.join(unknown)}")
    return credentials


def _form_credentials(form: FormData) -> dict[str, Any]:
    repeated = [name for name in PARAMETERS if len(form.getlist(name)) > 1]
    if repeated:
        raise invalid_request([FieldError(field=name, message="repeated") for name in repeated])
    grant_type = form.get("grant_type")
    if not grant_type:
        message = f"required, and must be '{GRANT_TYPE}'"
        raise invalid_request([FieldError(field="grant_type", message=message)])
    if grant_type != GRANT_TYPE:
        raise token_error("unsupported_grant_type", f"grant_type must be '{GRANT_TYPE}'")
    return {name: form[name] for name in ("username", "password", "scope") if name in form}


def granted_scopes(asked: str | None, granted: tuple[str, ...]) -> list[str]:
    """The scopes of a new token: those asked for, or all `granted` when none are (RFC 6749
    §3.3); `invalid_scope` when one asked for is not granted."""
    wanted = parse_scope(asked)
    refused = [scope for scope in wanted if scope not in granted]
    if refused:
        raise token_error("invalid_scope", f"scope not granted to this user: {' '.join(refused)}")
    return wanted or list(granted)


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as err:  # ValueError includes bad UTF-8
        message = f"malformed JSON: {err}" if isinstance(err, ValueError) else "nested too deep"
        raise invalid_request([FieldError(field="body", message=message)]) from err


def _credential(description: str) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": 128, "description": description}


TOKEN_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        FORM_MEDIA_TYPE: {
            "schema": {
                "type": "object",
                "required": ["grant_type", "username", "password"],
                "properties": {
                    "grant_type": {"type": "string", "enum": [GRANT_TYPE]},
                    "username": _credential("The user's name."),
                    "password": _credential("The user's password."),
                    "scope": {
                        "type": "string",
                        "maxLength": 1024,
                        "description": (
                            "Space-separated scopes asked for, each one the user's role grants"
                            f" ({', '.join(SCOPES)}); empty or left out: all of them."
                        ),
                    },
                    "client_id": {"type": "string", "description": "Accepted, not checked."},
                    "client_secret": {"type": "string", "description": "Accepted, not checked."},
                },
            }
        },
        "application/json": {"schema": LoginRequest.model_json_schema()},
    },
}

_NO_STORE_HEADERS = {
    name: {
        "description": "The answer must not be cached.",
        "schema": {"type": "string", "const": value},
    }
    for name, value in NO_STORE.items()
}


def _token_error_content(*codes: TokenErrorCode) -> dict[str, Any]:
    oauth2_members = {
        "type": "object",
        "required": ["error", "error_description"],
        "properties": {
            "error": {"type": "string", "enum": list(codes)},
            "error_description": {"type": "string", "pattern": f"^[{DESCRIPTION_CHARACTERS}]*$"},
        },
    }
    schema = {"allOf": [{"$ref": "#/components/schemas/Problem"}, oauth2_members]}
    return {PROBLEM_JSON: {"schema": schema}}


def _retry_later(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {
            **_NO_STORE_HEADERS,
            "Retry-After": {
                "description": "Seconds until a login may be tried again.",
                "schema": {"type": "integer", "minimum": 1},
            },
        },
        "content": _token_error_content("temporarily_unavailable"),
    }


TOKEN_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The access token (RFC 6749 §5.1).", "headers": _NO_STORE_HEADERS},
    400: {
        "description": (
            "A token error (RFC 6749 §5.2): `invalid_grant` for a wrong username or password,"
            " `invalid_request` for a missing, repeated or malformed parameter or body,"
            " `unsupported_grant_type` for a grant type other than `password`,"
            " `invalid_scope` for a scope the user's role does not grant."
        ),
        "headers": _NO_STORE_HEADERS,
        "content": _token_error_content(
            "invalid_request", "invalid_grant", "unsupported_grant_type", "invalid_scope"
        ),
    },
    **problem_responses(413),
    429: _retry_later("Too many failed logins for this username or client address."),
    503: _retry_later(
        "Too many logins at once for the service, or the attempt could not be recorded."
    ),
}
