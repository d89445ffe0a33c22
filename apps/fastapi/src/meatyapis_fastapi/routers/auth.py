"""Registration, login (OAuth2 password form or JSON) and token verification."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from meatyapis_chassis.problems import Problem
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from meatyapis_fastapi.dependencies import (
    ClaimsDep,
    SessionDep,
    SettingsDep,
    client_ip,
    get_clock,
    get_passwords,
    get_tokens,
    is_json,
    media_type,
    require_json,
    unauthorized,
)
from meatyapis_fastapi.login_throttle import LoginThrottle
from meatyapis_fastapi.models import User
from meatyapis_fastapi.problems import problem_responses
from meatyapis_fastapi.schemas import (
    LoginRequest,
    RegisterRequest,
    TokenClaims,
    TokenResponse,
    UserOut,
)
from meatyapis_fastapi.security import Passwords, Tokens

router = APIRouter(tags=["auth"])

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
ALREADY_REGISTERED = "already-registered"
OAUTH2_FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["username", "password"],
    "properties": {
        "username": {"type": "string", "minLength": 1, "maxLength": 128},
        "password": {"type": "string", "minLength": 1, "maxLength": 128},
        "grant_type": {"type": "string", "pattern": "^password$"},
        "scope": {"type": "string"},
        "client_id": {"type": "string"},
        "client_secret": {"type": "string"},
    },
}
LOGIN_REQUEST_BODY = {
    "required": True,
    "content": {
        FORM_MEDIA_TYPE: {"schema": OAUTH2_FORM_SCHEMA},
        "application/json": {"schema": LoginRequest.model_json_schema()},
    },
}

PasswordsDep = Annotated[Passwords, Depends(get_passwords)]


@router.post(
    "/register",
    status_code=201,
    response_model=UserOut,
    dependencies=[Depends(require_json)],
    responses=problem_responses(400, 409, 413, 415, 422),
)
def register(body: RegisterRequest, session: SessionDep, passwords: PasswordsDep) -> User:
    """Create a user. The password is stored only as an argon2id hash and never returned."""
    email = body.email
    taken = _taken(session, body.username, email)
    if taken:
        raise Problem(409, taken, ALREADY_REGISTERED)
    user = User(username=body.username, email=email, password_hash=passwords.hash(body.password))
    session.add(user)
    try:
        session.commit()
    except IntegrityError as err:  # a concurrent registration won the race
        session.rollback()
        detail = _taken(session, body.username, email) or "already taken"
        raise Problem(409, detail, ALREADY_REGISTERED) from err
    return user


def _taken(session: SessionDep, username: str, email: str) -> str | None:
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        return "username already taken"
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        return "email already registered"
    return None


async def login_credentials(request: Request) -> LoginRequest:
    """The credentials from an OAuth2 password form or from a JSON body."""
    content_type = media_type(request)
    raw: Any
    if content_type == FORM_MEDIA_TYPE:
        form = await request.form()
        grant_type = form.get("grant_type")
        if grant_type not in (None, "password"):
            raise RequestValidationError(
                [{"loc": ("body", "grant_type"), "msg": "must be 'password'", "type": "value"}]
            )
        raw = {key: form.get(key) for key in ("username", "password") if key in form}
    elif is_json(content_type):
        body = await request.body()
        try:
            raw = json.loads(body)
        except ValueError as err:
            raise RequestValidationError(
                [
                    {
                        "loc": ("body",),
                        "msg": "malformed JSON",
                        "type": "json_invalid",
                        "ctx": {"error": str(err)},
                    }
                ]
            ) from err
    else:
        raise Problem(
            415,
            f"the body must be {FORM_MEDIA_TYPE} or application/json",
            "unsupported-media-type",
        )
    try:
        return LoginRequest.model_validate(raw)
    except ValidationError as err:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in err.errors()]
        raise RequestValidationError(errors) from err


@router.post(
    "/login",
    response_model=TokenResponse,
    openapi_extra={"requestBody": LOGIN_REQUEST_BODY},
    responses=problem_responses(400, 401, 413, 415, 422, 429),
)
def login(
    credentials: Annotated[LoginRequest, Depends(login_credentials)],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    passwords: PasswordsDep,
    tokens: Annotated[Tokens, Depends(get_tokens)],
    clock: Annotated[Callable[[], float], Depends(get_clock)],
) -> TokenResponse:
    """Exchange a username and password for a bearer token.

    Failed attempts are limited per username and per client address (429 with Retry-After).
    """
    ip = client_ip(request)
    throttle = LoginThrottle(
        session,
        max_per_username=settings.login_max_failures,
        max_per_ip=settings.login_max_failures_per_ip,
        window_seconds=settings.login_failure_window_seconds,
    )
    wait = throttle.retry_after(credentials.username, ip, clock())
    if wait is not None:
        raise Problem(
            429,
            "too many failed logins; try again later",
            "too-many-failed-logins",
            headers={"Retry-After": str(wait)},
        )
    user = session.scalar(select(User).where(User.username == credentials.username))
    # The password is checked (against a dummy hash when there is no such user) either way.
    if not passwords.verify(user.password_hash if user else None, credentials.password):
        throttle.record_failure(credentials.username, ip, clock())
        raise unauthorized("invalid username or password")
    assert user is not None
    throttle.clear(credentials.username)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(credentials.password)
        session.commit()
    issued = tokens.issue(user.id, user.username)
    return TokenResponse(access_token=issued.token, expires_in=issued.expires_in)


@router.get("/verify", response_model=TokenClaims, responses=problem_responses(401))
def verify(claims: ClaimsDep) -> TokenClaims:
    """Check a bearer token (the catalog service calls this) and return its claims."""
    return claims
