"""The one seam for authenticating writes.

Every product write is wrapped in `require_bearer_token`. Until a verifier is installed with
`install_token_verifier` (the identity-service integration does that), every caller is allowed.
Once one is installed, a write needs `Authorization: Bearer <token>` and the verifier's consent.
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


class TokenVerifier(Protocol):
    def verify(self, token: str) -> str:
        """Return the token's subject, or raise TokenRejected."""


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
        if verifier is not None:
            try:
                g.subject = verifier.verify(_bearer_token())
            except TokenRejected as err:
                raise _unauthorized(str(err) or "the token was rejected") from None
        return view(*args, **kwargs)

    return guarded
