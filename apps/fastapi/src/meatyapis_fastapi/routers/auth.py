"""Registration, login (the OAuth2 password grant, or JSON), token verification and logout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from meatyapis_chassis.problems import Problem
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from meatyapis_fastapi.dependencies import (
    CallerDep,
    ClaimsDep,
    SessionDep,
    client_ip,
    get_clock,
    get_login_throttle,
    get_passwords,
    get_tokens,
    require_json,
    unauthorized,
)
from meatyapis_fastapi.login_throttle import AttemptNotRecorded, LoginLimited, LoginThrottle
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
from meatyapis_fastapi.revocation import revoke_token
from meatyapis_fastapi.roles import format_scope, parse_scope, scopes_of
from meatyapis_fastapi.schemas import (
    LoginRequest,
    RegisterRequest,
    TokenClaims,
    TokenResponse,
    UserOut,
)
from meatyapis_fastapi.security import HashingBusy, Passwords, Tokens
from meatyapis_fastapi.usernames import canonical

router = APIRouter(tags=["auth"])

ALREADY_REGISTERED = "already-registered"  # the problem kind of a taken username or email
RETRY_SOON = {"Retry-After": "1"}

PasswordsDep = Annotated[Passwords, Depends(get_passwords)]
ClockDep = Annotated[Callable[[], float], Depends(get_clock)]


@router.post(
    "/register",
    status_code=201,
    response_model=UserOut,
    dependencies=[Depends(require_json)],
    responses=problem_responses(400, 409, 413, 415, 422, 503),
)
def register(body: RegisterRequest, session: SessionDep, passwords: PasswordsDep) -> User:
    """Create a user. The password is stored only as an argon2id hash and never returned.

    Usernames compare after normalisation (NFKC, casefold): `Ada` is taken once `ada` is."""
    email, key = body.email, canonical(body.username)
    taken = _taken(session, key, email)
    if taken:
        raise Problem(409, taken, ALREADY_REGISTERED)
    try:
        with passwords.slot():
            password_hash = passwords.hash(body.password)
    except HashingBusy as err:
        raise Problem(503, "too many passwords being hashed; retry", headers=RETRY_SOON) from err
    user = User(username=body.username, username_key=key, email=email, password_hash=password_hash)
    session.add(user)
    try:
        session.commit()
    except IntegrityError as err:  # a concurrent registration won the race
        session.rollback()
        detail = _taken(session, key, email) or "already taken"
        raise Problem(409, detail, ALREADY_REGISTERED) from err
    return user


def _taken(session: SessionDep, username_key: str, email: str) -> str | None:
    if session.scalar(select(User.id).where(User.username_key == username_key)) is not None:
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
    passwords: PasswordsDep,
    tokens: Annotated[Tokens, Depends(get_tokens)],
    throttle: Annotated[LoginThrottle, Depends(get_login_throttle)],
    clock: ClockDep,
) -> TokenResponse:
    """Exchange a username and password for a bearer token: the OAuth2 password grant.

    A token endpoint as RFC 6749 §4.3 describes it: the form `grant_type=password`, `username`
    and `password` (or the JSON body `{username, password}`). Errors are problems that also carry
    the OAuth2 `error` and `error_description` (§5.2); no answer may be cached. Failed attempts
    are limited per username and client address, per client address, and slowed down per
    username (429 with Retry-After); 503 with Retry-After when the service is busy hashing or
    cannot record the attempt.
    """
    key = canonical(credentials.username)
    try:
        with passwords.slot():
            attempt = throttle.reserve(key, client_ip(request), clock())
            user = session.scalar(select(User).where(User.username_key == key))
            # The password is checked (against a dummy hash when there is no such user) either way.
            verified = passwords.verify(user.password_hash if user else None, credentials.password)
            if verified and user is not None and passwords.needs_rehash(user.password_hash):
                user.password_hash = passwords.hash(credentials.password)
                session.commit()
    except HashingBusy as err:
        raise _unavailable("too many logins at once; retry in 1 s", 503, 1) from err
    except LoginLimited as limited:
        wait = limited.retry_after
        raise _unavailable(f"too many failed logins; try again in {wait} s", 429, wait) from None
    except AttemptNotRecorded as err:
        raise _unavailable("the login attempt could not be recorded; retry", 503, 1) from err
    if not verified or user is None:
        raise token_error("invalid_grant", "invalid username or password")
    throttle.succeeded(attempt)
    scopes = granted_scopes(credentials.scope, scopes_of(user.role))
    issued = tokens.issue(user.id, user.username, user.token_generation, scopes)
    response.headers.update(NO_STORE)
    return TokenResponse(
        access_token=issued.token, expires_in=issued.expires_in, scope=issued.scope
    )


def _unavailable(description: str, status: int, retry_after: int) -> Problem:
    return token_error(
        "temporarily_unavailable",
        description,
        status=status,
        headers={"Retry-After": str(retry_after)},
    )


@router.get("/verify", response_model=TokenClaims, responses=problem_responses(401))
def verify(claims: ClaimsDep, session: SessionDep) -> TokenClaims:
    """Check a bearer token (the catalog service calls this) and return its claims.

    A token stands while its user exists under the same name and it has not been revoked.
    `scope` holds the token's scopes that its user's role still grants: a role revoked since
    the token was issued no longer counts.
    """
    role = session.scalar(select(User.role).where(User.id == int(claims.sub)))
    if role is None:
        raise unauthorized("the token's user no longer exists", "invalid_token")
    still_granted = scopes_of(role)
    current = [scope for scope in parse_scope(claims.scope) if scope in still_granted]
    return claims.model_copy(update={"scope": format_scope(current)})


@router.post("/logout", status_code=204, responses=problem_responses(401))
def logout(caller: CallerDep, session: SessionDep, clock: ClockDep) -> Response:
    """Revoke the bearer token: from now on it is refused here, and by the catalog once its
    cached verdict runs out (`IDENTITY_CACHE_TTL_SECONDS`)."""
    revoke_token(session, caller.claims.jti, caller.claims.exp, clock())
    session.commit()
    return Response(status_code=204)
