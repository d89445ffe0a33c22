"""The catalog's Flask app: the parts a request uses are typed attributes of the app, set once
by `create_app`, rather than entries of `app.extensions` that must be added in the right order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from flask import Flask, current_app
from meatyapis_chassis.database import Database
from prometheus_client import CollectorRegistry

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


def current_catalog() -> CatalogApp:
    app = current_app
    assert isinstance(app, CatalogApp), "the catalog's blueprints run only in a CatalogApp"
    return app


def database() -> Database:
    return current_catalog().database
