"""The one seam for authenticating writes.

Every product write is wrapped in `require_bearer_token`: a write needs `Authorization: Bearer
<token>` and the consent of the installed verifier (`create_app` installs the identity service's,
see identity.py; unit tests install their own with `install_token_verifier`). It fails closed:
with no verifier installed every write is refused. A verifier that cannot decide (its service is
down) makes the write answer 503 with Retry-After.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, Protocol, TypeVar

from flask import Flask, current_app, g, request

from meatyapis_flask.problems import Problem

P = ParamSpec("P")
R = TypeVar("R")

_VERIFIER_KEY = "meatyapis.token_verifier"


class TokenRejected(Exception):
    """The verifier's answer for a token that is invalid, expired or not allowed."""


class VerifierUnavailable(Exception):
    """The verifier could not decide (its service is down or slow); retry after some seconds."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)


class TokenVerifier(Protocol):
    def verify(self, token: str) -> str:
        """Return the token's subject, or raise TokenRejected or VerifierUnavailable."""


def install_token_verifier(app: Flask, verifier: TokenVerifier) -> None:
    app.extensions[_VERIFIER_KEY] = verifier


def _unauthorized(detail: str) -> Problem:
    return Problem(
        401, detail, "unauthorized", headers={"WWW-Authenticate": 'Bearer realm="catalog"'}
    )


def _bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("send Authorization: Bearer <token>")
    return token.strip()


def require_bearer_token(view: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        verifier: TokenVerifier | None = current_app.extensions.get(_VERIFIER_KEY)
        if verifier is None:
            raise Problem(503, "no token verifier is configured", "identity-unavailable")
        try:
            g.subject = verifier.verify(_bearer_token())
        except TokenRejected as err:
            raise _unauthorized(str(err) or "the token was rejected") from None
        except VerifierUnavailable as err:
            raise Problem(
                503,
                str(err),
                "identity-unavailable",
                headers={"Retry-After": str(err.retry_after)},
            ) from None
        return view(*args, **kwargs)

    return guarded
