"""Password hashing (argon2id) and access tokens (JWT, HS256)."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from meatyapis_fastapi import APP_NAME
from meatyapis_fastapi.settings import PasswordHashingSettings, Settings

TOKEN_ALGORITHM = "HS256"  # noqa: S105 - an algorithm name, not a secret
REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti", "iss"]


class Passwords:
    """argon2id hashing; `verify_or_dummy` costs the same whether or not a user exists."""

    def __init__(self, time_cost: int, memory_kib: int) -> None:
        self.hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))

    @classmethod
    def from_settings(cls, settings: PasswordHashingSettings) -> Passwords:
        return cls(settings.password_hash_time_cost, settings.password_hash_memory_kib)

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
    """The token is malformed, badly signed, expired or lacks a required claim."""


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    scope: str


class Tokens:
    """Signs and checks access tokens with the shared TOKEN_SECRET."""

    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    @classmethod
    def from_settings(cls, settings: Settings) -> Tokens:
        return cls(settings.token_secret.get_secret_value(), settings.token_ttl_seconds)

    def issue(
        self, user_id: int, username: str, scopes: Sequence[str] = (), now: float | None = None
    ) -> IssuedToken:
        issued_at = int(time.time() if now is None else now)
        scope = " ".join(scopes)
        claims = {
            "sub": str(user_id),
            "username": username,
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
        if not isinstance(claims.get("username"), str) or not str(claims["sub"]).isdigit():
            raise InvalidToken("token lacks a valid subject or username")
        if not isinstance(claims.get("scope", ""), str):
            raise InvalidToken("token has a malformed scope")
        return claims
