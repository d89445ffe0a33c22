"""Dependencies shared by the routers: settings, database sessions, clock, tokens, the caller."""

from __future__ import annotations

import email.message
import logging
import time
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from meatyapis_chassis.database import Database
from meatyapis_chassis.problems import Problem
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from meatyapis_fastapi.models import User
from meatyapis_fastapi.schemas import TokenClaims
from meatyapis_fastapi.security import InvalidToken, Passwords, Tokens
from meatyapis_fastapi.settings import Settings

logger = logging.getLogger(__name__)

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="login", auto_error=False)


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


def get_clock() -> Callable[[], float]:
    """Wall-clock seconds; the login rate limit's sliding window is measured with it."""
    return time.time


def client_ip(request: Request) -> str:
    """The caller's address (uvicorn applies X-Forwarded-For only from FORWARDED_ALLOW_IPS)."""
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


async def current_claims(
    token: Annotated[str | None, Depends(oauth2_scheme)],
    tokens: Annotated[Tokens, Depends(get_tokens)],
) -> TokenClaims:
    """The verified claims of the caller's bearer token, or 401 with `WWW-Authenticate`.

    `async`: checking an HS256 signature is a few microseconds of CPU, cheaper on the event
    loop than a hop to the thread pool (FastAPI runs every `def` dependency there)."""
    if not token:
        raise unauthorized("a bearer token is required")
    try:
        claims: dict[str, Any] = tokens.decode(token)
    except InvalidToken as err:
        raise unauthorized(f"invalid token: {err}", "invalid_token") from err
    return TokenClaims.model_validate(claims)


def current_user(
    claims: Annotated[TokenClaims, Depends(current_claims)],
    database: Annotated[Database, Depends(get_database)],
) -> User:
    """The caller's user row, read in one thread-pool hop (session opened, row read, closed):
    a request-scoped session would take three (open, read, and close after the response)."""
    with database.session() as session:
        user = session.get(User, int(claims.sub))
    if user is None:
        raise unauthorized("the token's user no longer exists", "invalid_token")
    return user


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
ClaimsDep = Annotated[TokenClaims, Depends(current_claims)]
UserDep = Annotated[User, Depends(current_user)]
