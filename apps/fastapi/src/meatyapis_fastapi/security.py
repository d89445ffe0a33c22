"""Password hashing (argon2id, a bounded number at once) and access tokens (JWT, HS256)."""

from __future__ import annotations

import re
import secrets
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from meatyapis_fastapi import APP_NAME
from meatyapis_fastapi.settings import PasswordHashingSettings, Settings

TOKEN_ALGORITHM = "HS256"  # noqa: S105 - an algorithm name, not a secret
REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti", "iss", "gen"]
# A user id as the service writes it: ASCII digits of a positive 64-bit integer, no sign, no
# leading zero ("²" and "٣" are digits to str.isdigit, and int() takes " 7" and "+7").
SUBJECT = re.compile(r"[1-9][0-9]{0,18}")
MAX_ID = 2**63 - 1


class HashingBusy(Exception):
    """Every argon2 slot of this worker is taken: try again shortly."""


class Passwords:
    """argon2id hashing; `verify` costs the same whether or not a user exists.

    Each computation takes `memory_kib` of memory, so at most `concurrency` run at once in a
    worker: `slot()` takes one or raises HashingBusy at once (the caller answers 503), so a
    burst of logins neither queues up nor multiplies the memory.
    """

    def __init__(self, time_cost: int, memory_kib: int, concurrency: int = 1) -> None:
        self.hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        self._slots = threading.BoundedSemaphore(concurrency)

    @classmethod
    def from_settings(cls, settings: PasswordHashingSettings) -> Passwords:
        return cls(
            settings.password_hash_time_cost,
            settings.password_hash_memory_kib,
            settings.password_hash_concurrency,
        )

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the worker's argon2 slots for the block, or raise HashingBusy."""
        if not self._slots.acquire(blocking=False):
            raise HashingBusy
        try:
            yield
        finally:
            self._slots.release()

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when `password` matches; a missing hash is checked against a dummy, then False."""
        try:
            return self.hasher.verify(password_hash or self._dummy_hash, password) and bool(
                password_hash
            )
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self.hasher.check_needs_rehash(password_hash)


class InvalidToken(Exception):
    """The token is malformed, badly signed, expired, lives too long or lacks a claim."""


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    scope: str


class Tokens:
    """Signs and checks access tokens with the shared TOKEN_SECRET.

    A token names its user (`sub`, `username`) and the user's token generation (`gen`): raising
    the generation revokes every token issued before (see dependencies.current_caller).
    """

    def __init__(self, secret: str, ttl_seconds: int, max_lifetime_seconds: int) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds
        self.max_lifetime_seconds = max_lifetime_seconds

    @classmethod
    def from_settings(cls, settings: Settings) -> Tokens:
        return cls(
            settings.token_secret.get_secret_value(),
            settings.token_ttl_seconds,
            settings.token_max_lifetime_seconds,
        )

    def issue(
        self,
        user_id: int,
        username: str,
        generation: int,
        scopes: Sequence[str] = (),
        now: float | None = None,
    ) -> IssuedToken:
        issued_at = int(time.time() if now is None else now)
        scope = " ".join(scopes)
        claims = {
            "sub": str(user_id),
            "username": username,
            "gen": generation,
            "scope": scope,
            "iss": APP_NAME,
            "iat": issued_at,
            "exp": issued_at + self.ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(claims, self._secret, algorithm=TOKEN_ALGORITHM)
        return IssuedToken(token=token, expires_in=self.ttl_seconds, scope=scope)

    def decode(self, token: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[TOKEN_ALGORITHM],
                issuer=APP_NAME,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as err:
            raise InvalidToken(str(err)) from err
        subject, generation = claims["sub"], claims["gen"]
        if not (isinstance(subject, str) and SUBJECT.fullmatch(subject) and int(subject) <= MAX_ID):
            raise InvalidToken("the subject is not a user id")
        if not isinstance(claims.get("username"), str) or not isinstance(claims.get("jti"), str):
            raise InvalidToken("the username and jti must be strings")
        if not isinstance(generation, int) or isinstance(generation, bool) or generation < 0:
            raise InvalidToken("gen must be a non-negative integer")
        if claims["exp"] - claims["iat"] > self.max_lifetime_seconds:
            raise InvalidToken(f"it lives longer than {self.max_lifetime_seconds} s")
        if not isinstance(claims.get("scope", ""), str):
            raise InvalidToken("token has a malformed scope")
        return claims
