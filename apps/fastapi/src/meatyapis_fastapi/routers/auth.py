"""Registration, login (the OAuth2 password grant, or JSON) and token verification."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from meatyapis_chassis.problems import Problem
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
    require_json,
    unauthorized,
)
from meatyapis_fastapi.login_throttle import LoginThrottle
from meatyapis_fastapi.models import User
from meatyapis_fastapi.oauth2 import (
    NO_STORE,
    TOKEN_REQUEST_BODY,
    TOKEN_RESPONSES,
    granted_scopes,
    password_grant,
    token_error,
)
from meatyapis_fastapi.problems import problem_responses
from meatyapis_fastapi.roles import format_scope, parse_scope, scopes_of
from meatyapis_fastapi.schemas import (
    LoginRequest,
    RegisterRequest,
    TokenClaims,
    TokenResponse,
    UserOut,
)
from meatyapis_fastapi.security import Passwords, Tokens

router = APIRouter(tags=["auth"])

ALREADY_REGISTERED = "already-registered"  # the problem kind of a taken username or email

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


@router.post(
    "/login",
    response_model=TokenResponse,
    openapi_extra={"requestBody": TOKEN_REQUEST_BODY},
    responses=TOKEN_RESPONSES,
)
def login(
    credentials: Annotated[LoginRequest, Depends(password_grant)],
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    passwords: PasswordsDep,
    tokens: Annotated[Tokens, Depends(get_tokens)],
    clock: Annotated[Callable[[], float], Depends(get_clock)],
) -> TokenResponse:
    """Exchange a username and password for a bearer token: the OAuth2 password grant.

    A token endpoint as RFC 6749 §4.3 describes it: the form `grant_type=password`, `username`
    and `password` (or the JSON body `{username, password}`). Errors are problems that also carry
    the OAuth2 `error` and `error_description` (§5.2); no answer may be cached. Failed attempts
    are limited per username and per client address (429 with Retry-After).
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
        raise token_error(
            "temporarily_unavailable",
            f"too many failed logins; try again in {wait} s",
            status=429,
            headers={"Retry-After": str(wait)},
        )
    user = session.scalar(select(User).where(User.username == credentials.username))
    # The password is checked (against a dummy hash when there is no such user) either way.
    if not passwords.verify(user.password_hash if user else None, credentials.password):
        throttle.record_failure(credentials.username, ip, clock())
        raise token_error("invalid_grant", "invalid username or password")
    assert user is not None
    throttle.clear(credentials.username)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(credentials.password)
        session.commit()
    scopes = granted_scopes(credentials.scope, scopes_of(user.role))
    issued = tokens.issue(user.id, user.username, scopes)
    response.headers.update(NO_STORE)
    return TokenResponse(
        access_token=issued.token, expires_in=issued.expires_in, scope=issued.scope
    )


@router.get("/verify", response_model=TokenClaims, responses=problem_responses(401))
def verify(claims: ClaimsDep, session: SessionDep) -> TokenClaims:
    """Check a bearer token (the catalog service calls this) and return its claims.

    `scope` holds the token's scopes that its user's role still grants: a role revoked since
    the token was issued no longer counts. A token whose user is gone is refused (401).
    """
    role = session.scalar(select(User.role).where(User.id == int(claims.sub)))
    if role is None:
        raise unauthorized("the token's user no longer exists", "invalid_token")
    still_granted = scopes_of(role)
    current = [scope for scope in parse_scope(claims.scope) if scope in still_granted]
    return claims.model_copy(update={"scope": format_scope(current)})
