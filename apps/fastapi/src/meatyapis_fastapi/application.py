"""The application factory `create_app()`; `meatyapis_fastapi.main:app` is its product."""

from __future__ import annotations

from fastapi import FastAPI

from meatyapis_fastapi import APP_NAME, __version__, metrics
from meatyapis_fastapi.config import Settings, load_settings
from meatyapis_fastapi.db import Database
from meatyapis_fastapi.docs import install_docs
from meatyapis_fastapi.lifecycle import lifespan
from meatyapis_fastapi.logging_config import configure_logging
from meatyapis_fastapi.middleware import (
    BodySizeLimitMiddleware,
    HeadAsGetMiddleware,
    RequestContextMiddleware,
)
from meatyapis_fastapi.problems import install_problem_handlers
from meatyapis_fastapi.routers import auth, health, info, root, users
from meatyapis_fastapi.security import Passwords, Tokens

DESCRIPTION = """The MeatyAPIs identity service: register, log in for a bearer token (JWT),
verify tokens for the other services, and read protected information.

Every GET operation answers HEAD too. Errors are RFC 9457 problem details
(`application/problem+json`); those of the token endpoint `POST /login` also carry the OAuth2
`error` and `error_description` members (RFC 6749 §5.2)."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application from `settings` (read from the environment when not given)."""
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    app = FastAPI(
        title=APP_NAME,
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = Database(settings.database_url)
    app.state.passwords = Passwords.from_settings(settings)
    app.state.tokens = Tokens.from_settings(settings)

    for router in (root.router, auth.router, users.router, info.router, health.router):
        app.include_router(router)
    install_docs(app)
    install_problem_handlers(app)
    # Each middleware added wraps the ones before: HEAD as GET, body limit, metrics, context.
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    metrics.instrument(app, enabled=settings.metrics_enabled)
    app.add_middleware(RequestContextMiddleware)  # outermost: sees every request and error
    metrics.build_middleware_stack(app)
    return app
