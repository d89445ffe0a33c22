"""Dependencies shared by the routers: settings, database sessions, clock, tokens, the caller."""

from __future__ import annotations

import email.message
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from meatyapis_chassis.database import Database
from meatyapis_chassis.problems import Problem
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from meatyapis_fastapi.login_throttle import LoginThrottle
from meatyapis_fastapi.models import RevokedToken, User
from meatyapis_fastapi.roles import SCOPES
from meatyapis_fastapi.schemas import TokenClaims
from meatyapis_fastapi.security import InvalidToken, Passwords, Tokens
from meatyapis_fastapi.settings import Settings

logger = logging.getLogger(__name__)

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="login", scopes=SCOPES, auto_error=False)
# Replicas' clocks differ a little: a token signed just after a registration on another replica
# may carry an `iat` slightly before the user's `created_at`.
CLOCK_SKEW_SECONDS = 30


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


def get_session(database: Annotated[Database, Depends(get_database)]) -> Iterator[Session]:
    session = database.session()
    try:
        yield session
    finally:
        # Closing runs after the response has started; a connection lost meanwhile (database
        # restarted) must not turn into an error there, which would drop the client's connection.
        try:
            session.close()
        except (OperationalError, InterfaceError) as err:
            logger.warning(
                "database connection lost while closing a session: %s", err.__class__.__name__
            )


def get_passwords(request: Request) -> Passwords:
    passwords: Passwords = request.app.state.passwords
    return passwords


async def get_tokens(request: Request) -> Tokens:
    tokens: Tokens = request.app.state.tokens
    return tokens


def get_login_throttle(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


def get_clock() -> Callable[[], float]:
    """Wall-clock seconds; the login rate limit's sliding window is measured with it."""
    return time.time


def client_ip(request: Request) -> str:
    """The caller's address: an IP address, the trusted proxies' word for it (see forwarded)."""
    return request.client.host if request.client else "unknown"


def media_type(request: Request) -> str:
    message = email.message.Message()
    message["content-type"] = request.headers.get("content-type", "")
    return message.get_content_type() if request.headers.get("content-type") else ""


def is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


def require_json(request: Request) -> None:
    """415 unless the request body is declared as JSON."""
    if not is_json(media_type(request)):
        raise Problem(415, "the request body must be application/json", "unsupported-media-type")


def unauthorized(detail: str, error: str | None = None) -> Problem:
    challenge = f'Bearer error="{error}"' if error else "Bearer"
    return Problem(401, detail, "unauthorized", headers={"WWW-Authenticate": challenge})


@dataclass(frozen=True)
class Caller:
    """The bearer of a valid token, and the user it names."""

    claims: TokenClaims
    user: User


def current_caller(
    token: Annotated[str | None, Depends(oauth2_scheme)],
    tokens: Annotated[Tokens, Depends(get_tokens)],
    database: Annotated[Database, Depends(get_database)],
) -> Caller:
    """The caller of a protected route, or 401 with `WWW-Authenticate`.

    The token must be well signed and within its lifetime, and still stand: its user exists
    under the same name, its generation is the user's (no "revoke all" since), it was not
    issued before the user existed (ids freed before ids were kept unique), and it was not
    revoked by `POST /logout`.

    Every route with a bearer token runs this, so it costs one thread-pool hop (FastAPI runs a
    `def` dependency there): a session of its own, opened, read and closed in it, where the
    request-scoped session would take two more (opening it, and closing it after the response).
    """
    if not token:
        raise unauthorized("a bearer token is required")
    try:
        decoded: dict[str, Any] = tokens.decode(token)
    except InvalidToken as err:
        raise unauthorized(f"invalid token: {err}", "invalid_token") from err
    claims = TokenClaims.model_validate(decoded)
    with database.session() as session:
        user = session.get(User, int(claims.sub))
        revoked = session.get(RevokedToken, claims.jti) is not None
    if user is None or user.username != claims.username:
        raise unauthorized("invalid token: its user no longer exists", "invalid_token")
    created = user.created_at.replace(tzinfo=user.created_at.tzinfo or UTC).timestamp()
    if decoded["gen"] != user.token_generation or claims.iat + CLOCK_SKEW_SECONDS < created:
        raise unauthorized("invalid token: it has been revoked", "invalid_token")
    if revoked:
        raise unauthorized("invalid token: it has been revoked", "invalid_token")
    return Caller(claims, user)


CallerDep = Annotated[Caller, Depends(current_caller)]


# `async`: returning an attribute needs no hop to the thread pool.
async def current_claims(caller: CallerDep) -> TokenClaims:
    return caller.claims


async def current_user(caller: CallerDep) -> User:
    return caller.user


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
ClaimsDep = Annotated[TokenClaims, Depends(current_claims)]
UserDep = Annotated[User, Depends(current_user)]
