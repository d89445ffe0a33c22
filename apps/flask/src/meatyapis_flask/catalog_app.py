"""The catalog's Flask app: the parts a request uses are typed attributes of the app, set once
by `create_app`, rather than entries of `app.extensions` that must be added in the right order."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from flask import Flask, current_app
from flask.ctx import RequestContext
from meatyapis_chassis.database import Database
from meatyapis_chassis.kept import KeptAnswers
from prometheus_client import CollectorRegistry

from meatyapis_flask.request_context import REQUEST
from meatyapis_flask.settings import Settings

if TYPE_CHECKING:
    from meatyapis_flask.auth import Caller


class TokenVerifier(Protocol):
    def verify(self, token: str) -> Caller:
        """Return who the token speaks for, or raise auth.TokenRejected or
        auth.VerifierUnavailable."""


class CatalogApp(Flask):
    settings: Settings
    database: Database
    # Writes are refused while there is none (the unit tests install their own).
    token_verifier: TokenVerifier | None = None
    # The app's metrics (None with METRICS_ENABLED=false); scraped on METRICS_PORT under gunicorn.
    metrics_registry: CollectorRegistry | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync_functions: KeptAnswers[Callable[..., Any], Callable[..., Any]] = KeptAnswers()

    def request_context(self, environ: dict[str, Any]) -> RequestContext:
        context = super().request_context(environ)
        environ[REQUEST] = context.request
        return context

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        # Flask asks for every hook and view on every request, and the answer (inspecting the
        # function's code flags) never changes: it is worked out once per function.
        # The table is bounded: `after_this_request` hands over a new function each time.
        sync = self._sync_functions.get(func)
        if sync is None:
            sync = self._sync_functions.keep(func, super().ensure_sync(func))
        return sync


def current_catalog() -> CatalogApp:
    app = current_app
    assert isinstance(app, CatalogApp), "the catalog's blueprints run only in a CatalogApp"
    return app


def database() -> Database:
    return current_catalog().database
