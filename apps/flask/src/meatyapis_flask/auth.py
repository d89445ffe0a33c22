"""The one seam for authorizing writes.

Every product write is wrapped in `require_scope(WRITE_SCOPE)`: a write needs `Authorization:
Bearer <token>`, the consent of the app's token verifier (`create_app` gives it the identity
service's, see identity/verifier.py; unit tests give it their own), and the scope among the
token's. It fails closed: with no verifier every write is refused. A verifier that cannot
decide (its service is down) makes the write answer 503 with Retry-After.

The answers follow RFC 6750 §3: no or a malformed token → 401 `WWW-Authenticate: Bearer`
(`error="invalid_token"` when one was sent); a valid token without the scope → 403 with
`error="insufficient_scope"` and the scope needed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from flask import g, request
from meatyapis_chassis.problems import Problem

from meatyapis_flask.catalog_app import current_catalog

P = ParamSpec("P")
R = TypeVar("R")

WRITE_SCOPE = "catalog:write"
REALM = "catalog"
# RFC 6750 §2.1 b64token: what a bearer token may consist of (ASCII only).
B64TOKEN = re.compile(r"[A-Za-z0-9._~+/-]+=*")
MAX_TOKEN_LENGTH = 4096


@dataclass(frozen=True)
class Caller:
    """Who a verified token speaks for, and what it may do."""

    subject: str
    username: str
    scopes: frozenset[str]


class TokenRejected(Exception):
    """The verifier's answer for a token that is invalid, expired or not allowed."""


class VerifierUnavailable(Exception):
    """The verifier could not decide (its service is down or slow); retry after some seconds."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)


def is_bearer_token(token: str) -> bool:
    return len(token) <= MAX_TOKEN_LENGTH and B64TOKEN.fullmatch(token) is not None


def _unauthorized(detail: str, error: str | None = None) -> Problem:
    challenge = f'Bearer realm="{REALM}"' + (f', error="{error}"' if error else "")
    return Problem(401, detail, "unauthorized", headers={"WWW-Authenticate": challenge})


def _bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip(" ")
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("send Authorization: Bearer <token>")
    if not is_bearer_token(token):
        raise _unauthorized(
            "the bearer token is malformed (RFC 6750: ASCII letters, digits, -._~+/ and = only)",
            "invalid_token",
        )
    return token


def _insufficient_scope(scope: str) -> Problem:
    challenge = f'Bearer realm="{REALM}", error="insufficient_scope", scope="{scope}"'
    return Problem(
        403,
        f"the token does not grant {scope}: ask an administrator for the editor role",
        "insufficient-scope",
        headers={"WWW-Authenticate": challenge},
    )


def current_caller() -> Caller:
    """The caller of a request that `require_scope` let through."""
    caller: Caller = g.caller
    return caller


def require_scope(scope: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            verifier = current_catalog().token_verifier
            if verifier is None:
                raise Problem(503, "no token verifier is configured", "identity-unavailable")
            try:
                caller = verifier.verify(_bearer_token())
            except TokenRejected as err:
                raise _unauthorized(str(err) or "the token was rejected", "invalid_token") from None
            except VerifierUnavailable as err:
                raise Problem(
                    503,
                    str(err),
                    "identity-unavailable",
                    headers={"Retry-After": str(err.retry_after)},
                ) from None
            if scope not in caller.scopes:
                raise _insufficient_scope(scope)
            g.caller = caller
            return view(*args, **kwargs)

        return guarded

    return decorate
