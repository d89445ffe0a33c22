"""The one seam for authenticating writes.

Every product write is wrapped in `require_bearer_token`: a write needs `Authorization: Bearer
<token>` and the consent of the app's token verifier (`create_app` gives it the identity
service's, see identity/verifier.py; unit tests give it their own). It fails closed: with no
verifier every write is refused. A verifier that cannot decide (its service is down) makes the
write answer 503 with Retry-After.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import g, request
from meatyapis_chassis.problems import Problem

from meatyapis_flask.catalog_app import current_catalog

P = ParamSpec("P")
R = TypeVar("R")


class TokenRejected(Exception):
    """The verifier's answer for a token that is invalid, expired or not allowed."""


class VerifierUnavailable(Exception):
    """The verifier could not decide (its service is down or slow); retry after some seconds."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)


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
        verifier = current_catalog().token_verifier
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
